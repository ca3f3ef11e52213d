"""Text rules: damaged encoding in the cards' prose and fields."""

from __future__ import annotations

import re
from collections.abc import Iterator

from modelindex.checks.context import Context
from modelindex.checks.findings import Applicability, Edit, Hit, Repair, Severity
from modelindex.checks.registry import Scope, rule
from modelindex.readers.markdown_blocks import FencedCode
from modelindex.schema import Location

# UTF-8 bytes read as Windows-1252 (or Latin-1): a lead byte shown as Â-ô followed by
# continuation bytes shown as the characters those code pages put at 0x80-0xBF.
_CONTINUATION = (
    "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
)
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][{_CONTINUATION}]{{1,3}}")
FINDINGS_PER_FILE = 20
# Bounds the scan of a hostile file full of look-alike sequences.
CANDIDATES_PER_FILE = 100_000


# What the damage hides in cards: accented letters, Greek and Cyrillic, punctuation, symbols,
# arrows and mathematics, emoji. A sequence that would "repair" to anything else is ordinary
# text: French 'café\u00a0»' would become a CJK character, German 'ß“' an NKo letter.
_REPAIRED_RANGES = (
    (0x00A0, 0x02FF),
    (0x0370, 0x052F),
    (0x2000, 0x2BFF),
    (0x1F000, 0x1FAFF),
)


def _plausible(repair: str) -> bool:
    return all(
        any(low <= ord(character) <= high for low, high in _REPAIRED_RANGES) for character in repair
    )


def repaired(text: str) -> str | None:
    """What ``text`` read before a UTF-8 -> Windows-1252 mix-up, or None if it is not one."""
    for codec in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
        if fixed != text and _plausible(fixed):
            return fixed
    return None


class _CodeSpans:
    """Whether an offset sits between backticks on its line: a quoted example, not damage.

    Offsets are asked for in increasing order, so backticks are counted once per file.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_start = 0
        self.counted_to = 0
        self.ticks = 0

    def contains(self, offset: int) -> bool:
        line_start = self.text.rfind("\n", self.counted_to, offset) + 1
        if line_start > self.line_start:
            self.line_start, self.counted_to, self.ticks = line_start, line_start, 0
        self.ticks += self.text.count("`", self.counted_to, offset)
        self.counted_to = offset
        return self.ticks % 2 == 1


@rule("T001", "mojibake", Severity.WARNING, Scope.INDEX, local=True)
def mojibake(context: Context) -> Iterator[Hit]:
    """The text has damaged encoding (mojibake): UTF-8 that was read as Windows-1252.

    `\u00c3\u2014` where `\u00d7` belongs, `\u00e2\u20ac\u2122` for `\u2019`. The damage
    spreads every time the file is converted again; fix the bytes once, and read and write
    the file as UTF-8. Text between backticks, and in fenced code blocks (where a card's
    code may map mojibake to its repair on purpose), is taken as a deliberate example.
    """
    for path in context.index.files:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        reported, line, offset, position = 0, 1, 0, 0
        code_spans, fenced = _CodeSpans(text), FencedCode(text)
        for _ in range(CANDIDATES_PER_FILE):
            match = _MOJIBAKE.search(text, position)
            if match is None or reported == FINDINGS_PER_FILE:
                break
            fixed = repaired(match.group())
            if (
                fixed is None
                or fenced.contains(match.start())
                or code_spans.contains(match.start())
            ):
                position = match.end()
                continue
            line += text.count("\n", offset, match.start())
            offset = match.start()
            reported += 1
            # One finding per line, whose fix repairs every damaged sequence on it.
            end_of_line = text.find("\n", match.end())
            end_of_line = len(text) if end_of_line < 0 else end_of_line
            start_of_line = text.rfind("\n", 0, match.start()) + 1
            here = Location(path, line)
            edits = [
                Edit(here, damaged.group(), repair, column=damaged.start() - start_of_line)
                for damaged in _MOJIBAKE.finditer(text, match.start(), end_of_line)
                if (repair := repaired(damaged.group())) is not None
                and not code_spans.contains(damaged.start())
            ]
            yield Hit(
                here,
                f"damaged encoding: {match.group()!r} is {fixed!r} read as Windows-1252",
                fix=f"replace {match.group()!r} with {fixed!r} and save the file as UTF-8",
                repair=Repair(tuple(edits), Applicability.SAFE),
            )
            position = end_of_line
