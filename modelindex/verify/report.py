"""Progress while verifying, and the final table of declared against measured numbers."""

from __future__ import annotations

import json
from typing import Any

from modelindex.formatting import plural
from modelindex.index import Index
from modelindex.measurements.cache import MeasurementCache
from modelindex.measurements.compare import Verdict, agreeing_form, verdict
from modelindex.measurements.conventions import Convention, MeasuredZoo
from modelindex.measurements.record import Measurement
from modelindex.verify.run import Outcome

# Two libraries' builds of one architecture at one input size agree on MACs within this share
# (they may differ in how they write an operation, not in what it computes).
MACS_AGREEMENT = 0.01


def agreement(outcome: Outcome) -> str | None:
    """Whether the libraries that measured a model agree: None where fewer than two did."""
    measurements = outcome.measurements
    if len(measurements) < 2:
        return None
    first, *others = measurements
    differences = []
    for other in others:
        if other.parameters != first.parameters:
            differences.append(_difference("parameters", first, other, "parameters"))
        elif (
            first.input_size
            and first.input_size == other.input_size
            and abs(other.macs - first.macs) > MACS_AGREEMENT * max(first.macs, 1)
        ):
            differences.append(_difference(f"MACs at {first.input_size}", first, other, "macs"))
    libraries = " and ".join(m.library for m in measurements)
    if not differences:
        return f"{libraries} agree"
    return f"{libraries} differ: " + "; ".join(differences)


def _difference(what: str, first: Measurement, other: Measurement, field: str) -> str:
    return (
        f"{what} {getattr(first, field)} ({first.library}) vs {getattr(other, field)} "
        f"({other.library})"
    )


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
    form = agreeing_form(model, measured) if model and measured else None
    return {
        "model": outcome.model,
        "status": outcome.status,
        "reference": outcome.reference.describe() if outcome.reference else None,
        "backend": measured.describe() if measured else None,
        "input_size": f"{measured.input_size} ({measured.input_size_from})"
        if measured and measured.input_size
        else None,
        "agreement": agreement(outcome),
        "counted_form": form,
        "other_backends": [_other(other) for other in outcome.others],
        "other_failures": [
            f"{other.reference.library if other.reference else '?'} {other.status}: {other.reason}"
            for other in outcome.others
            if other.status in {"failed", "timeout"} and outcome.measurement is not None
        ],
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


def _other(outcome: Outcome) -> dict[str, Any]:
    """What another reference of the model gave."""
    measured = outcome.measurement
    return {
        "reference": outcome.reference.describe() if outcome.reference else None,
        "status": outcome.status,
        "backend": measured.describe() if measured else None,
        "measured_parameters": measured.parameters if measured else None,
        "measured_macs": measured.macs if measured else None,
        "reason": outcome.reason,
    }


def _print_table(rows: list[dict[str, Any]], conventions: dict[str, Convention]) -> None:
    print(
        f"{'model':36} {'params declared':>16} {'measured':>12} {'ratio':>7} "
        f"{'FLOPs/MACs':>10}  {'backend':10}  verdict"
    )
    for row in rows:
        form = row["counted_form"]
        notes = [text for text in (row["reason"], row["agreement"]) if text]
        notes += row["other_failures"]
        verdict_text = row["verdict"]
        if form and form != "as built":
            verdict_text = verdict_text.replace("verified", f"verified ({form})", 1)
        backend = row["backend"].split(" ", 1)[0] if row["backend"] else "-"
        print(
            f"{row['model']:36} {row['declared_parameters'] or '-':>16} "
            f"{row['measured_parameters'] or '-':>12} "
            f"{_ratio(row['declared_parameters'], row['measured_parameters']):>7} "
            f"{_ratio(row['declared_flops'], row['measured_macs']):>10}  {backend:10}  "
            f"{verdict_text}" + "".join(f" ({note})" for note in notes)
        )
    if conventions:
        print("\nFLOPs conventions by collection:")
        for name, convention in sorted(conventions.items()):
            print(f"  {name} ({plural(convention.models, 'model')}): {convention.describe()}")
