"""A card's text on the website, against what other parts of a real site do with it: markdown
extensions that write any element or stash raw HTML (pymdownx.blocks.html), plugins that act on
template syntax (mkdocs-include-markdown), front matter that steers the theme, repeated include
markers, and linked files that mkdocs would render or a browser would run."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

from hypothesis import given
from hypothesis import strategies as st
from mkdocs.commands.build import build
from mkdocs.config import load_config

from modelindex.cli import main
from modelindex.site.build import build_site
from tests.conftest import write_file

MODELS = """<!--
Type: model-index
Models:
- Name: net
  Metadata: {Parameters: 1000}
-->
"""

# A card that asks pymdownx.blocks.html for the elements a card must not have: a script, a
# <base> that moves every relative URL of the page, an SVG whose animation runs script, a style
# sheet, and raw HTML in a block; and one that asks for a refresh to another site.
BLOCKS_HTML_CARD = """# Card

/// html | script
    markdown: raw
document.documentElement.dataset.xss='script'
///

/// html | base[href="https://evil.example/"]
///

/// html | svg
    markdown: html
<animate onbegin="document.documentElement.dataset.xss='svg'" attributeName="x" dur="1s"/>
///

/// html | style
    markdown: html
body { display: none }
///

/// html | div
    markdown: html
<p>kept <b>bold</b><img src=x onerror="document.documentElement.dataset.xss='img'">
<iframe src="https://evil.example/"></iframe><link rel=stylesheet href="https://evil.example/">
<form action="https://evil.example/"><input type=text name=password></form></p>
///

/// html | template
<p>inside a template</p>
///

"""
REFRESH_CARD = """# Refresh

/// html | meta[http-equiv="refresh" content="0;url=https://evil.example/"]
///

"""
BLOCKS_HTML_EXTENSIONS = [
    "attr_list",
    "md_in_html",
    "toc",
    "pymdownx.blocks.html",
    "pymdownx.superfences",
]
FORBIDDEN_ELEMENTS = {"script", "style", "base", "meta", "link", "svg", "animate", "iframe",
                      "object", "embed", "form", "template", "math", "noscript", "frame"}  # fmt: skip


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _plugin_site(project: Path, extensions: list[object], extra: str = "") -> Path:
    """Build the mkdocs project in ``project`` (docs/ written by the caller) with the modelindex
    plugin; return the site folder."""
    write_file(
        project / "mkdocs.yml",
        "site_name: cards\ntheme: {name: material, font: false}\n"
        f"markdown_extensions: {json.dumps(extensions)}\n"
        f"plugins: [search, modelindex]\n{extra}",
    )
    site = project / "site"
    build(load_config(str(project / "mkdocs.yml"), site_dir=str(site)))
    return site


def build_blocks_html_site(project: Path) -> Path:
    """A site in plugin mode whose cards (card.md, refresh.md) use pymdownx.blocks.html against
    the page."""
    write_file(project / "docs" / "card.md", BLOCKS_HTML_CARD + MODELS)
    write_file(project / "docs" / "refresh.md", REFRESH_CARD + MODELS.replace("net", "other"))
    return _plugin_site(project, BLOCKS_HTML_EXTENSIONS)


def _article(page: str) -> str:
    article = page[page.index('<article class="md-content__inner') :]
    return article[: article.index("</article>")]


def _prose(page: str) -> str:
    """The card's own part of a page: its article up to the model sections."""
    return _article(page).split('<div class="modelindex-models">')[0]


class _Structure(HTMLParser):
    """Elements (with their attributes) and text, as a browser reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.items.append((tag, *sorted(f"{name}={value}" for name, value in attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)  # "<br />" is "<br>"

    def handle_endtag(self, tag: str) -> None:
        self.items.append((f"/{tag}",))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.items.append(("text", data.strip()))


def _structure(fragment: str) -> list[tuple[str, ...]]:
    parser = _Structure()
    parser.feed(fragment)
    parser.close()
    return parser.items


def _without_models(items: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """``items`` less the plugin's model sections (the card's footnotes come after them)."""
    start = items.index(("div", "class=modelindex-models"))
    depth = 0
    for end, item in enumerate(items[start:], start):
        depth += (item[0] == "div") - (item[0] == "/div")
        if depth == 0:
            return items[:start] + items[end + 1 :]
    raise AssertionError("the model sections do not end")


def _article_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", _prose(page)))


def test_blocks_html_gives_a_card_page_no_element_outside_the_allow_list(tmp_path: Path) -> None:
    site = build_blocks_html_site(tmp_path)
    page = _text(site / "card" / "index.html")
    elements = {item[0] for item in _structure(_prose(page))}
    assert not elements & FORBIDDEN_ELEMENTS
    assert "evil.example" not in page and "dataset.xss" not in page
    assert "kept" in _article_text(page) and ("b",) in _structure(_prose(page))
    assert '<img src="x">' in page  # the image, without its handler
    assert "evil.example" not in _text(site / "refresh" / "index.html")


BENIGN_BODY = """# Card

