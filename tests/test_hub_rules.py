"""The rules for results written the Hub's way, on fixture cards made from real ones."""

from __future__ import annotations

from pathlib import Path

import pytest

import modelindex
from modelindex.checks import validate
from modelindex.metric_semantics import Scale, metric_semantics, scale_of

CARDS = Path(__file__).parent / "fixtures" / "hf-hub-format"


def _findings(folder: str) -> list[tuple[str, int | None, str]]:
    report = validate(modelindex.load(str(CARDS / folder)))
    return [(finding.code, finding.line, finding.message) for finding in report.findings]


def _card(write, results: str, folder: str = "card") -> list[tuple[str, int | None, str]]:
    path = write(f"{folder}/README.md", f"---\nmodel-index:\n- name: m\n  results:\n{results}---\n")
    report = validate(modelindex.load(path))
    return [(finding.code, finding.line, finding.message) for finding in report.findings]


def test_a_metric_listed_twice_is_one_finding_per_result_naming_the_differing_value() -> None:
    [(code, line, message)] = _findings("duplicate-metrics")
    assert (code, line) == ("H004", 32)
    assert "Accuracy, Precision Macro, Recall Macro, F1 Macro twice" in message
    assert "F1 Macro (0.8885 and 0.8187)" in message


def test_a_swapped_task_type_and_name_is_reported_with_the_fix() -> None:
    report = validate(modelindex.load(str(CARDS / "swapped-task")))
    [finding] = report.findings
    assert (finding.code, finding.line, finding.fix) == ("H005", 6, "type: text-classification")


def test_mteb_task_types_without_a_name_are_not_swapped_tasks() -> None:
    assert [code for code, *_ in _findings("rl-mteb")] == []


def test_a_benchmark_id_for_another_dataset_is_reported() -> None:
    [(code, line, message)] = _findings("dataset-type")
    assert (code, line) == ("H006", 9)
    assert "'glue'" in message and "'amazon_reviews_multi'" in message


@pytest.mark.parametrize(
    ("dataset", "reported"),
    [
        ("{type: glue, name: GLUE SST2, config: sst2}", False),
        ("{type: glue, name: SST-2}", False),
        ("{type: glue, name: General Language Understanding Evaluation}", False),
        ("{type: squad_v2, name: SQuAD 2.0}", False),
        ("{type: acme/reviews, name: amazon_reviews_multi}", False),
        ("{type: question-answering, name: TQuAD}", True),
        ("{type: squad, name: TyDi QA}", True),
        ("{type: squad, name: TQuAD}", False),  # shares 'quad': not judged
    ],
)
def test_dataset_types_against_their_names(write, dataset: str, reported: bool) -> None:
    results = f"  - task: {{type: question-answering}}\n    dataset: {dataset}\n    metrics: [{{type: f1, value: 80.1}}]\n"
    codes = [code for code, *_ in _card(write, results)]
    assert codes == (["H006"] if reported else [])


def test_one_metric_on_two_scales_in_a_card_is_reported_at_the_rarer_one() -> None:
    [(code, line, message)] = _findings("mixed-scales")
    assert (code, line) == ("H007", 31)
    assert "Accuracy 0.931 is on a 0-1 scale" in message and "(Accuracy 94.1)" in message


@pytest.mark.parametrize(
    ("values", "reported"),
    [
        (["0.931", "0.89"], False),  # fractions throughout
        (["93.1", "89.0"], False),  # percentages throughout
        (["93.1", "0.5%"], False),  # a '%' says the scale
        (["0.12", "4.1"], False),  # a WER of 4.1 may be a fraction: more errors than words
        (["0.8", "14.1"], False),  # and 0.8 may be a percentage
        (["0.12", "14.1"], True),
    ],
)
def test_scales_of_an_error_rate(write, values: list[str], reported: bool) -> None:
    metrics = "".join(
        f"    - {{type: wer, name: WER {n}, value: '{value}'}}\n" for n, value in enumerate(values)
    )
    results = f"  - task: {{type: automatic-speech-recognition}}\n    dataset: {{type: common_voice, name: Common Voice}}\n    metrics:\n{metrics}"
    codes = [code for code, *_ in _card(write, results)]
    assert codes == (["H007"] if reported else [])


