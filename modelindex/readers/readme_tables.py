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

from modelindex.fields import WEIGHT_SUFFIXES, WEIGHTS
from modelindex.located_yaml import LocatedDict
from modelindex.problems import LoadProblem, ProblemKind
from modelindex.readers.hf_cards import has_model_index_header
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
_TAG = re.compile(r"<[^<>\n]{0,40}>")
_BREAK = re.compile(r"/?[ \t]{0,5}<br[ \t]{0,5}/?>", re.IGNORECASE)
_COUNT_HEADER = re.compile(
    r"^(#?params|parameters|flops|gflops|macs|参数量|浮点运算数)(?:\((k|m|g|b|t)\))?$"
)
_NO_VALUE = {"", "-", "\N{EM DASH}", "\N{EN DASH}", "n/a", "na", "none", "/"}
_UNITS = {"k": 1e3, "m": 1e6, "g": 1e9, "b": 1e9, "t": 1e12}
_METRIC_NAMES = {"top-1": "Top 1 Accuracy", "top-5": "Top 5 Accuracy"}
_NAME_HEADERS = {"model", "models", "name", "modelname", "arch", "architecture", "method"}
_NAME_HEADERS |= {"methods", "algorithm", "算法", "模型", "方法"}
_CONFIG_HEADERS = {"config", "configs", "配置文件", "配置"}
_DOWNLOAD_HEADERS = {"download", "downloads", "checkpoint", "checkpoints", "ckpt", "weights"}
_DOWNLOAD_HEADERS |= {"下载", "模型下载", "modeldownload"}
_DATASET_HEADERS = {"dataset", "datasets", "testset", "testdataset", "数据集", "测试集"}
_IMAGE_SIZE_HEADERS = {"resolution", "inputsize", "imagesize", "inputresolution", "分辨率"}
# Columns that describe how a model was trained or run, not how it scored: a number there
# ('8' gpus, '256x192', '300k' iterations) is a setting. A reference implementation's score
# is another model's.
_SETTING_WORDS = (
    "gpu",
    "resource",
    "time",
    "mem",
    "iter",
    "epoch",
    "batch",
    "sampl",
    "采样",
    "protocol",
    "协议",
    "resolution",
    "分辨率",
    "size",
    "scale",
    "pretrain",
    "预训练",
    "与训练",
    "backbone",
    "主干",
    "schedul",
    "modality",
    "fusion",
    "adapter",
    "official",
    "paper",
    "repo",
    "referen",
    "参考",
    "receptive",
    "容量",
    "year",
    "schd",
    "onnx",
    "detail",
    "fft",
    "split",
    "train",
    "task",
    "赛道",
    "fps",
    "speed",
    "latency",
    "信息",
    "mode",
    "log",
)
# A cell's number, then what annotates it: '7.04(-2.7%)', '37.4 / 58.9', '27.38G', '75.2*'.
_LEADING_NUMBER = re.compile(r"[+-]?(?:\d{1,15}(?:\.\d{0,15})?|\.\d{1,15})")
# A cell that is a number, and nothing else ('75.2', '**0.9**'): '300W' is a dataset's name.
_SUPERSCRIPT = re.compile(r"<su[pb]>[^<>]{0,40}</su[pb]>", re.IGNORECASE)
# '2,180' (thousands): one number, not 2 annotated with ',180'.
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3}){1,4}(?:\.\d{1,15})?(?![\d,])")
_NUMBER_CELL = re.compile(r"^[*_ ]{0,4}[+-]?\d{1,15}(?:\.\d{1,15})?[*_% ]{0,4}$")
_FOOTNOTE = re.compile(r"^(?:[*†‡§¹²³⁴⁵⁶⁷⁸⁹]{1,3}|\[\d{1,2}\]|\^\d{1,2})$")
_DECORATION = re.compile(r"\*\*|__|\\|~~")


# Words of a heading that names a part of a page ('Results and Models', 'Model Zoo', 'Main
# Results'), not a dataset or a task.
_SECTION = re.compile(
    r"\b(?:results?|models?|zoo|benchmarks?|performance|checkpoints?|evaluation|experiments?"
    r"|pre-?trained|main|overview|comparisons?|baselines?|downloads?|usage|abstract)\b",
    re.IGNORECASE,
)
_CONNECTOR = frozenset({"and", "of", "the", "for", "&", "-", ":", "on", "in"})
# 'Results on COCO val2017 with detector ...', 'Testing results on Human3.6M dataset with ...'
_RESULTS_ON = re.compile(
    r"^[ \t]{0,3}(?:\*\*)?(?:[A-Za-z]{1,20} )?results? on ([^|\n]{1,300})", re.I
)
_PHRASE_END = re.compile(r" with | using | under | dataset|,|\.\s|\.$|:|\(|\*\*|<", re.I)
# The split a dataset is evaluated on where it is the usual one ('COCO val2017', 'ICDAR2015
# Test'). 'test-dev' is another evaluation, and 'v2' ('AVA v2.1') part of the name: both stay.
_SPLIT_WORD = re.compile(r"^(?:val|valid|validation|test|testing|train|set|split)\d{0,4}$", re.I)
_GROUND_TRUTH_BOXES = re.compile(r"ground[- ]?truth (?:bounding[- ]?box|bbox|box|person box)", re.I)


