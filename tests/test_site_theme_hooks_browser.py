"""Cards against material's JavaScript in a real Chromium: tooltips that write a title as HTML,
a forged ``#__config``, an element marked as the repository's source, a mermaid diagram, and a
heading or model named after the theme's settings. Skipped as tests/test_site_browser.py is."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from modelindex.site.build import build_site
from tests.conftest import write_file
from tests.test_site_browser import browser  # noqa: F401 (a fixture; skips where it does)
from tests.test_site_theme_hooks import THEME_ID_CARD, build_hostile_plugin_site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# What the attacker's server answers for material's version list: a title that runs script.
VERSIONS = [
    {"version": "1", "title": "<img src=z onerror=document.title='PWNED-C'>", "aliases": []}
]


class _Attacker(http.server.BaseHTTPRequestHandler):
    """Answers every request with the version list, readable from any origin."""

    def do_GET(self) -> None:
        body = json.dumps(VERSIONS).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def attacker() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Attacker)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v/"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, attacker: str) -> Path:
    return build_hostile_plugin_site(tmp_path_factory.mktemp("hooks"), attacker)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811
    """A page that records every request it makes and every script error."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.requests = []  # type: ignore[attr-defined]
    opened.errors = []  # type: ignore[attr-defined]
    opened.on("request", lambda request: opened.requests.append(request.url))  # type: ignore[attr-defined]
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))  # type: ignore[attr-defined]
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def _open(page: Page, html_file: Path) -> None:
    page.goto(html_file.as_uri(), wait_until="load")
    page.wait_for_timeout(500)  # the theme's fetches and the handlers of what they bring


def _outside_the_site(page: Page) -> list[str]:
    return [url for url in page.requests if not url.startswith("file:")]  # type: ignore[attr-defined]


def _theme_ran(page: Page) -> bool:
    """Whether material's JavaScript has set up the page's content: it wraps every table
    without a class, the model sections' included, for scrolling."""
    return page.locator(".md-typeset__table").count() > 0


@pytest.mark.parametrize(
    ("selector", "shown"),
    [
        ('a[href="https://example.com"]', "img src=x onerror=document.title=PWNED-A"),
        ("abbr", "img src=y onerror=document.title=PWNED-B"),
    ],
)
def test_hovering_a_cards_link_or_abbreviation_shows_its_title_as_text(
    page: Page, hostile_site: Path, selector: str, shown: str
) -> None:
    _open(page, hostile_site / "tooltips" / "index.html")
    page.locator("article").locator(selector).first.hover()
    tooltip = page.locator(".md-tooltip2__inner").last
    tooltip.wait_for(state="attached")
    page.wait_for_timeout(300)  # an image's error handler, had the title made one
    assert page.title().startswith("Tooltips")
    assert tooltip.text_content() == shown
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("card", ["config-attr", "config-blocks"])
def test_a_forged_config_in_a_card_is_not_the_themes(
    page: Page, hostile_site: Path, card: str
) -> None:
    _open(page, hostile_site / card / "index.html")
    assert _outside_the_site(page) == []
    assert "PWNED" not in page.title()
    assert _theme_ran(page)


def test_a_card_cannot_make_the_theme_fetch_a_repositorys_statistics(
    page: Page, hostile_site: Path
) -> None:
    _open(page, hostile_site / "source" / "index.html")
    assert _outside_the_site(page) == []  # api.github.com, had the theme taken it
    assert _theme_ran(page)


def test_a_card_cannot_make_the_theme_load_mermaid(page: Page, hostile_site: Path) -> None:
    _open(page, hostile_site / "mermaid" / "index.html")
    assert _outside_the_site(page) == []  # mermaid's script, had the theme seen a diagram
    assert page.locator("article").get_by_text("graph TD; A-->B").count() == 1


def test_a_heading_or_model_named_after_the_themes_settings_leaves_the_theme_working(
    page: Page, tmp_path: Path
) -> None:
    card = write_file(tmp_path / "zoo" / "theme.md", THEME_ID_CARD)
    site = build_site([card.parent], tmp_path / "site")
    _open(page, site / "models" / "theme.html")
    assert page.errors == []  # type: ignore[attr-defined]
    assert _theme_ran(page)
    page.locator(".md-sidebar--secondary").get_by_text('"__config"').click()
    assert page.url.endswith("#card__config")
