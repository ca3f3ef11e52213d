"""What ``validate --fix`` and suppressions cost, each against plain ``validate`` in the same run.

Usage: ``python bench/bench_fix.py [--repeat N]``

1. ``validate --fix`` on a copy of the timm corpus where nothing is safe to fix: one pass,
   against plain ``validate`` of the same copy (target: at most 1.2 x).
2. ``validate --fix --unsafe-fixes`` on a fresh copy each time, which sets the six TResNet
   counts: validate, edit, validate again (target: at most 2.5 x plain ``validate``).
3. ``validate`` on a copy of the 2,931 Hub cards with a ``modelindex: noqa`` comment in every
   card, against the same copy without them: what reading the suppressions costs (target: at
   most 1.15 x).

Times are medians of N runs of the command in a fresh process, after a warm-up run. Exit
status 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
TARGETS = {"fix, nothing to fix": 1.2, "fix --unsafe-fixes, six edits": 2.5, "suppressions": 1.15}


def _validate(*arguments: str) -> None:
    command = [sys.executable, "-m", "modelindex", "validate", *arguments]
    subprocess.run(command, capture_output=True, check=False, cwd=REPO_ROOT)


def _median(
    run: Callable[[], None], repeat: int, before: Callable[[], None] | None = None
) -> float:
    times = []
    for _ in range(repeat + 1):
        if before is not None:
            before()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    times = sorted(times[1:])
    return times[len(times) // 2]


def _writable_copy(source: Path, target: Path) -> None:
    """A copy that --fix may edit: the corpus's files are read-only, and copies keep modes."""
    shutil.copytree(source, target, copy_function=shutil.copyfile)


def _with_suppressions(cards: Path) -> None:
    for card in cards.rglob("README.md"):
        text = card.read_text(encoding="utf-8", errors="replace")
        if text.startswith("---\n"):
            card.write_text(
                "---\n# modelindex: noqa: H004, I001 the benchmark's own\n" + text[4:],
                encoding="utf-8",
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        timm = work / "timm"
        _writable_copy(CORPUS / "timm-docs", timm)
        plain = _median(lambda: _validate(str(timm)), args.repeat)
        # TResNet's counts are unsafe fixes: --fix alone has nothing to write.
        fix = _median(lambda: _validate(str(timm), "--fix"), args.repeat)

        def fresh() -> None:
            shutil.rmtree(timm)
            _writable_copy(CORPUS / "timm-docs", timm)

        unsafe = _median(
            lambda: _validate(str(timm), "--fix", "--unsafe-fixes"), args.repeat, fresh
        )

        hub = work / "hub"
        _writable_copy(CORPUS / "hf-cards-2022", hub)
        bare = _median(lambda: _validate(str(hub)), args.repeat)
        _with_suppressions(hub)
        suppressed = _median(lambda: _validate(str(hub)), args.repeat)

    rows = [
        ("fix, nothing to fix", fix, plain, "validate of the timm copy"),
        ("fix --unsafe-fixes, six edits", unsafe, plain, "validate of the timm copy"),
        ("suppressions", suppressed, bare, "validate of the Hub cards without them"),
    ]
    print("| case | seconds | baseline | baseline seconds | ratio | target |")
    print("|---|---|---|---|---|---|")
    for name, seconds, baseline, what in rows:
        ratio = seconds / baseline
        print(
            f"| {name} | {seconds:.2f} | {what} | {baseline:.2f} | {ratio:.2f} x "
            f"| <= {TARGETS[name]} x |"
        )


if __name__ == "__main__":
    main()
