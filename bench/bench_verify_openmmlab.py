"""Verify mmpretrain's own zoo with its own code: coverage, agreement with timm, and time.

Usage: ``python bench/bench_verify_openmmlab.py [--jobs 2] [--zoo PATH] [--json FILE]``

Run it with a Python that has the [verify] and [verify-openmmlab] extras and mmpretrain
(``pip install --no-deps mmpretrain``). The zoo defaults to the ``model-index.yml`` that
mmpretrain's wheel carries under ``mmpretrain/.mim/``. Figures, each next to a baseline measured
in the same run:

1. Cold: ``modelindex verify ZOO --jobs N`` with a fresh cache. Baseline: one process that
   only imports torch, timm and mmpretrain's models, the floor of any worker.
2. Coverage: the share of models with Parameters that some backend measured (target >= 85%),
   per backend; failures by their reason; where mmpretrain and timm both measured a model,
   whether they agree.
3. Rerun: the same command again, served from the cache (target <= 1.5 x validate). Baseline:
   ``modelindex validate ZOO`` reading that cache.

Exit status 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

# Run as a script, bench/ is on the path: the shared timing helpers are bench_verify's.
from bench_verify import PEAK_MEMORY_WRAPPER, median_seconds, timed, verify_command

TARGET_COVERAGE = 0.85
TARGET_RERUN_RATIO = 1.5
IMPORT_LIBRARIES = (
    "from modelindex.verify.torch_env import import_torch_and_timm, import_mmpretrain_models; "
    "import_torch_and_timm(); import_mmpretrain_models()"
)


def installed_zoo() -> Path:
    from modelindex.verify.openmmlab_zoo import installed_zoo as find

    zoo = find()
    if zoo is None:
        raise SystemExit("mmpretrain is not installed: pip install --no-deps mmpretrain")
    return zoo.root / "model-index.yml"


def rows_of(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise SystemExit(f"verify printed no JSON table:\n{done.stderr[-2000:]}") from None


def failure_class(reason: str) -> str:
    """A reason without its model's own details: the exception and its message's start."""
    return re.sub(r"'[^']*'|\d+", "…", reason)[:90]


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    measured = [row for row in rows if row["measured_parameters"] is not None]
    with_parameters = [row for row in rows if row["declared_parameters"] is not None]
    backends = Counter(row["backend"].split(" ", 1)[0] for row in measured)
    failures = Counter(
        failure_class(row["reason"] or "") for row in rows if row["measured_parameters"] is None
    )
    agreements = Counter(
        "agree" if row["agreement"].endswith("agree") else "differ"
        for row in rows
        if row["agreement"]
    )
    return {
        "models": len(rows),
        "with_parameters": len(with_parameters),
        "measured_with_parameters": sum(
            row["measured_parameters"] is not None for row in with_parameters
        ),
        "by_backend": dict(backends),
        "verdicts": dict(Counter(row["verdict"] for row in rows)),
        "unmeasured_by_reason": dict(failures.most_common()),
        "two_backends": dict(agreements),
        "differences": [
            f"{row['model']}: {row['agreement']}"
            for row in rows
            if row["agreement"] and not row["agreement"].endswith("agree")
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--zoo", type=Path, help="default: mmpretrain's own model-index.yml")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    zoo = args.zoo or installed_zoo()

    floor = median_seconds([sys.executable, "-c", IMPORT_LIBRARIES], args.repeat)
    with tempfile.TemporaryDirectory(prefix="modelindex-bench-openmmlab-") as folder:
        cache = Path(folder) / "measurements.json"
        verify = verify_command(zoo, cache, args.jobs)
        cold, done = timed([sys.executable, "-c", PEAK_MEMORY_WRAPPER, *verify])
        rows = rows_of(done)
        peak_mib = int(done.stderr.rsplit("peak_kib=", 1)[-1]) / 1024
        rerun = median_seconds(verify, args.repeat)
        settings = Path(folder) / "pyproject.toml"
        settings.write_text(f'[tool.modelindex]\nmeasurements = "{cache}"\n', encoding="utf-8")
        validate = [
            sys.executable,
            "-m",
            "modelindex",
            "validate",
            str(zoo),
            "--config",
            str(settings),
            "--format",
            "json",
        ]
        validate_s = median_seconds(validate, args.repeat)
        findings = json.loads(timed(validate)[1].stdout or "{}").get("findings", [])

    figures = report(rows)
    coverage = figures["measured_with_parameters"] / max(figures["with_parameters"], 1)
    figures.update(
        floor_s=round(floor, 2),
        cold_s=round(cold, 2),
        cold_over_floor=round(cold / floor, 1),
        peak_mib=round(peak_mib),
        rerun_s=round(rerun, 2),
        validate_s=round(validate_s, 2),
        rerun_over_validate=round(rerun / validate_s, 2),
        coverage=round(coverage, 4),
        v001=[f["message"] for f in findings if f.get("code") == "V001"],
    )
    print(f"zoo: {zoo} ({figures['models']} models), --jobs {args.jobs}")
    print(f"  import torch, timm, mmpretrain (floor) {floor:7.2f} s")
    print(
        f"  verify, cold cache                     {cold:7.2f} s  ({cold / floor:.1f} x the floor;"
        f" peak {peak_mib:.0f} MiB in one process)"
    )
    print(
        f"  coverage: {figures['measured_with_parameters']} of {figures['with_parameters']} "
        f"models with Parameters measured = {coverage:.1%} (target >= {TARGET_COVERAGE:.0%})"
    )
    print(f"  by backend: {figures['by_backend']}; both backends: {figures['two_backends']}")
    for difference in figures["differences"]:
        print(f"    {difference}")
    print("  not measured, by reason:")
    for reason, count in figures["unmeasured_by_reason"].items():
        print(f"    {count:4}  {reason}")
    print(f"  validate, reading the cache            {validate_s:7.2f} s")
    print(
        f"  verify, rerun from the cache           {rerun:7.2f} s  ({rerun / validate_s:.2f} x "
        f"validate; target <= {TARGET_RERUN_RATIO})"
    )
    print(f"  V001 findings: {len(figures['v001'])}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