def test_metric_semantics() -> None:
    assert metric_semantics("wer").lower_is_better and metric_semantics("Test WER").kind == "wer"
    assert (
        metric_semantics("eval_loss").lower_is_better
        and metric_semantics("perplexity").lower_is_better
    )
    assert (
        not metric_semantics("accuracy").lower_is_better
        and metric_semantics("rougeLsum").kind == "rouge"
    )
    assert (
        metric_semantics("pass@10").kind == "pass@k"
        and metric_semantics("mean_reward").proportion is False
    )
    assert (
        metric_semantics("cos_sim_accuracy_threshold") is None
        and metric_semantics("spearman") is None
    )
    accuracy = metric_semantics("accuracy")
    assert scale_of(0.931, accuracy) is Scale.FRACTION and scale_of(94.1, accuracy) is Scale.PERCENT
    assert scale_of(0.05, metric_semantics("wer")) is Scale.FRACTION
    assert (
        scale_of(0.7, metric_semantics("cer")) is None
        and scale_of(3, metric_semantics("wer")) is None
    )


def test_placeholders_decimal_commas_and_empty_values_are_named_as_such() -> None:
    found = _findings("placeholders")
    assert [(code, line) for code, line, _ in found] == [
        ("S011", 17),
        ("S011", 20),
        ("S011", 23),
        ("S011", 26),
    ]
    na, xx, empty, comma = (message for *_, message in found)
    assert "'NA' does not parse: a placeholder" in na and "a placeholder" in xx
    assert empty == "Results[0].Precision has no value: fill it in or leave the metric out"
    assert "a decimal comma (write 0.931)" in comma


def test_the_rl_and_mteb_conventions_give_no_finding() -> None:
    zoo = modelindex.load(str(CARDS / "rl-mteb"))
    assert validate(zoo).findings == [] and zoo.problems == []


def test_an_unnamed_hub_model_is_reported_only_with_results(write) -> None:
    empty = write("a/README.md", "---\nmodel-index:\n- name: ''\n  results: []\n---\n")
    assert validate(modelindex.load(empty)).findings == []
    named = write(
        "b/README.md",
        "---\nmodel-index:\n- name: ''\n  results:\n  - task: {type: asr}\n    dataset: {type: cv, name: CV}\n    metrics: [{type: wer, value: 3}]\n---\n",
    )
    assert [finding.code for finding in validate(modelindex.load(named)).findings] == ["S001"]


def test_a_one_word_task_id_as_type_is_not_a_swap(write) -> None:
    results = "  - task: {type: summarization, name: abstractive-summarization}\n    dataset: {type: xsum, name: XSum}\n    metrics: [{type: rouge1, value: 40.1}]\n"
    assert _card(write, results) == []


def test_mteb_scores_below_one_on_other_datasets_are_not_mixed_scales(write) -> None:
    results = (
        "  - task: {type: Classification}\n    dataset: {type: mteb/amazon_counterfactual, name: MTEB AmazonCounterfactualClassification (en), config: en, split: test}\n"
        "    metrics: [{type: accuracy, value: 64.15}, {type: f1, value: 58.2}]\n"
        "  - task: {type: BitextMining}\n    dataset: {type: mteb/bucc-bitext-mining, name: MTEB BUCC (zh-en), config: zh-en, split: test}\n"
        "    metrics: [{type: accuracy, value: 0.21}, {type: f1, value: 0.12}]\n"
    )
    assert _card(write, results) == []


def test_a_repeated_metric_names_its_count(write) -> None:
    results = "  - task: {type: text-classification}\n    dataset: {type: imdb, name: Large Movie Review Dataset}\n    metrics:\n    - {type: accuracy, value: 0.9}\n    - {type: accuracy, value: 0.9}\n    - {type: accuracy, value: 0.8}\n"
    [(code, line, message)] = _card(write, results)
    assert (code, line) == ("H004", 9)
    assert "lists more than once: accuracy (3 times)" in message and "(0.9 and 0.8)" in message


def test_a_bad_value_under_a_repeated_name_is_reported_too(write) -> None:
    results = (
        "  - task: {type: automatic-speech-recognition}\n    dataset: {type: cv, name: CV}\n    metrics:\n"
        "    - {type: wer, name: Test WER, value: 10.5, config: ar}\n"
        "    - {type: wer, name: Test WER, value: 'NA', config: fr}\n"
        "    - {type: wer, name: Test WER, value: '0,931', config: de}\n"
        "    - {type: cer, name: Test CER, value: ' '}\n"
    )
    found = _card(write, results)
    assert [(code, line) for code, line, _ in found] == [("S011", 9), ("S011", 10), ("S011", 11)]
    assert (
        "placeholder" in found[0][2]
        and "decimal comma" in found[1][2]
        and "has no value" in found[2][2]
    )


def test_a_yaml_11_boolean_is_not_judged_as_a_wrong_type(write) -> None:
    results = "  - task: {type: automatic-speech-recognition}\n    dataset: {type: NbAiLab/NPSC, name: NPSC, config: no}\n    metrics: [{type: wer, value: 7.03}]\n"
    assert _card(write, results) == []
