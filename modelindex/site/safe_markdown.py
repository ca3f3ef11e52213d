"""A Markdown extension that renders a model card's prose inert.

Card text comes from anyone who can open a pull request on a zoo. With this extension active,
raw HTML in the markdown is shown as text; URLs that are not http(s), mailto, relative or a
fragment (``javascript:``, ``data:``, however entity-encoded) are removed; and attributes that
run script or restyle the page (``on*``, ``style``, ``srcdoc``, which attr_list can set) are
dropped. Where pymdownx.snippets is enabled, its include lines (``--8<-- "file"``, blocks, section
markers) are escaped as its own syntax allows, so that a card shows them instead of inlining the
site's files; the site's own ``auto_append`` still works.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree
from urllib.parse import urlsplit

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

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


def _is_dangerous_attribute(name: str, value: str) -> bool:
    name = name.lower()
    if name == "style":
        return not _ALIGNMENT.fullmatch(value.strip())
    return (
        not _ATTRIBUTE_NAME.fullmatch(name)
        or name.startswith("on")
        or name in _DROPPED_ATTRIBUTES
        or (name in _URL_ATTRIBUTES and not is_safe_link(value))
    )


class _UnsafeMarkup(Treeprocessor):
    def run(self, root: ElementTree.Element) -> None:
        for element in root.iter():
            had_link = element.tag in ("a", "img")
            for name, value in list(element.attrib.items()):
                if _is_dangerous_attribute(name, value):
                    del element.attrib[name]
            if had_link and element.get("href" if element.tag == "a" else "src") is None:
                # A link or image without its URL would trip later processors (mkdocs
                # expects every <a> to have an href): it becomes plain text instead.
                element.tag = "span"


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
        # Below every other treeprocessor, so that it sees the attributes attr_list has set.
        md.treeprocessors.register(_UnsafeMarkup(md), "modelindex_unsafe_markup", -100)
        md.preprocessors.register(_InertSnippets(md), "modelindex_inert_snippets", _BEFORE_SNIPPETS)
