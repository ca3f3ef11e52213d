"""Reader for Hugging Face model cards: the ``model-index:`` list in a README's YAML header.

---
model-index:
- name: my-model
  results:
  - task: {type: image-classification, name: Image Classification}
    dataset: {type: imagenet-1k, name: ImageNet}
    metrics:
    - {type: accuracy, value: 80.4, name: Top 1 Accuracy}
---
"""

from __future__ import annotations

import re
from typing import Any

from modelindex.fields import RESULTS, normalize_key
from modelindex.located_yaml import LocatedDict, parse_yaml
from modelindex.problems import InputError, LoadProblem, ProblemKind
from modelindex.readers.model_index_document import interpret_document
from modelindex.readers.records import (
    MARKDOWN_SUFFIXES,
    EntryKind,
    RawEntry,
    ReadOutput,
)
from modelindex.readers.registry import Reader, register

DIALECT = "hf-card"

# 'model-index:', or the legacy 'model_index:', as a key of the header.
_HAS_MODEL_INDEX = re.compile(r"^model[-_]index[ \t]*:", re.IGNORECASE | re.MULTILINE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*$", re.DOTALL | re.MULTILINE)


def _get(mapping: LocatedDict, key: str) -> tuple[Any, int]:
    for raw_key, value in mapping.items():
        if normalize_key(raw_key) == key:
            return value, mapping.key_lines.get(raw_key, mapping.line)
    return None, mapping.line


def _named(value: Any) -> Any:
    """HF writes task and dataset as {type, name}; the schema wants the human-readable name."""
    if isinstance(value, LocatedDict):
        name, _ = _get(value, "name")
        return name if name is not None else _get(value, "type")[0]
    return value


def _hf_result(result: LocatedDict) -> LocatedDict:
    converted = LocatedDict(result.line)
    for field in ("task", "dataset"):
        value, line = _get(result, field)
        if value is not None:
            converted[field.title()] = _named(value)
            converted.key_lines[field.title()] = line
    metrics_value, metrics_line = _get(result, "metrics")
    if metrics_value is None:
        # The legacy model_index writes one 'metric:' mapping per result.
        single, single_line = _get(result, "metric")
        if isinstance(single, LocatedDict):
            metrics_value, metrics_line = [single], single_line
    metrics = LocatedDict(metrics_line)
    for metric in metrics_value if isinstance(metrics_value, list) else []:
        if not isinstance(metric, LocatedDict):
            continue
        name = _get(metric, "name")[0] or _get(metric, "type")[0]
        if name is not None:
            metrics[str(name)] = _get(metric, "value")[0]
            metrics.key_lines[str(name)] = metric.line
    if metrics_value is not None:
        converted["Metrics"] = metrics
        converted.key_lines["Metrics"] = metrics_line
    return converted


def _hf_model(entry: LocatedDict) -> LocatedDict:
    model = LocatedDict(entry.line)
    for raw_key, value in entry.items():
        line = entry.key_lines.get(raw_key, entry.line)
        if normalize_key(raw_key) == "results" and isinstance(value, list):
            value = [_hf_result(r) if isinstance(r, LocatedDict) else r for r in value]
        model[raw_key] = value
        model.key_lines[raw_key] = line
    return model


def has_model_index_header(text: str) -> bool:
    """Whether the file opens with a YAML header that holds a model-index: a Hub card."""
    if not text.startswith("---"):
        return False
    match = _FRONT_MATTER.match(text)
    return match is not None and bool(_HAS_MODEL_INDEX.search(match.group(1)))


def read_hf_card(path: str, text: str) -> ReadOutput:
    output = ReadOutput()
    if not text.startswith("---"):
        return output
    match = _FRONT_MATTER.match(text)
    if match is None or not _HAS_MODEL_INDEX.search(match.group(1)):
        return output
    try:
        parsed = parse_yaml(match.group(1), line_offset=1)
    except InputError as error:
        output.problems.append(error.at(path))
        return output
    header = parsed.value
    if not isinstance(header, LocatedDict):
        return output
    value, line = _get(header, "model-index")
    if value is None:
        value, line = _get(header, "model index")  # 'model_index', as '_' is a space
        if value is not None:
            message = "model_index is the legacy key: read as model-index, which the Hub wants"
            output.problems.append(LoadProblem(ProblemKind.LEGACY_KEY, path, line, message))
    # The rest of the front matter is the Hub's (tags, license, widgets): only what modelindex
    # reads is its to judge.
    end = min((at for at in header.key_lines.values() if at and at > line), default=None)
    output.problems += [
        problem.at(path)
        for problem in parsed.problems
        if problem.line is not None and line <= problem.line and (end is None or problem.line < end)
    ]
    if isinstance(value, LocatedDict):
        # The Papers-with-Code flavour: a whole model-index document in the header.
        output.extend(interpret_document(value, path, line, DIALECT))
        return output
    if not isinstance(value, list):
        message = "model-index in the YAML header must be a list of models"
        output.problems.append(LoadProblem(ProblemKind.STRUCTURE, path, line, message))
        return output
    for entry in value:
        if isinstance(entry, LocatedDict):
            output.entries.append(RawEntry(EntryKind.MODEL, _hf_model(entry), path, DIALECT))
        else:
            message = f"a model-index entry must be a mapping, found {entry!r:.60}"
            output.problems.append(LoadProblem(ProblemKind.STRUCTURE, path, line, message))
    return output


# A Hub card lives beside its weights: it never names a Weights URL.
register(
    Reader(
        DIALECT,
        read_hf_card,
        suffixes=MARKDOWN_SUFFIXES,
        expected=(RESULTS,),
        fallback=True,
        names_per_file=True,
    )
)
