"""Progress while verifying, and the final table of declared against measured numbers."""

from __future__ import annotations

import json
from typing import Any

from modelindex.formatting import plural
from modelindex.index import Index
from modelindex.measurements.cache import MeasurementCache
from modelindex.measurements.compare import Verdict, verdict
from modelindex.measurements.conventions import Convention, MeasuredZoo
from modelindex.verify.run import Outcome


def _ratio(declared: int | None, measured: int | None) -> str:
    if not declared or not measured:
        return "-"
    return f"{declared / measured:.4f}"


def print_outcomes(
    index: Index, outcomes: list[Outcome], cache: MeasurementCache, as_json: bool
) -> int:
    """Print the table (or JSON) and each collection's FLOPs convention; exit 1 when a model
    mismatched, has FLOPs off its collection's convention, failed or timed out.

    Conventions come from every measured model of the index in ``cache``, as validate infers
    them, not from this run's models only: ``--only`` must not change a verdict.
    """
    measured = MeasuredZoo.of(index.models, cache)
    conventions = measured.conventions
    off_convention = {id(outlier.model) for outlier in measured.outliers()}
    rows = [_row(outcome, conventions, id(outcome.card) in off_convention) for outcome in outcomes]
    if as_json:
        print(json.dumps(rows, indent=2))
    else:
        _print_table(rows, conventions)
    failed = any(
        row["verdict"].startswith(Verdict.MISMATCH)
        or row["flops_off_convention"]
        or row["status"] in {"failed", "timeout"}
        for row in rows
    )
    return 1 if failed else 0


def _row(outcome: Outcome, conventions: dict[str, Convention], off: bool) -> dict[str, Any]:
    model, measured = outcome.card, outcome.measurement
    convention = conventions.get(model.in_collection or "") if model else None
    found = verdict(model, measured).value if model and measured else None
    return {
        "model": outcome.model,
        "status": outcome.status,
        "reference": outcome.reference.describe() if outcome.reference else None,
        "declared_parameters": model.metadata.parameters if model else None,
        "measured_parameters": measured.parameters if measured else None,
        "declared_flops": model.metadata.flops if model else None,
        "measured_macs": measured.macs if measured else None,
        "measured_mmcv_flops": measured.mmcv_flops if measured else None,
        "flops_convention": convention.describe() if convention else None,
        "flops_off_convention": off,
        "verdict": (found or outcome.status) + (", FLOPs off convention" if off else ""),
        "reason": outcome.reason,
    }


def _print_table(rows: list[dict[str, Any]], conventions: dict[str, Convention]) -> None:
    print(
        f"{'model':36} {'params declared':>16} {'measured':>12} {'ratio':>7} "
        f"{'FLOPs/MACs':>10}  verdict"
    )
    for row in rows:
        print(
            f"{row['model']:36} {row['declared_parameters'] or '-':>16} "
            f"{row['measured_parameters'] or '-':>12} "
            f"{_ratio(row['declared_parameters'], row['measured_parameters']):>7} "
            f"{_ratio(row['declared_flops'], row['measured_macs']):>10}  {row['verdict']}"
            + (f" ({row['reason']})" if row["reason"] else "")
        )
    if conventions:
        print("\nFLOPs conventions by collection:")
        for name, convention in sorted(conventions.items()):
            print(f"  {name} ({plural(convention.models, 'model')}): {convention.describe()}")