def _without_split(name: str) -> str | None:
    """A dataset cell without its split: 'ICDAR2015 Test' -> 'ICDAR2015'; '-' -> None."""
    words = name.split()
    while len(words) > 1 and _SPLIT_WORD.match(words[-1]):
        words.pop()
    joined = " ".join(words)
    return None if joined.lower() in _NO_VALUE else joined


_ARTICLE = frozenset({"the", "a", "an", "this", "these", "those", "our", "all", "each", "its"})


def _dataset_named(phrase: str) -> str | None:
    """'COCO val2017 with detector having ...' -> 'COCO'; 'Human-Art validation dataset with
    ground-truth bounding-box' -> 'Human-Art (GT)', the name OpenMMLab gives that setting;
    'COCO test-dev2017' stays, another evaluation than the metafile's."""
    words = _PHRASE_END.split(phrase, maxsplit=1)[0].split()
    while words and words[0].lower() in _ARTICLE:
        words.pop(0)  # 'the Objects365 validation set'
    while len(words) > 1 and _SPLIT_WORD.match(words[-1]):
        words.pop()
    # What cannot be read as a name stays as written ('validation set are better'): it then
    # matches no declared dataset, and the rows below it are not compared.
    name = " ".join(words[:6]) or " ".join(phrase.split()[:6])
    if name and _GROUND_TRUTH_BOXES.search(phrase):
        name += " (GT)"
    return name or None


@dataclass(frozen=True, slots=True)
class _Column:
    role: str
    """name, parameters, flops, metric, measure, config, download, dataset, image_size or
    extra. A metric column says so in its header ('Top-1 (%)'); a measure column is one whose
    header names no setting, read as a metric where its cell is a number."""
    label: str
    unit: float | None = 1.0
    """The header's unit; None where each cell states its own ('27.38G')."""
    dataset: str | None = None
    """The dataset a header names for its column: 'AP<br>(COCO)', 'REDS4 (BIx4)<br>PSNR'."""


def _plain(text: str) -> str:
    """A cell or header as text: links become their text, tags and emphasis go."""
    return _DECORATION.sub("", _TAG.sub("", _LINK.sub(r"\1", text))).strip().strip("*").strip()


def _columns(header: str) -> list[_Column]:
    """The columns one header cell stands for: 'PSNR/SSIM (RGB)' is two."""
    parts = [_plain(part) for part in _BREAK.split(header.replace("\n", " "))]
    parts = [part for part in parts if part]
    label = " ".join(parts)
    dataset = None
    if len(parts) > 1 and _column(label).role in {"metric", "measure"}:
        # 'AP<br>(COCO)', 'REDS4 (BIx4)<br>PSNR': a dataset over or under the metric. A
        # split ('box AP<br>(val)') or a setting ('Latency(ms)<br>RTX3090') is none.
        last = parts[-1]
        if last.startswith("(") and last.endswith(")"):
            label, dataset = " ".join(parts[:-1]), last[1:-1].strip()
        else:
            dataset, label = parts[0], " ".join(parts[1:])
        if _SPLIT_WORD.match(dataset):
            dataset = None
    column = _column(label, dataset)
    if column.role not in {"metric", "measure"} or "/" not in label or "(" in label.split("/")[0]:
        return [column]
    names = [name.strip() for name in label.split("/")]
    if not all(names) or len(names) > 4:
        return [column]
    # 'PSNR/SSIM (RGB)': the qualifier written once belongs to each name.
    tail = re.search(r"\s*\([^()]{1,40}\)$", names[-1])
    if tail and not any("(" in name for name in names[:-1]):
        names = [name + tail.group(0) for name in names[:-1]] + [names[-1]]
    return [_Column(column.role, name, dataset=dataset) for name in names]


