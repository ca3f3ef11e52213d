"""Text, table, CSV and JSON renderings of models for the command line."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from modelindex.fields import METADATA_FIELDS
from modelindex.metric_semantics import is_threshold, semantics_of
from modelindex.preprocessing import Preprocessing
from modelindex.printable import printable
from modelindex.query import FIELDS, row_of
from modelindex.readers.registry import names_per_file
from modelindex.schema import MetricEntry, Model, Result, short_repr

_METADATA_ORDER = [(name.attribute, name) for name in METADATA_FIELDS]
TABLE_COLUMNS = (
    "name",
    "collection",
    "parameters",
    "flops",
    "image_size",
    "crop_pct",
    "interpolation",
    "top1",
)


# For a zoo with no image models: what the task was, on what, and the first number.
RESULT_COLUMNS = ("name", "task", "dataset", "dataset_config", "split", "metric", "value")
_NUMERIC_COLUMNS = frozenset(
    {"parameters", "flops", "file_size", "image_size", "crop_pct", "top1", "top5", "value"}
)


def columns_for(models: list[Model]) -> tuple[str, ...]:
    """The image columns, unless no model of the list takes images."""
    return TABLE_COLUMNS if any(is_image_model(model) for model in models) else RESULT_COLUMNS


def plural(count: int, noun: str) -> str:
    """'1 model', '2 models'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def human_count(value: int | None) -> str:
    if value is None:
        return "-"
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= scale:
            return f"{value / scale:.2f}{suffix}"
    return str(value)


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def model_as_text(model: Model) -> str:
    lines = [model.name or "(unnamed model)"]

    def add(label: str, value: Any, indent: int = 2) -> None:
        if value is None or value == [] or value == {}:
            return
        lines.append(f"{' ' * indent}{label:<22}{_plain(value)}")

    add("In Collection", model.in_collection)
    add("Declared at", f"{model.source} ({model.dialect})")
    takes_images = is_image_model(model)
    metadata_at = len(lines)
    metadata = model.metadata
    for attr, display in _METADATA_ORDER:
        add(display, getattr(metadata, attr), indent=4)
    for key, value in metadata.extra.items():
        add(key, value, indent=4)
    if len(lines) > metadata_at:
        lines.insert(metadata_at, "  Metadata")
    if takes_images:
        preprocessing = model.preprocessing
        add("Preprocessing", preprocessing.describe())
        lines.extend(_preprocessing_sources(preprocessing))
    if model.results:
        lines.append("  Results")
        for result in model.results:
            lines.extend(_result_lines(result))
    elif not takes_images:
        add("Results", "none")
    if model.paper is not None:
        paper = " ".join(
            part for part in (model.paper.title, model.paper.url and f"<{model.paper.url}>") if part
        )
        add("Paper", paper)
    for label in ("code", "weights", "config", "readme", "image"):
        add(label.title() if label != "readme" else "README", getattr(model, label))
        if label == "weights":
            for url in model.more_weights:
                add("Weights", url)
    if model.config_path:
        add("Config path", model.config_path)
    for key, value in model.extra.items():
        add(key, value)
    for invalid in model.invalid:
        value = short_repr(invalid.value)
        lines.append(f"  ! {invalid.field}: {value} at {invalid.location} ({invalid.reason})")
    return "\n".join(map(printable, lines))


_PREPROCESSING_ORDER = (
    "image_size",
    "crop_pct",
    "resize",
    "crop",
    "interpolation",
    "mean",
    "std",
    "to_rgb",
    "crop_mode",
    "test_image_size",
    "test_crop_pct",
)


def _preprocessing_sources(preprocessing: Preprocessing) -> list[str]:
    """Each preprocessing value with the card or config line that set it."""
    lines = []
    for name in _PREPROCESSING_ORDER:
        source = preprocessing.sources.get(name)
        if source is None:
            continue
        value = getattr(preprocessing, name, None)
        if isinstance(value, tuple):
            joined = "x".join(map(str, value)) if name == "crop" else None
            value = joined or ", ".join(f"{v:g}" for v in value)
        lines.append(f"    {_label(name.replace('_', ' '))}{value}  ({source})")
    lines.extend(f"    ! {problem}" for problem in preprocessing.problems)
    return lines


# Tasks whose inputs are images or video, so that a resize and crop apply.
_VISION_WORDS = ("image", "video", "object", "segment", "detect", "pose", "keypoint", "depth")


