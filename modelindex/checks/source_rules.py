"""Rules across sources: a README table row against the model-index entry of the same model."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from modelindex.checks.context import Context
from modelindex.checks.findings import Hit, Related, Severity
from modelindex.checks.naming_rules import name_parts
from modelindex.checks.registry import Scope, rule
from modelindex.dataset_names import dataset_key, same_dataset
from modelindex.fields import CONFIG, FLOPS, PARAMETERS, WEIGHTS, result_field
from modelindex.links import file_name, url_identity
from modelindex.schema import Model

# A model evaluated more often than this on one dataset (liif at x2, x3, x4, x6, x12, x18...)
# is not compared with a README row: each row would cost that many comparisons per metric.
MAX_EVALUATIONS = 32
# A value written without a rounding (a full count) must match to this relative tolerance.
_UNROUNDED_TOLERANCE = 1e-9
_TAG = re.compile(r"<[^<>]{0,40}>")
_THRESHOLD = re.compile(r"@0?\.(\d)(\d?)")
_ACCURACY_WORD = re.compile(r"\b(?:acc|accuracy)\b|准确率|\(%\)")
_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")


# Metrics one zoo writes two ways: mmocr's metafiles say 'hmean-iou' where its READMEs say
# 'Hmean' (text detection's H-mean is always the IoU-matched one).
_SAME_METRIC = {"hmeaniou": "hmean"}


@lru_cache(maxsize=4096)
def metric_key(name: str) -> str:
    """What a metric is called, whichever way it is written: 'AP<sup>50</sup>' and 'AP@0.5',
    'top1 acc' and 'Top 1 Accuracy', 'NME<sub>full</sub>' and 'NME full' are one metric."""
    lowered = _TAG.sub("", name.lower())
    lowered = _THRESHOLD.sub(lambda m: m.group(1) + (m.group(2) or "0"), lowered)
    key = _NOT_ALPHANUMERIC.sub("", _ACCURACY_WORD.sub("", lowered))
    return _SAME_METRIC.get(key, key)


def _decimals(value: float) -> int:
    text = repr(float(value))
    if "e" in text or "inf" in text or "nan" in text:
        return 0
    return len(text.partition(".")[2].rstrip("0"))


def _half_step_of(values: Iterable[float | None]) -> float:
    """Half the last digit the declaration writes. YAML drops trailing zeros (0.760 reads as
    0.76), so a result's precision is that of its most precise value."""
    decimals = max((_decimals(value) for value in values if value is not None), default=0)
    return 0.5 * 10.0**-decimals


def _agree(
    table_value: float,
    declared_value: float,
    half_step: float | None,
    declared_half_step: float = 0.0,
) -> bool:
    """Equal within the rounding of either side (the README writes 75.2, the metafile 75.24),
    or on another scale (66.35 and 0.664 are one AUC, as a percentage and as a fraction)."""
    return any(
        _agree_on_scale(
            table_value * scale, declared_value, (half_step or 0.0) * scale, declared_half_step
        )
        for scale in (1.0, 0.01, 100.0)
    )


def _agree_on_scale(
    table_value: float, declared_value: float, half_step: float, declared_half_step: float
) -> bool:
    if half_step:
        # The coarser rounding, not both together: two sources that print a number to the same
        # digits print the same digits (0.760 and 0.761 are two results, not one).
        tolerance = max(half_step, declared_half_step) * (1 + 1e-6)
    else:
        tolerance = abs(declared_value) * _UNROUNDED_TOLERANCE
    return abs(table_value - declared_value) <= tolerance


# A declared result ready for comparison: position, dataset key, metric key -> (name, value),
# and the half step of its most precise value.
_Prepared = tuple[int, str, dict[str, tuple[str, float]], float]


def _prepared(declared: Model) -> list[_Prepared]:
    prepared = []
    for position, result in enumerate(declared.results):
        values = {
            metric_key(name): (name, value)
            for name, value in result.metrics.items()
            if value is not None
        }
        step = _half_step_of(result.metrics.values())
        prepared.append((position, dataset_key(result.dataset), values, step))
    return prepared


def _metric_pairs(
    row: Model, declared: Model, results: list[_Prepared]
) -> Iterator[tuple[str, float, list[tuple[str, float, float]]]]:
    """For each metric of the row: its field, its value, and each declared (field, value,
    half step) of the same metric on the same dataset. A row with no dataset of its own is
    compared with every declared result where they are all on one dataset; one whose
    dataset the declaration's name spells, with a declaration's only result."""
    for row_position, row_result in enumerate(row.results):
        dataset = dataset_key(row_result.dataset)
        if not dataset:
            # A row that says no dataset is compared only with a declaration on one dataset.
            if len({key for _, key, _, _ in results}) > 1:
                continue
            same = results
        else:
            same = [result for result in results if same_dataset(dataset, result[1])]
            if not same and len(results) == 1 and _named_for(declared, dataset):
                # The declaration's own name says the row's dataset ('rtmo-s_..._coco-640x640'
                # on COCO): its result is that evaluation, whatever its label says.
                same = results
        if len(same) > MAX_EVALUATIONS:
            continue  # more evaluations on one dataset than a zoo publishes: not compared
        for metric, value in row_result.metrics.items():
            if value is None:
                continue
            key = metric_key(metric)
            declared_values = [
                (result_field(position, values[key][0]), values[key][1], step)
                for position, _, values, step in same
                if key in values
            ]
            if declared_values:
                yield result_field(row_position, metric), value, declared_values