Text with a footnote[^1], an HTML abbreviation and ==marked==, ^^inserted^^, ~~deleted~~ text.

*[HTML]: Hyper Text Markup Language

[^1]: The note.

!!! note "An admonition"
    Its body.

??? tip "Details"
    Hidden until opened.

=== "One"
    First tab.

=== "Two"
    Second tab.

- [x] done
- [ ] to do

Term
:   Definition.

| left | right |
|:-----|------:|
| 1    | 2     |

```python title="example.py"
import torch  # {% not a directive %}
```

![architecture](arch.png){ width="300" }
/// caption
The architecture.
///
"""
BENIGN_EXTENSIONS = [
    "abbr",
    "admonition",
    "attr_list",
    "def_list",
    "footnotes",
    "md_in_html",
    "tables",
    "toc",
    "pymdownx.blocks.caption",
    "pymdownx.caret",
    "pymdownx.details",
    "pymdownx.highlight",
    "pymdownx.mark",
    "pymdownx.superfences",
    {"pymdownx.tabbed": {"alternate_style": True}},
    "pymdownx.tasklist",
    "pymdownx.tilde",
]


def test_a_card_keeps_the_markup_of_the_common_extensions_as_any_page_does(
    tmp_path: Path,
) -> None:
    write_file(tmp_path / "docs" / "card.md", BENIGN_BODY + "\n" + MODELS)
    write_file(tmp_path / "docs" / "about.md", BENIGN_BODY)
    write_file(tmp_path / "docs" / "arch.png", "png")
    site = _plugin_site(tmp_path, BENIGN_EXTENSIONS)
    card = _without_models(_structure(_article(_text(site / "card" / "index.html"))))
    about = _structure(_article(_text(site / "about" / "index.html")))
    assert card == about
    elements = {item[0] for item in card}
    assert {"abbr", "details", "input", "label", "dl", "table", "figcaption", "sup"} <= elements


def test_repeated_code_snippet_markers_expand_once(tmp_path: Path) -> None:
    models = "".join(
        f"- Name: net{number}\n  In Collection: Nets\n  Metadata: {{Parameters: 1000}}\n"
        for number in range(10)
    )
    marker = "{% include 'code_snippets.md' %}"
    sizes = {}
    for count in (1, 50):
        body = "\n\n".join([marker] * count)
        card = write_file(
            tmp_path / f"zoo{count}" / "nets.md",
            f"# Nets\n\n{body}\n\n<!--\nType: model-index\nModels:\n{models}-->\n",
        )
        page = _text(build_site([card.parent], tmp_path / f"site{count}") / "models" / "nets.html")
        sizes[count] = len(page)
        assert page.count('id="using-these-models"') == 1
        assert _article_text(page).count(marker) == count - 1  # the others show as written
    assert sizes[50] - sizes[1] < 49 * 200  # the markers' own text, not 49 more expansions


def test_a_card_cannot_make_the_plugin_render_its_sections_again(tmp_path: Path) -> None:
    forged = "\n\n".join(["MODELINDEXPLACEHOLDERmodels", "MODELINDEXPLACEHOLDERcomparison"] * 3)
    card = write_file(tmp_path / "zoo" / "net.md", f"# Net\n\n{forged}\n\n{MODELS}")
    page = _text(build_site([card.parent], tmp_path / "site") / "models" / "net.html")
    assert page.count('<h2 id="net">') == 1
    assert "modelindex-table" not in page  # the comparison table stays on its own page


@pytest.mark.parametrize(
    "front_matter",
    [
        "hide: 5",
        "search: 5",
        "icon: nosuch/icon",
        "template: nosuch.html",
        "template: 404.html",
        "status: nosuch",
        "hide: [navigation, toc]\nsearch: {exclude: true}",
    ],
)
def test_front_matter_that_steers_the_theme_is_dropped_from_a_card(
    tmp_path: Path, front_matter: str, capsys
) -> None:
    text = f"---\ntitle: Kept title\n{front_matter}\n---\n# Net\n\nThe prose.\n\n{MODELS}"
    card = write_file(tmp_path / "zoo" / "net.md", text)
    assert main(["build", str(card.parent), "-o", str(tmp_path / "site")]) == 0, (
        capsys.readouterr().err
    )
    page = _text(tmp_path / "site" / "models" / "net.html")
    assert "<title>Kept title - Model zoo</title>" in page
    assert "The prose." in _prose(page) and 'id="net"' in page
    assert 'class="md-sidebar md-sidebar--primary"' in page  # the navigation is not hidden
    index = json.loads(_text(tmp_path / "site" / "search" / "search_index.json"))
    assert any("The prose." in document["text"] for document in index["docs"])


def test_front_matter_text_keys_are_kept_only_as_text(tmp_path: Path) -> None:
    text = "---\ntitle: {a: 1}\ndescription: 2024\n---\n# Heading title\n\n" + MODELS
    card = write_file(tmp_path / "zoo" / "net.md", text)
    page = _text(build_site([card.parent], tmp_path / "site") / "models" / "net.html")
    assert "<title>Heading title - Model zoo</title>" in page
    assert '<meta name="description" content="2024">' in page


def test_a_card_publishes_only_passive_linked_files(tmp_path: Path) -> None:
    active = ["page.mdown", "page2.mkd", "page3.mkdn", "script.html", "script.htm", "vector.svg",
              "code.js", "code.mjs", "feed.xml", "sheet.css", "page4.xhtml"]  # fmt: skip
    passive = ["arch.png", "photo.JPG", "paper.pdf", "table.csv", "data.json"]
    body = " ".join(f"[{name}]({name})" for name in active + passive)
    zoo = write_file(tmp_path / "zoo" / "net.md", f"# Net\n\n{body}\n\n{MODELS}").parent
    for name in active:
        write_file(zoo / name, "<script>document.documentElement.dataset.xss=1</script>\n")
    for name in passive:
        write_file(zoo / name, "passive")
    site = build_site([zoo], tmp_path / "site")
    published = sorted(path.name for path in (site / "models").iterdir() if path.is_file())
    assert published == sorted([*passive, "net.html"])
    assert not [path for path in site.rglob("*") if path.is_file() and b"xss" in path.read_bytes()]


# A hook that acts as mkdocs-include-markdown-plugin does: its directives, an opening "{%",
# "include" or "include-markdown", a quoted file name and a closing "%}", are replaced by the
# named file (relative to the page's folder, or absolute) wherever they are in the markdown.
INCLUDE_HOOK = """import re
from pathlib import Path

