"""A card's attributes against the hooks of material's JavaScript: titles that its tooltips
write as HTML, ids it looks up (``#__config`` holds its settings), data-md-* attributes that
make it fetch, and classes (``mermaid``) that make it load a script. A card keeps what the
markdown extensions write; the browser's view of the same pages is in
test_site_theme_hooks_browser.py."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

from mkdocs.commands.build import build
from mkdocs.config import load_config

from modelindex.site.build import build_site
from modelindex.site.safe_markdown import allowed_html
from tests.conftest import write_file
from tests.test_site import _rows
from tests.test_site_cards_inert import MODELS, _article, _structure, _without_models

HOSTILE_LINK_TITLE = "<img src=x onerror=document.title='PWNED-A'>"
TOOLTIP_CARD = f"""# Tooltips

[hover me](https://example.com "{HOSTILE_LINK_TITLE}") and an ABBR here.

*[ABBR]: <img src=y onerror="document.title='PWNED-B'">

{MODELS}"""


def forged_config_cards(attacker: str) -> dict[str, str]:
    """Cards that give an element the id of material's settings, by attr_list and by
    pymdownx.blocks.html: material reads the first #__config of the page, and these send it to
    ``attacker`` (a URL ending in /v/) for its search worker and its list of versions."""
    config = json.dumps(
        {
            "base": attacker,
            "features": [],
            "translations": {},
            "search": "x.js",
            "version": {"provider": "mike"},
        }
    )
    return {
        "config-attr.md": f"# Config by attr_list\n\n`{config}`\n{{: #__config }}\n\n{MODELS}",
        "config-blocks.md": f"# Config by blocks\n\n/// html | div#__config\n`{config}`\n///\n\n{MODELS}",
    }


SOURCE_CARD = f"""# Source

[**x**](https://github.com/evil/tracker){{: data-md-component="source" }}

{MODELS}"""
MERMAID_CARD = f"""# Mermaid

/// html | pre.mermaid
graph TD; A-->B
///

{MODELS}"""
# With no extension at all: a heading whose id, and a model whose anchor, is the theme's.
THEME_ID_CARD = """# Theme ids

## "__config"

Prose under the heading.

<!--
Type: model-index
Models:
- Name: __config
  Metadata: {Parameters: 1000}
-->
"""
HOSTILE_EXTENSIONS = ["abbr", "attr_list", "toc", "pymdownx.blocks.html"]


def plugin_site(project: Path, cards: dict[str, str], extensions: list[object]) -> Path:
    """A site in plugin mode with material's tooltips on, from ``cards`` (docs page: text)."""
    for name, text in cards.items():
        write_file(project / "docs" / name, text)
    write_file(
        project / "mkdocs.yml",
        "site_name: hooks\n"
        "theme: {name: material, font: false, features: [content.tooltips]}\n"
        f"markdown_extensions: {json.dumps(extensions)}\n"
        "plugins: [search, modelindex]\n",
    )
    site = project / "site"
    build(load_config(str(project / "mkdocs.yml"), site_dir=str(site)))
    return site


def build_hostile_plugin_site(project: Path, attacker: str = "http://127.0.0.1:9/v/") -> Path:
    """The cards above, each on its page (tooltips, config-attr, config-blocks, source,
    mermaid), in plugin mode; ``attacker`` is where the forged settings point."""
    cards = {
        "tooltips.md": TOOLTIP_CARD,
        **forged_config_cards(attacker),
        "source.md": SOURCE_CARD,
        "mermaid.md": MERMAID_CARD,
    }
    return plugin_site(project, cards, HOSTILE_EXTENSIONS)


class _Attributes(HTMLParser):
    """Every attribute of every element, as (element, name, value)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.items += [(tag, name, value) for name, value in attrs]


def _attributes(fragment: str) -> list[tuple[str, str, str | None]]:
    parser = _Attributes()
    parser.feed(fragment)
    parser.close()
    return parser.items


def _values(fragment: str, name: str) -> list[str | None]:
    return [value for _tag, attribute, value in _attributes(fragment) if attribute == name]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    return build_hostile_plugin_site(tmp_path_factory.mktemp("hooks"))


def _page(site: Path, name: str) -> str:
    return (site / name / "index.html").read_text(encoding="utf-8")


def test_a_cards_link_and_abbreviation_titles_carry_no_markup(hostile_site: Path) -> None:
    titles = _values(_article(_page(hostile_site, "tooltips")), "title")
    assert "img src=x onerror=document.title=PWNED-A" in titles
    assert "img src=y onerror=document.title=PWNED-B" in titles
    assert not [title for title in titles if title and set(title) & set("<>&\"'")]


@pytest.mark.parametrize("page", ["config-attr", "config-blocks"])
def test_a_card_cannot_give_an_element_the_themes_config_id(hostile_site: Path, page: str) -> None:
    text = _page(hostile_site, page)
    configs = re.findall(r'<script id="__config" type="application/json">', text)
    assert _values(text, "id").count("__config") == len(configs) == 1
    assert "card__config" in _values(_article(text), "id")


def test_a_card_cannot_mark_an_element_as_a_component_of_the_theme(hostile_site: Path) -> None:
    article = _article(_page(hostile_site, "source"))
    assert not [name for _tag, name, _value in _attributes(article) if name.startswith("data-")]
    assert 'href="https://github.com/evil/tracker"' in article


def test_a_card_cannot_ask_for_a_mermaid_diagram(hostile_site: Path) -> None:
    article = _article(_page(hostile_site, "mermaid"))
    assert "graph TD; A--&gt;B" in article  # shown as text
    assert not [value for value in _values(article, "class") if value and "mermaid" in value]


def test_a_heading_and_a_model_named_after_a_theme_id_get_other_ids(tmp_path: Path) -> None:
    card = write_file(tmp_path / "zoo" / "theme.md", THEME_ID_CARD)
    page = (build_site([card.parent], tmp_path / "site") / "models" / "theme.html").read_text()
    ids = _values(page, "id")
    assert ids.count("__config") == 1  # the theme's own settings
    assert '<h2 id="card__config">' in page
    assert '<h2 id="card__config">' in page
    # The table of contents and the comparison page link to the ids the page has.
    fragments = {value[1:] for value in _values(page, "href") if value and value.startswith("#")}
    assert "__config" not in fragments and fragments <= set(ids)
    comparison = (tmp_path / "site" / "comparison.html").read_text()
    anchors = [row["url"] for row in _rows(comparison) if "theme.html#" in row["url"]]
    assert anchors and all(href.split("#")[1] in ids for href in anchors)


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ('<p id="__config">x</p>', '<p id="card__config">x</p>'),
        ('<a href="#__search">x</a>', '<a href="#card__search">x</a>'),
        ('<label for="__drawer">x</label>', '<label for="card__drawer">x</label>'),
        ('<p id="_single">x</p>', '<p id="_single">x</p>'),
        ('<p class="mermaid note md-sidebar">x</p>', '<p class="note">x</p>'),
        ('<pre class="mermaid">x</pre>', "<pre>x</pre>"),
        ('<p data-md-component="source" data-preview data-x="1">x</p>', "<p>x</p>"),
        ('<img src="a.png" name="querySelector">', '<img src="a.png">'),
        ("<abbr title=\"&lt;b&gt; &amp; 'q' &quot;\">x</abbr>", '<abbr title="b  q ">x</abbr>'),
    ],
)
def test_attributes_that_steer_the_theme_are_dropped_or_moved_aside(
    fragment: str, expected: str
) -> None:
    assert allowed_html(fragment) == expected


@pytest.mark.parametrize(
    "fragment",
    [
        '<input type="radio" name="__tabbed_1" id="__tabbed_1_1"><label for="__tabbed_1_1">A</label>',
        '<div class="tabbed-set tabbed-alternate" data-tabs="1:2">x</div>',
        '<a id="__codelineno-0-1" name="__codelineno-0-1" href="#__codelineno-0-1"></a>',
        '<span id="__span-0-1"><span class="kn">import</span> <span class="nn">os</span></span>',
        '<span class="linenos" data-linenos="1 "></span>',
        '<div class="admonition warning inline end"><p class="admonition-title">W</p></div>',
        '<code class="language-python highlight">x</code>',
        '<kbd class="keys"><kbd class="key-control">Ctrl</kbd></kbd>',
        '<li class="task-list-item"><label class="task-list-control">x</label></li>',
        '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>',
        '<a class="headerlink" href="#x" title="Permanent link">x</a>',
    ],
)
def test_the_attributes_the_extensions_write_are_kept(fragment: str) -> None:
    assert allowed_html(fragment) == fragment


KITCHEN_SINK = """# Kitchen sink

Text with a footnote[^1], an ABBR, ==mark==, ^^ins^^, ~~del~~, H~2~O, ++ctrl+alt+del++,
{++added++} {--gone--} {==high==}{>>comment<<}, `#!python print(1)`, $E=mc^2$.

*[ABBR]: An abbreviation

[^1]: The note.

## `__init__` and friends

!!! warning inline end "Careful"
    Body.

??? tip "Details"
    Hidden.

=== "Tab A"
    a

=== "Tab B"
    b

- [x] done
- [ ] to do

Term
:   Definition.

| a | b |
|:--|--:|
| 1 | 2 |

```python title="x.py" linenums="1" hl_lines="2"
import os
print(os)
```

See [the heading](#__init__-and-friends).

[TOC]
"""
KITCHEN_EXTENSIONS: list[object] = [
    "abbr",
    "admonition",
    "attr_list",
    "def_list",
    "footnotes",
    "tables",
    {"toc": {"permalink": True}},
    {"pymdownx.arithmatex": {"generic": True}},
    "pymdownx.caret",
    "pymdownx.critic",
    "pymdownx.details",
    {"pymdownx.highlight": {"anchor_linenums": True, "line_spans": "__span"}},
    "pymdownx.inlinehilite",
    "pymdownx.keys",
    "pymdownx.mark",
    "pymdownx.superfences",
    {"pymdownx.tabbed": {"alternate_style": True}},
    {"pymdownx.tasklist": {"custom_checkbox": True}},
    "pymdownx.tilde",
]


def _moved_aside(items: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """``items`` with the ids and fragments that a card page moves aside written back."""
    return [tuple(part.replace("card__", "__") for part in item) for item in items]


def test_a_card_keeps_what_the_extensions_write_but_the_theme_ids(tmp_path: Path) -> None:
    """The same text as a card and as a page of the site's own: the same markup, the card's
    ids that the theme could take for its own moved aside, links and contents following."""
    site = plugin_site(
        tmp_path, {"card.md": KITCHEN_SINK + MODELS, "about.md": KITCHEN_SINK}, KITCHEN_EXTENSIONS
    )
    card_page, about_page = _page(site, "card"), _page(site, "about")
    card = _without_models(_structure(_article(card_page)))
    about = _structure(_article(about_page))
    assert card != about
    assert _moved_aside(card) == about
    for tag, name, value in _attributes(_article(card_page)):
        assert not (name in {"id", "for"} and value == "__init__-and-friends"), (tag, name)
    # The theme's table of contents links to the heading as the card page has it.
    toc_links = re.findall(r'<a href="(#[^"]*)" class="md-nav__link">', card_page)
    assert "#card__init__-and-friends" in toc_links
