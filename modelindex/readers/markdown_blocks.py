"""Markdown structure that every markdown reader needs: fenced code blocks and headings."""

from __future__ import annotations

import re
from bisect import bisect_right

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$", re.MULTILINE)


class FencedCode:
    """Character spans of fenced code blocks; text inside them is never data."""

    def __init__(self, text: str) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        if "```" not in text and "~~~" not in text:
            return
        opening: tuple[str, int] | None = None
        for match in _FENCE.finditer(text):
            fence = match.group(1)
            if opening is None:
                if fence[0] == "`" and "`" in match.group(2):
                    continue  # an inline code span, not a fence
                opening = (fence[0], len(fence))
                self.starts.append(match.start())
            elif fence[0] == opening[0] and len(fence) >= opening[1] and not match.group(2).strip():
                self.ends.append(match.end())
                opening = None
        if opening is not None:
            self.ends.append(len(text))  # an unclosed fence runs to the end of the document

    def contains(self, offset: int) -> bool:
        index = bisect_right(self.starts, offset) - 1
        return index >= 0 and offset < self.ends[index]


# How far back on its line an offset is looked at for an opening backtick.
_INLINE_CODE_WINDOW = 1000


def in_inline_code(text: str, offset: int) -> bool:
    """True for an offset between backticks on its line: a marker quoted in prose, as in
    `<!-- Type: model-index -->`.

    Only a bounded stretch before the offset is looked at, so that a hostile line holding
    thousands of markers is scanned in linear time.
    """
    window_start = max(0, offset - _INLINE_CODE_WINDOW)
    line_start = text.rfind("\n", window_start, offset) + 1 or window_start
    return text.count("`", line_start, offset) % 2 == 1


class LineCounter:
    """1-based line numbers of increasing offsets, in time linear in the text overall."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1

    def line_at(self, offset: int) -> int:
        if offset < self.offset:
            self.offset, self.line = 0, 1
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line
