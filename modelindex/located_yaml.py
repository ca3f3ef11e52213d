"""Parse YAML (and JSON) into plain Python values that remember the line of every mapping key.

libyaml's C composer builds the node graph; this module turns nodes into values itself so that it
can record lines and keep hostile input bounded:

- aliases are shared, never copied, and their expanded size is capped ("billion laughs");
- nesting deeper than any model-index file needs is refused before libyaml composes it, because
  libyaml's recursive C composer overflows the stack (a segfault, not an exception) at ~30k levels.
  A cheap count rules out deep nesting for ordinary files; the rest get an exact depth count from
  libyaml's event parser, which keeps its own stack and cannot overflow. Newer libyaml releases
  (PyYAML 6.0.4's) stop at 1,000 levels themselves, in a scanner that reads flow brackets ahead
  of the events; whichever layer stops the document, the diagnosis is the same;
- a file of more than MAX_NODES values is refused before it is composed: libyaml's node
  graph costs about 300 bytes a value, so a 10 MiB file of '1,1,1,...' would take 1.6 GB;
- a scalar too long to be a number stays text: YAML 1.1's base-60 integers ('1:2:3:...') cost
  quadratic time to convert;
- a key written twice in one mapping is reported with both lines (YAML keeps the last value).
"""

from __future__ import annotations

import contextlib
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

import yaml

from modelindex.problems import InputError, ProblemKind

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 200
MAX_ALIAS_EXPANSION = 200_000
# The largest real documents seen (OpenMMLab metafiles, Hub cards with hundreds of metrics) hold
# a few thousand values; 500,000 leaves room for any zoo in one file and bounds memory.
MAX_NODES = 500_000
MAX_DUPLICATE_KEYS = 100
_UNUSUAL_BREAKS = re.compile("[\x85\u2028\u2029]")
_BREAKS = re.compile("[\n\x85\u2028\u2029]")
# The pure-Python parser, which re-reads what libyaml gave up on, costs ~10 µs an event, so it
# reads this many at most: a document that nests too deeply only after them is reported as
# broken (L005) rather than too complex (L006). Either way it is not read.
_SLOW_REREAD_EVENTS = 50_000
# The longest number a card could mean ('-1.2345678901234567e+308' with separators) is far
# shorter; anything longer is kept as text for the schema to reject.
MAX_TYPED_SCALAR_LENGTH = 100

# Block nesting needs indentation (or '- ' / '? ' indicators) for each level, and flow nesting an
# opening bracket; a text with fewer of either than MAX_DEPTH cannot nest deeper.
_DEEP_BLOCK = re.compile(rf"^[ \-?]{{{MAX_DEPTH}}}", re.MULTILINE)


class LocatedDict(dict):
    """A mapping from YAML that knows its own line and the line of each of its keys (1-based)."""

    __slots__ = ("key_lines", "line", "merged")

    def __init__(self, line: int | None) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int | None] = {}
        self.merged: frozenset[Any] | set[Any] = frozenset()
        """Keys that came from a '<<' merge, which a key written here overrides."""


_SCALAR_CONSTRUCTOR = yaml.SafeLoader("")
# Dates stay text: the schema has no date fields, and text round-trips exactly.
_TYPED_SCALARS = {
    tag: _SCALAR_CONSTRUCTOR.yaml_constructors[tag]
    for tag in (
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
    )
}


def _construct_scalar(node: yaml.ScalarNode) -> Any:
    # Calling the constructor functions directly, not construct_object(), keeps PyYAML from
    # caching every node of every file in the shared constructor.
    if node.tag == "tag:yaml.org,2002:str":
        return node.value
    construct = _TYPED_SCALARS.get(node.tag)
    if construct is None or len(node.value) > MAX_TYPED_SCALAR_LENGTH:
        return node.value
    try:
        return construct(_SCALAR_CONSTRUCTOR, node)
    # An explicit tag on a value it does not fit ('!!bool maybe', '!!int ""') makes PyYAML's
    # constructors fail in several ways; the text is kept for the schema to report.
    except (yaml.YAMLError, ValueError, KeyError, IndexError, OverflowError):
        return node.value


def _too_deep(line: int) -> InputError:
    return InputError(ProblemKind.TOO_COMPLEX, f"YAML nesting deeper than {MAX_DEPTH} levels", line)


@dataclass
class YamlBudget:
    """What the YAML of one file may cost, whatever the number of documents (comments) in it."""

    nodes: int = field(default_factory=lambda: MAX_NODES)
    alias_expansion: int = field(default_factory=lambda: MAX_ALIAS_EXPANSION)
    duplicate_keys: int = field(default_factory=lambda: MAX_DUPLICATE_KEYS)


def node_bound(text: str) -> int:
    """At least the number of nodes in ``text``: sibling nodes are always separated by a comma,
    a colon or a line break, every collection opens with one of '[{-?' or a colon, and each of
    those brings at most two nodes (a key of '{a, b}' comes with an empty value)."""
    return 2 * sum(text.count(character) for character in ",:\n[{-?") + 1


