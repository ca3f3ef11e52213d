"""Code anchors: where a GitHub blob URL's line anchor points, and whether it defines the model.

``https://github.com/o/r/blob/<commit>/f.py#L456`` is read from the raw host as
``<raw base>/o/r/<commit>/f.py``; the raw base is configurable so that tests (or a mirror) can
stand in for raw.githubusercontent.com. The anchored lines and ``WINDOW`` lines on each side
must hold the model's definition. An anchor's range is bounded (``MAX_ANCHOR_SPAN``), and a
longer one is reported, not read. Of its lines only those a verdict needs are kept (see
:class:`AnchorWindow`): a few per anchor, however long its range and however many anchors.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

from modelindex.links import GITHUB_CODE, LINE_ANCHOR
from modelindex.online.results import MAX_LINE, UrlResult

DEFAULT_RAW_BASE = "https://raw.githubusercontent.com"
WINDOW = 3
# A definition, with its decorators and docstring, fits in far fewer lines; a longer range is
# no pointer at one.
MAX_ANCHOR_SPAN = 1000
_DEFINITION = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+(?P<name>\w+)")


@dataclass(frozen=True)
class CodeAnchor:
    code_url: str
    raw_url: str
    first: int
    last: int
    names: tuple[str, ...] = ()
    """The models whose definition the lines must hold (those declaring the URL)."""


def code_anchor(code_url: str, raw_base: str = DEFAULT_RAW_BASE) -> CodeAnchor | None:
    """The raw file and lines a GitHub blob URL with a line anchor points at, else None (also
    for an anchor that :func:`anchor_fault` reports)."""
    parsed = _line_anchor(code_url)
    if parsed is None or anchor_fault(code_url) is not None:
        return None
    match, numbers = parsed
    first, last = int(numbers[0]), int(numbers[-1])
    if first < 1:
        return None  # no line 0: nothing to read
    raw_url = f"{raw_base.rstrip('/')}/{match.group('repo')}/{match.group('ref')}/"
    return CodeAnchor(code_url, raw_url + match.group("file"), first, max(first, last))


def anchor_fault(code_url: str) -> str | None:
    """Why a GitHub line anchor is reported rather than read: a line no source file reaches,
    or a range too long to be one definition (reading it would keep every line of it)."""
    parsed = _line_anchor(code_url)
    if parsed is None:
        return None
    # Compared as text first: an anchor may carry thousands of digits.
    numbers = [number.lstrip("0") or "0" for number in parsed[1]]
    if any(len(number) > len(str(MAX_LINE)) or int(number) > MAX_LINE for number in numbers):
        return f"names a line past {MAX_LINE}, beyond any source file"
    span = int(numbers[-1]) - int(numbers[0]) + 1
    if span > MAX_ANCHOR_SPAN:
        return f"spans {span} lines, more than the {MAX_ANCHOR_SPAN} an anchor is read for"
    return None


def _line_anchor(code_url: str) -> tuple[re.Match[str], list[str]] | None:
    """The URL's parts and the digits of its line anchor ('L12-L40': ['12', '40'])."""
    match = GITHUB_CODE.match(code_url)
    if not match or "/blob/" not in code_url:
        return None
    anchor = match.group("anchor") or ""
    if not LINE_ANCHOR.match(anchor):
        return None
    return match, re.findall(r"\d+", anchor)


def _names(model_name: str) -> list[str]:
    """The names a definition may carry: 'tresnet_m.miil_in1k' is defined as 'tresnet_m'."""
    base = model_name.split(".", 1)[0]
    return [model_name] if base == model_name else [model_name, base]


@functools.lru_cache(maxsize=4096)
def _definition_of(model_name: str) -> re.Pattern[str]:
    """``def NAME(``, ``class NAME`` or a registry entry 'NAME', for any name it may carry."""
    names = "|".join(re.escape(name) for name in _names(model_name))
    return re.compile(rf"\b(?:def|class)\s+(?:{names})\s*[(:]|['\"](?:{names})(?:\.[\w.-]+)?['\"]")


def defines(lines: dict[int, str], model_name: str) -> bool:
    """Whether the lines hold ``def NAME(``/``class NAME`` or a registry entry 'NAME'."""
    pattern = _definition_of(model_name)
    return any(pattern.search(text) for text in lines.values())


class _Sought(NamedTuple):
    """A model's definition to find: its pattern, and the base name every match holds."""

    base: str
    pattern: re.Pattern[str]

    def on(self, text: str) -> bool:
        # The plain substring first: many times faster than the pattern, and rarely there.
        return self.base in text and self.pattern.search(text) is not None


class AnchorWindow:
    """The lines of one anchor's window that its verdict needs, gathered as the file goes by:
    the anchored line, the nearest definition on each side of it (to say what the anchor
    points at instead), and the first line defining each of its models. Never more than
    three lines and one per model, whatever the window's length."""

    def __init__(self, anchor: CodeAnchor) -> None:
        self.first = anchor.first
        self.start = max(1, anchor.first - WINDOW)
        self.end = anchor.last + WINDOW
        self._kept: dict[int, str] = {}
        self._before: tuple[int, str] | None = None
        self._after: tuple[int, str] | None = None
        self._unfound = [_Sought(_names(name)[-1], _definition_of(name)) for name in anchor.names]

    def see(self, number: int, text: str) -> None:
        """Line ``number`` of the file, which lies in this window."""
        if number == self.first:
            self._kept[number] = text
        if _DEFINITION.match(text):
            if number <= self.first:
                self._before = (number, text)
            elif self._after is None:
                self._after = (number, text)
        found = [sought for sought in self._unfound if sought.on(text)]
        if found:
            self._kept[number] = text
            self._unfound = [sought for sought in self._unfound if sought not in found]

    def lines(self) -> dict[int, str]:
        nearest = dict(line for line in (self._before, self._after) if line is not None)
        return dict(sorted({**nearest, **self._kept}.items()))


def pointed_at(result: UrlResult, first: int) -> str:
    """What an anchor points at, for a warning: the nearest definition, else the line."""
    if first not in result.anchor_lines:
        total = result.line_count or 0
        return f"line {first}, past the end of the file ({total} lines)"
    nearest = sorted(result.anchor_lines, key=lambda number: (abs(number - first), number))
    for number in nearest:
        match = _DEFINITION.match(result.anchor_lines[number])
        if match:
            return f"{result.anchor_lines[number].strip()[:80]!r} (line {number})"
    text = result.anchor_lines[first].strip()
    return f"{text[:80]!r} (line {first})" if text else f"an empty line ({first})"
