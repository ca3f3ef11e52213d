"""Progress while verifying, and the final table of declared against measured numbers."""

from __future__ import annotations

import contextlib
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator

from modelindex.index import Index
from modelindex.verify.compare import verdict
from modelindex.verify.run import Outcome


@contextlib.contextmanager
def progress_reporter(total: int) -> Iterator[Callable[[Outcome], None]]:
    """A rich progress bar with counts per status (plain lines when rich is missing)."""
    counts: Counter[str] = Counter()

    def describe() -> str:
        return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))

    try:
        from rich.progress import Progress
    except ImportError:

        def plain(outcome: Outcome) -> None:
            counts[outcome.status] += 1
            print(
                f"[{sum(counts.values())}/{total}] {outcome.model}: {outcome.status}",
                file=sys.stderr,
            )

        yield plain
        return
    with Progress(transient=False) as bar:
        task = bar.add_task("verifying", total=total)

        def advance(outcome: Outcome) -> None:
            counts[outcome.status] += 1
            bar.update(task, advance=1, description=describe())

        yield advance


def _ratio(declared: int | None, measured: object) -> str:
    if not declared or not isinstance(measured, int) or not measured:
        return "-"
    return f"{declared / measured:.4f}"


def print_outcomes(index: Index, outcomes: list[Outcome], as_json: bool) -> int:
    """Print the table (or JSON); exit 1 when a model mismatched or failed to build."""
    rows = []
    for outcome in outcomes:
        model = index.get(outcome.model)
        measured = outcome.measurement or {}
        rows.append(
            {
                "model": outcome.model,
                "status": outcome.status,
                "reference": outcome.reference.describe() if outcome.reference else None,
                "declared_parameters": model.metadata.parameters if model else None,
                "measured_parameters": measured.get("parameters"),
                "declared_flops": model.metadata.flops if model else None,
                "measured_macs": measured.get("macs"),
                "measured_mmcv_flops": measured.get("mmcv_flops"),
                "verdict": verdict(model, outcome.measurement) if model else "not verified",
                "reason": outcome.reason,
            }
        )
    if as_json:
        print(json.dumps(rows, indent=2))
    else:
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
    failed = any(
        row["verdict"] == "mismatch" or row["status"] in {"failed", "timeout"} for row in rows
    )
    return 1 if failed else 0
