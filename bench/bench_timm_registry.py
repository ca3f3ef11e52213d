"""Measure every architecture of the installed timm with the verify harness, on the meta device.

Usage: ``python bench/bench_timm_registry.py [--jobs 2] [--match PATTERN] [--limit N] [--json]``

Run it with a Python that has the [verify] extra. Each architecture of ``timm.list_models()`` is
built on the meta device and measured by ``modelindex.verify.harness.measure`` (parameters, MACs
and the mmcv-style FLOPs) at its default pretrained input size, in ``--jobs`` worker processes.
The report gives the coverage (the share that measures; issue 16's target is at least 98 %),
the failures grouped by exception class and first line, the median and slowest time per model,
and the peak resident memory of any worker. Baseline from the same run: the time one process
takes to import torch and timm. Exit status 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import multiprocessing
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

TARGET_COVERAGE = 0.98
# A worker is replaced after this many models, so that no process grows with the registry.
MODELS_PER_WORKER = 50
# A model still building after this long is reported as a failure, not waited for.
SECONDS_PER_MODEL = 300


def _measure_one(name: str) -> dict[str, Any]:
    from modelindex.measurements.references import Reference
    from modelindex.verify.harness import measure
    from modelindex.verify.torch_env import import_torch_and_timm

    torch, timm = import_torch_and_timm()
    config = timm.models.get_pretrained_cfg(name)
    size = config.input_size[-1] if config is not None else 224
    start = time.perf_counter()
    try:
        measured = measure(Reference(name, None, size), torch, timm)
    except Exception as error:  # every failure is a figure of the report
        first_line = (str(error).splitlines() or [""])[0][:120]
        return {"name": name, "error": f"{type(error).__name__}: {first_line}"}
    return {
        "name": name,
        "seconds": time.perf_counter() - start,
        "parameters": measured.parameters,
        "macs": measured.macs,
    }


def _architectures(match: str | None, limit: int | None) -> list[str]:
    from modelindex.verify.torch_env import import_torch_and_timm

    _, timm = import_torch_and_timm()
    names = [name for name in timm.list_models() if match is None or fnmatch.fnmatch(name, match)]
    return names[:limit] if limit else names


def _import_seconds() -> float:
    start = time.perf_counter()
    code = "from modelindex.verify.torch_env import import_torch_and_timm; import_torch_and_timm()"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--match", help="only architectures matching this glob (vit_*)")
    parser.add_argument("--limit", type=int, help="only the first N architectures")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = parser.parse_args(argv)

    import_seconds = _import_seconds()
    names = _architectures(args.match, args.limit)
    start = time.perf_counter()
    results: list[dict[str, Any]] = []
    # Spawned, not forked: this process has imported torch, whose threads a fork would copy
    # mid-lock. multiprocessing.Pool, not ProcessPoolExecutor, whose max_tasks_per_child can
    # hang on Python 3.11 when it replaces a worker.
    context = multiprocessing.get_context("spawn")
    with context.Pool(args.jobs, maxtasksperchild=MODELS_PER_WORKER) as pool:
        pending = [(name, pool.apply_async(_measure_one, (name,))) for name in names]
        for name, result in pending:
            try:
                results.append(result.get(timeout=SECONDS_PER_MODEL))
            except multiprocessing.TimeoutError:
                results.append({"name": name, "error": f"timeout: over {SECONDS_PER_MODEL} s"})
        pool.terminate()
    wall = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    measured = [result for result in results if "error" not in result]
    failures = Counter(result["error"] for result in results if "error" in result)
    times = sorted(result["seconds"] for result in measured)
    slowest = max(measured, key=lambda result: result["seconds"], default=None)
    figures = {
        "architectures": len(names),
        "measured": len(measured),
        "coverage": len(measured) / len(names) if names else 0.0,
        "target_coverage": TARGET_COVERAGE,
        "wall_s": wall,
        "import_torch_and_timm_s": import_seconds,
        "median_s_per_model": statistics.median(times) if times else None,
        "slowest": slowest and {"name": slowest["name"], "seconds": slowest["seconds"]},
        "peak_worker_mib": peak_mib,
        "failures": {
            error: sorted(r["name"] for r in results if r.get("error") == error)
            for error, _ in failures.most_common()
        },
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(
        f"{len(measured)} of {len(names)} architectures measured: {figures['coverage']:.1%} "
        f"(target >= {TARGET_COVERAGE:.0%})"
    )
    print(
        f"wall {wall:.0f} s at {args.jobs} jobs; importing torch and timm alone "
        f"{import_seconds:.1f} s; median {figures['median_s_per_model'] or 0:.2f} s per model"
    )
    if slowest:
        print(
            f"slowest {slowest['name']} {slowest['seconds']:.1f} s; peak worker {peak_mib:.0f} MiB"
        )
    for error, count in failures.most_common():
        names_failed = figures["failures"][error]
        shown = ", ".join(names_failed[:6]) + (" ..." if len(names_failed) > 6 else "")
        print(f"  {count:>4}  {error}\n        {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
