"""Parse YAML (and JSON) into plain Python values that remember the line of every mapping key.

libyaml's C composer builds the node graph; this module turns nodes into values itself so that it
can record lines and keep hostile input bounded:

- aliases are shared, never copied, and their expanded size is capped ("billion laughs");
- nesting deeper than any model-index file needs is refused before libyaml composes it, because
  libyaml's recursive C composer overflows the stack (a segfault, not an exception) at ~30k levels.
  A cheap count rules out deep nesting for ordinary files; the rest get an exact depth count from
  libyaml's event parser, which keeps its own stack and cannot overflow.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from modelindex.problems import InputError, ProblemKind

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 200
MAX_ALIAS_EXPANSION = 200_000

# Block nesting needs indentation (or '- ' / '? ' indicators) for each level, and flow nesting an
# opening bracket; a text with fewer of either than MAX_DEPTH cannot nest deeper.
_DEEP_BLOCK = re.compile(rf"^[ \-?]{{{MAX_DEPTH}}}", re.MULTILINE)


class LocatedDict(dict):
    """A mapping from YAML that knows its own line and the line of each of its keys (1-based)."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int | None) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int | None] = {}


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
    if construct is None:
        return node.value
    try:
        return construct(_SCALAR_CONSTRUCTOR, node)
    except (yaml.YAMLError, ValueError):
        return node.value


def _check_depth(text: str, line_offset: int) -> None:
    if text.count("[") + text.count("{") < MAX_DEPTH and not _DEEP_BLOCK.search(text):
        return
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + line_offset + 1
                message = f"YAML nesting deeper than {MAX_DEPTH} levels"
                raise InputError(ProblemKind.TOO_COMPLEX, message, line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


class _Builder:
    def __init__(self, line_offset: int) -> None:
        self.line_offset = line_offset
        self.built: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}
        self.alias_expansion = 0

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
            self.alias_expansion += self.size(node)
            if self.alias_expansion > MAX_ALIAS_EXPANSION:
                raise InputError(
                    ProblemKind.TOO_COMPLEX,
                    f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes",
                    node.start_mark.line + self.line_offset + 1,
                )
            return self.built[key]
        if depth > MAX_DEPTH:
            raise InputError(
                ProblemKind.TOO_COMPLEX,
                f"YAML nesting deeper than {MAX_DEPTH} levels",
                node.start_mark.line + self.line_offset + 1,
            )
        if isinstance(node, yaml.SequenceNode):
            items: list[Any] = []
            self.built[key] = items
            items.extend(self.build(item, depth + 1) for item in node.value)
            return items
        mapping = LocatedDict(node.start_mark.line + self.line_offset + 1)
        self.built[key] = mapping
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._merge(mapping, value_node, depth)
                continue
            map_key = self.build(key_node, depth + 1)
            if isinstance(map_key, (list, dict)):
                map_key = str(map_key)
            mapping[map_key] = self.build(value_node, depth + 1)
            mapping.key_lines[map_key] = key_node.start_mark.line + self.line_offset + 1
        return mapping

    def _merge(self, mapping: LocatedDict, value_node: yaml.Node, depth: int) -> None:
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source_node in sources:
            source = self.build(source_node, depth + 1)
            if isinstance(source, LocatedDict):
                for k, v in source.items():
                    if k not in mapping:
                        mapping[k] = v
                        mapping.key_lines[k] = source.key_lines.get(k, source.line)


def parse_yaml(text: str, line_offset: int = 0) -> Any:
    """Parse one YAML document; lines in the result are ``line_offset`` + the line in ``text``.

    Raises InputError with the line of the fault for malformed or hostile input.
    """
    try:
        _check_depth(text, line_offset)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + line_offset + 1 if mark is not None else None
        problem = error.problem or error.context or "malformed YAML"
        raise InputError(ProblemKind.SYNTAX, f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as error:
        message = " ".join(str(error).split())
        raise InputError(ProblemKind.SYNTAX, f"invalid YAML: {message}", None) from None
    if node is None:
        return None
    try:
        return _Builder(line_offset).build(node)
    except RecursionError:
        raise InputError(
            ProblemKind.TOO_COMPLEX, "YAML nesting is too deep", line_offset + 1
        ) from None