class _Lines:
    """The file's line of a line of YAML's. YAML 1.1 breaks lines at NEL, LS and PS too, where
    editors and the markdown readers do not: those breaks are taken out of YAML's count."""

    def __init__(self, text: str, offset: int) -> None:
        self.offset = offset
        self.unusual: list[int] = []
        """The numbers of YAML's line breaks that are not a newline, in order."""
        if _UNUSUAL_BREAKS.search(text):
            breaks = _BREAKS.finditer(text)
            self.unusual = [number for number, found in enumerate(breaks) if found[0] != "\n"]

    def of(self, yaml_line: int) -> int:
        """The 1-based file line of YAML's 0-based ``yaml_line``."""
        if self.unusual:
            yaml_line -= bisect_left(self.unusual, yaml_line)
        return yaml_line + self.offset + 1


def _check_shape(text: str, lines: _Lines, max_nodes: int) -> None:
    might_nest = text.count("[") + text.count("{") >= MAX_DEPTH or _DEEP_BLOCK.search(text)
    if not might_nest and node_bound(text) <= max_nodes:
        return
    try:
        _count_events(text, lines, _Loader, max_nodes)
    except yaml.YAMLError as error:
        if _Loader is yaml.SafeLoader:
            raise
        # libyaml may stop the document itself, ahead of our count (PyYAML 6.0.4's scanner reads
        # flow brackets ahead). Its words for that are the quick answer; where a release words
        # it otherwise, the pure-Python parser, which has no nesting limit and keeps its own
        # stack, tells whether the document nests too deeply or is broken otherwise (then the
        # libyaml error stands).
        mark = getattr(error, "problem_mark", None)
        if "nesting depth" in str(getattr(error, "problem", "")) and mark is not None:
            raise _too_deep(lines.of(mark.line)) from None
        suspect = _nesting_suspect(text, mark)
        if suspect is not None:
            with contextlib.suppress(yaml.YAMLError):
                _count_events(suspect, lines, yaml.SafeLoader, max_nodes, _SLOW_REREAD_EVENTS)
        raise


def _nesting_suspect(text: str, mark: yaml.Mark | None) -> str | None:
    """The text up to where libyaml stopped, if it may have stopped for nesting: at an opening
    bracket or an indentation deeper than MAX_DEPTH. Re-reading only that much with the slow
    parser keeps a large file that is merely broken at its end from costing seconds."""
    if mark is None:
        return text
    line_start = 0
    for _ in range(mark.line):
        line_start = text.find("\n", line_start) + 1
        if line_start == 0:
            return None
    stop = line_start + mark.column
    line = text[line_start : text.find("\n", line_start) % (len(text) + 1)]
    at_bracket = text[max(line_start, stop - 1) : stop + 1].strip(" \t") in {"[", "{"}
    opened = text[line_start:stop].rstrip(" \t").endswith(("[", "{"))
    deep = len(line) - len(line.lstrip(" -?")) >= MAX_DEPTH
    return text[: stop + 1] if at_bracket or opened or deep else None


def _count_events(
    text: str, lines: _Lines, loader: type, max_nodes: int, max_events: int | None = None
) -> None:
    """Refuse a document that nests deeper than MAX_DEPTH or holds more than ``max_nodes``
    nodes, from libyaml's event stream, which keeps its own stack and holds one event at a
    time."""
    depth = nodes = 0
    for number, event in enumerate(yaml.parse(text, Loader=loader)):
        if max_events is not None and number >= max_events:
            return
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(lines.of(event.start_mark.line))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            continue
        elif not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
            continue
        nodes += 1
        if nodes > max_nodes:
            message = f"YAML holds more than {MAX_NODES:,} values in one file"
            raise InputError(ProblemKind.TOO_COMPLEX, message, lines.of(event.start_mark.line))


@dataclass
class ParsedYaml:
    """A parsed document, and the problems that did not stop it from being read."""

    value: Any
    problems: list[InputError] = field(default_factory=list)


