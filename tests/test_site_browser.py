"""The built site in a real Chromium (Debian's package, driven by Playwright): the project's
site served over HTTP, and a site made by ``modelindex build`` opened from disk (file://).

Skipped when Playwright or /usr/bin/chromium is missing, unless MODELINDEX_REQUIRE_BROWSER=1
(as in .ci/run), where they fail instead. Screenshots go to test-artifacts/ at the repository
root (MODELINDEX_ARTIFACTS overrides it).
"""

from __future__ import annotations

import csv
import functools
import http.server
import io
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = os.environ.get("MODELINDEX_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(os.environ.get("MODELINDEX_ARTIFACTS", ROOT / "test-artifacts"))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking"]  # fmt: skip

if not REQUIRED:
    pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True)

from mkdocs.commands.build import build  # noqa: E402
from mkdocs.config import load_config  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from modelindex.site.build import build_site  # noqa: E402
from tests.conftest import write_file  # noqa: E402
from tests.test_site import EDGE_ZOO, HOSTILE_CARD  # noqa: E402
from tests.test_site_cards_inert import build_blocks_html_site  # noqa: E402
from tests.test_site_hostile import HOSTILE_COLLECTION, HOSTILE_HEADING  # noqa: E402


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """``folder`` served over HTTP on 127.0.0.1; its address."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    site = tmp_path_factory.mktemp("site")
    build(load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site), strict=True))
    with serving(site) as url:
        yield url


@pytest.fixture(scope="module")
def disk_url(tmp_path_factory) -> str:
    """A site built by ``modelindex build`` from a zoo with repeated and missing names, a
    negative parameter count and a collection name with two spaces, opened from disk."""
    folder = tmp_path_factory.mktemp("disk")
    zoo = folder / "zoo"
    zoo.mkdir()
    (zoo / "model-index.yml").write_text(EDGE_ZOO, encoding="utf-8")
    return (build_site([zoo], folder / "site") / "index.html").as_uri()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@contextmanager
def recording_page(browser, base_url: str) -> Iterator[Page]:
    """A page that records console errors and any request that leaves the local server or the
    local disk."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.problems = []  # type: ignore[attr-defined]
    opened.on("console", lambda m: opened.problems.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    opened.on("pageerror", lambda error: opened.problems.append(str(error)))  # type: ignore[attr-defined]
    opened.on(
        "request",
        lambda request: (
            None
            # blob: is the page's own memory (the CSV and JSON downloads), never the network.
            if request.url.startswith((base_url, "file://", "blob:"))
            else opened.problems.append(f"request outside the site: {request.url}")
        ),  # type: ignore[attr-defined]
    )
    opened.set_default_timeout(15_000)
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture
def page(browser, base_url: str) -> Iterator[Page]:
    with recording_page(browser, base_url) as opened:
        yield opened


def _visible_values(page: Page, key: str) -> list[str]:
    return page.eval_on_selector_all(
        f"#modelindex-table tbody tr:not([hidden]) td[data-key='{key}']",
        "cells => cells.map(cell => cell.dataset.value)",
    )


def test_pages_load_offline_without_console_errors_and_are_screenshot(
    page: Page, base_url: str
) -> None:
    folder = ARTIFACTS / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    for path, name in (
        ("", "home"),
        ("models/resnet-d/", "collection"),
        ("findings/", "findings"),
        ("comparison/", "comparison"),
    ):
        page.goto(base_url + path, wait_until="networkidle")
        page.screenshot(path=str(folder / f"{name}.png"), full_page=name != "comparison")
    page.set_viewport_size({"width": 400, "height": 900})
    page.goto(base_url + "comparison/", wait_until="networkidle")  # as a phone opens it
    page.screenshot(path=str(folder / "comparison-400.png"), full_page=True)
    assert page.problems == []  # type: ignore[attr-defined]
    assert (folder / "comparison.png").stat().st_size > 10_000


def test_sorting_by_a_metric_puts_the_best_first_then_reverses(page: Page, base_url: str) -> None:
    page.goto(base_url + "comparison/", wait_until="networkidle")
    top1 = "th[data-label='Top 1 Accuracy']"
    key = page.get_attribute(top1, "data-key")
    # The page opens sorted by the plotted metric, best first: higher is better here.
    descending = _visible_values(page, key)
    assert page.get_attribute(top1, "aria-sort") == "descending"
    page.click(top1)
    ascending = _visible_values(page, key)
    page.click(top1)
    numbers = [float(value) for value in descending if value]
    assert len(numbers) == 36 and numbers == sorted(numbers, reverse=True)
    assert [float(value) for value in ascending if value] == sorted(numbers)
    assert _visible_values(page, key) == descending
    assert page.get_attribute(top1, "aria-sort") == "descending"
    assert page.problems == []  # type: ignore[attr-defined]


def _open_comparison(page: Page, tmp_path: Path, zoo: str) -> None:
    """Open the comparison page, from disk, of a site built from the model-index.yml ``zoo``."""
    write_file(tmp_path / "zoo" / "model-index.yml", zoo)
    site = build_site([tmp_path / "zoo"], tmp_path / "site")
    page.goto((site / "comparison.html").as_uri(), wait_until="load")


def test_a_lower_is_better_metric_sorts_the_lowest_first(page: Page, tmp_path: Path) -> None:
    _open_comparison(
        page,
        tmp_path,
        "Models:\n"
        + "".join(
            f"- Name: asr{i}\n  Results: [{{Task: Speech Recognition, Dataset: LibriSpeech,"
            f" Metrics: {{Test WER: {wer}}}}}]\n"
            for i, wer in enumerate([7.5, 2.25, 12.0, 4.0])
        ),
    )
    wer = "th[data-label='Test WER']"
    expect(page.locator(wer)).to_have_attribute("aria-sort", "ascending")
    assert _visible_values(page, page.get_attribute(wer, "data-key")) == ["2.25", "4", "7.5", "12"]
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_csv_download_carries_no_formula_and_no_broken_row(page: Page, tmp_path: Path) -> None:
    _open_comparison(
        page,
        tmp_path,
        "Models:\n"
        '- Name: "cr\\rname=1+1"\n  In Collection: "\\t=2+2"\n'
        "  Results: [{Task: t, Dataset: d, Metrics: {a: 1}}]\n"
        '- Name: "=HYPERLINK(1)"\n  Results: [{Task: t, Dataset: d, Metrics: {a: 2}}]\n',
    )
    href = page.get_attribute("#modelindex-download-csv", "href")
    text = page.evaluate("url => fetch(url).then(r => r.text())", href)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 3 and all(len(row) == len(rows[0]) for row in rows)
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]
    assert "'=HYPERLINK(1)" in cells and "cr\rname=1+1" in cells
    assert page.problems == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("fragment", ["b=__proto__", "b=constructor", "p=1.5&s=toString", "b=b999"])
