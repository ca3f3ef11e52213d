"""Rules on results written the Hub's way: each metric listed with its type, the task and the
dataset as {type, name} mappings. They read what the card wrote, every listed metric included."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator

from modelindex.checks.context import Context
from modelindex.checks.findings import Hit, Related, Severity
from modelindex.checks.registry import Scope, rule
from modelindex.dataset_names import dataset_key, same_dataset
from modelindex.fields import RESULTS, result_field
from modelindex.metric_semantics import Scale, scale_of, semantics_of
from modelindex.schema import Location, MetricEntry, Model, Result, _Entry

# The Hub's task ids (its pipeline tags) that cards write where a dataset belongs.
HUB_TASK_IDS = frozenset(
    {
        "audio-classification",
        "automatic-speech-recognition",
        "conversational",
        "feature-extraction",
        "fill-mask",
        "image-classification",
        "image-segmentation",
        "image-to-text",
        "named-entity-recognition",
        "object-detection",
        "question-answering",
        "reinforcement-learning",
        "sentence-similarity",
        "speech-recognition",
        "summarization",
        "table-question-answering",
        "text-classification",
        "text-generation",
        "text2text-generation",
        "token-classification",
        "translation",
        "zero-shot-classification",
    }
)
# An id as the Hub writes one: 'text-classification', 'automatic-speech-recognition'; and a
# name as people write one, with capitals or spaces: 'Text Classification'.
_TASK_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
_DISPLAY_NAME = re.compile(r"[A-Z\s]")
# Benchmarks whose id a card may copy from a tutorial for a set of its own, with the configs
# and other names that the id stands for.
_BENCHMARKS: dict[str, frozenset[str]] = {
    "glue": frozenset({"cola", "sst2", "mrpc", "qqp", "stsb", "mnli", "qnli", "rte", "wnli", "ax"}),
    "superglue": frozenset({"boolq", "cb", "copa", "multirc", "record", "rte", "wic", "wsc"}),
    "squad": frozenset({"stanfordquestionansweringdataset"}),
    "squadv2": frozenset({"stanfordquestionansweringdataset"}),
    "conll2003": frozenset(),
    "imdb": frozenset({"largemoviereviewdataset", "largemoviereview", "imdbreviews"}),
    "xsum": frozenset({"extremesummarization"}),
    "cnndailymail": frozenset(),
    "samsum": frozenset(),
    "wikitext": frozenset(),
}
_SHARED_RUN = 4


def _own_results(entry: _Entry) -> list[Result]:
    if not entry.results or (isinstance(entry, Model) and entry.is_inherited(RESULTS)):
        return []
    return entry.results


def _at(entry: _Entry, position: int, line: int | None, part: str | None = None) -> Location:
    """Where a result (or a part of it) is written, at a listed metric's own line if known."""
    where = entry.location(result_field(position, part))
    return Location(where.path, line) if line is not None else where


def _identity(metric: MetricEntry) -> tuple[str, ...]:
    return (
        str(metric.type),
        str(metric.name),
        str(metric.config),
        repr(metric.args),
    )


@rule("H004", "duplicate-metric", Severity.ERROR, Scope.ENTRY)
def duplicate_metric(entry: _Entry, context: Context) -> Iterator[Hit]:
    """A result lists the same metric twice: the same type, name, config and arguments.

    Tools that read the card keep one of the two, and which one differs from tool to tool;
    where the values differ too, one of them is wrong. One finding per result, at the second
    listing of the first metric repeated.
    """
    for position, result in enumerate(_own_results(entry)):
        seen: dict[tuple[str, ...], MetricEntry] = {}
        repeated: list[tuple[MetricEntry, MetricEntry]] = []
        for metric in result.metric_entries:
            first = seen.setdefault(_identity(metric), metric)
            if first is not metric:
                repeated.append((first, metric))
        if not repeated:
            continue
        times = Counter(str(second.label) for _, second in repeated)
        differing = dict.fromkeys(
            f"{second.label} ({first.value!r:.20} and {second.value!r:.20})"
            for first, second in repeated
            if first.value != second.value
        )
        labels = ", ".join(
            label if count == 1 else f"{label} ({count + 1} times)"
            for label, count in list(times.items())[:6]
        )
        labels += f" and {len(times) - 6} more" if len(times) > 6 else ""
        if max(times.values()) == 1:
            message = f"{result_field(position)} lists {labels} twice"
        else:
            message = f"{result_field(position)} lists more than once: {labels}"
        if differing:
            message += f", with different values: {'; '.join(list(differing)[:3])}"
        first, second = repeated[0]
        related = (Related(_at(entry, position, first.line), "first listed here"),)
        yield Hit(
            _at(entry, position, second.line),
            message,
            model=entry.name,
            field=result_field(position),
            related=related,
        )


@rule("H005", "task-type-name-swapped", Severity.ERROR, Scope.ENTRY)
def task_type_name_swapped(entry: _Entry, context: Context) -> Iterator[Hit]:
    """A result's task `type` is a display name and its `name` a task id: the two are swapped.

    The Hub files a result under its task `type` ('text-classification'); `name` is what it
    shows ('Text Classification'). With the two swapped, the result is filed under a task
    that does not exist. A display name has capitals or spaces and an id is hyphenated lower
    case; a type without a name (MTEB writes `type: Retrieval`) is not reported.
    """
    for position, result in enumerate(_own_results(entry)):
        task = result.task_info
        if task is None or not task.type or not task.name:
            continue
        if _TASK_ID.match(task.name.strip()) and _DISPLAY_NAME.search(task.type.strip()):
            where = entry.location(result_field(position, "Task"))
            yield Hit(
                where,
                f"task type {task.type!r:.60} is a display name and name {task.name!r:.60} "
                "a task id: swap them",
                model=entry.name,
                field=result_field(position, "Task"),
                fix=f"type: {task.name.strip()}",
            )