class _Builder:
    def __init__(self, lines: _Lines, budget: YamlBudget) -> None:
        self.lines = lines
        self.budget = budget
        self.nodes = 1
        """Values built (each counted as its parent's child): what the document costs the
        file's budget."""
        # Most files have no unusual line breaks: their lines are plain arithmetic.
        self.first_line = None if lines.unusual else lines.offset + 1
        self.built: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.problems: list[InputError] = []

    def line_of(self, node: yaml.Node) -> int:
        if self.first_line is not None:
            return node.start_mark.line + self.first_line
        return self.lines.of(node.start_mark.line)

    def size(self, node: yaml.Node) -> int:
        """Node count of the fully expanded subtree, memoized so that shared nodes cost once."""
        key = id(node)
        if key in self.sizes:
            return self.sizes[key]
        if isinstance(node, yaml.ScalarNode):
            total = 1
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(self.size(item) for item in node.value)
        else:
            total = 1 + sum(self.size(k) + self.size(v) for k, v in node.value)
        self.sizes[key] = total
        return total

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        if isinstance(node, yaml.ScalarNode):
            # Scalars are most nodes; rebuilding an aliased one is as cheap as looking it up.
            return _construct_scalar(node)
        key = id(node)
        if key in self.built:
            self.budget.alias_expansion -= self.size(node)
            if self.budget.alias_expansion < 0:
                raise InputError(
                    ProblemKind.TOO_COMPLEX,
                    f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes",
                    self.line_of(node),
                )
            return self.built[key]
        if depth > MAX_DEPTH:
            raise _too_deep(self.line_of(node))
        if isinstance(node, yaml.SequenceNode):
            self.nodes += len(node.value)
            items: list[Any] = []
            self.built[key] = items
            items.extend(self.build(item, depth + 1) for item in node.value)
            return items
        self.nodes += 2 * len(node.value)
        mapping = LocatedDict(self.line_of(node))
        self.built[key] = mapping
        key_lines = mapping.key_lines
        first_line = self.first_line
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._merge(mapping, value_node, depth)
                continue
            map_key = self.build(key_node, depth + 1)
            if isinstance(map_key, (list, dict)):
                map_key = str(map_key)
            # Inline arithmetic where no unusual line break moves lines: this loop runs for
            # every key of every file.
            if first_line is not None:
                line = key_node.start_mark.line + first_line
            else:
                line = self.line_of(key_node)
            # Keys merged from '<<: *base' may be overridden; keys written here may not repeat.
            if map_key in mapping:
                if map_key in mapping.merged:
                    mapping.merged.discard(map_key)  # type: ignore[union-attr]
                else:
                    self.duplicate(map_key, key_lines[map_key], line)
            mapping[map_key] = self.build(value_node, depth + 1)
            key_lines[map_key] = line
        return mapping

    def duplicate(self, key: Any, first_line: int | None, line: int) -> None:
        self.budget.duplicate_keys -= 1
        if self.budget.duplicate_keys < 0:
            return  # a hostile file may repeat a key on every line: the first ones say it
        shown = f"{key!r:.60}"
        message = (
            f"duplicate key {shown}: also written at line {first_line}; "
            "only this later value is read"
        )
        self.problems.append(InputError(ProblemKind.DUPLICATE_KEY, message, line))

    def _merge(self, mapping: LocatedDict, value_node: yaml.Node, depth: int) -> None:
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source_node in sources:
            source = self.build(source_node, depth + 1)
            if isinstance(source, LocatedDict):
                for k, v in source.items():
                    if k not in mapping:
                        mapping[k] = v
                        mapping.key_lines[k] = source.key_lines.get(k, source.line)
                        if not mapping.merged:
                            mapping.merged = set()
                        mapping.merged.add(k)  # type: ignore[union-attr]


def _reader_error(error: yaml.reader.ReaderError, text: str, line_offset: int) -> InputError:
    # The reader's position counts characters (or, from libyaml, bytes) of the text it was
    # given, which for a card is the inside of a comment: the character itself finds the line.
    offset = text.find(chr(error.character)) if isinstance(error.character, int) else -1
    line = text.count("\n", 0, offset) + line_offset + 1 if offset != -1 else None
    character = (
        f"#x{error.character:04x}" if isinstance(error.character, int) else repr(error.character)
    )
    message = f"invalid YAML: character {character} is not allowed (control character)"
    return InputError(ProblemKind.SYNTAX, message, line)


def parse_yaml(text: str, line_offset: int = 0, budget: YamlBudget | None = None) -> ParsedYaml:
    """Parse one YAML document; lines in the result are ``line_offset`` + the line in ``text``.

    Raises InputError with the line of the fault for malformed or hostile input; problems that
    still let the document be read (a duplicate key) come back with the value. Documents of one
    file share one ``budget``.
    """
    budget = budget if budget is not None else YamlBudget()
    lines = _Lines(text, line_offset)
    try:
        _check_shape(text, lines, budget.nodes)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = lines.of(mark.line) if mark is not None else None
        problem = error.problem or error.context or "malformed YAML"
        raise InputError(ProblemKind.SYNTAX, f"invalid YAML: {problem}", line) from None
    except yaml.reader.ReaderError as error:
        raise _reader_error(error, text, line_offset) from None
    except yaml.YAMLError as error:
        message = " ".join(str(error).split())
        raise InputError(ProblemKind.SYNTAX, f"invalid YAML: {message}", None) from None
    if node is None:
        return ParsedYaml(None)
    builder = _Builder(lines, budget)
    try:
        value = builder.build(node)
    except RecursionError:
        raise InputError(
            ProblemKind.TOO_COMPLEX, "YAML nesting is too deep", line_offset + 1
        ) from None
    budget.nodes -= builder.nodes
    return ParsedYaml(value, builder.problems)
