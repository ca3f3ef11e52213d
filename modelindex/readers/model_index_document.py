"""Interpret one parsed model-index document (Collections, Models, Import) as raw entries.

Shared by the standalone-file reader and the markdown-card reader: the YAML inside a card's
comment has the same shape as a ``model-index.yml``.
"""

from __future__ import annotations

from typing import Any

from modelindex.fields import normalize_key
from modelindex.located_yaml import LocatedDict
from modelindex.problems import LoadProblem, ProblemKind
from modelindex.readers.records import (
    EntryKind,
    ImportRequest,
    RawEntry,
    ReadOutput,
)

_TOP_LEVEL_KEYS = {"collections", "models", "import"}


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def interpret_document(data: Any, path: str, line: int | None, dialect: str) -> ReadOutput:
    """Turn a parsed document into raw entries; ``line`` is where the document starts."""
    output = ReadOutput()

    def problem(message: str, at: int | None) -> None:
        output.problems.append(LoadProblem(ProblemKind.STRUCTURE, path, at, message))

    if data is None:
        problem("model-index document is empty: no Collections, Models or Import", line)
        return output
    if isinstance(data, list):
        data_keys: dict[str, Any] = {}
        models: list[Any] = data
        models_line = line
    elif isinstance(data, LocatedDict):
        data_keys = {}
        for key in data:
            normalized = normalize_key(key)
            if normalized in _TOP_LEVEL_KEYS and normalized in data_keys:
                first = data_keys[normalized]
                message = (
                    f"duplicate key {str(key)!r:.60}: {str(first)!r:.60} at line "
                    f"{data.key_lines.get(first)} is the same key (keys are case-insensitive); "
                    "only this later value is read"
                )
                line_of_key = data.key_lines.get(key, data.line)
                output.problems.append(
                    LoadProblem(ProblemKind.DUPLICATE_KEY, path, line_of_key, message)
                )
            data_keys[normalized] = key
        if not _TOP_LEVEL_KEYS & data_keys.keys():
            if "name" in data_keys:
                # A file may hold a single model, as in the Papers-with-Code format.
                output.entries.append(RawEntry(EntryKind.MODEL, data, path, dialect))
            else:
                problem("model-index document has no Collections, Models or Import", data.line)
            return output
        written = data.get(data_keys.get("models", ""), None)
        models_line = data.key_lines.get(data_keys.get("models", ""), data.line)
        models = _items(written)
        if isinstance(written, LocatedDict):
            # Keys that are model names would make one nameless model out of several.
            problem(
                "Models must be a list of entries ('- Name: ...'), found a mapping", models_line
            )
            if not any(normalize_key(key) == "name" for key in written):
                models = []
    else:
        problem(f"expected a mapping with Collections/Models, found {type(data).__name__}", line)
        return output

    if "collections" in data_keys:
        key = data_keys["collections"]
        for item in _items(data[key]):
            if isinstance(item, LocatedDict):
                output.entries.append(RawEntry(EntryKind.COLLECTION, item, path, dialect))
            else:
                problem(f"a collection must be a mapping, found {item!r:.60}", data.key_lines[key])
    for item in models:
        if isinstance(item, LocatedDict):
            output.entries.append(RawEntry(EntryKind.MODEL, item, path, dialect))
        elif isinstance(item, str):
            # Papers-with-Code allows a model entry to be the path of a file holding it.
            output.imports.append(ImportRequest(item, path, models_line))
        else:
            problem(f"a model must be a mapping, found {item!r:.60}", models_line)
    if "import" in data_keys:
        key = data_keys["import"]
        for item in _items(data[key]):
            if isinstance(item, str):
                output.imports.append(ImportRequest(item, path, data.key_lines[key]))
            else:
                problem(f"an Import entry must be a path, found {item!r:.60}", data.key_lines[key])
    return output
