from __future__ import annotations

from pathlib import Path

import pytest

import modelindex
from modelindex.cli import main
from modelindex.problems import ProblemKind

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
    # Renaming the key alone would leave the legacy 'metric:', which the Hub does not read.
    assert "rename it 'model-index'" in legacy.message
    assert "write each result's 'metric:' as a list under 'metrics:'" in legacy.message


def test_a_listed_metric_without_type_or_name_is_h001s_not_an_empty_result(write) -> None:
    from modelindex.checks import validate

    card = write(
        "README.md",
        "---\nmodel-index:\n- name: m\n  results:\n  - task: {type: x}\n    dataset: {type: d, name: D}\n    metrics: [{value: 0.412}]\n---\n",
    )
    assert [f.code for f in validate(modelindex.load(card)).findings] == ["H001"]


HUB_FORMAT = Path(__file__).parent / "fixtures" / "hf-hub-format"


def test_the_whole_hub_schema_is_kept() -> None:
    model = modelindex.load(str(HUB_FORMAT / "asr-verified"))[
        "Sinai Voice Arabic Speech Recognition Model"
    ]
    test, validation = model.results
    assert (test.task, test.task_info.type) == (
        "Speech Recognition",
        "automatic-speech-recognition",
    )
    dataset = test.dataset_info
    assert (dataset.type, dataset.name, dataset.config, dataset.split) == (
        "mozilla-foundation/common_voice_8_0",
        "Common Voice 8.0 (Arabic)",
        "ar",
        "test",
    )
    assert dataset.revision == "5693bfc0feeade582a78c2fb250bc8f6b7b7a9e1"
    assert dataset.args == {"language": "ar"}
    wer, cer = test.metric_entries
    assert (wer.type, wer.name, wer.value, wer.number, wer.verified) == (
        "wer",
        "Test WER",
        18.1,
        18.1,
        True,
    )
    assert wer.verify_token.startswith("eyJ") and cer.verified is False and cer.verify_token is None
    assert (test.source.name, test.source.url) == (
        "Robust Speech Event",
        "https://huggingface.co/spaces/speech-recognition-community-v2/FinalLeaderboard",
    )
    assert validation.dataset_info.split == "validation" and validation.source is None
    assert validation.metrics == {"Validation WER": 17.2}


def test_duplicate_metrics_stay_distinct() -> None:
    [model] = modelindex.load(str(HUB_FORMAT / "duplicate-metrics")).models
    [result] = model.results
    assert len(result.metric_entries) == 8
    assert [entry.number for entry in result.metric_entries if entry.name == "F1 Macro"] == [
        0.8885,
        0.8187,
    ]
    # The mapping view keeps the first of two values.
    assert result.metrics["F1 Macro"] == 0.8885


def test_a_mean_with_its_spread_keeps_what_was_written() -> None:
    [model] = modelindex.load(str(HUB_FORMAT / "rl-mteb")).models
    [reward] = model.results[0].metric_entries
    assert (reward.value, reward.number, reward.spread) == ("500.00 +/- 0.00", 500.0, 0.0)


def test_misspelt_keys_are_kept_as_extra_and_reported_with_the_fix() -> None:
    zoo = modelindex.load(str(HUB_FORMAT / "misspelt-keys"))
    [model] = zoo.models
    wer, cer = model.results[0].metric_entries
    assert wer.verified is None and wer.extra == {"veriefied": False}
    assert cer.extra == {"types": "cer", "values": 4.9}
    found = {
        (problem.kind, problem.line, problem.message.rsplit("mean ", 1)[-1])
        for problem in zoo.problems
        if problem.kind is ProblemKind.NEAR_MISS_KEY
    }
    assert found == {
        (ProblemKind.NEAR_MISS_KEY, 18, "'verified'?"),
        (ProblemKind.NEAR_MISS_KEY, 19, "'type'?"),
        (ProblemKind.NEAR_MISS_KEY, 20, "'value'?"),
    }


