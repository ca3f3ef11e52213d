"""How ``modelindex build`` grows with the zoo: 272, 1,000 and 10,000 models.

Usage: ``python bench/bench_site_scale.py [--sizes 1,4,37] [--no-browser]``

The zoos are renamed copies of the timm cards (each copy in its own folder, every model and
collection name given the copy's suffix), so that they grow without changing their shape. For
each size, in the same run:

- ``build_site`` (seconds), and a bare mkdocs-material build of as many pages (one heading
  each), the floor of any mkdocs site of that many pages;
- the site's size on disk, and the weight of one collection page and of the comparison page;
- in Chromium (when Playwright and /usr/bin/chromium are there): the comparison page's time
  to interactive, a bare page's load time, and the time of one sort and one filter.

Growth is linear where seconds per model and bytes per model stay level as the zoo grows:
the report gives both, each relative to the smallest zoo. Exit status 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import sys
import tempfile
import threading
import time
from math import nan
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from bench_site import bare_build  # noqa: E402

import modelindex  # noqa: E402
from modelindex.site.build import build_site  # noqa: E402

CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "timm-docs"
CHROMIUM = Path("/usr/bin/chromium")
_NAMES = re.compile(r"^(\s*-?\s*(?:Name|In Collection):\s*)(\S.*)$", re.MULTILINE)


def scaled_zoo(copies: int, folder: Path) -> Path:
    """``copies`` renamed copies of the timm cards under ``folder``."""
    cards = [card for card in sorted(CORPUS.glob("*.md")) if card.name != "SOURCE.md"]
    for copy in range(copies):
        target = folder / f"copy{copy}"
        target.mkdir(parents=True)
        for card in cards:
            text = card.read_text(encoding="utf-8")
            renamed = _NAMES.sub(lambda m, c=copy: f"{m.group(1)}{m.group(2)} c{c}", text)
            (target / card.name).write_text(renamed, encoding="utf-8")
    return folder


def size_of(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def browser_figures(site: Path, bare: Path) -> dict[str, float]:
    """In Chromium, served over HTTP: the comparison page's time to interactive (from
    navigation until its table shows rows and the document has loaded, the cache warm), a
    bare page's time to load, and the time of a sort and of a filter (which draws the plots
    again) on the comparison page. Empty without Playwright or /usr/bin/chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {}
    if not CHROMIUM.exists():
        return {}

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    servers = []
    for folder in (site, bare):
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder))
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    ours, plain = (f"http://127.0.0.1:{server.server_port}/" for server in servers)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            found: dict[str, float] = {}
            for name, url, ready in (
                ("tti_s", f"{ours}comparison.html", "#modelindex-table tbody tr"),
                ("bare_tti_s", f"{plain}page00000.html", "article h1"),
            ):
                page.goto(url)  # once, so that the browser's cache is as a returning reader's
                start = time.perf_counter()
                page.goto(url, wait_until="commit")
                page.wait_for_selector(ready, timeout=120_000)
                page.wait_for_function("document.readyState === 'complete'", timeout=120_000)
                found[name] = time.perf_counter() - start
            page.goto(f"{ours}comparison.html", wait_until="networkidle")
            found["sort_ms"] = page.evaluate(
                """() => { const th = document.querySelector("th[data-key='name']");
                const t = performance.now(); th.click(); return performance.now() - t; }"""
            )
            found["filter_ms"] = page.evaluate(
                """() => { const s = document.getElementById('modelindex-filter-collection');
                s.selectedIndex = 2; const t = performance.now();
                s.dispatchEvent(new Event('input')); return performance.now() - t; }"""
            )
            browser.close()
            return found
    finally:
        for server in servers:
            server.shutdown()


def measure(copies: int, folder: Path, browser: bool) -> dict[str, float]:
    zoo = scaled_zoo(copies, folder / "zoo")
    models = len(modelindex.load(zoo))
    start = time.perf_counter()
    site = build_site([zoo], folder / "site")
    ours = time.perf_counter() - start
    pages = len(list(site.rglob("*.html"))) - 1  # 404.html is mkdocs' own
    start = time.perf_counter()
    bare_build(pages, folder / "bare", directory_urls=False)
    bare = time.perf_counter() - start
    card = next(site.glob("models/copy0/resnet-d.html"))
    return (
        {
            "models": models,
            "pages": pages,
            "build_s": ours,
            "bare_s": bare,
            "site_bytes": size_of(site),
            "bare_bytes": size_of(folder / "bare" / "site"),
            "card_bytes": card.stat().st_size,
            "comparison_bytes": (site / "comparison.html").stat().st_size,
        }
        | {"tti_s": nan, "bare_tti_s": nan, "sort_ms": nan, "filter_ms": nan}
        | (browser_figures(site, folder / "bare" / "site") if browser else {})
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,4,37", help="copies of the 272 timm models")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    rows = []
    for copies in (int(part) for part in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="modelindex-bench-scale-") as folder:
            rows.append(measure(copies, Path(folder), not args.no_browser))
            print(f"measured {rows[-1]['models']} models", file=sys.stderr, flush=True)
    first = rows[0]
    print(
        f"{'models':>7} {'pages':>6} {'build s':>8} {'bare s':>7} {'ratio':>6} "
        f"{'s/model':>8} {'site MB':>8} {'bare MB':>8} {'B/model':>8} {'card KB':>8} "
        f"{'cmp KB':>7} {'TTI s':>6} {'bare':>5} {'sort':>5} {'filter':>6}"
    )
    for row in rows:
        per_model = row["build_s"] / row["models"] / (first["build_s"] / first["models"])
        per_byte = row["site_bytes"] / row["models"] / (first["site_bytes"] / first["models"])
        print(
            f"{row['models']:>7.0f} {row['pages']:>6.0f} {row['build_s']:>8.1f} "
            f"{row['bare_s']:>7.1f} {row['build_s'] / row['bare_s']:>6.2f} {per_model:>7.2f}x "
            f"{row['site_bytes'] / 1e6:>8.1f} {row['bare_bytes'] / 1e6:>8.1f} {per_byte:>7.2f}x "
            f"{row['card_bytes'] / 1e3:>8.0f} {row['comparison_bytes'] / 1e3:>7.0f} "
            f"{row['tti_s']:>6.2f} {row['bare_tti_s']:>5.2f} {row['sort_ms']:>4.0f}ms "
            f"{row['filter_ms']:>4.0f}ms"
        )
    print(
        "s/model and B/model: seconds and bytes per model, relative to the first zoo "
        "(1.00x at every size is linear growth). ratio: modelindex build / bare mkdocs build.\n"
        "TTI: the comparison page's time to interactive; bare: a bare page's load; sort and "
        "filter: one click on the comparison page (the filter draws the plots again)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
