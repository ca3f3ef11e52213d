"""A Markdown extension that renders a model card's prose inert.

Card text comes from anyone who can open a pull request on a zoo. With this extension active,
raw HTML in the markdown is shown as text, and the page's HTML, once every extension has added
its own (the HTML that pymdownx.blocks.html or md_in_html stash included), keeps only an
allow-list of elements: those that markdown and the common extensions write (text, lists,
tables, admonitions, details, tabs, task lists, footnotes, abbreviations, definition lists,
highlighted code, images and captions). Any other element loses its tags and keeps its text;
a script or style sheet goes with its text. Inline SVG and MathML go too, icons of material's
emoji extension included. URLs that are not http(s), mailto, relative or a fragment
(``javascript:``, ``data:``, however entity-encoded) are removed; and attributes that run
script or restyle the page (``on*``, ``style``, ``srcdoc``, which attr_list can set) are
dropped. Attributes that material's JavaScript reads keep only what the extensions write:
an id or label target that starts with ``__`` (the theme's own ids: ``#__config`` holds the
theme's settings) is moved aside as ``card__...``, but for the tabs and code lines of the
extensions; classes come from the extensions' list (never ``mermaid``, which makes material
fetch a script); ``data-*`` goes, but for the tabs' and line numbers'; a ``title``, which
material's tooltips show as HTML, loses ``<``, ``>``, ``&`` and quotes; ``name`` stays only on
links and inputs (on an image it would replace a property of ``document``). Where
pymdownx.snippets is enabled, its include lines (``--8<-- "file"``, blocks, section markers)
are escaped as its own syntax allows, so that a card shows them instead of inlining the site's
files; the site's own ``auto_append`` still works.

Template syntax (``{%``, ``{{``, ``{#``) in a card reaches other mkdocs plugins broken in two by
a private-use character (``inert_directives``), so that none of them (mkdocs-include-markdown,
say) acts on it; this extension joins it again before markdown reads the text, so that the page
shows exactly what the card says, in code blocks too.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from pygments.token import STANDARD_TYPES

_SAFE_SCHEMES = {"", "http", "https", "mailto"}
# Attributes a browser reads as a URL.
_URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "poster", "data", "cite", "background", "longdesc", "ping",
     "codebase", "manifest", "usemap", "lowsrc", "dynsrc", "profile", "icon", "archive",
     "classid", "itemtype"}
)  # fmt: skip
# Markup no markdown syntax writes: a srcdoc is a whole document, a srcset a list of URLs, a
# formaction a form's target.
_DROPPED_ATTRIBUTES = frozenset({"srcdoc", "srcset", "formaction"})
# The one style markdown writes itself (table column alignment); any other can overlay the page.
_ALIGNMENT = re.compile(r"text-align:\s*(left|right|center);?")
# Names outside this shape (a namespaced xlink:href, "x/onclick") are dropped whatever they say.
_ATTRIBUTE_NAME = re.compile(r"[a-z_][a-z0-9_.-]*")
# What a browser's URL parser removes before it reads the scheme: C0 controls and spaces at
# the ends, tabs and newlines anywhere.
_STRIPPED_AT_ENDS = "".join(chr(code) for code in range(0x21))
_REMOVED_ANYWHERE = re.compile("[\t\n\r]")
# pymdownx.snippets registers itself under this name at priority 32, after its own whitespace
# normalisation at 35: the escaping runs between the two, on the lines snippets will read.
_SNIPPETS = "snippet"
_BEFORE_SNIPPETS = 33
# The elements that markdown and the common extensions write; "input" only as the radio
# buttons of content tabs and the check boxes of task lists.
_ALLOWED_ELEMENTS = frozenset(
    {"a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
     "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
     "h6", "hr", "i", "img", "input", "ins", "kbd", "label", "li", "mark", "ol", "p", "pre", "s",
     "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
     "thead", "tr", "u", "ul"}
)  # fmt: skip
_VOID_ELEMENTS = frozenset({"br", "col", "hr", "img", "input"})
_INPUT_TYPES = frozenset({"checkbox", "radio"})
# Elements whose text the HTML parser does not read as markup (a script, a style sheet): their
# text is code for another language, not prose, and goes with them.
_DROPPED_WITH_TEXT = frozenset(HTMLParser.CDATA_CONTENT_ELEMENTS)
# material finds its own parts by ids that start with "__" (its settings in #__config, the search
# and drawer toggles); the extensions write ids of that form for a card's tabs and code lines.
_THEME_IDS = "__"
_EXTENSION_IDS = re.compile(r"__(tabbed_\d+_\d+|codelineno-|span-)")
_MOVED_ASIDE = "card"
_ID_REFERENCES = frozenset({"id", "for"})
# The classes that markdown and the common extensions write: admonition and details types
# that material styles, pygments' token classes, and the fixed ones of toc, footnotes,
# highlight, tabbed, tasklist, arithmatex, critic, keys, caption, emoji and progressbar; and
# material's own that only style or annotate. Any other goes: "mermaid" on a <pre> makes
# material fetch mermaid's script from a CDN.
_ALLOWED_CLASSES = frozenset(
    {"abstract", "attention", "bug", "caution", "check", "cite", "danger", "done", "error",
     "example", "fail", "failure", "faq", "help", "hint", "important", "info", "missing", "note",
     "question", "quote", "success", "summary", "tip", "tldr", "todo", "warning", "inline", "end",
     "admonition", "admonition-title", "toc", "toclink", "headerlink", "footnote", "footnote-ref",
     "footnote-backref", "codehilite", "highlight", "highlighttable", "linenos", "linenodiv",
     "linenotable", "filename", "code", "hll", "normal", "special", "annotate", "task-list",
     "task-list-item", "task-list-control", "task-list-indicator", "arithmatex",
     "MathJax_Preview", "critic", "comment", "break", "keys", "caption-prefix", "twemoji",
     "emojione", "gemoji", "magiclink", "progress", "md-button", "md-button--primary"}
    | set(STANDARD_TYPES.values())
) - {""}  # fmt: skip
_ALLOWED_CLASS_PREFIXES = (
    "language-", "tabbed-", "key-", "magiclink-", "progress-", "fancylists-"
)  # fmt: skip
# data-* attributes steer material (data-md-component="source" fetches a repository's
# statistics, data-preview a page); these two are the tabs' and the line numbers'.
_DATA_ATTRIBUTES = {"data-tabs": re.compile(r"\d+:\d+"), "data-linenos": re.compile(r"[\d ]*")}
# material's tooltips write a title into the page as HTML.
_MARKUP_IN_TITLES = str.maketrans("", "", "<>&\"'")
# The elements that extensions name (pygments' line anchors, the tabs' radio buttons). On an
# image, a name would be a property of ``document``: <img name=querySelector> hides the method.
_NAMED_ELEMENTS = frozenset({"a", "input"})
# After raw_html (30), which puts back the HTML that extensions stashed, and the footnotes and
# critic postprocessors (25): the page's HTML is whole.
_AFTER_RAW_HTML = 10
# Breaks a template opening ("{%" becomes "{" U+E000 "%") in the text other plugins see; a
# U+E000 of the card's own is doubled, so that joining again gives back the card exactly.
_BREAK = "\ue000"
_TEMPLATE_OPENING = re.compile(r"\{(?=[%{#])")
_BROKEN = re.compile(f"{_BREAK}({_BREAK})?")
# Before every other preprocessor: the card's text as written, for all of them.
_FIRST = 1000


def is_safe_link(url: str) -> bool:
    """Whether ``url``, as an HTML attribute value, leads to http(s), mailto, a relative path or
    a fragment once the browser has decoded its character references."""
    decoded = _REMOVED_ANYWHERE.sub("", html.unescape(url).strip(_STRIPPED_AT_ENDS))
    # Characters that print as nothing (a zero-width space) go too: a link that reads as
    # javascript: is refused even where a browser would not run it.
    decoded = "".join(character for character in decoded if character.isprintable())
    try:
        return urlsplit(decoded).scheme.lower() in _SAFE_SCHEMES
    except ValueError:
        return False


def card_id(value: str) -> str:
    """``value`` as the id of an element of a card: never one of the theme's."""
    if value.startswith(_THEME_IDS) and not _EXTENSION_IDS.match(value):
        return _MOVED_ASIDE + value
    return value


