"""What the Hugging Face Hub accepts as a card's ``model-index``, checked on the YAML as written.

Three kinds of problem, each with the line of the key or mapping at fault:

- ``HUB_UNREADABLE``: ``huggingface_hub`` cannot read the model-index at all (a required key
  missing, a list written as a mapping), so the card loads there with no results, or not at
  all. Its keys are exact: ``Task:`` is not ``task:``.
- ``HUB_REJECTS``: a value of the wrong type, which the Hub refuses on push
  (``"model-index[0].results[0].dataset.config" must be a string``).
- ``NEAR_MISS_KEY``: a key the format does not have, spelt like one it has (``veriefied``,
  ``types``): its value is ignored.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from modelindex.located_yaml import LocatedDict
from modelindex.problems import LoadProblem, ProblemKind

# A card's model-index is small; a hostile one is not walked past these.
MAX_MODELS = 1_000
MAX_RESULTS = 1_000
MAX_METRICS = 1_000


@dataclass(frozen=True)
class _Level:
    """One mapping of the format: its keys, which of them are required, which hold text."""

    keys: tuple[str, ...]
    required: tuple[str, ...]
    text: tuple[str, ...]


_MODEL = _Level(("name", "results"), ("name", "results"), ("name",))
_RESULT = _Level(("task", "dataset", "metrics", "source"), ("task", "dataset", "metrics"), ())
_TASK = _Level(("type", "name"), ("type",), ("type", "name"))
_DATASET = _Level(
    ("type", "name", "config", "split", "revision", "args"),
    ("type", "name"),
    ("type", "name", "config", "split", "revision"),
)
_METRIC = _Level(
    ("type", "value", "name", "config", "args", "verified", "verifyToken"),
    ("type", "value"),
    ("type", "name", "config", "verifyToken"),
)
_SOURCE = _Level(("name", "url"), ("url",), ("name", "url"))


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return f"{type(value).__name__} {value!r:.40}"


def _near_miss(key: str, known: tuple[str, ...]) -> str | None:
    """The known key that ``key`` is a misspelling of, if it is one."""
    folded = key.strip().lower().replace("_", "").replace("-", "")
    for name in known:
        if folded == name.lower():
            return name
    close = difflib.get_close_matches(folded, [name.lower() for name in known], n=1, cutoff=0.8)
    return next((name for name in known if close and name.lower() == close[0]), None)


class _Walk:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[LoadProblem] = []

    def report(self, kind: ProblemKind, line: int | None, message: str) -> None:
        self.problems.append(LoadProblem(kind, self.path, line, message))

    def mapping(self, value: Any, level: _Level, where: str, line: int | None) -> bool:
        """Check one mapping's keys; return whether it is a mapping at all."""
        if not isinstance(value, LocatedDict):
            message = f"{where} must be a mapping, found {_kind_of(value)}"
            self.report(ProblemKind.HUB_UNREADABLE, line, message)
            return False
        for key in value:
            if key in level.keys:
                continue
            near = _near_miss(str(key), level.keys)
            if near is not None and near not in value:
                at = value.key_lines.get(key, value.line)
                message = (
                    f"unknown key {str(key)!r:.40} in {where}: the Hub ignores it; "
                    f"did you mean {near!r}?"
                )
                self.report(ProblemKind.NEAR_MISS_KEY, at, message)
        for key in level.required:
            if key not in value:
                message = f"{where} has no {key!r}, which the Hub requires"
                self.report(ProblemKind.HUB_UNREADABLE, value.line, message)
        for key in level.text:
            # A bool may be YAML 1.1's reading of 'no' or 'on', which the Hub's YAML 1.2 parser
            # keeps as text ('config: no', Norwegian): not judged.
            if key in value and not isinstance(value[key], (str, bool)):
                at = value.key_lines.get(key, value.line)
                # YAML reads 'config: 2017' as a number and 'name:' as null.
                message = f"{where}.{key} must be a string, found {_kind_of(value[key])}"
                self.report(ProblemKind.HUB_REJECTS, at, message)
        return True

    def child(self, parent: LocatedDict, key: str, level: _Level, where: str) -> None:
        """Check ``parent[key]`` where it is written. An empty source is no source to
        huggingface_hub; one with a name needs its url."""
        if key in parent and (level not in _MAY_BE_EMPTY or parent[key]):
            self.mapping(
                parent[key], level, f"{where}.{key}", parent.key_lines.get(key, parent.line)
            )

    def value(self, mapping: LocatedDict, where: str) -> None:
        value = mapping.get("value")
        if isinstance(value, (dict, list)):
            message = f"{where}.value must be a number or text, found {_kind_of(value)}"
            self.report(ProblemKind.HUB_REJECTS, mapping.key_lines.get("value"), message)

    def listed(self, value: Any, where: str, line: int | None, limit: int) -> Iterator[Any]:
        if not isinstance(value, list):
            message = f"{where} must be a list, found {_kind_of(value)}"
            self.report(ProblemKind.HUB_UNREADABLE, line, message)
            return
        yield from value[:limit]

    def result(self, result: Any, where: str, line: int | None) -> None:
        if not self.mapping(result, _RESULT, where, line):
            return
        for key, level in (("task", _TASK), ("dataset", _DATASET), ("source", _SOURCE)):
            self.child(result, key, level, where)
        if "metrics" not in result:
            return
        at = result.key_lines.get("metrics", result.line)
        for number, metric in enumerate(
            self.listed(result["metrics"], f"{where}.metrics", at, MAX_METRICS)
        ):
            metric_where = f"{where}.metrics[{number}]"
            if not self.mapping(metric, _METRIC, metric_where, at):
                continue
            self.value(metric, metric_where)
            verified = metric.get("verified")
            if "verified" in metric and not isinstance(verified, bool):
                message = (
                    f"{metric_where}.verified must be true or false, found {_kind_of(verified)}"
                )
                self.report(ProblemKind.HUB_REJECTS, metric.key_lines.get("verified"), message)


