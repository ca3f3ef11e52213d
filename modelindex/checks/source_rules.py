"""Rules across sources: a README table row against the model-index entry of the same model."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from modelindex.checks.context import Context
from modelindex.checks.findings import Hit, Related, Severity
from modelindex.checks.registry import Scope, rule
from modelindex.fields import CONFIG, FLOPS, PARAMETERS, WEIGHTS, result_field
from modelindex.schema import Model

# A value written without a rounding (a full count) must match to this relative tolerance.
_UNROUNDED_TOLERANCE = 1e-9


def _agree(table_value: float, declared_value: float, half_step: float | None) -> bool:
    tolerance = half_step * (1 + 1e-6) if half_step else abs(declared_value) * _UNROUNDED_TOLERANCE
    return abs(table_value - declared_value) <= tolerance


def _metric_pairs(row: Model, declared: Model) -> Iterator[tuple[str, str, float, float]]:
    """(row field, declared field, row value, declared value) for metrics on the same dataset."""
    for row_position, row_result in enumerate(row.results):
        dataset = (row_result.dataset or "").lower()
        for position, result in enumerate(declared.results):
            if (result.dataset or "").lower() != dataset:
                continue
            for metric, value in row_result.metrics.items():
                other = result.metrics.get(metric)
                if value is not None and other is not None:
                    yield (
                        result_field(row_position, metric),
                        result_field(position, metric),
                        value,
                        other,
                    )
            break


def _disagreement(
    row: Model, declared: Model, field: str, declared_field: str, shown: str, other: str
) -> Hit:
    return Hit(
        row.location(field),
        f"{declared_field} {shown} here, but {other} in {declared.location(declared_field)}",
        model=row.name,
        field=field,
        related=(Related(declared.location(declared_field), f"declared {declared_field}"),),
    )


@rule("X001", "sources-disagree", Severity.ERROR, Scope.INDEX)
def sources_disagree(context: Context) -> Iterator[Hit]:
    """A README table and a model-index file give the same model different numbers or links.

    OpenMMLab publishes every model twice: in `metafile.yml` and in the README's result
    table. The table rounds (`Params (M)` 11.69 stands for 11,685,000-11,695,000), so values
    are compared within the table's rounding; Weights must be the same URL and Config the
    same file name. The table row is reported, with the metafile's line as evidence.
    """
    for row in context.index.shadowed:
        declared = context.index.get(row.name) if row.name else None
        if declared is None:
            continue
        for field in (PARAMETERS, FLOPS):
            value, other = field.value_of(row), field.value_of(declared)
            if value is None or other is None:
                continue
            if not _agree(value, other, row.rounding.get(field)):
                yield _disagreement(row, declared, field, field, str(value), str(other))
        for field, declared_field, value, other in _metric_pairs(row, declared):
            metric = field.split(".", 1)[1]
            if not _agree(value, other, row.rounding.get(metric)):
                shown, expected = f"{value:g}", f"{other:g}"
                yield _disagreement(row, declared, field, declared_field, shown, expected)
        if row.weights and declared.weights and row.weights != declared.weights:
            yield _disagreement(row, declared, WEIGHTS, WEIGHTS, row.weights, declared.weights)
        if row.config and declared.config:
            row_file, declared_file = (posixpath.basename(c) for c in (row.config, declared.config))
            if row_file != declared_file:
                yield _disagreement(row, declared, CONFIG, CONFIG, row_file, declared_file)
