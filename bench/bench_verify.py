"""Time ``modelindex verify`` on the seed zoo, cold and from the cache, and on the timm corpus.

Usage: ``python bench/bench_verify.py [--repeat N] [--jobs 2] [--corpus DIR | --no-corpus]``

Run it with a Python that has the [verify] extra (torch and timm). Each figure is a whole
``python -m modelindex verify`` process, next to baselines measured in the same run:

1. Cold: a fresh measurement cache, so every seed model is built and measured (target 60 s on
   2 cores). Baseline: one process that only imports torch and timm, the floor of any run.
2. Rerun: the same command again, served from the cache it just wrote (target 2 s).
   Baseline: ``python -m modelindex validate`` on the same zoo, which reads that cache too.
3. Corpus: a cold run over the timm corpus with its time, coverage and peak memory (the
   largest resident set of any one process: the parent or a worker).

Times are medians of N runs (cold runs: N fresh caches). Exit status 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SEEDS = REPO_ROOT / "tests" / "fixtures" / "seeds"
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "timm-docs"
TARGET_COLD_SECONDS = 60.0
TARGET_RERUN_SECONDS = 2.0
# Runs the command and reports the largest resident set among its processes (ru_maxrss of the
# waited-for descendants, KiB on Linux); a wrapper, so that earlier runs do not count.
PEAK_MEMORY_WRAPPER = (
    "import resource, subprocess, sys; "
    "done = subprocess.run(sys.argv[1:], stderr=subprocess.DEVNULL); "
    "print(f'peak_kib={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr)"
)
IMPORT_TORCH_AND_TIMM = (
    "from modelindex.verify.torch_env import import_torch_and_timm; import_torch_and_timm()"
)


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    return time.perf_counter() - start, done


def median_seconds(argv: list[str], repeat: int) -> float:
    return statistics.median(timed(argv)[0] for _ in range(repeat))


def verify_command(zoo: Path, cache: Path, jobs: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "modelindex",
        "verify",
        str(zoo),
        "--jobs",
        str(jobs),
        "--cache",
        str(cache),
        "--format",
        "json",
    ]


def statuses(done: subprocess.CompletedProcess[str]) -> Counter[str]:
    try:
        return Counter(row["status"] for row in json.loads(done.stdout))
    except (ValueError, TypeError, KeyError):
        raise SystemExit(f"verify printed no JSON table:\n{done.stderr[-2000:]}") from None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--no-corpus", action="store_true", help="skip the corpus run")
    args = parser.parse_args()

    floor = median_seconds([sys.executable, "-c", IMPORT_TORCH_AND_TIMM], args.repeat)
    with tempfile.TemporaryDirectory(prefix="modelindex-bench-verify-") as folder:
        cold_runs = []
        for run in range(args.repeat):
            cache = Path(folder) / f"cold-{run}.json"
            seconds, done = timed(verify_command(SEEDS, cache, args.jobs))
            cold_runs.append(seconds)
        cold = statistics.median(cold_runs)
        counted = statuses(done)
        rerun_argv = verify_command(SEEDS, cache, args.jobs)
        rerun = median_seconds(rerun_argv, args.repeat)
        rerun_counted = statuses(timed(rerun_argv)[1])
        validate_argv = [sys.executable, "-m", "modelindex", "validate", str(SEEDS)]
        validate_s = median_seconds(validate_argv, args.repeat)

    print(
        f"seeds: {SEEDS.relative_to(REPO_ROOT)} ({sum(counted.values())} models), "
        f"--jobs {args.jobs}"
    )
    print(f"  import torch and timm (floor)   {floor:7.2f} s")
    print(
        f"  verify, cold cache              {cold:7.2f} s  (target <= {TARGET_COLD_SECONDS:g} s; "
        f"{cold / floor:.1f} x the floor)  {dict(counted)}"
    )
    print(f"  validate, reading the cache     {validate_s:7.2f} s")
    print(
        f"  verify, rerun from the cache    {rerun:7.2f} s  (target <= "
        f"{TARGET_RERUN_SECONDS:g} s; {rerun / validate_s:.2f} x validate)  {dict(rerun_counted)}"
    )
    if args.no_corpus or not args.corpus.is_dir():
        return 0
    with tempfile.TemporaryDirectory(prefix="modelindex-bench-verify-") as folder:
        command = verify_command(args.corpus, Path(folder) / "c.json", args.jobs)
        seconds, done = timed([sys.executable, "-c", PEAK_MEMORY_WRAPPER, *command])
    counted = statuses(done)
    total = sum(counted.values())
    measured = counted["measured"] + counted["cached"]
    peak_mib = int(done.stderr.rsplit("peak_kib=", 1)[-1]) / 1024
    print(f"corpus: {args.corpus} ({total} models), --jobs {args.jobs}")
    print(
        f"  verify, cold cache              {seconds:7.2f} s  ({seconds / floor:.1f} x the floor; "
        f"{measured / total:.1%} measured)  {dict(counted)}"
    )
    print(f"  peak resident memory of one process {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
