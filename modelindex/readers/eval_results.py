"""Reader for the Hub's evaluation files: ``.eval_results/*.yaml`` in a model's repository.

- dataset:
    id: Idavidrein/gpqa        # the benchmark's dataset on the Hub
    task_id: gpqa_diamond      # the task within it
    revision: 5503434d...
  value: 0.412
  verifyToken: eyJ...
  date: '2025-01-15T10:30:00Z'
  source: {url: https://..., name: Eval Logs, user: ..., org: ...}
  notes: no-tools

Each file is one model's evaluations: the model is the repository that holds the folder. They
read as a Hub card's results would: the benchmark as the dataset's type and its task as the
config, each value a metric named by its task ('score' where the task is missing).
"""

from __future__ import annotations

import os
from pathlib import PurePath
from typing import Any

from modelindex.located_yaml import LocatedDict, ParsedYaml, parse_yaml
from modelindex.problems import InputError
from modelindex.readers.hub_schema import eval_results_problems
from modelindex.readers.records import EntryKind, RawEntry, ReadOutput
from modelindex.readers.registry import Reader, register

DIALECT = "hf-eval-results"
FOLDER = ".eval_results"


def _located(line: int | None, items: dict[str, tuple[Any, int | None]]) -> LocatedDict:
    mapping = LocatedDict(line)
    for key, (value, key_line) in items.items():
        if value is not None:
            mapping[key] = value
            mapping.key_lines[key] = key_line
    return mapping


def _copy_rest(source: LocatedDict, target: LocatedDict, taken: set[str]) -> None:
    """The keys of ``source`` not in ``taken`` into ``target``, with their lines: kept, not lost."""
    for key, value in source.items():
        if key not in taken:
            target[key] = value
            target.key_lines[key] = source.key_lines.get(key)


def _result(entry: LocatedDict) -> LocatedDict:
    """One evaluation as a Hub card's result, keeping every key it has."""
    dataset = entry.get("dataset")
    dataset = dataset if isinstance(dataset, LocatedDict) else LocatedDict(entry.line)
    lines = dataset.key_lines
    task_id = dataset.get("task_id")
    dataset_as_card = _located(
        dataset.line,
        {
            "type": (dataset.get("id"), lines.get("id")),
            "config": (task_id, lines.get("task_id")),
            "revision": (dataset.get("revision"), lines.get("revision")),
        },
    )
    _copy_rest(dataset, dataset_as_card, {"id", "task_id", "revision"})
    # The file names no metric: the score is the benchmark task's, called by its task.
    name = task_id if isinstance(task_id, str) and task_id else "score"
    metric = _located(entry.line, {"name": (name, lines.get("task_id"))})
    _copy_rest(entry, metric, {"dataset", "source"})
    result = _located(
        entry.line,
        {
            "dataset": (dataset_as_card, entry.key_lines.get("dataset")),
            "metrics": ([metric], entry.line),
            "source": (entry.get("source"), entry.key_lines.get("source")),
        },
    )
    return result


def looks_like_eval_results(value: Any) -> bool:
    """Whether a YAML document is a list of evaluations ({dataset: {id, ...}, value}), such as a
    ``.eval_results`` file named outright from elsewhere."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(item, LocatedDict)
            and isinstance(item.get("dataset"), LocatedDict)
            and "id" in item["dataset"]
            and "value" in item
            for item in value
        )
    )


def read_eval_results(path: str, text: str) -> ReadOutput:
    try:
        parsed = parse_yaml(text)
    except InputError as error:
        return ReadOutput(problems=[error.at(path)])
    return interpret_eval_results(parsed, path)


def interpret_eval_results(parsed: ParsedYaml, path: str) -> ReadOutput:
    output = ReadOutput()
    output.problems += [problem.at(path) for problem in parsed.problems]
    output.problems += eval_results_problems(parsed.value, path)
    entries = parsed.value if isinstance(parsed.value, list) else []
    results = [_result(entry) for entry in entries if isinstance(entry, LocatedDict)]
    if not results:
        return output
    # The repository holds the .eval_results folder; a file elsewhere is named for itself.
    where = PurePath(os.path.abspath(path))
    in_folder = where.parent.name == FOLDER and where.parent.parent.name
    repository = where.parent.parent.name if in_folder else where.stem
    model = _located(1, {"name": (repository, None), "results": (results, 1)})
    output.entries.append(RawEntry(EntryKind.MODEL, model, path, DIALECT))
    return output


# The repository is the model: no name of its own, no weights, results all it has.
register(
    Reader(
        DIALECT,
        read_eval_results,
        suffixes=(".yaml", ".yml"),
        folder=FOLDER,
        expected=(),
        names_per_file=True,
    )
)