def test_what_huggingface_hub_cannot_read_is_an_error_once_per_card(write) -> None:
    results = "".join(
        f"  - task: {{type: token-classification, name: NER}}\n    metrics:\n    - {{type: f1, value: 0.{n}}}\n"
        for n in range(1, 4)
    )
    card = write("README.md", f"---\nmodel-index:\n- name: spacy-like\n  results:\n{results}---\n")
    zoo = modelindex.load(card)
    [problem] = zoo.problems
    assert (problem.kind, problem.line) == (ProblemKind.HUB_UNREADABLE, 5)
    assert "results[0] has no 'dataset'" in problem.message and "2 more like it" in problem.message
    assert zoo["spacy-like"].results[2].metrics == {"f1": 0.3}


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        (
            "{type: common_voice, name: Common Voice, config: 2017}",
            "dataset.config must be a string, found int 2017",
        ),
        ("{type: common_voice, name: }", "dataset.name must be a string, found empty"),
        ("[common_voice]", "dataset must be a mapping, found a list"),
    ],
)
def test_values_the_hub_refuses_on_push(write, dataset: str, message: str) -> None:
    card = write(
        "README.md",
        f"---\nmodel-index:\n- name: m\n  results:\n  - task: {{type: asr}}\n    dataset: {dataset}\n    metrics: [{{type: wer, value: 3}}]\n---\n",
    )
    [problem] = modelindex.load(card).problems
    assert problem.line == 6 and message in problem.message


def test_a_header_after_blank_lines_is_read_as_huggingface_hub_reads_it(write) -> None:
    card = write("README.md", "\n\n---\nmodel-index:\n- name: m\n  results: []\n---\n")
    zoo = modelindex.load(card)
    assert zoo["m"].source.line == 5 and zoo.problems == []


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_show_prints_an_asr_cards_wer_by_dataset_config_and_split_with_verified(capsys) -> None:
    name = "Sinai Voice Arabic Speech Recognition Model"
    code, out, err = _run(capsys, "show", name, str(HUB_FORMAT / "asr-verified"))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    test = lines.index("    Speech Recognition on Common Voice 8.0 (Arabic)")
    assert "dataset mozilla-foundation/common_voice_8_0, config ar, split test" in lines[test + 1]
    assert lines[test + 2].split() == [
        "Test",
        "WER",
        "18.1",
        "(wer,",
        "lower",
        "is",
        "better,",
        "verified)",
    ]
    assert "4.9  (cer, lower is better, not verified)" in lines[test + 3]
    assert "Robust Speech Event <https://huggingface.co/spaces/" in lines[test + 4]
    assert "config ar, split validation" in lines[test + 6]
    assert "Validation WER        17.2  (wer, lower is better)" in lines[test + 7]
    # No image preprocessing for a speech model, nor an empty Metadata heading.
    assert "Preprocessing" not in out and "Metadata" not in out


def test_show_gives_a_spread_and_says_a_threshold_is_not_a_score(capsys) -> None:
    code, out, _ = _run(capsys, "show", "PPO", str(HUB_FORMAT / "rl-mteb"))
    assert code == 0
    assert "mean_reward           500 ± 0  (higher is better)" in out
    assert "cos_sim_accuracy_threshold  84.92  (a threshold, not a score)" in out


def test_list_of_hub_cards_shows_task_dataset_split_and_first_metric(capsys) -> None:
    code, out, _ = _run(
        capsys, "list", str(HUB_FORMAT / "asr-verified"), str(HUB_FORMAT / "rl-mteb")
    )
    header, _, asr, ppo = out.splitlines()
    assert header.split() == [
        "name",
        "task",
        "dataset",
        "dataset_config",
        "split",
        "metric",
        "value",
    ]
    assert asr.split()[-5:] == ["ar", "test", "Test", "WER", "18.1"]
    assert ppo.split()[-2:] == ["mean_reward", "500"]
    assert code == 0


def test_list_and_show_exit_0_where_only_the_format_is_at_fault(capsys) -> None:
    code, _, err = _run(capsys, "list", str(HUB_FORMAT / "misspelt-keys"))
    assert code == 0 and "veriefied" not in err
    code, out, _ = _run(capsys, "validate", str(HUB_FORMAT / "misspelt-keys"))
    assert code == 1 and "did you mean 'verified'?" in out