_EVALUATION = _Level(
    ("dataset", "value", "verifyToken", "date", "source", "notes"),
    ("dataset", "value"),
    ("verifyToken", "notes"),
)
_EVAL_DATASET = _Level(
    ("id", "task_id", "revision"), ("id", "task_id"), ("id", "task_id", "revision")
)
_EVAL_SOURCE = _Level(("url", "name", "user", "org"), ("url",), ("url", "name", "user", "org"))

_MAY_BE_EMPTY = (_SOURCE, _EVAL_SOURCE)


def eval_results_problems(entries: Any, path: str) -> list[LoadProblem]:
    """What the Hub and ``huggingface_hub`` say of a ``.eval_results/*.yaml`` file: a list of
    ``{dataset: {id, task_id, revision}, value, verifyToken, date, source, notes}``."""
    walk = _Walk(path)
    for number, entry in enumerate(walk.listed(entries, "the file", 1, MAX_RESULTS)):
        where = f"[{number}]"
        line = entry.line if isinstance(entry, LocatedDict) else 1
        if not walk.mapping(entry, _EVALUATION, where, line):
            continue
        walk.child(entry, "dataset", _EVAL_DATASET, where)
        walk.child(entry, "source", _EVAL_SOURCE, where)
        walk.value(entry, where)
    return _grouped(walk.problems)


def hub_problems(model_index: Any, path: str, line: int | None) -> list[LoadProblem]:
    """What the Hub and ``huggingface_hub`` say of a card's ``model-index:`` value."""
    walk = _Walk(path)
    if not model_index:
        # huggingface_hub skips an empty model-index.
        return []
    for number, model in enumerate(walk.listed(model_index, "model-index", line, MAX_MODELS)):
        where = f"model-index[{number}]"
        if not walk.mapping(model, _MODEL, where, line) or "results" not in model:
            continue
        at = model.key_lines.get("results", model.line)
        for position, result in enumerate(
            walk.listed(model["results"], f"{where}.results", at, MAX_RESULTS)
        ):
            walk.result(result, f"{where}.results[{position}]", at)
    return _grouped(walk.problems)


_POSITION = re.compile(r"\[\d+\]")


def _grouped(problems: list[LoadProblem]) -> list[LoadProblem]:
    """One problem per kind of fault in a card: ten results without a dataset are one fault,
    reported at the first, with the count."""
    groups: dict[tuple[ProblemKind, str], list[LoadProblem]] = {}
    for problem in problems:
        groups.setdefault((problem.kind, _POSITION.sub("[]", problem.message)), []).append(problem)
    grouped = []
    for same in groups.values():
        first = same[0]
        if len(same) > 1:
            lines = sorted({problem.line for problem in same[1:] if problem.line is not None})
            listed = ", ".join(map(str, lines[:5])) + (", ..." if len(lines) > 5 else "")
            at = f", at line{'s' if len(lines) > 1 else ''} {listed}"
            message = f"{first.message} (and {len(same) - 1} more like it{at if lines else ''})"
            first = LoadProblem(first.kind, first.path, first.line, message)
        grouped.append(first)
    return grouped
