"""Reader for standalone model-index files: model-index.yml, OpenMMLab metafile.yml, JSON."""

from __future__ import annotations

import json
from typing import Any

from modelindex.located_yaml import LocatedDict, ParsedYaml, parse_yaml
from modelindex.problems import InputError, ProblemKind
from modelindex.readers.eval_results import interpret_eval_results, looks_like_eval_results
from modelindex.readers.model_index_document import interpret_document
from modelindex.readers.records import ReadOutput
from modelindex.readers.registry import Reader, register

DIALECT = "model-index-file"


def _locate_plain(value: Any, line: int | None) -> Any:
    """Wrap JSON values (which carry no lines) in the same shapes the YAML parser returns."""
    if isinstance(value, dict):
        located = LocatedDict(line)
        for key, item in value.items():
            located[key] = _locate_plain(item, line)
            located.key_lines[key] = line
        return located
    if isinstance(value, list):
        return [_locate_plain(item, line) for item in value]
    return value


def _parse_json(text: str) -> ParsedYaml:
    # The json module says whether the text is JSON (YAML would accept a trailing comma); the
    # YAML parser, which reads JSON too, then gives every key its line. Where YAML disagrees
    # (keys over 1024 characters), the values load without lines.
    try:
        plain = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(ProblemKind.SYNTAX, f"invalid JSON: {error.msg}", error.lineno) from None
    except RecursionError:
        raise InputError(ProblemKind.TOO_COMPLEX, "JSON nesting is too deep", None) from None
    except ValueError as error:
        # An integer of more digits than Python converts (4,300) is no JSONDecodeError.
        raise InputError(ProblemKind.SYNTAX, f"invalid JSON: {error}", None) from None
    try:
        return parse_yaml(text)
    except InputError as yaml_error:
        if yaml_error.kind is not ProblemKind.SYNTAX:
            raise
        return ParsedYaml(_locate_plain(plain, None))


def read_model_index_file(path: str, text: str) -> ReadOutput:
    try:
        parsed = _parse_json(text) if path.lower().endswith(".json") else parse_yaml(text)
    except InputError as error:
        return ReadOutput(problems=[error.at(path)])
    if looks_like_eval_results(parsed.value):
        # The Hub's evaluation file, named from outside its .eval_results folder.
        return interpret_eval_results(parsed, path)
    output = interpret_document(parsed.value, path, 1, DIALECT)
    output.problems[:0] = [problem.at(path) for problem in parsed.problems]
    return output


register(
    Reader(
        DIALECT,
        read_model_index_file,
        names=tuple(
            f"{stem}.{suffix}"
            for stem in ("model-index", "metafile")
            for suffix in ("yml", "yaml", "json")
        ),
        named_suffixes=(".yml", ".yaml", ".json"),
    )
)