def _shares_a_run(key: str, other: str) -> bool:
    """Whether two keys share a run of letters ('commonvoice' in both) or one abbreviates the
    other ('squad' and 'stanfordquestionansweringdataset')."""
    if same_dataset(key, other) or same_dataset(other, key):
        return True
    shortest = min(len(key), len(other), _SHARED_RUN)
    return any(key[start : start + shortest] in other for start in range(len(key) - shortest + 1))


@rule("H006", "dataset-type-contradicts-name", Severity.ERROR, Scope.ENTRY)
def dataset_type_contradicts_name(entry: _Entry, context: Context) -> Iterator[Hit]:
    """A result's dataset `type` is not the dataset its `name` says.

    The Hub links a result to the dataset whose id is the `type`. Reported where the type is a
    task id ('question-answering'), or the id of a well-known benchmark ('glue', 'squad') that
    the name neither names nor abbreviates nor picks a config of: the id was copied from a
    tutorial for a set of the author's own. Other pairs are not judged: a type may well be an
    owner's id for the set the name describes.
    """
    for position, result in enumerate(_own_results(entry)):
        dataset = result.dataset_info
        if dataset is None or not dataset.type:
            continue
        type_id = dataset.type.strip().lower()
        field = result_field(position, "Dataset")
        if type_id in HUB_TASK_IDS:
            message = f"dataset type {dataset.type!r:.60} is a task, not a dataset"
            yield Hit(entry.location(field), message, model=entry.name, field=field)
            continue
        type_key, name_key = dataset_key(type_id), dataset_key(dataset.name)
        names = _BENCHMARKS.get(type_key)
        if names is None or not name_key:
            continue
        config_key = dataset_key(dataset.config)
        if config_key in names or any(_shares_a_run(name_key, key) for key in {type_key, *names}):
            continue
        message = (
            f"dataset type {dataset.type!r:.40} is the {dataset.type!s:.40} benchmark, "
            f"but the name {dataset.name!r:.60} is another dataset"
        )
        yield Hit(entry.location(field), message, model=entry.name, field=field)


@rule("H007", "mixed-scales", Severity.ERROR, Scope.INDEX, local=True)
def mixed_scales(context: Context) -> Iterator[Hit]:
    """A card writes one metric of one dataset on both scales: 94.1 on validation, 0.931 on test.

    Whether a card writes proportions as fractions (0-1) or percentages (0-100) is its own
    convention, but one metric on both cannot be compared. Read where metrics are listed with
    their type, as Hub cards write them, and only within one dataset and config: across
    datasets a score below 1 may be a percentage (MTEB writes an English model's 0.21 on a
    Chinese bitext task on 0-100). Only values that show their scale count: one written with
    '%' or above 1 is a percentage, and an accuracy-like score at or below 1 a fraction. An
    error rate (WER, CER) can pass 100 %, so it is a percentage above 5 and a fraction below
    0.5. Losses, perplexities, rewards and thresholds have no scale. Reported once per metric
    and dataset, at a value on the rarer scale.
    """
    by_file: dict[tuple[str, ...], list[tuple[Scale, float, _Entry, int, MetricEntry]]]
    by_file = defaultdict(list)
    seen_results: set[int] = set()
    for entry in [*context.index.collections, *context.index.models]:
        if id(entry.results) in seen_results:
            continue
        seen_results.add(id(entry.results))
        for position, result in enumerate(entry.results):
            for metric in result.metric_entries:
                semantics = semantics_of(metric.type, metric.name)
                if semantics is None or metric.number is None:
                    continue
                written_percent = isinstance(metric.value, str) and "%" in metric.value
                scale = Scale.PERCENT if written_percent else scale_of(metric.number, semantics)
                dataset = result.dataset_info
                if scale is None or dataset is None:
                    continue
                evaluated_on = (dataset_key(dataset.type or dataset.name), str(dataset.config))
                key = (entry.source.path, semantics.kind, *evaluated_on)
                by_file[key].append((scale, metric.number, entry, position, metric))
    for (_, kind, *_dataset), values in by_file.items():
        scales = {scale for scale, *_ in values}
        if len(scales) < 2:
            continue
        counts = {scale: sum(1 for found, *_ in values if found is scale) for scale in scales}
        rare = min(scales, key=lambda scale: (counts[scale], scale is Scale.PERCENT))
        common = next(value for value in values if value[0] is not rare)
        _, number, entry, position, metric = next(value for value in values if value[0] is rare)
        _, other_number, other_entry, other_position, other_metric = common
        label = str(metric.label or kind)
        where = _at(entry, position, metric.line, label)
        other_label = str(other_metric.label)
        other_where = _at(other_entry, other_position, other_metric.line, other_label)
        message = (
            f"{label} {number:g} is on a {rare} scale, but this card writes {kind} of the same "
            f"dataset on a "
            f"{Scale.PERCENT if rare is Scale.FRACTION else Scale.FRACTION} scale "
            f"({other_metric.label} {other_number:g})"
        )
        yield Hit(
            where,
            message,
            model=entry.name,
            field=result_field(position, label),
            related=(Related(other_where, "the other scale"),),
        )
