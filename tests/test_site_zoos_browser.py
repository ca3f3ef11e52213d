"""The website of four kinds of zoo, in real Chromium: the timm cards (Top-1), an OpenMMLab zoo
(mmpose: AP, PCK, MPJPE), and Hugging Face Hub cards (WER and accuracy), as ``modelindex build``
makes them, served over HTTP on 127.0.0.1. The project's own docs/ site is tested in
test_site_browser.py. For each zoo: no console error and no request leaving the server, every
column reachable at 1400 px, a lower-is-better metric sorted best first, a shared address that
restores the view, search that lands on a model's section, and a plot with one point per model
and a frontier within one benchmark. Screenshots of each page kind go to test-artifacts/<zoo>/.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_site_browser import (
    ARTIFACTS,
    _frontier,
    _plotted,
    _search,
    _visible_values,
    browser,  # noqa: F401 (a fixture; skips where it does)
    recording_page,
    serving,
)

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Page, expect

from modelindex.site.build import build_site

FIXTURES = Path(__file__).parent / "fixtures"
HUB_CARDS = FIXTURES / "hf-cards-2022-headers"
ZOOS = ("timm", "mmpose", "hub")
# Hub cards per kind of metric: enough for benchmarks of several models each.
HUB_SAMPLE = 40


def _hub_sample(target: Path) -> Path:
    """Cards with a WER and cards with an accuracy, the first of each in name order."""
    chosen: list[Path] = []
    for metric in ("type: wer", "type: accuracy"):
        cards = sorted(HUB_CARDS.glob("*/*/README.md"))
        chosen += [card for card in cards if metric in card.read_text(encoding="utf-8")][
            :HUB_SAMPLE
        ]
    for card in chosen:
        copy = target / card.parent.relative_to(HUB_CARDS)
        copy.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(card, copy / "README.md")
    return target


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    """One server for the three sites, each in its own folder."""
    folder = tmp_path_factory.mktemp("zoos")
    inputs = {
        "timm": FIXTURES / "timm-docs",
        "mmpose": FIXTURES / "openmmlab" / "mmpose",
        "hub": _hub_sample(folder / "hub-cards"),
    }
    for name, zoo in inputs.items():
        build_site([zoo], folder / "sites" / name)
    with serving(folder / "sites") as url:
        yield url


@pytest.fixture
def page(browser, base_url: str) -> Iterator[Page]:  # noqa: F811
    with recording_page(browser, base_url) as opened:
        yield opened


def _data(page: Page) -> tuple[list[dict], list[dict]]:
    rows = json.loads(page.text_content("#modelindex-rows") or "[]")
    return rows, json.loads(page.text_content("#modelindex-benchmarks") or "[]")


def _lower_is_better(benchmarks: list[dict]) -> tuple[dict, dict]:
    """The commonest benchmark with a lower-is-better metric of three models or more."""
    for benchmark in benchmarks:
        for metric in benchmark["metrics"]:
            if metric["lower_is_better"] and metric["models"] >= 3:
                return benchmark, metric
    raise AssertionError("no lower-is-better metric with three models")


@pytest.mark.parametrize("zoo", ZOOS)
def test_each_page_kind_loads_offline_and_is_screenshot(page: Page, base_url: str, zoo: str):
    folder = ARTIFACTS / zoo
    folder.mkdir(parents=True, exist_ok=True)
    page.goto(f"{base_url}{zoo}/index.html", wait_until="networkidle")
    page.screenshot(path=str(folder / "home.png"), full_page=True)
    collection = page.locator(".modelindex-collections a").first.get_attribute("href")
    page.goto(f"{base_url}{zoo}/{collection}", wait_until="networkidle")
    page.screenshot(path=str(folder / "collection.png"))
    page.goto(f"{base_url}{zoo}/findings.html", wait_until="networkidle")
    page.screenshot(path=str(folder / "findings.png"))
    page.goto(f"{base_url}{zoo}/comparison.html", wait_until="networkidle")
    expect(page.locator("#modelindex-table tbody tr").first).to_be_visible()
    page.screenshot(path=str(folder / "comparison.png"))
    page.set_viewport_size({"width": 400, "height": 900})
    page.goto(f"{base_url}{zoo}/comparison.html", wait_until="networkidle")  # as a phone opens it
    page.screenshot(path=str(folder / "comparison-400.png"), full_page=True)
    assert page.problems == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("zoo", ZOOS)
def test_every_column_is_reachable_and_readable_at_1400_px(page: Page, base_url: str, zoo: str):
    page.goto(f"{base_url}{zoo}/comparison.html", wait_until="networkidle")
    table = page.locator(".modelindex-table")
    keys = page.eval_on_selector_all("#modelindex-table th", "ths => ths.map(t => t.dataset.key)")
    assert len(keys) >= 5  # columns no model fills start hidden
    for key in keys:
        header = page.locator(f"#modelindex-table th[data-key='{key}']")
        header.scroll_into_view_if_needed()
        box, frame = header.bounding_box(), table.bounding_box()
        assert box is not None and frame is not None
        assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
        # Readable: not clipped to nothing, and written at a size one can read.
        assert box["width"] > 20
        assert header.evaluate("th => parseFloat(getComputedStyle(th).fontSize)") >= 11
    assert page.problems == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("zoo", ["mmpose", "hub"])
def test_sorting_by_a_lower_is_better_metric_puts_the_best_first(page: Page, base_url, zoo):
    page.goto(f"{base_url}{zoo}/comparison.html", wait_until="networkidle")
    rows, benchmarks = _data(page)
    benchmark, metric = _lower_is_better(benchmarks)
    page.select_option("#modelindex-filter-benchmark", benchmark["key"])
    header = page.locator(f"#modelindex-table th[data-key='{metric['key']}']")
    if header.get_attribute("aria-sort") != "ascending":  # the plotted metric opens sorted
        header.click()  # a first click sorts best first: the lowest, for this metric
    expect(header).to_have_attribute("aria-sort", "ascending")
    shown = [float(value) for value in _visible_values(page, metric["key"]) if value]
    key, metric_key = benchmark["key"], metric["key"]
    measured = [row for row in rows if metric_key in row["results"].get(key, {})]
    # Values validate reports as errors come after the others.
    expected = [
        row["results"][key][metric_key]
        for row in sorted(
            measured,
            key=lambda row: (
                metric_key in row["flags"].get(key, {}),
                row["results"][key][metric_key],
            ),
        )
    ]
    assert shown == expected[: len(shown)]
    assert page.problems == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("zoo", ZOOS)
def test_a_shared_address_restores_the_view(page: Page, base_url: str, zoo: str) -> None:
    page.goto(f"{base_url}{zoo}/comparison.html", wait_until="networkidle")
    _, benchmarks = _data(page)
    second = benchmarks[min(1, len(benchmarks) - 1)]["key"]  # the timm zoo has one
    page.select_option("#modelindex-filter-benchmark", second)
    page.fill("#modelindex-filter-name", "e")
    expect(page.locator("#modelindex-shown")).to_contain_text(" of ")
    page.wait_for_function("location.hash.includes('q=e')")
    page.click("#modelindex-table th[data-key='name']")
    page.click(".modelindex-columns summary")
    page.uncheck("#modelindex-column-choice input[data-key='collection']")
    shared, order = page.url, _visible_values(page, "name")
    other = page.context.new_page()
    other.goto(shared, wait_until="networkidle")
    assert other.input_value("#modelindex-filter-benchmark") == second
    assert other.input_value("#modelindex-filter-name") == "e"
    assert _visible_values(other, "name") == order and order
    assert other.locator("#modelindex-table th[data-key='collection']").count() == 0
    assert other.get_attribute("#modelindex-table th[data-key='name']", "aria-sort") == "ascending"
    # The address names the benchmark by its name, not by its place in this zoo's list.
    if second != benchmarks[0]["key"]:
        assert f"b={second}" in shared and not second[1:].isdigit()
    other.close()
    assert page.problems == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("zoo", ZOOS)
def test_search_lands_on_a_models_section(page: Page, base_url: str, zoo: str) -> None:
    page.goto(f"{base_url}{zoo}/comparison.html", wait_until="networkidle")
    rows, _ = _data(page)
    # A name that is one model's and long enough to be found on its own.
    names = [row["name"] for row in rows]
    row = next(r for r in rows if names.count(r["name"]) == 1 and len(r["name"]) >= 8)
    page.goto(f"{base_url}{zoo}/index.html", wait_until="networkidle")
    _search(page, row["name"])
    result = page.locator(f'.md-search-result__item a[href*="#{row["anchor"]}"]').first
    if not result.is_visible():  # one of a page's several sections: under "more on this page"
        result.locator("xpath=ancestor::details[1]/summary").click()
    result.click()
    page.wait_for_url(f"**#{row['anchor']}")
    expect(page.locator(f"[id='{row['anchor']}']")).to_be_visible()
    assert page.problems == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("zoo", ZOOS)
def test_the_plot_has_a_point_per_model_and_one_benchmarks_frontier(page, base_url, zoo) -> None:
    page.goto(f"{base_url}{zoo}/comparison.html", wait_until="networkidle")
    rows, benchmarks = _data(page)
    plotted_any = False
    for benchmark in benchmarks[:3]:
        page.select_option("#modelindex-filter-benchmark", benchmark["key"])
        metric = page.input_value("#modelindex-metric")
        measured = [
            index
            for index, row in enumerate(rows)
            if metric in row["results"].get(benchmark["key"], {})
        ]
        costed = [index for index in measured if (rows[index]["parameters"] or 0) > 0]
        points = _plotted(page, "parameters")
        # Against parameters; where no model gives them, ranked by the metric.
        assert sorted(point["row"] for point in points) == (costed or measured)
        if not costed:
            assert sorted(point["x"] for point in points) == list(range(1, len(measured) + 1))
        on_this = {(p["x"], p["y"]) for p in points}
        for frontier in _frontier(page, "parameters"):
            assert all(tuple(point) in on_this for point in frontier)
        plotted_any |= bool(points)
    assert plotted_any
    assert page.problems == []  # type: ignore[attr-defined]


def test_values_validate_reports_are_marked_not_stretching_the_axes(page: Page, base_url: str):
    # Four timm cards give Top-1 as about 1 (N007): drawn at the axis' edge, marked in the
    # table, and sorted after every sound value.
    page.goto(f"{base_url}timm/comparison.html", wait_until="networkidle")
    rows, benchmarks = _data(page)
    b0, m0 = benchmarks[0]["key"], benchmarks[0]["metrics"][0]["key"]
    reported = [row["results"][b0][m0] for row in rows if m0 in row["flags"].get(b0, {})]
    assert len(reported) == 4 and max(reported) < 2
    low, high = page.evaluate(
        "() => document.getElementById('modelindex-plot-parameters').layout.yaxis.range"
    )
    assert low > 50 and high < 100  # the axis fits the sound values only
    marked = [p for p in _plotted(page, "parameters") if p["trace"].startswith("reported")]
    assert len(marked) == 4 and all(low <= p["y"] <= high for p in marked)
    page.click(f"#modelindex-table th[data-key='{m0}']")  # lowest first: the reported go last
    page.click("#modelindex-next")
    page.click("#modelindex-next")
    classes = page.eval_on_selector_all(
        f"#modelindex-table td[data-key='{m0}']", "cells => cells.map(c => c.className)"
    )
    assert ["modelindex-flagged" in name for name in classes][-5:] == [False] + [True] * 4
    cells = page.locator(f"#modelindex-table td.modelindex-flagged[data-key='{m0}']")
    expect(cells).to_have_count(4)
    assert all("N007" in (cells.nth(n).get_attribute("title") or "") for n in range(4))
    assert page.problems == []  # type: ignore[attr-defined]
