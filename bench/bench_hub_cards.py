"""Time ``modelindex validate`` on Hugging Face Hub cards against ``load`` of the same cards.

Usage: ``python bench/bench_hub_cards.py [CARDS_DIR] [--repeat N] [--json]``

The default folder is the corpus ``../shared/corpus/hf-cards-2022`` (2,931 cards), else the
headers of the same cards in ``tests/fixtures/hf-cards-2022-headers``. Figures, each against a
baseline from the same run (medians of N runs after a warm-up):

1. ``validate(index)`` in-process against ``load(cards)``: (load + validate) / load, target at
   most 1.3.
2. Linear growth: the cards copied into a temporary folder by quarters (a quarter, half, all);
   load + validate time per 1,000 cards at each size against the quarter's, target at most
   1.3 at the full size.
3. Where ``huggingface_hub`` is installed, its ``metadata_load`` + ``ModelCardData`` over the
   same files, for reference.

Exit status 0 whatever the figures are: it is a report, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench_load import time_median  # noqa: E402

import modelindex  # noqa: E402
from modelindex.checks import validate  # noqa: E402

CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "hf-cards-2022"
HEADERS = REPO_ROOT / "tests" / "fixtures" / "hf-cards-2022-headers"
TARGET_VALIDATE_OVER_LOAD = 1.3
TARGET_PER_CARD_GROWTH = 1.3


def _cards(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*/README.md"))


def _copy(cards: list[Path], root: Path, into: Path) -> Path:
    for card in cards:
        target = into / card.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(card, target)
    return into


def _load_and_validate(folder: Path) -> int:
    return len(validate(modelindex.load(str(folder))).findings)


def _huggingface_hub_seconds(cards: list[Path], repeat: int) -> float | None:
    try:
        from huggingface_hub.repocard import metadata_load
        from huggingface_hub.repocard_data import ModelCardData
    except ImportError:
        return None

    from huggingface_hub.utils import logging as hub_logging

    hub_logging.set_verbosity_error()  # one warning per refused card otherwise

    def read_all() -> None:
        for card in cards:
            # A card it refuses is timed all the same.
            with contextlib.suppress(Exception):
                ModelCardData(**(metadata_load(card) or {}), ignore_metadata_errors=True)

    return time_median(read_all, repeat)[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cards", nargs="?", type=Path, help="folder of <owner>/<repo>/README.md")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure (default 5)")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = parser.parse_args(argv)
    folder = args.cards or (CORPUS if CORPUS.is_dir() else HEADERS)
    cards = _cards(folder)
    if not cards:
        parser.error(f"no <owner>/<repo>/README.md under {folder}")

    index, load_s = time_median(lambda: modelindex.load(str(folder)), args.repeat)
    report, validate_s = time_median(lambda: validate(index), args.repeat)
    figures: dict[str, object] = {
        "cards": len(cards),
        "models": len(index),
        "findings": len(report.findings),
        "load_s": load_s,
        "validate_s": validate_s,
        "load_plus_validate_over_load": (load_s + validate_s) / load_s,
        "target_load_plus_validate_over_load": TARGET_VALIDATE_OVER_LOAD,
    }
    per_thousand: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for quarters in (1, 2, 4):
            subset = cards[: len(cards) * quarters // 4]
            copy = _copy(subset, folder, Path(scratch) / str(quarters))
            _, seconds = time_median(lambda copy=copy: _load_and_validate(copy), args.repeat)
            per_thousand[len(subset)] = seconds / len(subset) * 1000
    smallest = per_thousand[min(per_thousand)]
    figures["load_validate_s_per_1000_cards"] = per_thousand
    figures["growth_full_over_quarter"] = per_thousand[max(per_thousand)] / smallest
    figures["target_growth"] = TARGET_PER_CARD_GROWTH
    figures["huggingface_hub_s"] = _huggingface_hub_seconds(cards, args.repeat)

    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"{len(cards)} cards, {len(index)} models, {len(report.findings)} findings in {folder}")
    print(f"load      {load_s:.2f} s")
    print(
        f"validate  {validate_s:.2f} s   (load + validate) / load = "
        f"{figures['load_plus_validate_over_load']:.2f}  (target <= {TARGET_VALIDATE_OVER_LOAD})"
    )
    for size, seconds in per_thousand.items():
        print(f"load + validate of {size:>5} cards: {seconds:.2f} s per 1,000 cards")
    print(
        f"growth, all cards over a quarter: {figures['growth_full_over_quarter']:.2f} "
        f"(target <= {TARGET_PER_CARD_GROWTH})"
    )
    hub = figures["huggingface_hub_s"]
    if hub is not None:
        print(f"huggingface_hub metadata_load + ModelCardData: {hub:.2f} s (reference)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
