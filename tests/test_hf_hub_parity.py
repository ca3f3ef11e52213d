"""modelindex against huggingface_hub, the Hub's own parser, on the headers of 2,931 real cards.

Where huggingface_hub reads a card's model-index, modelindex reads the same evaluations, entry
for entry, with the same values. Where it refuses one, modelindex says why (H001 or H002) with
the file and line, and where it reads one, modelindex reports no H001.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub.repocard import metadata_load
from huggingface_hub.repocard_data import EvalResult, ModelCardData

import modelindex
from modelindex.checks import validate
from modelindex.schema import Model

CARDS = Path(__file__).parent / "fixtures" / "hf-cards-2022-headers"


def _text(value: Any) -> Any:
    # modelindex's text fields are text: 'config: 2017' reads as '2017' (and H002 says so).
    return None if value is None else str(value)


def _theirs(result: EvalResult) -> tuple[Any, ...]:
    return (
        _text(result.task_type),
        _text(result.task_name),
        _text(result.dataset_type),
        _text(result.dataset_name),
        _text(result.dataset_config),
        _text(result.dataset_split),
        _text(result.dataset_revision),
        result.dataset_args,
        _text(result.metric_type),
        result.metric_value,
        _text(result.metric_name),
        _text(result.metric_config),
        result.metric_args,
        result.verified,
        _text(result.verify_token),
        _text(result.source_name),
        _text(result.source_url),
    )


def _ours(models: list[Model]) -> list[tuple[Any, ...]]:
    rows = []
    for model in models:
        for result in model.results:
            task, dataset, source = result.task_info, result.dataset_info, result.source
            for metric in result.metric_entries:
                rows.append(
                    (
                        task and task.type,
                        task and task.name,
                        dataset and dataset.type,
                        dataset and dataset.name,
                        dataset and dataset.config,
                        dataset and dataset.split,
                        dataset and dataset.revision,
                        dataset and dataset.args,
                        metric.type,
                        metric.value,
                        metric.name,
                        metric.config,
                        metric.args,
                        metric.verified,
                        metric.verify_token,
                        source and source.name,
                        source and source.url,
                    )
                )
    return rows


@pytest.fixture(scope="module")
def corpus() -> tuple[dict[str, list[Model]], dict[str, set[tuple[str, int | None]]]]:
    zoo = modelindex.load(str(CARDS))
    models: dict[str, list[Model]] = defaultdict(list)
    for model in sorted(zoo.models, key=lambda model: model.source.line or 0):
        models[model.source.path].append(model)
    findings: dict[str, set[tuple[str, int | None]]] = defaultdict(set)
    for finding in validate(zoo).findings:
        findings[finding.path].add((finding.code, finding.line))
    return models, findings


def _verdicts() -> tuple[list[Path], list[Path]]:
    accepted, rejected = [], []
    for card in sorted(CARDS.glob("*/*/README.md")):
        metadata = metadata_load(card) or {}
        if not metadata.get("model-index"):
            continue
        try:
            ModelCardData(**metadata)
        except ValueError:
            rejected.append(card)
        else:
            accepted.append(card)
    return accepted, rejected


ACCEPTED, REJECTED = _verdicts()


def test_the_corpus_has_both_kinds_of_card() -> None:
    assert len(ACCEPTED) > 2_000 and len(REJECTED) > 300


def test_every_card_huggingface_hub_reads_gives_the_same_evaluations(corpus) -> None:
    models, findings = corpus
    differing, compared = [], 0
    for card in ACCEPTED:
        theirs = ModelCardData(**metadata_load(card)).eval_results or []
        ours = _ours(models[str(card)])
        if ours != [_theirs(result) for result in theirs]:
            differing.append(card)
        compared += len(theirs)
        assert not {code for code, _ in findings[str(card)]} & {"H001"}, card
    assert differing == []
    assert compared > 2_000


def test_every_card_huggingface_hub_refuses_has_a_finding_that_says_why(corpus) -> None:
    _, findings = corpus
    silent = [
        card
        for card in REJECTED
        if not any(
            code in {"H001", "H002"} and line is not None for code, line in findings[str(card)]
        )
    ]
    assert silent == []
