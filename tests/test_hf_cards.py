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
