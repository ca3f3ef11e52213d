"""Reader for README result tables, as OpenMMLab publishes them.

    # ResNet
    ### Image Classification on CIFAR-10
    | Model | Pretrain | Params (M) | Flops (G) | Top-1 (%) | Config | Download |
    | :---- | :------: | :--------: | :-------: | :-------: | :----: | :------: |
    | `resnet18_8xb16_cifar10` | From scratch | 11.17 | 0.56 | 94.82 | [config](..) | [model](..) |

Each row becomes a model of the same shape as a model-index entry: Params (M) 11.17 becomes
11170000 parameters (and the rounding, 5000, is kept), the heading gives the result's task and
dataset, the ``model`` link the weights and the ``config`` link the config. The README's title
names the collection.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from modelindex.located_yaml import LocatedDict
from modelindex.problems import LoadProblem, ProblemKind
from modelindex.readers.markdown_blocks import FencedCode
from modelindex.readers.records import (
    MARKDOWN_SUFFIXES,
    MAX_ENTRIES_PER_FILE,
    EntryKind,
    RawEntry,
    ReadOutput,
)
from modelindex.readers.registry import Reader, Source, register

# Every quantifier below is bounded or cannot overlap its neighbour, so that hostile lines cost
# linear time: these patterns run on every line of every markdown file. A link's text stops at
# the next '[' and its URL at the next '(': a scan that starts at one '[' then never runs past
# the start of the next link, so '[](' repeated costs linear time, not 2,000 steps per '['.
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*)$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_LINK = re.compile(
    r"\[([^\[\]\n]{0,500}+)\]"  # [text]
    r"\([ \t]{0,10}+<?([^()\s<>]{1,2000}+)>?"  # (url
    r"(?: \"[^\"\n]{0,500}+\")?[ \t]{0,10}+\)"  # "title")
)

DIALECT = "readme-table"
# Results tables have a dozen columns; a line of a million pipes is not one.
MAX_COLUMNS = 64
_DELIMITER_CHARACTERS = frozenset("|:- \t")
_CODE = re.compile(r"`([^`]+)`")
_COUNT_HEADER = re.compile(r"^(?:params|parameters|#params|flops|gflops)\((k|m|g|b|t)\)$")
_NO_VALUE = {"", "-", "\N{EM DASH}", "\N{EN DASH}", "n/a", "na", "none"}
_UNITS = {"k": 1e3, "m": 1e6, "g": 1e9, "b": 1e9, "t": 1e12}
_METRIC_NAMES = {"top-1": "Top 1 Accuracy", "top-5": "Top 5 Accuracy"}


@dataclass(frozen=True, slots=True)
class _Column:
    role: str
    """name, parameters, flops, metric, config, download, image_size or extra."""
    label: str
    unit: float = 1.0


def _column(header: str) -> _Column:
    label = _LINK.sub(r"\1", header).strip()
    compact = re.sub(r"\s+", "", label.lower())
    if compact in {"model", "models", "name", "modelname"}:
        return _Column("name", label)
    unit = _COUNT_HEADER.match(compact)
    if unit:
        role = "flops" if "flops" in compact else "parameters"
        return _Column(role, label, _UNITS[unit.group(1)])
    if compact in {"config", "configs"}:
        return _Column("config", label)
    if compact in {"download", "downloads", "checkpoint", "weights"}:
        return _Column("download", label)
    if compact in {"resolution", "inputsize", "imagesize", "inputresolution"}:
        return _Column("image_size", label)
    name = label.removesuffix("(%)").strip()
    if name and name != label:
        return _Column("metric", _METRIC_NAMES.get(name.lower().replace(" ", ""), name))
    return _Column("extra", label)


def _is_delimiter_row(line: str) -> bool:
    """'| :--- | ---: |': only pipes, colons, dashes and spaces, with at least one dash."""
    return "-" in line and set(line.strip()) <= _DELIMITER_CHARACTERS


def _cells(line: str) -> list[str]:
    stripped = line.strip()
    if stripped.startswith("|"):
        stripped = stripped[1:]
    if stripped.endswith("|") and not stripped.endswith("\\|"):
        stripped = stripped[:-1]
    cells = _CELL_SPLIT.split(stripped, maxsplit=MAX_COLUMNS)
    return [cell.strip() for cell in cells[:MAX_COLUMNS]]


def _number(text: str, unit: float) -> tuple[Any, float | None]:
    """'11.17' with unit 1e6 -> (11170000, 5000.0); text that is no number is passed on as is."""
    cleaned = text.strip().rstrip("*").strip()
    if cleaned.lower() in _NO_VALUE:
        return None, None
    try:
        value = float(cleaned)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > 1e15:
        return text, None  # kept for the schema to report as a value that does not parse
    decimals = len(cleaned.partition(".")[2]) if "." in cleaned else 0
    half_step = 0.5 * 10.0**-decimals * unit
    scaled = value * unit
    return (round(scaled) if unit > 1 else scaled), half_step


def _model_name(cell: str, config_url: str | None) -> str | None:
    code = _CODE.search(cell)
    if code:
        return code.group(1).strip()
    text = _LINK.sub(r"\1", cell).replace("\\*", "").strip().rstrip("*").strip()
    if config_url:
        # A display name such as 'ResNet-50 (fp16)' is shared between tables; the config's
        # file name is what OpenMMLab's metafiles use as the model's name.
        return PurePosixPath(config_url).stem
    return text or None


def _set(mapping: LocatedDict, key: str, value: Any, line: int) -> None:
    mapping[key] = value
    mapping.key_lines[key] = line


class _TableParser:
    def __init__(self, path: str) -> None:
        self.path = path
        self.output = ReadOutput()
        self.collection: str | None = None
        self.collection_line = 1
        self.heading: str | None = None
        self.rows_left = MAX_ENTRIES_PER_FILE - 1  # one entry is the collection

    def row(self, columns: list[_Column], cells: list[str], line: int) -> None:
        if self.rows_left <= 0:
            if self.rows_left == 0:
                message = f"more than {MAX_ENTRIES_PER_FILE:,} table rows: the rest are not read"
                self.output.problems.append(
                    LoadProblem(ProblemKind.TOO_COMPLEX, self.path, line, message)
                )
                self.rows_left = -1
            return
        self.rows_left -= 1
        by_role: dict[str, str] = {}
        for column, cell in zip(columns, cells, strict=False):
            if column.role not in {"metric", "extra"}:
                by_role.setdefault(column.role, cell)
        config_links = _LINK.findall(by_role.get("config", ""))
        config_url = config_links[0][1] if config_links else None
        name = _model_name(by_role.get("name", ""), config_url)
        if name is None:
            return
        model = LocatedDict(line)
        metadata = LocatedDict(line)
        metrics = LocatedDict(line)
        rounding: dict[str, float] = {}
        _set(model, "Name", name, line)
        if self.collection:
            _set(model, "In Collection", self.collection, line)
        for column, cell in zip(columns, cells, strict=False):
            if column.role in {"parameters", "flops"}:
                key = "Parameters" if column.role == "parameters" else "FLOPs"
                value, half_step = _number(cell, column.unit)
                if value is not None:
                    _set(metadata, key, value, line)
                if half_step is not None:
                    rounding[key] = half_step
            elif column.role == "metric":
                value, half_step = _number(cell, 1.0)
                if value is not None:
                    _set(metrics, column.label, value, line)
                if half_step is not None:
                    rounding[column.label] = half_step
            elif column.role == "image_size" and cell.strip().lower() not in _NO_VALUE:
                _set(metadata, "Image Size", cell.strip(), line)
            elif column.role == "extra" and cell.strip().lower() not in _NO_VALUE:
                _set(metadata, column.label, _LINK.sub(r"\1", cell).strip(), line)
        if metadata:
            _set(model, "Metadata", metadata, line)
        if metrics:
            result = LocatedDict(line)
            task, dataset = self._task_and_dataset()
            if task:
                _set(result, "Task", task, line)
            if dataset:
                _set(result, "Dataset", dataset, line)
            _set(result, "Metrics", metrics, line)
            _set(model, "Results", [result], line)
        links = _LINK.findall(by_role.get("download", ""))
        weights = next((url for text, url in links if text.strip().lower() == "model"), None)
        if weights is None and len(links) == 1 and links[0][0].strip().lower() != "log":
            weights = links[0][1]
        if weights:
            _set(model, "Weights", weights, line)
        if config_url:
            _set(model, "Config", config_url, line)
        self.output.entries.append(
            RawEntry(
                EntryKind.MODEL,
                model,
                self.path,
                DIALECT,
                paths_relative_to_file=True,
                rounding=rounding,
            )
        )

    def _task_and_dataset(self) -> tuple[str | None, str | None]:
        if not self.heading:
            return None, None
        # '<task> on <dataset>', split at the first ' on ' once spaces are collapsed (a regex
        # with a lazy group before '\s+on\s+' is quadratic in a run of spaces).
        task, on, dataset = " ".join(self.heading.split()).partition(" on ")
        if on and task and dataset:
            return task, dataset
        return None, self.heading

    def finish(self) -> ReadOutput:
        if self.output.entries and self.collection:
            collection = LocatedDict(self.collection_line)
            _set(collection, "Name", self.collection, self.collection_line)
            self.output.entries.insert(
                0,
                RawEntry(
                    EntryKind.COLLECTION,
                    collection,
                    self.path,
                    DIALECT,
                    paths_relative_to_file=True,
                ),
            )
        return self.output


def read_readme_tables(path: str, text: str) -> ReadOutput:
    if "|" not in text or "-|" not in text.replace(" ", "").replace(":", ""):
        return ReadOutput()
    parser = _TableParser(path)
    fenced = FencedCode(text)
    lines = text.split("\n")
    offsets: list[int] = []
    offset = 0
    for line in lines:
        offsets.append(offset)
        offset += len(line) + 1
    index = 0
    while index < len(lines):
        line = lines[index]
        if fenced.contains(offsets[index]):
            index += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            title = _LINK.sub(r"\1", heading.group(2).rstrip().rstrip("#")).strip()
            if len(heading.group(1)) == 1 and parser.collection is None:
                parser.collection, parser.collection_line = title, index + 1
            else:
                parser.heading = title
            index += 1
            continue
        is_table = "|" in line and index + 1 < len(lines) and _is_delimiter_row(lines[index + 1])
        if not is_table:
            index += 1
            continue
        if line.count("|") > MAX_COLUMNS + 1:
            index += 2
            continue
        columns = [_column(header) for header in _cells(line)]
        roles = {column.role for column in columns}
        is_results = "name" in roles and roles & {"parameters", "flops", "metric"}
        index += 2
        while index < len(lines) and "|" in lines[index] and lines[index].strip():
            if is_results:
                parser.row(columns, _cells(lines[index]), index + 1)
            index += 1
    return parser.finish()


register(
    Reader(
        DIALECT,
        read_readme_tables,
        suffixes=MARKDOWN_SUFFIXES,
        source=Source.SECONDARY,
        fallback=True,
    )
)