def _kept_attribute(tag: str, name: str, value: str | None) -> tuple[str, str | None] | None:
    """The attribute ``name="value"`` of a card's ``tag`` as the page may have it, or None."""
    name = name.lower()
    if _is_dangerous_attribute(name, value):
        return None
    if name.startswith("data-"):
        shape = _DATA_ATTRIBUTES.get(name)
        return (name, value) if shape and shape.fullmatch(value or "") else None
    if name == "name" and tag not in _NAMED_ELEMENTS:
        return None
    if value is None:
        return name, value
    if name in _ID_REFERENCES:
        return name, card_id(value)
    if name == "href" and value.startswith("#"):
        return name, "#" + card_id(value[1:])
    if name == "class":
        classes = [token for token in value.split() if _is_allowed_class(token)]
        return (name, " ".join(classes)) if classes else None
    if name == "title":
        return name, value.translate(_MARKUP_IN_TITLES)
    return name, value


def _is_allowed_class(token: str) -> bool:
    return token in _ALLOWED_CLASSES or token.startswith(_ALLOWED_CLASS_PREFIXES)


def _is_dangerous_attribute(name: str, value: str | None) -> bool:
    value = value or ""
    if name == "style":
        return not _ALIGNMENT.fullmatch(value.strip())
    return (
        not _ATTRIBUTE_NAME.fullmatch(name)
        or name.startswith("on")
        or name in _DROPPED_ATTRIBUTES
        or (name in _URL_ATTRIBUTES and not is_safe_link(value))
    )


