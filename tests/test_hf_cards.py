from __future__ import annotations

import modelindex

HF_CARD = """---
license: apache-2.0
model-index:
- name: vit-tiny-demo
  results:
  - task:
      type: image-classification
      name: Image Classification
    dataset:
      type: imagenet-1k
      name: ImageNet
    metrics:
    - type: accuracy
      value: 75.5
      name: Top 1 Accuracy
    - type: top5
      value: '92.1%'
---

# vit-tiny-demo
"""


def test_front_matter_model_index_becomes_models(write) -> None:
    path = write("README.md", HF_CARD)
    zoo = modelindex.load(path)
    assert zoo.problems == []
    model = zoo["vit-tiny-demo"]
    assert model.dialect == "hf-card"
    assert model.source.line == 4
    [result] = model.results
    assert (result.task, result.dataset) == ("Image Classification", "ImageNet")
    assert result.metrics == {"Top 1 Accuracy": 75.5, "top5": 92.1}


def test_front_matter_without_model_index_is_ignored(write) -> None:
    zoo = modelindex.load(write("README.md", "---\nlicense: mit\n---\n# Hi\n"))
    assert len(zoo) == 0
    assert zoo.problems == []


def test_malformed_front_matter_is_a_problem_with_its_line(write) -> None:
    zoo = modelindex.load(write("README.md", "---\nmodel-index:\n- name: [x\n---\n"))
    [problem] = zoo.problems
    assert problem.line is not None and 3 <= problem.line <= 4


def _card(name: str, metrics: str) -> str:
    return (
        "---\nmodel-index:\n"
        f"- name: {name}\n"
        "  results:\n"
        "  - task: {type: reinforcement-learning, name: reinforcement-learning}\n"
        "    dataset: {type: LunarLander-v2, name: LunarLander-v2}\n"
        f"    metrics:\n{metrics}"
        "---\n\n# card\n"
    )


RL_METRIC = (
    "    - {type: mean_reward, value: 253.91 +/- 68.63, name: mean_reward, verified: false}\n"
)


def test_a_value_with_its_spread_is_read_as_both(write) -> None:
    # As the Hub's RL tooling writes a mean reward and its standard deviation.
    card = write("ppo/README.md", _card("PPO", RL_METRIC))
    [model] = modelindex.load(card).models
    [result] = model.results
    assert result.metrics == {"mean_reward": 253.91}
    assert result.spread == {"mean_reward": 68.63}
    assert model.invalid == []


def test_a_card_is_a_repository_of_its_own(write) -> None:
    from modelindex.checks import validate

    write("a/ppo/README.md", _card("PPO", RL_METRIC))
    write("b/ppo/README.md", _card("PPO", RL_METRIC.replace("253.91", "-12.5 ± 3.0")))
    two = [f.code for f in validate(modelindex.load(write("c/x", "").parent.parent)).findings]
    assert "S004" not in two
    twice = _card("PPO", RL_METRIC).replace("model-index:\n", "model-index:\n- name: PPO\n", 1)
    once_more = validate(modelindex.load(write("d/README.md", twice))).findings
    assert [f.code for f in once_more if f.code == "S004"] == ["S004"]


def test_a_threshold_is_not_a_score(write) -> None:
    from modelindex.checks import validate

    metrics = (
        "    - {type: cos_sim_accuracy_threshold, value: 263.7}\n"
        "    - {type: cos_sim_accuracy, value: 263.7}\n"
    )
    card = write("mteb/README.md", _card("e5", metrics))
    found = [(f.code, f.field) for f in validate(modelindex.load(card)).findings]
    assert ("S009", "Results[0].cos_sim_accuracy") in found
    assert not [field for code, field in found if code == "S009" and "threshold" in field]


LEGACY_CARD = """---
license: apache-2.0
model_index:
- name: distilbert-base-uncased-finetuned-cola
  results:
  - task:
      name: Text Classification
      type: text-classification
    dataset:
      name: glue
      type: glue
      args: cola
    metric:
      name: Matthews Correlation
      type: matthews_correlation
      value: 0.5331291095663535
---

| Model | Params (M) | Top-1 (%) |
|---|---|---|
| `bert-base` | 110 | 84.2 |
"""


def test_the_legacy_model_index_key_is_read_with_a_warning(write) -> None:
    from modelindex.checks import Severity, validate

    card = write("cola/README.md", LEGACY_CARD)
    zoo = modelindex.load(card)
    [model] = zoo.models  # the prose table of a Hub card holds no models
    assert model.results[0].metrics == {"Matthews Correlation": 0.5331291095663535}
    [legacy] = [f for f in validate(zoo).findings if f.code == "L014"]
    assert (legacy.location.line, legacy.severity) == (3, Severity.WARNING)