def _column(label: str, dataset: str | None = None) -> _Column:
    compact = re.sub(r"\s+", "", label.lower())
    if compact in _NAME_HEADERS:
        return _Column("name", label)
    unit = _COUNT_HEADER.match(compact)
    if unit:
        role = "parameters" if "param" in compact or "参数" in compact else "flops"
        scale = unit.group(2) or ("g" if compact.startswith("gflops") else None)
        return _Column(role, label, _UNITS[scale] if scale else None)
    if compact in _CONFIG_HEADERS:
        return _Column("config", label)
    if compact in _DOWNLOAD_HEADERS:
        return _Column("download", label)
    if compact in _DATASET_HEADERS:
        return _Column("dataset", label)
    if compact in _IMAGE_SIZE_HEADERS:
        return _Column("image_size", label)
    name = label.removesuffix("(%)").strip()
    if name and name != label:
        return _Column(
            "metric", _METRIC_NAMES.get(name.lower().replace(" ", ""), name), dataset=dataset
        )
    if not compact or any(word in compact for word in _SETTING_WORDS):
        return _Column("extra", label)
    return _Column("measure", label, dataset=dataset)


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


@dataclass(frozen=True, slots=True)
class _Reading:
    value: Any
    """The number (scaled by the unit), the text where there is no number, None for '-'."""
    half_step: float | None = None
    note: str | None = None
    """What annotates the number: '(-2.7%)', '/ 58.9'."""


def _number(text: str, unit: float | None, *, strict: bool = True) -> _Reading:
    """'11.17' with unit 1e6 -> 11170000 and a half step of 5000; '27.38G' where each cell
    states its unit; '7.04(-2.7%)' -> 7.04 with its note. ``strict``: a cell with no leading
    number is kept as text (for the schema to report) rather than dropped."""
    # A footnote mark is not a digit of the number: '37.4<sup>1</sup>' is 37.4.
    cleaned = _plain(_SUPERSCRIPT.sub(" ", text))
    if cleaned.lower() in _NO_VALUE:
        return _Reading(None)
    if unit != 1.0 and _THOUSANDS.match(cleaned):
        cleaned = cleaned.replace(",", "")  # '2,180' parameters; a metric's ',' is a decimal
    match = _LEADING_NUMBER.match(cleaned)
    if match is None:
        return _Reading(text if strict else None)
    number = match.group(0)
    rest = cleaned[match.end() :].strip()
    if unit is None:
        unit = _UNITS.get(rest[:1].lower()) if rest else None
        if unit is None:
            return _Reading(None)
        rest = rest[1:].strip()
    if rest.startswith("%"):
        rest = rest[1:].strip()
    try:
        value = float(number)
    except ValueError:
        return _Reading(text if strict else None)
    if not math.isfinite(value) or abs(value) > 1e15:
        return _Reading(text if strict else None)
    if rest and not _FOOTNOTE.match(rest) and rest[0] not in "(/[ ~±,;":
        # '12abc' is not an annotated number.
        return _Reading(text if strict else None)
    decimals = len(number.partition(".")[2])
    half_step = 0.5 * 10.0**-decimals * unit
    scaled = value * unit
    if rest and not _FOOTNOTE.match(rest):
        # '46.98/49.71', '7.04(-2.7%)': which of the numbers a column means is the reader's
        # guess, so it carries no rounding and is never compared with another source.
        return _Reading(round(scaled) if unit > 1 else scaled, None, rest)
    return _Reading(round(scaled) if unit > 1 else scaled, half_step)


def _split_cell(text: str, parts: int) -> list[str]:
    """'31.42/0.8909' under 'PSNR/SSIM': one value per column; else the cell for the first."""
    pieces = text.split("/")
    if len(pieces) == parts:
        return pieces
    return [text] + [""] * (parts - 1)


def _model_name(cell: str, config_url: str | None) -> str | None:
    code = _CODE.search(cell)
    if code:
        return code.group(1).strip()
    text = _plain(cell)
    if config_url:
        # A display name such as 'ResNet-50 (fp16)' is shared between tables; the config's
        # file name is what OpenMMLab's metafiles use as the model's name.
        return PurePosixPath(config_url).stem
    return text or None


def _url_path(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0].lower()


def _is_config(url: str) -> bool:
    return _url_path(url).endswith(".py")


def _is_weights(text: str, url: str) -> bool:
    path = _url_path(url)
    if path.endswith(WEIGHT_SUFFIXES):
        return True
    label = text.strip().lower()
    return label in {"model", "ckpt", "checkpoint", "weights", "download", "模型", "下载"}


def _set(mapping: LocatedDict, key: str, value: Any, line: int) -> None:
    mapping[key] = value
    mapping.key_lines[key] = line


