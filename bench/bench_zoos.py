"""Time ``modelindex validate`` on OpenMMLab zoos, this checkout against a reference commit.

Usage: ``python bench/bench_zoos.py [ZOO_DIR ...] [--ref COMMIT] [--repeat N]``

Each zoo (default: mmpose, mmaction2 and mmagic under ``../shared/corpus/openmmlab``) is
validated as a user would, ``python -m modelindex validate ZOO --repo-root ZOO --format json``
in a fresh process, by this checkout and by the code of ``--ref`` (default f0b6b8e, the commit whose
times issue 14 set as the baseline), checked out into a temporary git worktree. Runs
alternate between the two so that the shared machine's noise falls on both alike; each time
is the median of N runs. The target is new / ref at most 1.5 for every zoo. Exit status 0
whatever the figures are; 1 when the reference cannot be checked out.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "openmmlab"
DEFAULT_ZOOS = [CORPUS / name for name in ("mmpose", "mmaction2", "mmagic")]
DEFAULT_REF = "f0b6b8e"
TARGET_RATIO = 1.5


def _validate_seconds(code: Path, zoo: Path) -> float:
    environment = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "modelindex", "validate", str(zoo), "--format", "json"]
    command += ["--repo-root", str(zoo)]
    start = time.perf_counter()
    subprocess.run(command, env=environment, capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("zoos", nargs="*", type=Path, default=DEFAULT_ZOOS)
    parser.add_argument("--ref", default=DEFAULT_REF, help="reference commit (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per zoo (default %(default)s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="modelindex-bench-ref-") as folder:
        reference = Path(folder) / "ref"
        added = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "worktree", "add", "--detach", str(reference), args.ref],
            capture_output=True,
            text=True,
        )
        if added.returncode != 0:
            print(f"cannot check out {args.ref}: {added.stderr.strip()}", file=sys.stderr)
            return 1
        try:
            times: dict[tuple[str, Path], list[float]] = {}
            for _ in range(args.repeat):
                for zoo in args.zoos:
                    for label, code in (("ref", reference), ("new", REPO_ROOT)):
                        times.setdefault((label, zoo), []).append(_validate_seconds(code, zoo))
        finally:
            subprocess.run(
                ["git", "-C", str(REPO_ROOT), "worktree", "remove", "--force", str(reference)],
                capture_output=True,
            )
    print(f"validate, median of {args.repeat} runs; target new / ref <= {TARGET_RATIO}")
    for zoo in args.zoos:
        ref = statistics.median(times[("ref", zoo)])
        new = statistics.median(times[("new", zoo)])
        verdict = "met" if new / ref <= TARGET_RATIO else "NOT met"
        print(
            f"  {zoo.name:<12} ref {ref:6.2f} s   new {new:6.2f} s   "
            f"new / ref {new / ref:.2f}  {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
