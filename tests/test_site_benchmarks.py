"""The benchmarks a site compares on: task and dataset, metrics and which way is better."""

from __future__ import annotations

import pytest

import modelindex
from modelindex.metric_semantics import is_condition, is_setting, metric_semantics
from modelindex.site.benchmarks import benchmarks_of, flagged_results
from modelindex.site.figures import collection_styles, plotly_js
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
    # Keys are names, not positions, so that an address stays true as the zoo grows.
    speech_key, imagenet_key = (
        "b-librispeech-automatic-speech-recognition",
        "b-imagenet-1k-image-classification",
    )
    assert found.values[1] == {
        speech_key: {"m-testwer": 2.1, "m-testcer": 0.9},
        imagenet_key: {"m-top1accuracy": 81.0},
    }
    assert found.values[2] == {"b-coco-object-detection": {"m-boxap": 40.1, "m-ap@05": 61.2}}


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


def test_a_value_validate_reports_is_flagged_on_its_own_metric(tmp_path) -> None:
    # timm's inception_v4 card: a Top-1 of 1.01 (a fraction written as a percentage), N007.
    zoo = modelindex.load(write_file(tmp_path / "model-index.yml", ZOO))
    flagged = [
        {},
        flagged_results([("Results[1].Top 1 Accuracy", "N007"), ("Weights", "U001")]),
        flagged_results([("Results[0].Metrics", "R001")]),  # the whole result is copied
        {},
    ]
    found = benchmarks_of(zoo.models, flagged)
    imagenet, speech, coco = (b.key for b in found.benchmarks)
    # Not its WER on the first result.
    assert found.flags[1] == {imagenet: {"m-top1accuracy": "N007"}}
    assert found.flags[2] == {coco: {"m-boxap": "R001", "m-ap@05": "R001"}}
    assert found.flags[0] == found.flags[3] == {}
    assert speech not in found.flags[1]


def test_each_of_a_hundred_collections_gets_its_own_marker() -> None:
    styles = collection_styles([f"collection {n}" for n in range(100)])
    assert len({(s["color"], s["symbol"]) for s in styles.values()}) == 100
    assert collection_styles(["b", "a"]) == collection_styles(["a", "b"])  # by name, not order


def test_the_site_serves_plotly_from_its_wheel() -> None:
    path = plotly_js()
    assert path.name == "plotly.min.js" and path.stat().st_size > 1_000_000


def _hub_card(tmp_path, name: str, config: str, wer: float) -> None:
    write_file(
        tmp_path / name / "README.md",
        f"---\nmodel-index:\n- name: {name}\n  results:\n"
        "  - task: {type: automatic-speech-recognition, name: Speech Recognition}\n"
        "    dataset: {type: mozilla-foundation/common_voice_8_0, name: Common Voice 8,"
        f" config: {config}, split: test}}\n"
        f"    metrics: [{{type: wer, name: Test WER, value: {wer}}}]\n"
        "  - task: {type: text-classification}\n"
        "    metrics: [{type: accuracy, value: 0.9}]\n---\n",
    )


def test_a_hub_benchmark_is_its_dataset_config_and_split_on_one_scale(tmp_path) -> None:
    # Common Voice in German is no rival to Common Voice in English; 0.123 and 12.3 are one WER.
    _hub_card(tmp_path, "en-small", "en", 0.123)
    _hub_card(tmp_path, "en-tiny", "en", 0.2)
    _hub_card(tmp_path, "en-large", "en", 8.5)
    _hub_card(tmp_path, "en-base", "en", 10.1)
    _hub_card(tmp_path, "de-small", "de", 14.2)
    found = benchmarks_of(modelindex.load(tmp_path).models)
    labels = {b.label: b for b in found.benchmarks}
    assert sorted(labels) == [
        "Common Voice 8 (de, test) · Speech Recognition",
        "Common Voice 8 (en, test) · Speech Recognition",
    ]  # a result with no dataset is no benchmark
    english = labels["Common Voice 8 (en, test) · Speech Recognition"]
    wer = english.metrics["testwer"]
    assert wer.rescaled == 2 and wer.lower_is_better
    values = sorted(v[english.key][wer.key] for v in found.values if english.key in v)
    assert values == [8.5, 10.1, 12.3, 20.0]


