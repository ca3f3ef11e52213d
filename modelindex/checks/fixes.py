"""Apply the repairs that findings carry to the files they were found in (``validate --fix``).

An edit replaces a value, a key or a piece of text on one line and nothing else, so a file's
formatting, comments, quoting and line endings stay as they were. Before anything is changed,
each edit is checked against the line as it is now: the key must be the one the finding is
about and the value must still read as the value it found. A repair whose edits do not all
fit, or that overlaps one taken already, is left out (a later pass may take it). The edited
text must read as well as the old one did: a file whose edits would make it unreadable, or
change how many models it holds, is left as it was. Files are replaced atomically.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from modelindex.atomic_write import remove_leftovers, replace_atomically
from modelindex.checks.engine import validate
from modelindex.checks.findings import Applicability, Edit, EditPart, Finding
from modelindex.checks.report import Report
from modelindex.checks.settings import Settings
from modelindex.fields import UnknownFieldError, field_named, normalize_key
from modelindex.index import Index
from modelindex.loading import with_newlines
from modelindex.readers.registry import read_text
from modelindex.schema import coerce_count, coerce_percent

if TYPE_CHECKING:
    from modelindex.online.run import OnlineRun

# Each pass fixes what the last one left out; a file rarely needs more than two.
MAX_PASSES = 10
# A key on its own line: '  - Parameters: 5', '"FLOPs": 12,', 'Crop Pct: 0.875  # comment'.
_MAPPING_LINE = re.compile(
    r"""(?P<lead>[ \t]*(?:-[ \t]+)*)
        (?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s"'#\-{}\[\]][^:#]*?)
        [ \t]*:(?:[ \t]+|$)
        (?P<value>.*?)
        (?P<tail>[ \t]*,?[ \t]*(?:[ \t]\#.*)?\r?)$""",
    re.VERBOSE,
)
_BOM = "\ufeff"
# A lone CR is a line break to the loader but not to a line-by-line edit: such a file is not
# edited rather than edited on the wrong line.
_LONE_CR = re.compile("\r(?!\n)")
# What a terminal would act on rather than print: control characters (the ESC of colour and
# cursor codes) and the marks that reorder text (bidirectional overrides). Tabs, and the CR of
# a CRLF file, are printed as they are.
_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
# Lines longer than this are no mapping entry a fix would edit (a minified JSON file).
_LONGEST_LINE = 4_000
# A value that starts a collection, a block scalar, an anchor, an alias or a tag is not edited.
_NOT_A_SCALAR = tuple("[{|>&*!")


@dataclass(frozen=True, slots=True)
class _Span:
    line: int
    start: int
    end: int
    text: str


class _Unfit(Exception):
    """An edit does not fit the line as it is now."""


def _read_scalar(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise _Unfit(f"{text!r} is no YAML scalar") from None


def _reads_as(written: Any, old: str | int | float) -> bool:
    if isinstance(old, bool) or isinstance(written, bool):
        return False
    try:
        if isinstance(old, int):
            return coerce_count(written) == old
        if isinstance(old, float):
            number = coerce_percent(written)
            return number is not None and math.isclose(number, old, rel_tol=1e-9)
    except ValueError:
        return False
    return str(written).strip().casefold() == old.strip().casefold()


def _same_key(written: str, wanted: str) -> bool:
    if normalize_key(written) == normalize_key(wanted):
        return True
    try:
        return field_named(written) == field_named(wanted)
    except UnknownFieldError:
        # The Hub writes a metric as {type, name, value}: its value is under 'value'.
        return normalize_key(written) == "value"


def _unquoted_key(key: str) -> str:
    if key[:1] in "\"'" and len(key) >= 2:
        return str(_read_scalar(key))
    return key


def _value_text(new: str, quote: str, in_json: bool) -> str:
    """``new`` as the value is written: inside the quotes it had, else plain where YAML reads
    it back as written (as a number where it is one)."""
    if quote == '"' or (in_json and not _is_number(new)):
        return json.dumps(new)[1:-1] if quote == '"' else json.dumps(new)
    if quote == "'":
        return new.replace("'", "''")
    if _is_number(new):
        return new
    try:
        reads_back = yaml.safe_load(new) == new and "\n" not in new
    except yaml.YAMLError:
        reads_back = False
    return new if reads_back and new == new.strip() and " #" not in new else json.dumps(new)


def _is_number(text: str) -> bool:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return isinstance(loaded, (int, float)) and not isinstance(loaded, bool)


def _span(edit: Edit, line_text: str, in_json: bool) -> _Span:
    line = edit.location.line
    assert line is not None
    if len(line_text) > _LONGEST_LINE:
        raise _Unfit("the line is too long")
    if edit.part is EditPart.TEXT:
        old = str(edit.old)
        if edit.column is not None:
            if line_text[edit.column : edit.column + len(old)] != old:
                raise _Unfit(f"{old!r} is not at column {edit.column + 1}")
            return _Span(line, edit.column, edit.column + len(old), edit.new)
        if line_text.count(old) != 1:
            raise _Unfit(f"{old!r} is not on the line exactly once")
        start = line_text.index(old)
        return _Span(line, start, start + len(old), edit.new)
    entry = _MAPPING_LINE.fullmatch(line_text)
    if entry is None:
        raise _Unfit("the line is no 'key: value' entry")
    key = _unquoted_key(entry["key"].rstrip())
    if edit.part is EditPart.KEY:
        written = entry["key"].rstrip()
        quote = written[0] if written[:1] in "\"'" else ""
        # Inside its quotes, where the quoted text is the key exactly (no escapes in it).
        start = entry.start("key") + len(quote)
        if key != edit.old or line_text[start : start + len(key)] != key:
            raise _Unfit(f"the key is written {written!r}, not as {edit.old!r}")
        return _Span(line, start, start + len(key), edit.new)
    if edit.key is None or not _same_key(key, edit.key):
        raise _Unfit(f"the key is {key!r}, not {edit.key!r}")
    value = entry["value"]
    if not value or value.startswith(_NOT_A_SCALAR):
        raise _Unfit("the value is not written on the key's line")
    if not _reads_as(_read_scalar(value), edit.old):
        raise _Unfit(f"the value {value!r} no longer reads as {edit.old!r}")
    start, end = entry.start("value"), entry.end("value")
    quote = value[0] if value[0] in "\"'" and value[-1] == value[0] and len(value) > 1 else ""
    if quote:
        start, end = start + 1, end - 1
    return _Span(line, start, end, _value_text(edit.new, quote, in_json))


@dataclass
class FileFix:
    """What the repairs change in one file."""

    path: str
    old: str
    new: str
    fixed: list[Finding] = field(default_factory=list)
    unfit: list[tuple[Finding, str]] = field(default_factory=list)
    """Repairs left out, each with why."""
    refused: str | None = None
    """Why the file is left as it was, although repairs fit."""

    @property
    def changed(self) -> bool:
        return self.refused is None and self.new != self.old

    def diff(self, for_terminal: bool = False) -> str:
        """The change as a unified diff that patch and git apply take, with paths relative to
        the current folder where the file is under it. ``for_terminal``: what a terminal would
        act on (ESC, bidirectional marks) comes out as an escape, never raw."""
        relative = os.path.relpath(self.path)
        inside = not relative.startswith("..") and not os.path.isabs(relative)
        lines = difflib.unified_diff(
            self.old.splitlines(keepends=True),
            self.new.splitlines(keepends=True),
            fromfile=f"a/{relative}" if inside else os.path.abspath(self.path),
            tofile=f"b/{relative}" if inside else os.path.abspath(self.path),
        )
        shown = []
        for line in lines:
            if not line.endswith("\n"):
                line += "\n\\ No newline at end of file\n"
            shown.append(_TERMINAL_UNSAFE.sub(_escaped, line) if for_terminal else line)
        return "".join(shown)


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode()


def wanted(finding: Finding, unsafe: bool) -> bool:
    """Whether a run with (or without) ``--unsafe-fixes`` applies the finding's repair."""
    repair = finding.repair
    return repair is not None and (unsafe or repair.applicability is Applicability.SAFE)


def _apply(path: str, text: str, findings: list[Finding], shared: set[int]) -> FileFix:
    result = FileFix(path, text, text)
    # The lines as the readers count them (a file with lone CRs is never edited).
    lines = text.split("\n")
    in_json = path.lower().endswith(".json")
    taken: dict[int, list[_Span]] = {}
    for finding in findings:
        assert finding.repair is not None
        try:
            spans = []
            for edit in finding.repair.edits:
                line = edit.location.line
                if edit.location.path != path or line is None or not 1 <= line <= len(lines):
                    raise _Unfit("the edit is not in this file")
                if edit.part is not EditPart.TEXT and line in shared:
                    raise _Unfit("the line is shared by several models (a YAML alias or merge)")
                spans.append(_span(edit, lines[line - 1], in_json))
        except _Unfit as unfit:
            result.unfit.append((finding, str(unfit)))
            continue
        # Touching counts as overlapping: two edits that meet could run into each other.
        if any(
            span.start <= other.end and other.start <= span.end
            for span in spans
            for other in taken.get(span.line, [])
        ):
            result.unfit.append((finding, "another fix changes the same text"))
            continue
        for span in spans:
            taken.setdefault(span.line, []).append(span)
        result.fixed.append(finding)
    for number, spans in taken.items():
        line = lines[number - 1]
        for span in sorted(spans, key=lambda span: span.start, reverse=True):
            line = line[: span.start] + span.text + line[span.end :]
        lines[number - 1] = line
    result.new = "\n".join(lines)
    if result.new != text:
        result.refused = _reads_worse(path, text, result.new)
    return result


def _reads_worse(path: str, old: str, new: str) -> str | None:
    """Why the edited text reads worse than the old (None when it reads as well)."""
    # As the loader reads a file: without its byte-order mark, with '\n' for its line breaks.
    before = read_text(path, with_newlines(old.removeprefix(_BOM)))
    after = read_text(path, with_newlines(new.removeprefix(_BOM)))
    if len(after.problems) > len(before.problems):
        return f"the fixed file would not read: {after.problems[len(before.problems)].message}"
    if len(after.entries) != len(before.entries):
        return "the fixed file would hold another number of models"
    return None


def plan_fixes(report: Report, unsafe: bool, within: Iterable[str] | None = None) -> list[FileFix]:
    """The change each file's repairs make, computed from the files as they are on disk. Only
    the files the index was read from are changed, and with ``within`` (the paths a user
    gave), only those that are, or lie under, one of them: not a file an Import reached
    outside, nor one behind a linked folder. A file that cannot be read as UTF-8 text, or
    that is a link, is left as it is."""
    files = set(report.index.files)
    roots = _Roots(within) if within is not None else None
    shared = _shared_lines(report.index)
    by_path: dict[str, list[Finding]] = {}
    for finding in report.findings:
        if wanted(finding, unsafe) and finding.path in files:
            by_path.setdefault(finding.path, []).append(finding)
    fixes = []
    for path, found in sorted(by_path.items()):
        found.sort(key=lambda finding: (finding.line or 0, finding.code))
        outside = roots is not None and not roots.contain(path)
        text_or_why = _Refusal("it is outside the paths given") if outside else _editable_text(path)
        if isinstance(text_or_why, _Refusal):
            fix = FileFix(path, "", "", refused=f"cannot be edited: {text_or_why.why}")
            fix.unfit = [(finding, "the file cannot be edited") for finding in found]
            fixes.append(fix)
            continue
        fixes.append(_apply(path, text_or_why, found, shared.get(path, set())))
    return fixes


@dataclass(frozen=True)
class _Refusal:
    why: str


class _Roots:
    """The paths a user gave, as the file system resolves them."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.files: set[str] = set()
        self.folders: list[str] = []
        for path in paths:
            real = os.path.realpath(path)
            if os.path.isdir(real):
                self.folders.append(real)
            else:
                self.files.add(real)

    def contain(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real in self.files or any(
            os.path.commonpath([real, folder]) == folder for folder in self.folders
        )


def _editable_text(path: str) -> str | _Refusal:
    """The file's text, or why a fix must not write it."""
    try:
        # A link is followed to wherever it leads; a fix writes only the files it was given.
        status = os.lstat(path)
        if not stat.S_ISREG(status.st_mode):
            return _Refusal("not a regular file")
        if not status.st_mode & stat.S_IWUSR:
            return _Refusal("it is read-only")
        if status.st_nlink > 1:
            return _Refusal("it has other hard links, which a rewrite would split")
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
    except OSError as error:
        return _Refusal(error.strerror or str(error))
    except UnicodeDecodeError:
        return _Refusal("it is not UTF-8")
    if _LONE_CR.search(text):
        return _Refusal("it breaks lines with a lone CR")
    return text


def _shared_lines(index: Index) -> dict[str, set[int]]:
    """The lines that hold a value of more than one entry: an alias or a '<<' merge shares one
    value among models, and an edit for one of them would change the others."""
    owners: dict[tuple[str, int], int] = {}
    shared: dict[str, set[int]] = {}
    for number, entry in enumerate([*index.collections, *index.models]):
        for where in entry.own_locations():
            if where.line is None:
                continue
            key = (where.path, where.line)
            if owners.setdefault(key, number) != number:
                shared.setdefault(where.path, set()).add(where.line)
    return shared


def write_fixes(fixes: Iterable[FileFix]) -> None:
    """Replace each changed file, one at a time and each at once. A file that changed since it
    was read, or cannot be written, is left as it is (``refused`` says why)."""
    for fix in fixes:
        if not fix.changed:
            continue
        try:
            with open(fix.path, "rb") as handle:
                if handle.read() != fix.old.encode("utf-8"):
                    fix.refused = "it changed while the fixes were worked out"
                    continue
            remove_leftovers(Path(fix.path))
            replace_atomically(Path(fix.path), fix.new.encode("utf-8"))
        except OSError as error:
            fix.refused = f"cannot be written: {error.strerror or error}"


@dataclass
class FixRun:
    """What ``validate --fix`` did: the findings it fixed and those that remain."""

    report: Report
    """The findings after the last edit."""
    fixed: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    """The files changed, in the order first changed."""
    unfit: list[tuple[Finding, str]] = field(default_factory=list)
    """Repairs the last pass left out, with why."""
    refused: list[FileFix] = field(default_factory=list)
    plans: list[FileFix] = field(default_factory=list)
    """Each file's change, where nothing is written (``--diff``)."""


def planned_fixes(report: Report, unsafe: bool, within: Iterable[str] | None = None) -> FixRun:
    """What one pass of fixes would change, written nowhere."""
    plans = plan_fixes(report, unsafe, within)
    changed = [fix for fix in plans if fix.changed]
    return FixRun(
        report,
        fixed=[finding for fix in changed for finding in fix.fixed],
        files=[fix.path for fix in changed],
        unfit=[pair for fix in plans for pair in fix.unfit],
        refused=[fix for fix in plans if fix.refused],
        plans=plans,
    )


def fix_zoo(
    load: Callable[[], Index],
    settings: Settings,
    unsafe: bool = False,
    online: OnlineRun | None = None,
    loaded: Index | None = None,
    within: Iterable[str] | None = None,
) -> FixRun:
    """Validate, apply the repairs and validate again until nothing more is fixed (a fix can
    make way for another: the next mojibake on a line, an overlapping edit left out).
    ``loaded``: the zoo as ``load`` gives it now, where the caller has read it already;
    ``within``: the paths files may be written under (see :func:`plan_fixes`)."""
    within = list(within) if within is not None else None
    report = validate(loaded if loaded is not None else load(), settings, online)
    run = FixRun(report)
    for _ in range(MAX_PASSES):
        fixes = plan_fixes(report, unsafe, within)
        changed = [fix for fix in fixes if fix.changed]
        run.unfit = [pair for fix in fixes if not fix.changed for pair in fix.unfit]
        run.refused = [fix for fix in fixes if fix.refused]
        if not changed:
            break
        write_fixes(changed)
        run.refused += [fix for fix in changed if fix.refused]
        changed = [fix for fix in changed if not fix.refused]
        if not changed:
            break
        for fix in changed:
            run.fixed += fix.fixed
            if fix.path not in run.files:
                run.files.append(fix.path)
        report = validate(load(), settings, online)
        run.report = report
    return run
