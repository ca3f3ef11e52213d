"""The mkdocs plugin: ``plugins: [search, modelindex]`` in mkdocs.yml turns a zoo into a site.

At build time it reads the zoo, validates it, and reads the measurement cache, once
(``modelindex build`` has done that already and hands the zoo over with ``use_zoo``). Each card page
gets its code snippets (where it writes ``{% include 'code_snippets.md' %}``), a section per
model and a status badge; the plugin adds a comparison page, a findings page, a page per
collection that has no card, and the zoo's counts on the home page. A card's own prose renders
with raw HTML shown as text, unsafe links removed and attributes that run script dropped.

Card text is shown, never acted on. A card's front matter keeps only its text keys (title,
description, subtitle), escaped because the theme prints them unescaped; keys that steer the
theme (template, icon, hide, search, status, ...) are dropped, and mkdocs-macros is told not to
render the page (``render_macros: false``). Page titles are handed to mkdocs as escaped HTML.
Include syntax of pymdownx.snippets in a card is escaped so that it shows as written, and
template syntax (``{% include-markdown %}``, ``{{ }}``) is broken for every other plugin (see
``safe_markdown``). The card's text is rewritten so in ``on_files``, before any plugin's page
events, whatever their priority. Only the first ``{% include 'code_snippets.md' %}`` of a card
is expanded (the others show as written), and the plugin's own placeholders carry a token drawn
for each build, so that a page's size stays in proportion to its card.

A site that gives mkdocs-include-markdown-plugin other opening tags (its ``opening_tag``
option) is not covered: only the Jinja openings ``{%``, ``{{`` and ``{#`` are broken.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

import jinja2
import yaml
from markupsafe import Markup
from mkdocs.config import config_options as options
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink
from mkdocs.utils import get_relative_url
from mkdocs.utils.meta import get_data

from modelindex.checks import RULES, SettingsError
from modelindex.site.data import ModelView, SiteData, comparison_data, site_data
from modelindex.site.figures import (
    PLOTLY_FILE,
    PlotlyMissing,
    collection_styles,
    figures,
    plotly_js,
)
from modelindex.site.render import environment, json_for_script, markdown_text, template_error
from modelindex.site.safe_markdown import SafeCardMarkdown, inert_directives, restored_directives
from modelindex.site.zoo import Zoo, read_zoo

ASSETS = "assets/modelindex"
# Runs material's search worker in a frame where a file:// page may not start a web worker.
FRAME_WORKER = f"{ASSETS}/iframe-worker.js"
PLOTLY = f"{ASSETS}/{PLOTLY_FILE}"
TEMPLATES = ("code_snippets.md", "collection.html", "comparison.html", "findings.html", "home.html")
COMPARISON, FINDINGS = "comparison.md", "findings.md"
# Above this many pages of models, the navigation leaves them out (the home page links them).
NAV_LIMIT = 150
_INCLUDE = re.compile(r"\{%\s*include\s+['\"]code_snippets\.md['\"]\s*%\}")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# A first-level heading, ATX ("# Title") or setext ("Title" over "====").
_TITLE = re.compile(r"^(?:#[ \t]+\S|[^\n]*\S[^\n]*\n=+[ \t]*$)", re.MULTILINE)
# The front matter a card keeps: text that the theme shows.
_TEXT_KEYS = ("title", "description", "subtitle")


class ModelIndexConfig(Config):
    enabled = options.Type(bool, default=True)
    """Whether the plugin acts: ``enabled: false`` builds the docs as if it were not listed."""
    index = options.ListOfItems(options.Type(str), default=[])
    """The zoo's files or folders, relative to mkdocs.yml; the docs folder when empty."""
    # Paths are checked when the plugin is enabled, not when mkdocs reads them: a disabled
    # plugin must not fail the build for a folder that it would not read.
    templates = options.Optional(options.Type(str))
    """A folder whose templates override the bundled ones of the same name, relative to
    mkdocs.yml."""
    measurements = options.Optional(options.Type(str))
    """The measurement cache, relative to mkdocs.yml; else [tool.modelindex] measurements,
    else the bundled one."""