def is_image_model(model: Model) -> bool:
    """Whether a model takes images: its preprocessing is known, or a task says so. Only a Hub
    card's model can be anything else here: an LLM has no crop to be unknown."""
    if not names_per_file(model.dialect) or model.preprocessing.is_known:
        return True
    tasks = [*model.metadata.tasks]
    for result in model.results:
        tasks += [result.task or "", (result.task_info and result.task_info.type) or ""]
    return any(word in task.lower() for task in tasks for word in _VISION_WORDS)


def _label(label: str, width: int = 22) -> str:
    """A label padded to its column, and two spaces past it where it is longer."""
    return f"{label:<{width}}" if len(label) < width else f"{label}  "


def _metric_line(metric: MetricEntry) -> str:
    if metric.number is not None:
        value = f"{metric.number:g}"
    else:
        value = "(no value)" if metric.value is None else short_repr(metric.value)
    if metric.spread is not None:
        value = f"{value} ± {metric.spread:g}"
    notes = [metric.type] if metric.type and metric.type != metric.label else []
    semantics = semantics_of(metric.type, metric.name)
    if semantics is not None:
        notes.append(semantics.direction)
    elif is_threshold(metric.label):
        notes.append("a threshold, not a score")
    if metric.config:
        notes.append(f"config {metric.config}")
    if metric.args is not None:
        notes.append(f"args {short_repr(metric.args)}")
    if metric.verified is not None:
        notes.append("verified" if metric.verified else "not verified")
    notes += [f"{key} {short_repr(value)}" for key, value in metric.extra.items()]
    note = f"  ({', '.join(notes)})" if notes else ""
    return f"      {_label(metric.label or '(unnamed)')}{value}{note}"


def _result_lines(result: Result) -> list[str]:
    where = " on ".join(part for part in (result.task, result.dataset) if part) or "unspecified"
    if not result.metric_entries:
        metrics = ", ".join(
            f"{name} {value:g}" for name, value in result.metrics.items() if value is not None
        )
        return [f"    {where}: {metrics or 'no metrics'}"]
    lines = [f"    {where}"]
    details = []
    if result.task_info and result.task_info.type and result.task_info.type != result.task:
        details.append(f"task {result.task_info.type}")
    dataset = result.dataset_info
    if dataset is not None:
        if dataset.type and dataset.type != result.dataset:
            details.append(f"dataset {dataset.type}")
        details += [
            f"{label} {value}"
            for label, value in (
                ("config", dataset.config),
                ("split", dataset.split),
                ("revision", dataset.revision),
            )
            if value
        ]
        if dataset.args is not None:
            details.append(f"args {short_repr(dataset.args)}")
    if details:
        lines.append(f"      {', '.join(details)}")
    lines += [_metric_line(metric) for metric in result.metric_entries]
    if result.source is not None and (result.source.name or result.source.url):
        source = " ".join(
            part
            for part in (result.source.name, result.source.url and f"<{result.source.url}>")
            if part
        )
        lines.append(f"      {_label('Source')}{source}")
    return lines


def model_as_json_data(model: Model) -> dict[str, Any]:
    data = model.model_dump(mode="json")
    preprocessing = model.preprocessing
    data["preprocessing"] = {
        **preprocessing.model_dump(mode="json"),
        "resize_size": preprocessing.resize_size,
        "crop_size": preprocessing.crop_size,
        "description": preprocessing.describe(),
    }
    data["locations"] = {
        field: {"path": where.path, "line": where.line}
        for field, where in model.fields_with_location.items()
    }
    return data


def models_as_json(models: list[Model]) -> str:
    return json.dumps([row_of(model) for model in models], indent=2)


def models_as_csv(models: list[Model]) -> str:
    rows = [row_of(model) for model in models]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(FIELDS), lineterminator="\n")
    writer.writeheader()
    # Data, but read in terminals too: a card's escape sequences are shown, not sent.
    writer.writerows(
        {key: printable(value) if isinstance(value, str) else value for key, value in row.items()}
        for row in rows
    )
    return buffer.getvalue()


def _table_cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column in {"parameters", "flops", "file_size"}:
        return human_count(value)
    if isinstance(value, float):
        return f"{value:g}"
    return printable(str(value))


def models_as_table(models: list[Model], columns: tuple[str, ...] | None = None) -> str:
    columns = columns or columns_for(models)
    cells = [[_table_cell(c, row_of(model)[c]) for c in columns] for model in models]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(
            value.rjust(width) if column in _NUMERIC_COLUMNS else value.ljust(width)
            for column, value, width in zip(columns, values, widths, strict=True)
        ).rstrip()

    out = [line(list(columns)), line(["-" * width for width in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out)
