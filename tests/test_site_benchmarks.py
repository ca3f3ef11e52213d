"""The benchmarks a site compares on: task and dataset, metrics and which way is better."""

from __future__ import annotations

import pytest

import modelindex
from modelindex.metric_semantics import metric_semantics
from modelindex.site.benchmarks import benchmarks_of
from tests.conftest import write_file

ZOO = """Models:
- Name: asr-small
  Results:
  - {Task: Automatic Speech Recognition, Dataset: LibriSpeech, Metrics: {Test WER: 4.2}}
- Name: asr-large
  Results:
  - {Task: Automatic Speech Recognition, Dataset: librispeech, Metrics: {Test WER: 2.1, Test CER: 0.9}}
  - {Task: Image Classification, Dataset: imagenet-1k, Metrics: {Top 1 Accuracy: 81}}
- Name: det
  Results:
  - {Task: Object Detection, Dataset: COCO 2017 val, Metrics: {box AP: 40.1, AP@0.5: 61.2}}
- Name: classifier
  Results:
  - {Task: Image Classification, Dataset: ImageNet, Metrics: {Top 1 Accuracy: 78, Mean: 3}}
"""


def test_results_group_by_task_and_one_dataset_name(tmp_path) -> None:
    zoo = modelindex.load(write_file(tmp_path / "model-index.yml", ZOO))
    found = benchmarks_of(zoo.models)
    labels = [(b.label, b.models) for b in found.benchmarks]
    assert labels == [
        ("ImageNet-1k · Image Classification", 2),  # ImageNet and imagenet-1k: one dataset
        ("LibriSpeech · Automatic Speech Recognition", 2),
        ("COCO · Object Detection", 1),
    ]
    speech = found.benchmarks[1]
    assert [(m.label, m.lower_is_better, m.models) for m in speech.metrics.values()] == [
        ("Test WER", True, 2),
        ("Test CER", True, 1),
    ]
    imagenet = found.benchmarks[0]
    mean = next(m for m in imagenet.metrics.values() if m.label == "Mean")
    assert (mean.lower_is_better, mean.known) == (False, False)  # assumed, and said so
    # Each model's numbers, by the page's keys.
    assert found.values[1] == {"b1": {"m0": 2.1, "m1": 0.9}, "b0": {"m0": 81.0}}
    assert found.values[2] == {"b2": {"m0": 40.1, "m1": 61.2}}


@pytest.mark.parametrize(
    ("metric", "lower"),
    [
        ("box AP", False),
        ("AP@0.5", False),
        ("PCK@0.2", False),
        ("PSNR", False),
        ("FID50k", True),
        ("Test WER (with LM)", True),
        ("EPE", True),
        ("pass@1", False),
        ("MPJPE", True),
        ("Top-1 Error", True),
    ],
)
def test_vision_and_speech_metrics_know_their_direction(metric: str, lower: bool) -> None:
    semantics = metric_semantics(metric)
    assert semantics is not None and semantics.lower_is_better is lower


def test_a_hostile_zoo_is_bounded(tmp_path) -> None:
    metrics = ", ".join(f"m{i}: {i}" for i in range(40))
    results = "\n".join(
        f"  - {{Task: t, Dataset: d{i}, Metrics: {{{metrics}}}}}" for i in range(250)
    )
    zoo = modelindex.load(
        write_file(tmp_path / "model-index.yml", f"Models:\n- Name: x\n  Results:\n{results}\n")
    )
    found = benchmarks_of(zoo.models)
    assert len(found.benchmarks) == 200 and all(len(b.metrics) == 24 for b in found.benchmarks)
    assert sum(len(values) for values in found.values[0].values()) == 200 * 24


def test_the_commonest_benchmarks_are_kept_not_the_first_seen(tmp_path) -> None:
    rare = "".join(
        f"- Name: rare{i}\n  Results: [{{Task: t, Dataset: r{i}, Metrics: {{a: 1}}}}]\n"
        for i in range(230)
    )
    common = "".join(
        f"- Name: net{i}\n  Results: [{{Task: t, Dataset: ImageNet, Metrics: {{a: {i}}}}}]\n"
        for i in range(3)
    )
    zoo = modelindex.load(write_file(tmp_path / "model-index.yml", f"Models:\n{rare}{common}"))
    found = benchmarks_of(zoo.models)
    assert found.benchmarks[0].label == "ImageNet-1k · t" and found.benchmarks[0].models == 3
    assert len(found.benchmarks) == 200
