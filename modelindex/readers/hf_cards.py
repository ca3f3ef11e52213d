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

from modelindex.fields import normalize_key
from modelindex.located_yaml import LocatedDict, parse_yaml
from modelindex.problems import InputError, LoadProblem, ProblemKind
from modelindex.readers.hub_schema import MAX_MODELS, MAX_RESULTS, hub_problems
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
# Blank lines may come first, as huggingface_hub allows.
_FRONT_MATTER = re.compile(
    r"\A([ \t\r\n]*)---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*$", re.DOTALL | re.MULTILINE
)


def _get(mapping: LocatedDict, key: str) -> tuple[Any, int]:
    for raw_key, value in mapping.items():
        if normalize_key(raw_key) == key:
            return value, mapping.key_lines.get(raw_key, mapping.line)
    return None, mapping.line


_LEGACY_METRIC = ", and write each result's 'metric:' as a list under 'metrics:'"


def _has_single_metric(model_index: Any) -> bool:
    """Whether a legacy model-index writes a result's metric as one 'metric:' mapping."""
    models = model_index if isinstance(model_index, list) else []
    for model in models[:MAX_MODELS]:
        results = _get(model, "results")[0] if isinstance(model, LocatedDict) else None
        for result in results[:MAX_RESULTS] if isinstance(results, list) else []:
            if (
                isinstance(result, LocatedDict)
                and _get(result, "metrics")[0] is None
                and _get(result, "metric")[0] is not None
            ):
                return True
    return False


def _is_one_metric(value: Any) -> bool:
    return isinstance(value, LocatedDict) and _get(value, "value")[0] is not None


def _hf_result(result: LocatedDict) -> LocatedDict:
    """The result as written, but for a single metric written as a mapping (the legacy
    model_index's ``metric:``, or ``metrics:`` without the list's dash), which becomes the
    one item of ``metrics``."""
    metrics = _get(result, "metrics")[0]
    single = metrics if metrics is not None else _get(result, "metric")[0]
    if not _is_one_metric(single):
        return result
    converted = LocatedDict(result.line)
    for raw_key, value in result.items():
        key_line = result.key_lines.get(raw_key, result.line)
        if normalize_key(raw_key) in {"metric", "metrics"}:
            raw_key, value = "metrics", [single]
        converted[raw_key] = value
        converted.key_lines[raw_key] = key_line
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
    match = _FRONT_MATTER.match(text)
    return match is not None and bool(_HAS_MODEL_INDEX.search(match.group(2)))


def read_hf_card(path: str, text: str) -> ReadOutput:
    output = ReadOutput()
    match = _FRONT_MATTER.match(text)
    if match is None or not _HAS_MODEL_INDEX.search(match.group(2)):
        return output
    try:
        parsed = parse_yaml(match.group(2), line_offset=match.group(1).count("\n") + 1)
    except InputError as error:
        output.problems.append(error.at(path))
        return output
    header = parsed.value
    if not isinstance(header, LocatedDict):
        return output
    value, line = header.get("model-index"), header.key_lines.get("model-index", header.line)
    # The Hub reads the key 'model-index' as written; modelindex reads 'model_index' and
    # 'Model-Index' too, and says so.
    legacy = "model-index" not in header
    if legacy:
        for raw_key in header:
            if normalize_key(raw_key) in {"model-index", "model index"}:
                value, line = header[raw_key], header.key_lines.get(raw_key, header.line)
                message = (
                    f"the Hub reads no {str(raw_key)!r:.40}: rename it 'model-index'"
                    + (_LEGACY_METRIC if _has_single_metric(value) else "")
                    + " (modelindex reads it all the same)"
                )
                output.problems.append(LoadProblem(ProblemKind.LEGACY_KEY, path, line, message))
                break
    # The rest of the front matter is the Hub's (tags, license, widgets): only what modelindex
    # reads is its to judge.
    end = min((at for at in header.key_lines.values() if at and at > line), default=None)
    output.problems += [
        problem.at(path)
        for problem in parsed.problems
        if problem.line is not None and line <= problem.line and (end is None or problem.line < end)
    ]
    if value is not None and not legacy:
        output.problems += hub_problems(value, path, line)
    if isinstance(value, LocatedDict):
        # The Papers-with-Code flavour: a whole model-index document in the header.
        output.extend(interpret_document(value, path, line, DIALECT))
        return output
    if not isinstance(value, list):
        if legacy:  # otherwise the Hub's own check has said so
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


# A Hub card lives beside its weights: it never names a Weights URL. Nor is a model without
# results a gap: `results: []` is how the Hub's tools write a model nobody evaluated, and a
# missing `results` key is one the Hub's own check reports (H001).
register(
    Reader(
        DIALECT,
        read_hf_card,
        suffixes=MARKDOWN_SUFFIXES,
        expected=(),
        fallback=True,
        names_per_file=True,
    )
)