@dataclass(slots=True)
class _Table:
    columns: list[_Column]
    spans: list[int]
    """How many columns each header cell became ('PSNR/SSIM' is two)."""
    with_links: bool
    """Rows are results only where they link a config or weights (OpenMMLab's layouts); a
    table without a name, metric or unit header and without links is prose."""


class _TableParser:
    def __init__(self, path: str) -> None:
        self.path = path
        self.output = ReadOutput()
        self.collection: str | None = None
        self.collection_line = 1
        self.heading: str | None = None
        self.results_on: str | None = None
        """The dataset a line such as 'Results on COCO val2017 with ...' names for the tables
        below it, until the next heading."""
        self.rows_left = MAX_ENTRIES_PER_FILE - 1  # one entry is the collection

    def row(self, table: _Table, raw_cells: list[str], line: int) -> None:
        if self.rows_left <= 0:
            if self.rows_left == 0:
                message = f"more than {MAX_ENTRIES_PER_FILE:,} table rows: the rest are not read"
                self.output.problems.append(
                    LoadProblem(ProblemKind.TOO_COMPLEX, self.path, line, message)
                )
                self.rows_left = -1
            return
        cells: list[str] = []
        for span, cell in zip(table.spans, raw_cells, strict=False):
            cells += _split_cell(cell, span) if span > 1 else [cell]
        columns = table.columns
        by_role: dict[str, str] = {}
        for column, cell in zip(columns, cells, strict=False):
            if column.role not in {"metric", "measure", "extra"}:
                by_role.setdefault(column.role, cell)
        links = _LINK.findall(" ".join(raw_cells))
        config_url = next((url for _, url in _LINK.findall(by_role.get("config", ""))), None)
        if config_url is None:
            # The model's own cell, else the row's one config link, in whichever column.
            named = [url for _, url in _LINK.findall(by_role.get("name", "")) if _is_config(url)]
            anywhere = {url for _, url in links if _is_config(url)}
            config_url = named[0] if named else anywhere.pop() if len(anywhere) == 1 else None
        weights = self._weights(by_role.get("download"), links)
        if table.with_links and not (weights or config_url):
            return  # a group label, a note, a row of a model with no download
        name = _model_name(by_role.get("name", ""), config_url)
        if name is None:
            return
        self.rows_left -= 1
        model = LocatedDict(line)
        metadata = LocatedDict(line)
        results: dict[str | None, LocatedDict] = {}
        rounding: dict[str, float] = {}
        row_dataset = _without_split(_plain(by_role.get("dataset", "")))
        _set(model, "Name", name, line)
        if self.collection:
            _set(model, "In Collection", self.collection, line)
        for column, cell in zip(columns, cells, strict=False):
            if column.role in {"parameters", "flops"}:
                key = "Parameters" if column.role == "parameters" else "FLOPs"
                reading = _number(cell, column.unit, strict=column.unit is not None)
                if reading.value is not None:
                    _set(metadata, key, reading.value, line)
                if reading.half_step is not None:
                    rounding[key] = reading.half_step
            elif column.role in {"metric", "measure"}:
                reading = _number(cell, 1.0, strict=column.role == "metric")
                if reading.value is None:
                    if column.role == "measure" and _plain(cell).lower() not in _NO_VALUE:
                        _set(metadata, column.label, _plain(cell), line)
                    continue
                dataset = column.dataset or row_dataset
                metrics = results.setdefault(dataset, LocatedDict(line))
                _set(metrics, column.label, reading.value, line)
                if reading.half_step is not None:
                    rounding[column.label] = reading.half_step
                if reading.note:
                    _set(metadata, f"{column.label} note", reading.note, line)
            elif column.role == "image_size" and cell.strip().lower() not in _NO_VALUE:
                # '224x224' is an image size; a pose model's '256x192' is a setting.
                size = _plain(cell)
                width, _, height = size.lower().partition("x")
                square = not height or width.strip() == height.strip()
                _set(metadata, "Image Size" if square else column.label, size, line)
            elif column.role == "extra" and _plain(cell).lower() not in _NO_VALUE:
                _set(metadata, column.label, _plain(cell), line)
        if metadata:
            _set(model, "Metadata", metadata, line)
        if results:
            task, heading_dataset = self._task_and_dataset()
            entries = []
            for dataset, metrics in results.items():
                result = LocatedDict(line)
                if task:
                    _set(result, "Task", task, line)
                if dataset or heading_dataset:
                    _set(result, "Dataset", dataset or heading_dataset, line)
                _set(result, "Metrics", metrics, line)
                entries.append(result)
            _set(model, "Results", entries, line)
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

    @staticmethod
    def _weights(download: str | None, links: list[tuple[str, str]]) -> str | None:
        """The checkpoint a row links: in its download cell where it has one ('[model](..) |
        [log](..)', a lone link), else the row's one link to a weights file."""
        if download is not None:
            cell_links = _LINK.findall(download)
            found = next((url for text, url in cell_links if _is_weights(text, url)), None)
            if found is None and len(cell_links) == 1 and cell_links[0][0].strip().lower() != "log":
                found = cell_links[0][1]
            return found
        files = {url for _, url in links if _url_path(url).endswith(WEIGHT_SUFFIXES)}
        return files.pop() if len(files) == 1 else None

    def _task_and_dataset(self) -> tuple[str | None, str | None]:
        if self.results_on:
            return None, self.results_on
        if not self.heading:
            return None, None
        # '<task> on <dataset>', split at the first ' on ' once spaces are collapsed (a regex
        # with a lazy group before '\s+on\s+' is quadratic in a run of spaces).
        task, on, dataset = " ".join(self.heading.split()).partition(" on ")
        if on and task and dataset:
            return (None if _SECTION.search(task) else task), dataset
        # '## Results and Models' names a part of the page; '### Dark Zurich results' the
        # dataset without its section word.
        rest = [w for w in _SECTION.sub(" ", self.heading).split() if w.lower() not in _CONNECTOR]
        return None, " ".join(rest) or None

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


