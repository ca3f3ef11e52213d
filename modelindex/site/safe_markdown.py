"""A Markdown extension that renders a model card's prose inert.

Card text comes from anyone who can open a pull request on a zoo. With this extension active,
raw HTML in the markdown is shown as text, and links or images whose URL is not http(s), mailto
or relative (``javascript:``, ``data:``) lose the URL.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from urllib.parse import urlsplit

from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor

_SAFE_SCHEMES = {"", "http", "https", "mailto"}


def is_safe_link(url: str) -> bool:
    # Browsers drop control characters and spaces inside a scheme ("java\tscript:").
    cleaned = "".join(character for character in url if character.isprintable()).strip()
    cleaned = cleaned.replace(" ", "")
    try:
        return urlsplit(cleaned).scheme.lower() in _SAFE_SCHEMES
    except ValueError:
        return False


class _UnsafeLinks(Treeprocessor):
    def run(self, root: ElementTree.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None and not is_safe_link(value):
                    # A link or image without its URL would trip later processors (mkdocs
                    # expects every <a> to have an href): it becomes plain text instead.
                    del element.attrib[attribute]
                    element.tag = "span"


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
        md.treeprocessors.register(_UnsafeLinks(md), "modelindex_unsafe_links", 0)