from mkdocs.plugins import event_priority

DIRECTIVE = re.compile(
    r"(?P<indent>[ \\t\\w\\\\.]*?)\\{{%\\s*include(?:-markdown)?\\s+"
    r"(?:\\"(?P<double>[^\\"]+)\\"|'(?P<single>[^']+)')(?P<arguments>.*?)\\s*%\\}}",
    re.DOTALL,
)


@event_priority({priority})
def on_page_markdown(markdown, page, config, files):
    if page.file.abs_src_path is None:  # a page generated by a plugin
        return markdown
    folder = Path(page.file.abs_src_path).parent

    def include(match):
        name = match["double"] or match["single"]
        return match["indent"] + (folder / name).read_text(encoding="utf-8")

    return DIRECTIVE.sub(include, markdown)
"""


def _include_card(secret: Path) -> str:
    return (
        "# Card\n\n"
        '{% include-markdown "../secret.txt" %}\n\n'
        f'Inline {{% include "{secret}" %}} and {{{{ config.site_name }}}} {{# a comment #}}.\n\n'
        "```jinja\n{% include '../x.md' %}{{ value }}\n```\n\n"
        "`{% include-markdown '../secret.txt' %}` and a private-use \ue000 character.\n\n" + MODELS
    )


@pytest.fixture(scope="module")
def without_hook(tmp_path_factory) -> str:
    """The card's text as shown when no plugin acts on template syntax (its secret file's path
    written as SECRET)."""
    project = tmp_path_factory.mktemp("plain")
    secret = write_file(project / "secret.txt", "TOP-SECRET\n")
    write_file(project / "docs" / "card.md", _include_card(secret))
    page = _text(_plugin_site(project, []) / "card" / "index.html")
    return _article_text(page).replace(str(secret), "SECRET")


@pytest.mark.parametrize("priority", [100, 50, 0, -100])
def test_include_directives_in_a_card_include_nothing_and_show_as_written(
    tmp_path: Path, priority: int, without_hook: str
) -> None:
    secret = write_file(tmp_path / "secret.txt", "TOP-SECRET\n")
    write_file(tmp_path / "shared.md", "SHARED-TEXT\n")
    write_file(tmp_path / "docs" / "card.md", _include_card(secret))
    write_file(tmp_path / "x.md", "TOP-SECRET-X\n")
    write_file(tmp_path / "docs" / "about.md", '# About\n\n{% include-markdown "../shared.md" %}\n')
    write_file(tmp_path / "include_hook.py", INCLUDE_HOOK.format(priority=priority))
    site = _plugin_site(tmp_path, [], extra="hooks: [include_hook.py]\n")
    assert "SHARED-TEXT" in _text(site / "about" / "index.html")  # the hook works
    card = _text(site / "card" / "index.html")
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json"):
            assert "TOP-SECRET" not in _text(path), path
    text = _article_text(card)
    assert '{% include-markdown "../secret.txt" %}' in text
    assert f'{{% include "{secret}" %}}' in text
    assert "{{ config.site_name }} {# a comment #}" in text
    assert "{% include '../x.md' %}{{ value }}" in text
    assert text.count("\ue000") == 1  # the card's own, and no other
    assert text.replace(str(secret), "SECRET") == without_hook


@given(st.text(alphabet="{%#}\ue000ab \n", max_size=40))
def test_broken_template_syntax_joins_back_to_the_cards_text(text: str) -> None:
    from modelindex.site.safe_markdown import inert_directives, restored_directives

    inert = inert_directives(text)
    assert not re.search(r"\{[%{#]", inert)
    assert restored_directives(inert) == text