def _second_header(header: list[str], first_row: str) -> list[str] | None:
    """The labels of a header written on two rows: a first body row with no number and no
    link, under a header with empty (spanned) cells, qualifies the labels above it
    ('| Method | | Regular Text |' over '| | IIIT5K | SVT |')."""
    if "" not in header or "](" in first_row:
        return None
    below = _cells(first_row)
    if sum(1 for cell in below if cell) < 2 or any(_NUMBER_CELL.match(cell) for cell in below):
        return None
    width = max(len(header), len(below))
    header, below = header + [""] * (width - len(header)), below + [""] * (width - len(below))
    return [
        " ".join(part for part in (top, sub) if part)
        for top, sub in zip(header, below, strict=True)
    ]


def _table(header: list[str], body: list[str]) -> _Table | None:
    """How to read a table, or None where it holds no results."""
    columns: list[_Column] = []
    spans: list[int] = []
    for cell in header:
        parts = _columns(cell)
        columns += parts
        spans.append(len(parts))
    roles = {column.role for column in columns}
    # Without links, a results table says so in its header: 'Params (M)', 'Top-1 (%)'. A
    # prose table ('| Model | #params | Pre-training data |') is not one.
    stated = {column.role for column in columns if column.unit is not None}
    if "name" in roles and stated & {"parameters", "flops", "metric"}:
        return _Table(columns, spans, with_links=False)
    linked = any(
        _is_weights(text, url) or _is_config(url)
        for line in body
        for text, url in _LINK.findall(line)
    )
    if linked and roles & {"name", "config", "download"}:
        return _Table(columns, spans, with_links=True)
    return None


def read_readme_tables(path: str, text: str) -> ReadOutput:
    if "|" not in text or "-|" not in text.replace(" ", "").replace(":", ""):
        return ReadOutput()
    if has_model_index_header(text):
        return ReadOutput()  # a Hub card: its tables are prose, its models are in the header
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
            parser.results_on = None
            index += 1
            continue
        results_on = _RESULTS_ON.match(line)
        if results_on:
            parser.results_on = _dataset_named(results_on.group(1))
            index += 1
            continue
        is_table = "|" in line and index + 1 < len(lines) and _is_delimiter_row(lines[index + 1])
        if not is_table:
            index += 1
            continue
        if line.count("|") > MAX_COLUMNS + 1:
            index += 2
            continue
        header = line
        index += 2
        body_start = index
        while index < len(lines) and "|" in lines[index] and lines[index].strip():
            index += 1
        body = lines[body_start:index]
        labels = _cells(header)
        two_rows = _second_header(labels, body[0]) if body else None
        if two_rows is not None:
            labels, body, body_start = two_rows, body[1:], body_start + 1
        table = _table(labels, body)
        if table is not None:
            for offset, row in enumerate(body):
                parser.row(table, _cells(row), body_start + offset + 1)
    return parser.finish()


register(
    Reader(
        DIALECT,
        read_readme_tables,
        suffixes=MARKDOWN_SUFFIXES,
        source=Source.SECONDARY,
        # A table of pre-training checkpoints has no metric columns, rightly.
        expected=(WEIGHTS,),
        fallback=True,
    )
)
