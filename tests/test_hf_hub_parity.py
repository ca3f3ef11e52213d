"""modelindex against huggingface_hub, the Hub's own parser, on the headers of 2,931 real cards.

Where huggingface_hub reads a card's model-index, modelindex reads the same evaluations, entry
for entry, with the same values. Where it refuses one, modelindex says why (H001 or H002) with
the file and line, and where it reads one, modelindex reports no H001.
"""

from __future__ import annotations

import re
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
HUB_FORMAT = Path(__file__).parent / "fixtures" / "hf-hub-format"


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


def _load(
    folder: Path,
) -> tuple[dict[str, list[Model]], dict[str, set[tuple[str, int | None, str]]]]:
    zoo = modelindex.load(str(folder))
    models: dict[str, list[Model]] = defaultdict(list)
    for model in sorted(zoo.models, key=lambda model: model.source.line or 0):
        models[model.source.path].append(model)
    findings: dict[str, set[tuple[str, int | None, str]]] = defaultdict(set)
    for finding in validate(zoo).findings:
        findings[finding.path].add((finding.code, finding.line, finding.message))
    return models, findings


@pytest.fixture(scope="module")
def corpus() -> tuple[dict[str, list[Model]], dict[str, set[tuple[str, int | None, str]]]]:
    return _load(CARDS)


# "<class 'KeyError'> 'dataset'" in huggingface_hub's message: the key it looked for.
_MISSING_KEY = re.compile(r"<class 'KeyError'> '([^']+)'")


def _verdicts(folder: Path) -> tuple[list[Path], dict[Path, str]]:
    """The cards huggingface_hub reads, and those it refuses with its message."""
    accepted, rejected = [], {}
    for card in sorted(folder.glob("**/README.md")):
        metadata = metadata_load(card) or {}
        if not metadata.get("model-index"):
            continue
        try:
            ModelCardData(**metadata)
        except ValueError as error:
            rejected[card] = str(error)
        else:
            accepted.append(card)
    return accepted, rejected


ACCEPTED, REJECTED = _verdicts(CARDS)


def test_the_corpus_has_both_kinds_of_card() -> None:
    assert len(ACCEPTED) > 2_000 and len(REJECTED) > 300


def _differing(
    accepted: list[Path], models: dict[str, list[Model]]
) -> tuple[list[Path], list[tuple[Any, ...]]]:
    differing, compared = [], []
    for card in accepted:
        theirs = [
            _theirs(result) for result in ModelCardData(**metadata_load(card)).eval_results or []
        ]
        if _ours(models[str(card)]) != theirs:
            differing.append(card)
        compared += theirs
    return differing, compared


def test_every_card_huggingface_hub_reads_gives_the_same_evaluations(corpus) -> None:
    models, findings = corpus
    differing, compared = _differing(ACCEPTED, models)
    assert differing == [] and len(compared) > 2_000
    assert [
        card for card in ACCEPTED if any(code == "H001" for code, *_ in findings[str(card)])
    ] == []


def test_every_field_of_the_hub_format_is_read_as_huggingface_hub_reads_it() -> None:
    # The 2022 corpus has no config, split, revision, verified flag, token or source: these
    # cards, made from real ones, carry each of them.
    accepted, _ = _verdicts(HUB_FORMAT)
    models, findings = _load(HUB_FORMAT)
    differing, compared = _differing(accepted, models)
    assert differing == [] and len(accepted) >= 7
    fields_seen = [any(row[position] is not None for row in compared) for position in range(17)]
    assert all(fields_seen), fields_seen
    assert [
        card for card in accepted if any(code == "H001" for code, *_ in findings[str(card)])
    ] == []


def test_every_card_huggingface_hub_refuses_has_a_finding_that_says_why(corpus) -> None:
    _, findings = corpus
    unexplained = []
    for card, reason in REJECTED.items():
        said = [
            (code, line, message)
            for code, line, message in findings[str(card)]
            if code in {"H001", "H002"}
        ]
        missing = _MISSING_KEY.search(reason)
        if missing is not None:
            # A missing key: the finding names it.
            said = [found for found in said if f"no '{missing[1]}'" in found[2]]
        if not any(line is not None for _, line, _ in said):
            unexplained.append((card, reason))
    assert unexplained == []