def test_a_garbled_address_opens_the_default_view(page: Page, base_url: str, fragment: str) -> None:
    page.goto(base_url + "comparison/#" + fragment, wait_until="networkidle")
    assert page.text_content("#modelindex-shown") == "36 of 43 models"
    assert page.text_content("#modelindex-page") == "page 1 of 1"
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_filters_narrow_the_rows(page: Page, base_url: str) -> None:
    page.goto(base_url + "comparison/", wait_until="networkidle")
    page.select_option("#modelindex-filter-benchmark", "")
    assert len(_visible_values(page, "name")) == 43
    page.fill("#modelindex-filter-name", "tresnet")
    expect(page.locator("#modelindex-shown")).to_have_text("6 of 43 models")  # once typing pauses
    names = _visible_values(page, "name")
    assert len(names) == 6 and all("tresnet" in name for name in names)
    page.fill("#modelindex-filter-name", "")
    expect(page.locator("#modelindex-shown")).to_have_text("43 of 43 models")
    page.select_option("#modelindex-filter-collection", "ResNet-D")
    assert len(_visible_values(page, "name")) == 7
    assert page.text_content("#modelindex-shown") == "7 of 43 models"
    assert page.problems == []  # type: ignore[attr-defined]


def test_a_shared_address_restores_the_view(page: Page, base_url: str) -> None:
    page.goto(base_url + "comparison/", wait_until="networkidle")
    page.fill("#modelindex-filter-name", "resnet")
    expect(page.locator("#modelindex-shown")).not_to_have_text("36 of 43 models")
    page.click("th[data-key='parameters']")  # counts: largest first
    page.click(".modelindex-columns summary")  # the column chooser
    page.uncheck("#modelindex-column-choice input[data-key='interpolation']")
    shared = page.url
    order = _visible_values(page, "name")
    assert "#" in shared and "q=resnet" in shared
    other = page.context.new_page()
    other.goto(shared, wait_until="networkidle")
    assert _visible_values(other, "name") == order
    assert other.input_value("#modelindex-filter-name") == "resnet"
    assert other.locator("th[data-key='interpolation']").count() == 0
    assert other.get_attribute("th[data-key='parameters']", "aria-sort") == "descending"
    other.close()
    assert page.problems == []  # type: ignore[attr-defined]


