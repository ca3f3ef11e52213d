"""Colour for a terminal: on where the output is one, off under NO_COLOR, on under FORCE_COLOR.

NO_COLOR (https://no-color.org) wins over FORCE_COLOR: it is the user's own opt-out. A value
of FORCE_COLOR that says no ('0', 'false') forces nothing.
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import TextIO


class Style(StrEnum):
    BOLD = "1"
    RED = "1;31"
    YELLOW = "33"
    CYAN = "36"
    DIM = "2"


def colour_wanted(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    forced = os.environ.get("FORCE_COLOR", "")
    if forced and forced.lower() not in {"0", "false", "no"}:
        return True
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


def paint(text: str, style: Style, on: bool = True) -> str:
    """``text`` in ``style`` where ``on``; the text must be printable already."""
    return f"\x1b[{style.value}m{text}\x1b[0m" if on else text
