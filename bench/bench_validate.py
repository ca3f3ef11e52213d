"""Time ``modelindex validate`` on the timm corpus and on synthetic zoos of 10k-100k models.

Usage: ``python bench/bench_validate.py [CORPUS_DIR] [--repeat N] [--sizes 10000,50000,100000]``

Three figures, each against a baseline measured in the same run:

1. In-process: ``validate(index)`` against ``load(corpus)``; the target is load + validate
   within 1.3 x load (validation adds at most 30% to reading the zoo).
2. Whole process: ``python -m modelindex validate CORPUS`` wall time (target 0.6 s), next to the
   start-up of a bare ``python -c pass`` and of ``python -c "import modelindex"``.
3. Scaling: copies of the corpus with every model, collection and weights URL renamed, so that
   no copy collides with another; validate time per 1,000 models at each size should stay flat
   (linear growth). Load time is shown for reference.

Times are medians of N runs after a warm-up run. Exit status 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench_load import time_median  # noqa: E402

import modelindex  # noqa: E402
from modelindex.checks import validate  # noqa: E402

DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "timm-docs"
TARGET_LOAD_PLUS_VALIDATE_OVER_LOAD = 1.3
TARGET_PROCESS_SECONDS = 0.6

_NAME = re.compile(r"^(\s*-?\s*(?:Name|ID):\s*)(\S.*?)\s*$", re.MULTILINE)
_IN_COLLECTION = re.compile(r"^(\s*In Collection:\s*)(\S.*?)\s*$", re.MULTILINE)
_WEIGHTS = re.compile(r"^(\s*Weights:\s*)(\S+)\s*$", re.MULTILINE)


def renamed_copy(text: str, copy: int) -> str:
    """The card with every Name, ID, In Collection and Weights URL made unique to this copy.

    The copy number is a prefix, so that names keep their image-size suffixes (tresnet_m_448).
    """
    prefix = f"copy{copy}-"
    text = _NAME.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", text)
    text = _IN_COLLECTION.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", text)
    return _WEIGHTS.sub(lambda m: f"{m.group(1)}{m.group(2)}?copy={copy}", text)


def write_synthetic(corpus: Path, models: int, folder: Path) -> int:
    cards = {path.name: path.read_text(encoding="utf-8") for path in sorted(corpus.glob("*.md"))}
    per_copy = len(modelindex.load(corpus))
    copies = -(-models // per_copy)
    for copy in range(copies):
        target = folder / f"copy{copy:05d}"
        target.mkdir()
        for name, text in cards.items():
            (target / name).write_text(renamed_copy(text, copy), encoding="utf-8")
    return copies * per_copy


def process_seconds(argv: list[str], repeat: int) -> float:
    def run() -> None:
        subprocess.run(argv, check=False, capture_output=True, cwd=REPO_ROOT)

    return time_median(run, repeat)[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sizes", default="10000,50000,100000")
    args = parser.parse_args()

    index, load_s = time_median(lambda: modelindex.load(args.corpus), args.repeat)
    report, validate_s = time_median(lambda: validate(index), args.repeat)
    ratio = (load_s + validate_s) / load_s
    print(f"corpus: {args.corpus} ({len(index)} models, {len(report.findings)} findings)")
    print(f"  load                 {load_s * 1000:8.1f} ms")
    print(f"  validate             {validate_s * 1000:8.1f} ms")
    print(
        f"  (load + validate) / load = {ratio:.2f}  (target <= "
        f"{TARGET_LOAD_PLUS_VALIDATE_OVER_LOAD}; validate / load = {validate_s / load_s:.2f})"
    )

    python = sys.executable
    bare = process_seconds([python, "-c", "pass"], args.repeat)
    imported = process_seconds([python, "-c", "import modelindex"], args.repeat)
    whole = process_seconds([python, "-m", "modelindex", "validate", str(args.corpus)], args.repeat)
    print("whole process, wall:")
    print(f"  python -c pass                       {bare:6.3f} s")
    print(f"  python -c 'import modelindex'        {imported:6.3f} s")
    print(
        f"  python -m modelindex validate CORPUS {whole:6.3f} s  (target <= "
        f"{TARGET_PROCESS_SECONDS} s; {whole / bare:.1f} x a bare interpreter)"
    )

    print("scaling (synthetic corpus, renamed copies of the cards):")
    per_thousand: list[float] = []
    for size in (int(part) for part in args.sizes.split(",")):
        folder = Path(tempfile.mkdtemp(prefix="modelindex-bench-"))
        try:
            written = write_synthetic(args.corpus, size, folder)
            start = time.perf_counter()
            big = modelindex.load(folder)
            load_big = time.perf_counter() - start
            # Fewer repeats: one run at 100k models takes seconds.
            big_report, validate_big = time_median(lambda big=big: validate(big), 2)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        per_thousand.append(validate_big / len(big) * 1000)
        print(
            f"  {written:7d} models: load {load_big:6.2f} s, validate {validate_big:6.2f} s "
            f"({per_thousand[-1] * 1000:.1f} ms per 1k models, "
            f"{len(big_report.findings)} findings)"
        )
    if len(per_thousand) > 1:
        spread = max(per_thousand) / min(per_thousand)
        print(f"  largest / smallest time per model = {spread:.2f}  (1.0 is perfectly linear)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