def _named_for(declared: Model, dataset: str) -> bool:
    """No dataset at all, or one that a part of the model's name is: 'coco' in
    'rtmo-s_8xb32-600e_coco-640x640'."""
    if not dataset:
        return True
    return dataset in name_parts(declared.name, limit=None)


def _same_host(url: str, other: str) -> bool:
    """Two different files on one host: a copy error. On two hosts they may be mirrors of one
    file (the original release and the zoo's copy); `http` for `https` or a `?download=true`
    is the same file."""
    ours, theirs = url_identity(url), url_identity(other)
    return ours != theirs and ours.split("/", 1)[0] == theirs.split("/", 1)[0]


def _disagreement(
    row: Model, declared: Model, field: str, declared_field: str, shown: str, other: str
) -> Hit:
    # A metric is named as the README's column names it ('box AP'), not by its result field.
    label = field.split(".", 1)[1] if field.startswith("Results[") else field
    return Hit(
        row.location(field),
        f"{label} {shown} here, but {other} in {declared.location(declared_field)}",
        model=declared.name,
        field=field,
        related=(Related(declared.location(declared_field), f"declared {declared_field}"),),
    )


# A disagreement before it is a finding: (row field, declared field, row value, declared value).
_Disagreement = tuple[str, str, str, str]


def _disagreements(row: Model, declared: Model, results: list[_Prepared]) -> list[_Disagreement]:
    found: list[_Disagreement] = []
    for field in (PARAMETERS, FLOPS):
        value, other = field.value_of(row), field.value_of(declared)
        if value is None or other is None or field not in row.rounding:
            continue
        if not _agree(value, other, row.rounding.get(field), declared.rounding.get(field, 0.0)):
            found.append((field, field, str(value), str(other)))
    for field, value, declared_values in _metric_pairs(row, declared, results):
        half_step = row.rounding.get(field.split(".", 1)[1])
        if half_step is None:
            continue  # an annotated cell ('46.98/49.71'): which number it means is a guess
        # One dataset may hold several evaluations (x2, x3 and x4 on Set5): the row is the
        # one it agrees with.
        if any(_agree(value, other, half_step, step) for _, other, step in declared_values):
            continue
        declared_field, other, _ = declared_values[0]
        found.append((field, declared_field, f"{value}", f"{other}"))
    if row.weights and declared.weights and _same_host(row.weights, declared.weights):
        found.append((WEIGHTS, WEIGHTS, row.weights, declared.weights))
    if row.config and declared.config:
        row_file, declared_file = (file_name(c) for c in (row.config, declared.config))
        if row_file != declared_file:
            found.append((CONFIG, CONFIG, row_file, declared_file))
    return found


@rule("X001", "sources-disagree", Severity.ERROR, Scope.INDEX)
def sources_disagree(context: Context) -> Iterator[Hit]:
    """A README table and a model-index file give the same model different numbers or links.

    OpenMMLab publishes every model twice: in `metafile.yml` and in the README's result
    table. A row is joined to the model it repeats by its checkpoint URL, then its config's
    file name, then its name. The table rounds (`Params (M)` 11.69 stands for 11,685,000 to
    11,695,000), so values are compared within the rounding of either side; metrics are
    matched by what they measure (`AP<sup>50</sup>` is `AP@0.5`, `top1 acc` is `Top 1
    Accuracy`) on the same dataset, and a cell that annotates its number (`46.98/49.71`,
    `7.04(-2.7%)`) is not compared; Weights must be the same URL and Config the same file
    name. The table row is reported, with the metafile's line as evidence. Where one
    checkpoint is evaluated several times, the row is compared with the evaluation it
    matches best.
    """
    prepared: dict[int, list[_Prepared]] = {}
    for join in context.index.joins:
        if not join.compared:
            continue
        # Each candidate is the same checkpoint or config; the row is one of its evaluations.
        found = []
        for declared in join.candidates:
            if id(declared) not in prepared:
                prepared[id(declared)] = _prepared(declared)
            found.append((_disagreements(join.row, declared, prepared[id(declared)]), declared))
        disagreements, declared = min(found, key=lambda pair: len(pair[0]))
        for disagreement in disagreements:
            yield _disagreement(join.row, declared, *disagreement)