class ModelIndexPlugin(BasePlugin[ModelIndexConfig]):
    def __init__(self) -> None:
        super().__init__()
        self._given: Zoo | None = None
        self._card_pages: dict[str, str] = {}
        self._active = False

    def use_zoo(self, zoo: Zoo, card_pages: dict[str, str]) -> None:
        """Show ``zoo``, already read, instead of reading the ``index`` paths; a card in
        ``card_pages`` (by its resolved path) is shown on the docs page it maps to. For
        ``modelindex build``, which copies the cards into a docs folder of its own."""
        self._given, self._card_pages = zoo, dict(card_pages)

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self._active = self.config.enabled
        if not self._active:
            return config
        # A card cannot guess it, so it cannot make the plugin render a section of its choice.
        self._token = f"MODELINDEX{secrets.token_hex(8)}"
        self._placeholders = re.compile(rf"<p>{self._token}(\w+)</p>")
        self._safe = SafeCardMarkdown()
        config.markdown_extensions.append(self._safe)  # type: ignore[arg-type]
        config.extra_css.append(f"{ASSETS}/modelindex.css")
        base = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
        templates = _existing(base, "templates", self.config.templates, Path.is_dir)
        self._zoo = self._given or self._read_zoo(config, base)
        self._env = environment(templates)
        with _template_errors():
            for name in TEMPLATES:
                self._env.get_template(name)  # a syntax error stops the build before any page
        return config

    def _read_zoo(self, config: MkDocsConfig, base: Path) -> Zoo:
        paths = [base / path for path in self.config.index] or [Path(config.docs_dir)]
        missing = [str(path) for path in paths if not path.exists()]
        if missing:
            raise PluginError(f"modelindex: index path does not exist: {missing[0]}")
        given = _existing(base, "measurements", self.config.measurements, Path.is_file)
        try:
            return read_zoo(paths, given)
        except SettingsError as error:
            raise PluginError(f"modelindex: {error}") from None

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        if not self._active:
            return files
        by_path = {
            str(Path(file.abs_src_path).resolve()): file.src_uri
            for file in files.documentation_pages()
            if file.abs_src_path
        }
        by_path.update(self._card_pages)
        zoo = self._zoo
        # Many models share a file: each file is resolved once.
        sources = {model.source.path for model in zoo.index.models}
        page_of = {
            source: by_path[resolved]
            for source in sources
            if (resolved := str(Path(source).resolve())) in by_path
        }
        self.data: SiteData = site_data(
            zoo.index, zoo.report, zoo.measurements, page_of, roots=zoo.paths
        )
        self._comparison = comparison_data(self.data.models)
        for file in files.documentation_pages():
            if file.src_uri in self.data.pages:
                _make_inert(file)
        self._generated: dict[str, str] = {COMPARISON: "comparison", FINDINGS: "findings"}
        for page in self.data.pages:
            if files.get_file_from_path(page) is None:
                self._generated[page] = "collection"
        if files.get_file_from_path("index.md") is None:
            self._generated["index.md"] = "home"
        for uri in self._generated:
            if files.get_file_from_path(uri) is not None:
                raise PluginError(f"modelindex: docs/{uri} exists, and the plugin writes that page")
            files.append(File.generated(config, uri, content=""))
        for asset in ("modelindex.js", "modelindex.css", Path(FRAME_WORKER).name):
            source = self._env.loader.get_source(self._env, f"assets/{asset}")[0]  # type: ignore[union-attr]
            files.append(File.generated(config, f"{ASSETS}/{asset}", content=source))
        try:
            plotly = plotly_js()
        except PlotlyMissing as error:
            raise PluginError(f"modelindex: {error}") from None
        files.append(File.generated(config, PLOTLY, abs_src_path=str(plotly)))
        return files

    def on_nav(self, nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
        if self._active and config.nav is None:
            # mkdocs names the sections of a navigation it makes by the docs' folder names, and
            # the theme prints those as HTML.
            for section in _sections(nav.items):
                section.title = html.escape(section.title)
            if len(self.data.pages) > NAV_LIMIT:
                # The home page stays, whatever models it shows.
                return _without_model_pages(nav, set(self.data.pages) - {"index.md"})
        return nav

    @event_priority(50)
    def on_page_markdown(
        self, markdown: str, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        if not self._active:
            return markdown
        uri = page.file.src_uri
        kind = self._generated.get(uri)
        views = self.data.pages.get(uri)
        self._safe.active = views is not None
        if kind == "comparison":
            # The table needs the screen: no navigation or contents beside it.
            page.meta["hide"] = ["navigation", "toc"]
            return "# Compare models" + self._placeholder("comparison")
        if kind == "findings":
            return "# Findings" + self._placeholder("findings")
        if kind == "home":
            return f"# {config.site_name}" + self._placeholder("home")
        if views is not None:
            markdown = restored_directives(markdown)
            if kind == "collection":
                # A name is text, not markdown: "C#" would lose its "#" as a closing one.
                markdown = f"# {markdown_text(views[0].collection or 'Other models')}\n\n"
            markdown = _COMMENT.sub("", markdown)
            if not _TITLE.search(markdown) and not page.meta.get("title"):
                # A Hub card is often its front matter alone: titled "Index" (README.md) else.
                # A title, not a heading: a heading's id could be a model section's.
                names = {view.collection or view.name for view in views}
                title = names.pop() if len(names) == 1 else Path(page.file.src_uri).parent.name
                # Escaped as the theme prints it (see _title_html).
                page.meta["title"] = html.escape(title or "Models")
            snippets = self._template("code_snippets.md", models=views)
            # Once: each expansion is as long as the page's models, and a card may repeat it.
            markdown = _INCLUDE.sub(lambda _match: snippets, markdown, count=1)
            # The snippets name models in code, which no plugin after this one may act on.
            markdown = inert_directives(markdown) + self._placeholder("models")
        if page.is_homepage:
            markdown += self._placeholder("home")
        return markdown

    def on_page_content(self, html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
        if not self._active:
            return html
        views = self.data.pages.get(page.file.src_uri)
        if views is not None and page.title:
            page.meta["title"] = _title_html(page.title)
        if views is not None:
            _list_models_in_toc(page, views)
        return self._placeholders.sub(lambda match: self._render(match.group(1), page, files), html)

    def _placeholder(self, kind: str) -> str:
        return f"\n\n{self._token}{kind}\n\n"

    def _template(self, name: str, **context: object) -> str:
        with _template_errors():
            return self._env.get_template(name).render(**context)

    def _url(self, page: Page, files: Files, target: str, anchor: str = "") -> str:
        file = files.get_file_from_path(target)
        url = get_relative_url(file.url, page.url) if file else target
        return f"{url}#{anchor}" if anchor else url

    def _render(self, kind: str, page: Page, files: Files) -> str:
        data = self.data
        if kind == "models":
            views = data.pages.get(page.file.src_uri, [])
            return self._template("collection.html", models=views)
        if kind == "findings":
            # A finding links to its model's section, where the name is one model's.
            by_name: dict[str | None, list[ModelView]] = {}
            for view in data.models:
                by_name.setdefault(view.model.name, []).append(view)
            links = {
                name: self._url(page, files, views[0].page, views[0].anchor)
                for name, views in by_name.items()
                if len(views) == 1
            }
            return self._template(
                "findings.html", groups=data.findings_by_rule(), rules=RULES, links=links
            )
        if kind == "home":
            pages = _collection_links({(view.collection, view.page) for view in data.models})
            return self._template(
                "home.html",
                collections=len({view.collection for view in data.models if view.collection}),
                models=len(data.models),
                verified=data.verified,
                mismatched=sum(view.status.badge == "mismatch" for view in data.models),
                best=[
                    (benchmark, metric, data.models[position], value)
                    for benchmark, metric, position, value in self._comparison[1].best()
                ],
                model_url=lambda view: self._url(page, files, view.page, view.anchor),
                findings=len(data.report.findings),
                comparison_url=self._url(page, files, COMPARISON),
                findings_url=self._url(page, files, FINDINGS),
                collection_links=[(name, self._url(page, files, uri)) for name, uri in pages],
            )
        rows, found = self._comparison
        rows = [row | {"url": self._url(page, files, row["page"], row["anchor"])} for row in rows]
        benchmarks = found.as_data()
        collections = sorted({row["collection"] for row in rows})
        # Numbers on different benchmarks do not compare: the page opens on the commonest.
        return self._template(
            "comparison.html",
            rows_json=json_for_script(rows),
            benchmarks=benchmarks,
            benchmarks_json=json_for_script(benchmarks),
            figures_json=json_for_script(figures() | {"styles": collection_styles(collections)}),
            collections=[name for name in collections if name],
            script_url=self._url(page, files, f"{ASSETS}/modelindex.js"),
            plotly_url=self._url(page, files, PLOTLY),
        )


def _collection_links(pages: set[tuple[str | None, str]]) -> list[tuple[str, str]]:
    """(text, page) of each collection's page, by name. A name on several pages (the models
    of no collection in two cards, one collection across two READMEs) says which page."""
    names: dict[str, list[str]] = {}
    for name, page in pages:
        names.setdefault(name or "Other models", []).append(page)
    return sorted(
        (name if len(found) == 1 else f"{name} ({Path(page).with_suffix('').as_posix()})", page)
        for name, found in names.items()
        for page in found
    )


def _without_model_pages(nav: Navigation, model_pages: set[str]) -> Navigation:
    """The navigation without the zoo's pages, which the home page links to, each collection
    once. The theme writes the whole navigation into every page: with a page per collection
    in it, a zoo of 10,000 models would weigh and build with the square of its size."""

    def kept(items: list[Any]) -> list[Any]:
        found = []
        for item in items:
            if isinstance(item, Page) and item.file.src_uri in model_pages:
                item.parent = None
                continue
            if isinstance(item, Section):
                item.children = kept(item.children)
                if not item.children:
                    continue
            found.append(item)
        return found

    items = kept(nav.items)
    pages = [page for page in nav.pages if page.file.src_uri not in model_pages]
    for page in nav.pages:
        if page.file.src_uri in model_pages:
            page.previous_page = page.next_page = None
    for before, after in pairwise(pages):
        before.next_page, after.previous_page = after, before
    return Navigation(items, pages)


def _list_models_in_toc(page: Page, views: list[ModelView]) -> None:
    """Each model's section in the page's table of contents (under its title, after the card's
    own headings): the sections are HTML the plugin adds after markdown made the contents."""
    links = [AnchorLink(html.escape(view.name), view.anchor, 2) for view in views]
    items = page.toc.items
    if items and items[0].level == 1:
        items[0].children.extend(links)
    else:
        items.extend(links)


def _existing(
    base: Path, option: str, value: str | None, exists: Callable[[Path], bool]
) -> Path | None:
    """The path an option names, relative to mkdocs.yml; a PluginError where it is missing."""
    if value is None:
        return None
    path = base / value
    if not exists(path):
        kind = "folder" if exists is Path.is_dir else "file"
        raise PluginError(f"modelindex: option {option}: no such {kind}: {path}")
    return path


def _make_inert(file: File) -> None:
    """Give ``file``, a card, the text that other plugins may see (``_card_source``); it is still
    the card's file for them (its folder, its history)."""
    try:
        source = file.content_string
    except (OSError, ValueError):
        return  # mkdocs reports the file it cannot read
    path = file.abs_src_path
    file.content_string = _card_source(source)
    file.abs_src_path = path


def _card_source(source: str) -> str:
    """A card's text with its front matter reduced to escaped text keys (material prints them as
    HTML, unescaped; a key such as template or hide steers the theme), mkdocs-macros told not
    to render it, and its template syntax broken (``inert_directives``)."""
    body, meta = get_data(source)
    kept: dict[str, object] = {
        key: html.escape(str(value))
        for key in _TEXT_KEYS
        if isinstance(value := meta.get(key), str | int | float) and not isinstance(value, bool)
    }
    kept["render_macros"] = False
    front_matter = yaml.safe_dump(kept, allow_unicode=True, sort_keys=False)
    return f"---\n{front_matter}---\n\n{inert_directives(body)}"


def _title_html(title: str) -> str:
    """A page title as HTML that the theme may print anywhere, <title> included.

    mkdocs gives a title from the first heading as HTML text (tags stripped, "<" as "&lt;"),
    and material's <title> strips tags and decodes that again, so "</title><script>" in a
    heading would end the element. A title in the page's metadata goes in as it is: this one is
    the heading's plain text, escaped once.
    """
    return html.escape(Markup(title).striptags())


def _sections(items: list[object]) -> Iterator[Section]:
    for item in items:
        if isinstance(item, Section):
            yield item
            yield from _sections(item.children)


@contextmanager
def _template_errors() -> Iterator[None]:
    try:
        yield
    except jinja2.TemplateError as error:
        raise PluginError(f"modelindex: template {template_error(error)}") from None