def test_every_column_is_reachable_at_1400_px(page: Page, base_url: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(base_url + "comparison/", wait_until="networkidle")
    table = page.locator(".modelindex-table")
    for key in page.eval_on_selector_all(
        "#modelindex-table th", "ths => ths.map(t => t.dataset.key)"
    ):
        header = page.locator(f"#modelindex-table th[data-key='{key}']")
        header.scroll_into_view_if_needed()
        box, frame = header.bounding_box(), table.bounding_box()
        assert box is not None and frame is not None
        assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
    # On a narrow screen, the model column stays in view while the table scrolls sideways.
    page.set_viewport_size({"width": 700, "height": 1000})
    table.evaluate("element => { element.scrollLeft = element.scrollWidth; }")
    assert table.evaluate("element => element.scrollLeft") > 0
    name = page.locator("#modelindex-table tbody tr td[data-key='name']").first.bounding_box()
    frame = table.bounding_box()
    assert name is not None and frame is not None and abs(name["x"] - frame["x"]) < 2
    assert page.problems == []  # type: ignore[attr-defined]


def _plotted(page: Page, plot: str) -> list[dict]:
    """The plotted points of a plotly plot: each with its row, trace, x and y."""
    return page.evaluate(
        """plot => (document.getElementById(`modelindex-plot-${plot}`).data || []).flatMap(
            trace => trace.customdata ? trace.customdata.map((row, i) =>
                ({row, trace: trace.name, x: trace.x[i], y: trace.y[i]})) : [])""",
        plot,
    )


def _frontier(page: Page, plot: str) -> list[list[float]]:
    return page.evaluate(
        """plot => document.getElementById(`modelindex-plot-${plot}`).data
            .filter(trace => trace.name === "Pareto frontier")
            .map(trace => trace.x.map((x, i) => [x, trace.y[i]]))""",
        plot,
    )


def _keys(page: Page) -> tuple[str, str, str]:
    """The commonest benchmark's key, its commonest metric's, and the second benchmark's."""
    benchmarks = json.loads(page.text_content("#modelindex-benchmarks") or "[]")
    second = benchmarks[1]["key"] if len(benchmarks) > 1 else ""
    return benchmarks[0]["key"], benchmarks[0]["metrics"][0]["key"], second


def test_the_plot_has_one_point_per_model_with_results(page: Page, base_url: str) -> None:
    page.goto(base_url + "comparison/", wait_until="networkidle")
    rows = json.loads(page.text_content("#modelindex-rows") or "[]")
    b0, m0, b1 = _keys(page)
    plotted = [
        index
        for index, row in enumerate(rows)
        if row["results"].get(b0, {}).get(m0) is not None and row["macs"]
    ]
    points = _plotted(page, "macs")
    assert sorted(p["row"] for p in points) == plotted and len(points) == 36  # ImageNet-1k only
    assert all(p["y"] == rows[p["row"]]["results"][b0][m0] for p in points)
    # Hovering a point names its model.
    page.locator("#modelindex-plot-macs").scroll_into_view_if_needed()
    # The lowest point: the best ones are at the top, under plotly's tool bar.
    boxes = [m.bounding_box() for m in page.locator("#modelindex-plot-macs path.point").all()]
    box = max((b for b in boxes if b), key=lambda b: b["y"])
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#modelindex-plot-macs .hoverlayer")).to_contain_text("Top 1 Accuracy")
    hovered = page.text_content("#modelindex-plot-macs .hoverlayer") or ""
    assert any(hovered.startswith(rows[p["row"]]["name"] + "Top 1") for p in points), hovered
    (frontier,) = _frontier(page, "macs")
    on_imagenet = {(p["x"], p["y"]) for p in points}
    assert frontier and all(tuple(point) in on_imagenet for point in frontier)
    # Another benchmark, another set of points: the frontier never mixes datasets.
    page.select_option("#modelindex-filter-benchmark", b1)
    cifar = [index for index, row in enumerate(rows) if b1 in row["results"] and row["macs"]]
    points = _plotted(page, "macs")
    assert sorted(p["row"] for p in points) == cifar and set(cifar).isdisjoint(plotted)
    (frontier,) = _frontier(page, "macs")
    assert all(tuple(point) in {(p["x"], p["y"]) for p in points} for point in frontier)
    assert page.problems == []  # type: ignore[attr-defined]


def _picked(page: Page) -> dict[str, list[str]]:
    """The side-by-side table, by row label: the picked models' names under "", then values."""
    rows = page.eval_on_selector_all(
        "#modelindex-picked tr",
        "rows => rows.map(row => Array.from(row.cells, cell => cell.textContent))",
    )
    return {row[0]: row[1:] for row in rows}


def test_picked_models_are_shown_side_by_side(page: Page, base_url: str) -> None:
    page.goto(base_url + "comparison/", wait_until="networkidle")
    page.check("tr[data-name='resnet50d'] input.modelindex-pick")
    page.check("tr[data-name='tresnet_m'] input.modelindex-pick")
    rows = {row["name"]: row for row in json.loads(page.text_content("#modelindex-rows") or "[]")}
    picked = _picked(page)
    assert picked[""] == ["resnet50d", "tresnet_m"]
    assert picked["Collection"] == ["ResNet-D", "TResNet"]
    assert picked["Parameters"] == ["25.6M", "31.4M"]  # formatted as the table shows them
    assert picked["Top 1 Accuracy"] == [
        str(rows[n]["results"][_keys(page)[0]][_keys(page)[1]]) for n in ("resnet50d", "tresnet_m")
    ]
    assert picked["Crop pct"] == [
        str(rows["resnet50d"]["crop_pct"]),
        str(rows["tresnet_m"]["crop_pct"]),
    ]
    page.click("#modelindex-clear-picks")
    assert page.locator("#modelindex-picked").is_hidden()
    assert page.locator("input.modelindex-pick:checked").count() == 0
    assert page.problems == []  # type: ignore[attr-defined]


def test_a_models_section_shows_its_crop_pct_and_interpolation(page: Page, base_url: str) -> None:
    page.goto(base_url + "models/resnet-d/", wait_until="networkidle")
    section = page.locator("section.modelindex-model", has=page.locator("#resnet50d"))
    assert section.locator(".modelindex-crop-pct").inner_text() == "0.875"
    assert section.locator(".modelindex-interpolation").inner_text() == "bicubic"
    assert section.locator(".modelindex-badge").inner_text() == "verified"
    assert page.problems == []  # type: ignore[attr-defined]


def test_search_finds_a_model_by_name(page: Page, base_url: str) -> None:
    page.goto(base_url, wait_until="networkidle")
    assert "tresnet_m_448" in _search(page, "tresnet_m_448")
    assert page.problems == []  # type: ignore[attr-defined]


def test_search_lands_on_the_models_section(page: Page, base_url: str) -> None:
    page.goto(base_url, wait_until="networkidle")
    _search(page, "resnet50d")
    # A result of its own (material lists a page's sections under it), titled by the name.
    result = page.locator('.md-search-result__item a[href*="#resnet50d"]').first
    assert "models/resnet-d/" in result.get_attribute("href")
    assert result.locator("h1, h2, h3").first.inner_text().strip() == "resnet50d"
    result.click()
    page.wait_for_url("**/models/resnet-d/**#resnet50d")
    assert page.locator("#resnet50d").is_visible()
    # The table of contents lists the model, and marks it as the section being read.
    assert page.locator('.md-sidebar--secondary a[href="#resnet50d"]').count() == 1
    assert page.problems == []  # type: ignore[attr-defined]


def _search(page: Page, query: str) -> str:
    """The search results for ``query``, typed into the header's search box."""
    search = page.locator("input.md-search__input")
    # The search index builds in a web worker; on a busy machine a query typed before it is
    # ready can go unanswered, so the query is typed again, at most three times.
    for attempt in range(3):
        search.click()
        search.fill("")
        search.press_sequentially(query, delay=20)
        try:
            page.wait_for_selector(".md-search-result__item", timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    return page.inner_text(".md-search-result")


def test_a_built_site_opened_from_disk_follows_links_and_searches(
    page: Page, disk_url: str
) -> None:
    page.goto(disk_url, wait_until="load")
    page.click("text=Compare every model")
    assert page.url.split("#")[0].endswith("/comparison.html")
    # The rows are drawn by the page's script once it has run: wait for them (the 5 models with
    # results on the zoo's benchmark).
    expect(page.locator("#modelindex-table tbody tr")).to_have_count(5)
    page.click("#modelindex-table tr[data-collection='Wide  Net'] a >> text=twin")
    assert page.url.endswith("/collections/wide-net.html#twin")
    # material keeps its search closed on a page opened at an anchor: search from the home page.
    page.goto(disk_url, wait_until="load")
    assert "cyrillic" in _search(page, "cyrillic")
    assert page.problems == []  # type: ignore[attr-defined]


def _comparison(page: Page, disk_url: str, first_benchmark: bool = False) -> None:
    page.goto(disk_url.replace("index.html", "comparison.html"), wait_until="load")
    page.select_option("#modelindex-filter-benchmark", _keys(page)[0] if first_benchmark else "")


def test_picking_a_model_shows_its_own_numbers_when_names_repeat(page: Page, disk_url: str) -> None:
    _comparison(page, disk_url)
    page.check("tr[data-collection='C++'] input.modelindex-pick")
    picked = _picked(page)
    assert picked[""] == ["twin"]
    assert picked["Collection"] == ["C++"] and picked["Top 1 Accuracy"] == ["80.5"]
    page.uncheck("tr[data-collection='C++'] input.modelindex-pick")
    page.check("tr[data-collection='C#']:nth-child(4) input.modelindex-pick")
    assert _picked(page)["Parameters"] == ["4M"]
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_plot_follows_the_filter_when_names_repeat(page: Page, disk_url: str) -> None:
    _comparison(page, disk_url, first_benchmark=True)
    page.select_option("#modelindex-filter-collection", "C++")
    row = page.get_attribute("tr[data-collection='C++']", "data-row")
    assert [str(point["row"]) for point in _plotted(page, "parameters")] == [row]
    assert page.problems == []  # type: ignore[attr-defined]


def test_a_negative_value_leaves_the_other_points_plotted(page: Page, disk_url: str) -> None:
    _comparison(page, disk_url, first_benchmark=True)
    negative = page.get_attribute("tr[data-name='negative']", "data-row")
    points = _plotted(page, "parameters")
    assert len(points) == 4 and negative not in [str(point["row"]) for point in points]
    assert all(point["x"] > 0 for point in points)
    assert page.problems == []  # type: ignore[attr-defined]


def test_the_collection_filter_matches_a_name_with_two_spaces(page: Page, disk_url: str) -> None:
    _comparison(page, disk_url)
    page.select_option("#modelindex-filter-collection", "Wide  Net")
    assert page.text_content("#modelindex-shown") == "1 of 8 models"
    assert page.problems == []  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    """A site built from cards and a metafile whose headings, names and folder names try to end
    the page's <title> or to add elements that run script."""
    zoo = tmp_path_factory.mktemp("hostile") / "zoo"
    (zoo / "<img src=x onerror=alert(1)>").mkdir(parents=True)
    (zoo / "evil.md").write_text(HOSTILE_CARD, encoding="utf-8")
    tricky = f"# {HOSTILE_HEADING}\n\n<!--\nType: model-index\nModels:\n- Name: tricky\n-->\n"
    (zoo / "<img src=x onerror=alert(1)>" / "tricky.md").write_text(tricky, encoding="utf-8")
    (zoo / "model-index.yml").write_text(
        f"Models:\n- Name: m\n  In Collection: {json.dumps(HOSTILE_COLLECTION)}\n",
        encoding="utf-8",
    )
    return build_site([zoo], zoo.parent / "site")


def test_no_page_of_a_hostile_zoo_runs_its_script(page: Page, hostile_site: Path) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    titles = {}
    for path in sorted(hostile_site.rglob("*.html")):
        page.goto(path.as_uri(), wait_until="load")
        assert page.evaluate("document.documentElement.dataset.xss") is None, path
        assert page.locator("img[src=x]").count() == 0, path
        titles[path.relative_to(hostile_site).as_posix()] = page.title()
    assert dialogs == []
    shown = set(titles.values())
    assert f"{HOSTILE_HEADING} - Model zoo" in shown
    assert f"{HOSTILE_COLLECTION} - Model zoo" in shown
    assert 'Evil <script>alert("prose")</script> family - Model zoo' in shown


def test_a_card_using_blocks_html_runs_no_script_and_keeps_the_pages_base(
    browser, tmp_path: Path
) -> None:
    """Plugin mode with pymdownx.blocks.html, which lets a card write any element: its script,
    SVG animation, <base>, refresh and style sheet must not reach the page."""
    site = build_blocks_html_site(tmp_path)
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    requests: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    url = (site / "card" / "index.html").as_uri()
    page.goto(url, wait_until="load")
    page.wait_for_timeout(1000)  # the SVG animation's begin, had it survived
    assert page.evaluate("document.documentElement.dataset.xss") is None
    assert page.evaluate("document.baseURI") == url
    assert page.evaluate("getComputedStyle(document.body).display") != "none"
    assert page.locator("article").get_by_text("kept").count() == 1
    refresh = (site / "refresh" / "index.html").as_uri()
    page.goto(refresh, wait_until="load")
    page.wait_for_timeout(500)
    assert page.url == refresh
    assert dialogs == []
    assert [request for request in requests if "evil.example" in request] == []
    context.close()


def test_a_collection_or_metric_named_in_html_is_text_in_the_plots(page: Page, tmp_path) -> None:
    collection = '<a href="https://evil.example/">CLICK</a>' + "x" * 80
    metric = "<b>bold</b> score"
    _open_comparison(
        page,
        tmp_path,
        "Models:\n"
        + "".join(
            f"- Name: m{n}\n  In Collection: '{collection}'\n  Metadata: {{Parameters: {n + 1}000}}\n"
            f"  Results: [{{Task: t, Dataset: d, Metrics: {{'{metric}': {n}}}}}]\n"
            for n in range(3)
        ),
    )
    plot = page.locator("#modelindex-plot-parameters")
    expect(plot.locator(".legendtext")).to_have_count(2)  # the collection, the frontier
    assert plot.locator("a, b").count() == 0  # no link, no bold: the markup is shown as text
    legend = plot.locator(".legendtext").first.text_content() or ""
    assert legend.startswith('<a href="https://evil.example/">') and len(legend) <= 40
    assert "<b>bold</b> score" in (plot.locator(".ytitle").text_content() or "")
    assert page.problems == []  # type: ignore[attr-defined]


def test_hiding_a_collection_or_the_frontier_in_the_legend_hides_it_in_both_plots(
    page: Page, base_url: str
) -> None:
    page.goto(base_url + "comparison/", wait_until="networkidle")
    legend = page.locator("#modelindex-plot-parameters .legend .traces")
    groups = page.evaluate(
        "() => document.getElementById('modelindex-plot-parameters').data.map(t => t.legendgroup)"
    )
    hidden_in = """() => ['macs', 'parameters'].map(plot => document.getElementById(
        `modelindex-plot-${plot}`).data.filter(t => t.visible === 'legendonly')
        .map(t => t.legendgroup).sort())"""
    for count, name in enumerate(("ResNet-D", "Pareto frontier"), start=1):
        legend.filter(has_text=name).first.locator(".legendtoggle").click(force=True)
        # plotly waits to tell a click from a double click.
        page.wait_for_function(f"({hidden_in})()[1].length === {count}")
        hidden = page.evaluate(hidden_in)
        assert hidden[0] == hidden[1]
    assert sorted(hidden[0]) == ["c:ResNet-D", "frontier"] and "frontier" in groups
    assert page.problems == []  # type: ignore[attr-defined]