class _AllowedHtml(HTMLParser):
    """Writes again the HTML it is fed, keeping only allowed elements and safe attributes; text is
    escaped anew, so that what a browser parses is exactly what is kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._open: list[tuple[str, str]] = []  # (the element as fed, the element as written)
        self._dropping: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._dropping:
            return
        if tag in _DROPPED_WITH_TEXT:
            self._dropping = tag
            return
        kept = [item for name, value in attrs if (item := _kept_attribute(tag, name, value))]
        written = _written_element(tag, dict(attrs), dict(kept))
        if written is None:
            return
        self.parts.append(f"<{written}{''.join(map(_attribute, kept))}>")
        if written not in _VOID_ELEMENTS:
            self._open.append((tag, written))

    def handle_endtag(self, tag: str) -> None:
        if self._dropping:
            self._dropping = None if tag == self._dropping else self._dropping
            return
        if tag not in (fed for fed, _written in self._open):
            return
        while self._open:
            fed, written = self._open.pop()
            self.parts.append(f"</{written}>")
            if fed == tag:
                return

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(html.escape(data, quote=False))

    def close(self) -> None:
        super().close()
        self.parts += [f"</{written}>" for _fed, written in reversed(self._open)]
        self._open.clear()


def _written_element(
    tag: str, attributes: dict[str, str | None], kept: dict[str, str | None]
) -> str | None:
    """The element that ``tag`` is written as, or None where only its content is kept."""
    if tag not in _ALLOWED_ELEMENTS:
        return None
    if tag == "input" and (attributes.get("type") or "").lower() not in _INPUT_TYPES:
        return None
    if tag == "a" and "href" in attributes and "href" not in kept:
        return "span"  # a link whose URL is unsafe shows as its text
    if tag == "img" and "src" not in kept:
        return None
    return tag


def _attribute(item: tuple[str, str | None]) -> str:
    name, value = item
    return f" {name}" if value is None else f' {name}="{html.escape(value)}"'


def allowed_html(page: str) -> str:
    """``page`` with only the elements and attributes that a card may write."""
    writer = _AllowedHtml()
    writer.feed(page)
    writer.close()
    return "".join(writer.parts)


class _AllowedHtmlOnly(Postprocessor):
    def run(self, text: str) -> str:
        # The theme's table of contents links to the headings by the ids that toc recorded.
        _move_theme_ids(getattr(self.md, "toc_tokens", []))
        return allowed_html(text)


def _move_theme_ids(tokens: list[dict[str, Any]]) -> None:
    for token in tokens:
        token["id"] = card_id(token["id"])
        _move_theme_ids(token["children"])


def inert_directives(text: str) -> str:
    """``text`` with every template opening (``{%``, ``{{``, ``{#``) broken in two, so that no
    template engine or include plugin acts on it; ``restored_directives`` undoes it."""
    return _TEMPLATE_OPENING.sub(
        lambda match: match.group(0) + _BREAK, text.replace(_BREAK, _BREAK * 2)
    )


def restored_directives(text: str) -> str:
    """The text that ``inert_directives`` was given."""
    return _BROKEN.sub(lambda match: match.group(1) or "", text)


class _RestoredDirectives(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        return restored_directives("\n".join(lines)).split("\n")


class _InertSnippets(Preprocessor):
    """Adds one ';' where pymdownx.snippets would read an include or a section marker: it reads
    ';--8<--' as the escaped, literal '--8<--' and removes the ';' (and ';;' as ';--8<--')."""

    def run(self, lines: list[str]) -> list[str]:
        if _SNIPPETS not in self.md.preprocessors:
            return lines
        snippets = self.md.preprocessors[_SNIPPETS]
        return [_escaped_snippet(line, snippets) for line in lines]


def _escaped_snippet(line: str, snippets: Preprocessor) -> str:
    if "8<-" not in line:  # in every form of the syntax; the section pattern is slow on long lines
        return line
    # The extension's own patterns, so that the escaping matches the installed version.
    syntax = snippets.RE_ALL_SNIPPETS.match(line) or snippets.RE_SNIPPET_SECTION.match(line)  # type: ignore[attr-defined]
    if syntax is None:
        return line
    at = syntax.start("escape")
    return f"{line[:at]};{line[at:]}"


class SafeCardMarkdown(Extension):
    """Active only while a card page renders: the plugin switches it per page, because mkdocs
    builds one Markdown instance per page from the same extension list."""

    def __init__(self) -> None:
        super().__init__()
        self.active = False

    def extendMarkdown(self, md: Markdown) -> None:
        if not self.active:
            return
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.preprocessors.register(_RestoredDirectives(md), "modelindex_restored_directives", _FIRST)
        md.preprocessors.register(_InertSnippets(md), "modelindex_inert_snippets", _BEFORE_SNIPPETS)
        md.postprocessors.register(_AllowedHtmlOnly(md), "modelindex_allowed_html", _AFTER_RAW_HTML)