@pytest.mark.parametrize(
    ("label", "setting", "condition"),
    [
        ("Iter", True, False),  # mmagic's tables write training settings among the metrics
        ("Total Iters\\*", True, False),
        ("disc_step", True, False),
        ("CGS", True, False),  # a classifier guidance scale
        ("Batch Size", True, False),
        ("\N{GREEK SMALL LETTER SIGMA}", True, True),
        ("Noise Level 15", True, True),
        ("$\\\\sigma$", True, True),  # a denoiser's noise level
        ("FID", False, False),
        # Known metrics with a qualifier are scores: mmagic's BigGAN FID at its best iteration.
        ("FID (Iter)", False, False),
        ("Top 1 Accuracy (300 epochs)", False, False),
        ("PSNR (sigma=25)", False, False),
        ("Step Accuracy", False, False),
        ("Noise Robustness", False, False),
        ("Inference Time (GPU)", False, False),
        ("cos_sim_accuracy_threshold", True, False),
    ],
)
def test_settings_written_as_metrics_are_no_scores(label: str, setting: bool, condition: bool):
    assert (is_setting(label), is_condition(label)) == (setting, condition)


def test_a_noise_level_tells_benchmarks_apart_and_an_iteration_is_dropped(tmp_path) -> None:
    write_file(
        tmp_path / "model-index.yml",
        "Models:\n"
        "- Name: a\n  Results:\n"
        "  - {Task: Denoising, Dataset: Set12, Metrics: {$\\\\sigma$: 15, PSNR: 33.9, Iter: 400000}}\n"
        "  - {Task: Denoising, Dataset: Set12, Metrics: {$\\\\sigma$: 50, PSNR: 27.9}}\n"
        "- Name: b\n  Results:\n"
        "  - {Task: Denoising, Dataset: Set12, Metrics: {$\\\\sigma$: 15, PSNR: 34.1}}\n",
    )
    found = benchmarks_of(modelindex.load(tmp_path).models)
    assert [(b.label, b.models) for b in found.benchmarks] == [
        ("Set12 (sigma=15) · Denoising", 2),
        ("Set12 (sigma=50) · Denoising", 1),
    ]
    assert [[m.label for m in b.metrics.values()] for b in found.benchmarks] == [["PSNR"]] * 2


def _top1_zoo(tmp_path, values: list[float]):
    cards = "".join(
        f"- Name: m{n}\n  Results: [{{Task: Image Classification, Dataset: ImageNet,"
        f" Metrics: {{Top 1 Accuracy: {value}}}}}]\n"
        for n, value in enumerate(values)
    )
    return modelindex.load(write_file(tmp_path / "model-index.yml", "Models:\n" + cards))


def _all_values(found) -> list[float]:
    return sorted(v[b][m] for v in found.values for b in v for m in v[b])


def test_a_stray_fraction_among_percentages_is_not_made_the_best(tmp_path) -> None:
    # timm's inception_v4 card family: Top-1 0.95 among 80s is an error (N007), no 95 % model.
    zoo = _top1_zoo(tmp_path, [80.1, 81.2, 79.5, 78.0, 82.3, 0.95])
    assert 0.95 in _all_values(benchmarks_of(zoo.models))
    # Two such values are as many as a habit needs; validate's findings keep them as written.
    zoo = _top1_zoo(tmp_path, [80.1, 81.2, 79.5, 78.0, 0.97, 0.95])
    assert 95.0 in _all_values(benchmarks_of(zoo.models))  # unflagged: taken as a habit
    n007 = flagged_results([("Results[0].Top 1 Accuracy", "N007")])
    found = benchmarks_of(zoo.models, [{}] * 4 + [n007, n007])
    assert _all_values(found) == [0.95, 0.97, 78.0, 79.5, 80.1, 81.2]
    # Nor is a reported value the benchmark's best.
    [(_, _, position, value)] = found.best()
    assert (position, value) == (1, 81.2)


def test_an_ambiguous_value_follows_the_models_other_proportions(tmp_path) -> None:
    # Common Voice 8 (hsb): WER 0.616 (either scale) beside the same card's CER 0.195.
    cards = "".join(
        f"- Name: asr{n}\n  Results: [{{Task: ASR, Dataset: CV, Metrics: {{WER: {wer}, CER: {cer}}}}}]\n"
        for n, (wer, cer) in enumerate([(43.9, 10.4), (47.6, 11.2), (0.563, 0.143), (0.616, 0.195)])
    )
    zoo = modelindex.load(write_file(tmp_path / "model-index.yml", "Models:\n" + cards))
    found = benchmarks_of(zoo.models)
    assert [v[b]["m-wer"] for v in found.values for b in v] == [43.9, 47.6, 56.3, 61.6]
