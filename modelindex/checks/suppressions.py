"""Suppressions written in the data: ``# modelindex: noqa: U003`` silences one finding there.

Each dialect carries the same words in the comment it has: a YAML comment in a metafile, a
card's model-index block or a Hub card's front matter, and an HTML comment beside a row of a
README table (``<!-- modelindex: noqa: U003 -->``). A reason may follow the codes.

- Written after a value, it silences those codes on that line.
- Alone on its line, it silences them on the next line.
- On the line that declares a model (its ``- Name:`` line, or its table row), it silences them
  on every line of that model's own entry.

A suppression that silences nothing is reported (I001), like ruff's RUF100, so that a comment
outliving the problem it excused does not hide the next one. One that cannot be read (no
codes, a code that no rule has) is reported too (I002): it silences nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from modelindex.checks.findings import Finding, Hit, Severity
from modelindex.checks.input_rules import INTERNAL_ERROR
from modelindex.checks.registry import RULES, declare
from modelindex.index import Index
from modelindex.loading import DEFAULT_MAX_FILE_SIZE, with_newlines
from modelindex.readers.markdown_blocks import FencedCode, LineCounter, in_inline_code
from modelindex.readers.records import MARKDOWN_SUFFIXES
from modelindex.schema import Location

UNUSED = "I001"
MALFORMED = "I002"
declare(
    UNUSED,
    "unused-suppression",
    Severity.WARNING,
    """A `modelindex: noqa` comment silences a code that is not found there.

    The problem it excused has been fixed, or the comment sits on the wrong line. Remove the
    code from the comment, or move the comment to the line of the finding (or of the model's
    Name). A code that this run does not check (switched off by --select, --ignore or the
    settings, or an online code without --online) is not reported, nor is one of a rule that
    compares a model with others (a run of some files cannot tell it is unused). A comment
    that names I001 itself keeps its codes on purpose.
    """,
)
declare(
    MALFORMED,
    "malformed-suppression",
    Severity.WARNING,
    """A `modelindex: noqa` comment cannot be read, so it silences nothing.

    Write the codes after a colon, separated by commas, and a reason after them if you like:
    `# modelindex: noqa: U003, N001 the two share one checkpoint`. A bare
    `modelindex: noqa` is refused: silencing every rule on a line would hide the next problem
    there too.
    """,
)

# After a YAML comment's '#' or inside an HTML comment; '.' stops at the line's end.
_MARKER = re.compile(r"(?:#|<!--)[ \t]*modelindex[ \t]*:[ \t]*noqa\b(?P<rest>.*)", re.IGNORECASE)
# Bounds what a hostile zoo of marker-filled files costs; real zoos carry a handful.
MOST_SUPPRESSIONS = 100_000
_CODE_LIST = re.compile(
    r"[ \t]*:[ \t]*(?P<codes>[A-Za-z]+[0-9]+(?:[ \t]*,[ \t]*[A-Za-z]+[0-9]+)*)(?:[ \t]+.*|,?)$"
)
_COMMENT_END = re.compile(r"-->.*$")
_CODE = re.compile(r"[A-Za-z]+[0-9]+")


@dataclass
class Suppression:
    location: Location
    """Where the comment is written."""
    target: int
    """The line it silences: its own, or the next where it stands alone."""
    codes: tuple[str, ...]
    used: set[str] = field(default_factory=set)
    undecidable: bool = False
    """Whether a run may lack what it takes to tell the suppression is unused."""


@dataclass
class _Scan:
    suppressions: list[Suppression] = field(default_factory=list)
    malformed: list[Hit] = field(default_factory=list)


def _read(path: str) -> str | None:
    try:
        # read(n) would allocate n bytes up front: the size is checked first instead.
        if os.stat(path).st_size > DEFAULT_MAX_FILE_SIZE:
            return None
        with open(path, encoding="utf-8", errors="replace") as handle:
            # Lines counted as the loader counts them (a lone CR breaks a line).
            return with_newlines(handle.read())
    except OSError:
        return None


def _scan_file(path: str, text: str, scan: _Scan) -> None:
    # One search over the whole text, not one a line: most files hold no marker at all.
    found = _MARKER.search(text)
    if found is None:
        return
    fenced = FencedCode(text) if path.lower().endswith(MARKDOWN_SUFFIXES) else None
    lines = LineCounter(text)
    while found is not None and len(scan.suppressions) + len(scan.malformed) < MOST_SUPPRESSIONS:
        line_start = text.rfind("\n", 0, found.start()) + 1
        line_end = text.find("\n", found.start())
        line_end = len(text) if line_end < 0 else line_end
        line = text[line_start:line_end]
        column = found.start() - line_start
        inside_code = in_inline_code(text, found.start()) or (
            fenced is not None and fenced.contains(found.start())
        )
        if not inside_code:
            where = Location(path, lines.line_at(found.start()))
            if fenced is not None and _splits_a_table(text, line, line_start, line_end):
                scan.malformed.append(
                    _malformed(
                        where,
                        "a comment on a line of its own ends the README table there; write "
                        "it at the end of the row",
                    )
                )
            else:
                _read_marker(where, line, column, scan)
        found = _MARKER.search(text, line_end)


def _splits_a_table(text: str, line: str, line_start: int, line_end: int) -> bool:
    """Whether ``line``, a comment alone on its line, stands between two rows of a markdown
    table: the table ends there, and the rows after it are read as no table at all."""
    if not line.lstrip().startswith("<!--") or not line.rstrip().endswith("-->"):
        return False
    before = text[text.rfind("\n", 0, max(line_start - 1, 0)) + 1 : max(line_start - 1, 0)]
    after_end = text.find("\n", line_end + 1)
    after = text[line_end + 1 : len(text) if after_end < 0 else after_end]
    return before.lstrip().startswith("|") and after.lstrip().startswith("|")


def _malformed(where: Location, why: str) -> Hit:
    return Hit(where, f"malformed suppression: {why}")


def _read_marker(where: Location, line: str, column: int, scan: _Scan) -> None:
    marker = _MARKER.match(line, column)
    assert marker is not None and where.line is not None
    rest = _COMMENT_END.sub("", marker["rest"]).rstrip()
    listed = _CODE_LIST.match(rest)
    if listed is None:
        why = "write the codes after a colon, such as 'modelindex: noqa: U003'"
        scan.malformed.append(_malformed(where, why))
        return
    codes = tuple(code.upper() for code in _CODE.findall(listed["codes"]))
    unknown = [code for code in codes if code not in RULES]
    if unknown:
        scan.malformed.append(_malformed(where, f"no rule {unknown[0]}; see 'modelindex rules'"))
        return
    if INTERNAL_ERROR in codes:
        why = f"{INTERNAL_ERROR} is a bug of modelindex's own, never silenced"
        scan.malformed.append(_malformed(where, why))
        return
    alone = not line[:column].replace("<!--", "").strip()
    scan.suppressions.append(Suppression(where, where.line + 1 if alone else where.line, codes))


def _scan(files: Iterable[str]) -> _Scan:
    scan = _Scan()
    for path in files:
        text = _read(path)
        if text is not None:
            _scan_file(path, text, scan)
    return scan


def apply_suppressions(
    findings: list[Finding],
    index: Index,
    checked: Callable[[str, str], bool],
    as_finding: Callable[[str, Hit], Finding],
) -> list[Finding]:
    """The findings that no suppression silences, with I001 and I002 for the suppressions.

    ``checked(code, path)``: whether this run reports ``code`` in ``path`` at all; only those
    codes can be unused.
    """
    scan = _scan(index.files)
    if not scan.suppressions and not scan.malformed:
        return findings
    on_line: dict[tuple[str, int], list[Suppression]] = {}
    for suppression in scan.suppressions:
        on_line.setdefault((suppression.location.path, suppression.target), []).append(suppression)
    # A suppression on the line that declares an entry covers every line of that entry's own.
    of_entry: dict[tuple[str, int], list[Suppression]] = {}
    for entry in [*index.collections, *index.models]:
        if entry.source.line is None:
            continue
        declared = on_line.get((entry.source.path, entry.source.line), [])
        for where in entry.own_locations() if declared else ():
            if where.line is not None and where.path == entry.source.path:
                of_entry.setdefault((where.path, where.line), []).extend(declared)
        # What the entry inherits from another file may be missing from a run of some files:
        # its suppressions cannot be called unused then.
        if entry.inherits_from_another_file():
            for where in [entry.source, *entry.own_locations()]:
                for suppression in on_line.get((where.path, where.line or 0), []):
                    suppression.undecidable = True
    kept = []
    for finding in findings:
        # A bug of modelindex's own is never silenced.
        covering = None if finding.code == INTERNAL_ERROR else _covering(finding, on_line, of_entry)
        if covering is None:
            kept.append(finding)
        else:
            covering.used.add(finding.code)
    kept += [
        as_finding(MALFORMED, hit)
        for hit in scan.malformed
        if checked(MALFORMED, hit.location.path)
    ]
    kept += [as_finding(UNUSED, hit) for hit in _unused(scan.suppressions, checked)]
    return kept


def _covering(
    finding: Finding,
    on_line: dict[tuple[str, int], list[Suppression]],
    of_entry: dict[tuple[str, int], list[Suppression]],
) -> Suppression | None:
    if finding.line is None:
        return None
    where = (finding.path, finding.line)
    candidates = [*on_line.get(where, []), *of_entry.get(where, [])]
    return next((found for found in candidates if finding.code in found.codes), None)


def _unused(suppressions: list[Suppression], checked: Callable[[str, str], bool]) -> Iterator[Hit]:
    for suppression in suppressions:
        path = suppression.location.path
        if UNUSED in suppression.codes or suppression.undecidable:
            continue  # a comment may keep codes on purpose: it silences its own I001
        # A rule that compares a model with others may find nothing in a run of some files
        # and something in a run of the whole zoo: its suppression is not called unused.
        unused = [
            code
            for code in suppression.codes
            if code not in suppression.used
            and RULES[code].local
            and checked(code, path)
            and checked(UNUSED, path)
        ]
        if unused:
            yield Hit(
                suppression.location,
                f"unused suppression: {', '.join(unused)} "
                f"{'is' if len(unused) == 1 else 'are'} not found where it applies",
                fix=f"remove {', '.join(unused)} from the comment",
            )
