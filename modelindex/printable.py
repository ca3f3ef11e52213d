"""Text from cards, file names and servers made safe for a terminal and a one-line message.

A card's name or a file's name may hold line breaks and escape sequences: printed raw, they
could fake a finding line or drive the terminal. Every character that is not printable is
shown as its Python escape instead (``\\n``, ``\\x1b``, ``\\u2028``).
"""

from __future__ import annotations


def printable(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
