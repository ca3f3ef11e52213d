"""Text, table, CSV and JSON renderings of models for the command line."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from modelindex.fields import METADATA_FIELDS
from modelindex.printable import printable
from modelindex.query import FIELDS, row_of
from modelindex.schema import Model, short_repr

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
    lines.append("  Metadata")
    metadata = model.metadata
    for attr, display in _METADATA_ORDER:
        add(display, getattr(metadata, attr), indent=4)
    for key, value in metadata.extra.items():
        add(key, value, indent=4)
    lines.append(f"  {'Preprocessing':<22}{model.preprocessing.describe()}")
    if model.results:
        lines.append("  Results")
        for result in model.results:
            where = " on ".join(part for part in (result.task, result.dataset) if part)
            metrics = ", ".join(
                f"{name} {value:g}" for name, value in result.metrics.items() if value is not None
            )
            lines.append(f"    {where or 'unspecified'}: {metrics or 'no metrics'}")
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


def models_as_table(models: list[Model], columns: tuple[str, ...] = TABLE_COLUMNS) -> str:
    cells = [[_table_cell(c, row_of(model)[c]) for c in columns] for model in models]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = {"parameters", "flops", "file_size", "image_size", "crop_pct", "top1", "top5"}

    def line(values: list[str]) -> str:
        return "  ".join(
            value.rjust(width) if column in numeric else value.ljust(width)
            for column, value, width in zip(columns, values, widths, strict=True)
        ).rstrip()

    out = [line(list(columns)), line(["-" * width for width in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out)
