"""Time ``modelindex build`` on the timm corpus against a bare mkdocs build of as many pages.

Usage: ``python bench/bench_site.py [CORPUS_DIR] [--repeat N]``

Two figures from the same run:

1. ``build_site(corpus)`` (272 models in 65 cards; target 15 s), next to ``mkdocs build`` of a
   bare mkdocs-material site with one empty page per model, the floor of any mkdocs site of
   that size.
2. The weight of the comparison page: its HTML and the script it loads.

Times are medians of N runs. Exit status 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import modelindex  # noqa: E402
from modelindex.site.build import build_site  # noqa: E402

DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "timm-docs"
TARGET_SECONDS = 15.0


def bare_build(pages: int, folder: Path, directory_urls: bool = True) -> None:
    """mkdocs-material's build of ``pages`` pages of one heading each (page00000.md...)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    docs = folder / "docs"
    docs.mkdir(parents=True)
    for number in range(pages):
        (docs / f"page{number:05d}.md").write_text(f"# Page {number}\n", encoding="utf-8")
    config = {
        "site_name": "bare",
        "docs_dir": str(docs),
        "site_dir": str(folder / "site"),
        "use_directory_urls": directory_urls,
        "theme": {"name": "material", "font": False},
        "plugins": ["search"],
    }
    (folder / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    build(load_config(str(folder / "mkdocs.yml")))


def timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    models = len(modelindex.load(args.corpus))

    ours, bare = [], []
    with tempfile.TemporaryDirectory(prefix="modelindex-bench-site-") as folder:
        for run in range(args.repeat):
            site = Path(folder) / f"site{run}"
            ours.append(timed(lambda site=site: build_site([args.corpus], site)))
            plain = Path(folder) / f"bare{run}"
            plain.mkdir()
            bare.append(timed(lambda plain=plain: bare_build(models, plain)))
        comparison = site / "comparison.html"
        script = site / "assets" / "modelindex" / "modelindex.js"
        weight = comparison.stat().st_size, script.stat().st_size
    ours_s, bare_s = statistics.median(ours), statistics.median(bare)
    print(f"corpus: {args.corpus} ({models} models)")
    print(f"  modelindex build             {ours_s:6.2f} s  (target <= {TARGET_SECONDS:g} s)")
    print(f"  bare mkdocs, {models} empty pages {bare_s:6.2f} s")
    print(f"  ratio                        {ours_s / bare_s:6.2f} x the bare build")
    print(
        f"comparison page: {weight[0] / 1024:.0f} KiB of HTML + {weight[1] / 1024:.0f} KiB of "
        "script (plus mkdocs-material's own assets)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
