"""Turn raw entries into typed collections and models.

Keys are matched case-insensitively with '_' as a space; every field keeps the file and line it
was written at; a model inherits what its collection declares and it does not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from modelindex import fields
from modelindex.fields import normalize_key, result_field
from modelindex.located_yaml import LocatedDict
from modelindex.problems import LoadProblem, ProblemKind
from modelindex.readers.records import EntryKind, RawEntry
from modelindex.readers.registry import is_secondary
from modelindex.schema import (
    EMPTY_VALUE,
    MAX_COUNT_TEXT,
    Collection,
    InheritedKeys,
    InvalidValue,
    Location,
    Model,
    coerce_percent,
    validate_leniently,
)
from modelindex.units import read_count, read_file_size

# normalised key -> the field it sets, for the fields read from a key of their own
ENTRY_KEYS = {normalize_key(name): name for name in fields.ENTRY_FIELDS}
METADATA_KEYS = {key: name for key, name in fields.BY_KEY.items() if name.in_metadata}
_ENTRY_BY_ATTRIBUTE = {name.attribute: name for name in fields.DECLARED if not name.in_metadata}
_METADATA_BY_ATTRIBUTE = {name.attribute: name for name in fields.METADATA_FIELDS}


def _field_name(loc: tuple[Any, ...]) -> str:
    """The model-index key for a pydantic error location."""
    head = loc[0]
    if head == "metadata" and len(loc) > 1:
        if loc[1] == "extra":
            return str(loc[2]) if len(loc) > 2 else fields.METADATA
        return _METADATA_BY_ATTRIBUTE.get(str(loc[1]), str(loc[1]))
    if head == "results" and len(loc) > 1:
        if len(loc) > 3 and loc[2] == "metrics":
            return result_field(loc[1], str(loc[3]))
        if len(loc) > 2 and loc[2] in {"task", "dataset"}:
            return result_field(loc[1], str(loc[2]).title())
        return result_field(loc[1])
    return _ENTRY_BY_ATTRIBUTE.get(str(head), str(head))


@dataclass
class _Flat:
    """An entry's values, keyed as the schema wants them, and where each was written."""

    data: dict[str, Any] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    invalid: list[InvalidValue] = field(default_factory=list)
    """Values of the wrong shape (Metadata that is a list), kept for the validator."""
    problems: list[LoadProblem] = field(default_factory=list)
    _spellings: dict[str, tuple[Any, int | None, bool]] = field(default_factory=dict)

    def reject(self, display: str, value: Any, reason: str, where: Location) -> None:
        self.invalid.append(InvalidValue(field=display, value=value, reason=reason, location=where))

    def written(self, display: str, key: Any, where: Location, merged: bool = False) -> bool:
        """Note that ``key`` sets the field ``display``; return whether its value is the one
        to keep. A key written in the entry beats one merged in with '<<' (as in YAML), the
        first merged one beats later ones, and a second spelling written in the entry is a
        problem: its value replaces the first without a word ('Params' and 'Parameters')."""
        if display not in self._spellings:
            self._spellings[display] = (key, where.line, merged)
            return True
        first_key, first_line, first_merged = self._spellings[display]
        if merged:
            return False
        if not first_merged:
            message = (
                f"duplicate key {str(key)!r:.60}: {str(first_key)!r:.60} at line {first_line} "
                "sets the same field (keys are case-insensitive and '_' is a space); only this "
                "later value is read"
            )
            self.problems.append(
                LoadProblem(ProblemKind.DUPLICATE_KEY, where.path, where.line, message)
            )
        self._spellings[display] = (key, where.line, merged)
        return True


def _name_of(value: Any) -> Any:
    """Task and dataset may be written as {Name: ...}."""
    if isinstance(value, dict):
        for key, item in value.items():
            if normalize_key(key) == "name":
                return item
    return value


def _flatten_metadata(raw: Any, path: str, flat: _Flat) -> None:
    metadata: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if isinstance(raw, LocatedDict):
        for key, value in raw.items():
            declared = METADATA_KEYS.get(normalize_key(key))
            display = declared or str(key)
            where = Location(path, raw.key_lines.get(key, raw.line))
            if declared is None:
                extra[str(key)] = value
            elif flat.written(declared, key, where, key in raw.merged):
                metadata[declared.attribute] = value
            else:
                continue
            flat.locations[display] = where
    elif raw is not None:
        flat.reject(
            "Metadata",
            raw,
            "expected a mapping such as Parameters: ...",
            flat.locations["Metadata"],
        )
    metadata["extra"] = extra
    flat.data["metadata"] = metadata


_COUNT_READERS = {
    fields.PARAMETERS: read_count,
    fields.FLOPS: read_count,
    fields.FILE_SIZE: read_file_size,
}


def _read_units(flat: _Flat) -> None:
    """What a count written with its unit states besides its value: the rounding of its
    digits ('11.7 M' is 11.7 million to 50,000) and, for FLOPs, the convention ('GMACs')."""
    metadata = flat.data.get("metadata", {})
    texts: dict[str, str] = {}
    rounding: dict[str, float] = {}
    for counted, read in _COUNT_READERS.items():
        written = metadata.get(counted.attribute)
        if not isinstance(written, str) or len(written) > MAX_COUNT_TEXT:
            continue
        reading = read(written)
        if reading is None:
            continue
        texts[str(counted)] = written
        if reading.half_step is not None:
            rounding[str(counted)] = reading.half_step
        if counted == fields.FLOPS and reading.convention:
            flat.data["flops_convention"] = reading.convention
    if texts:
        flat.data["count_texts"] = texts
    if rounding:
        flat.data["rounding"] = rounding


# 'x ± y', 'x +/- y': a value and its spread, as the Hub's RL tooling writes a mean reward
# ('253.91 +/- 68.63').
_WITH_SPREAD = re.compile(
    r"^\s*([+-]?\d{1,15}(?:\.\d{1,15})?)\s{0,5}(?:±|\+/-|\+-)\s{0,5}(\d{1,15}(?:\.\d{1,15})?)\s*$"
)


def _with_spread(value: Any) -> tuple[Any, str | None]:
    """('253.91', '68.63') for '253.91 +/- 68.63'; (value, None) for anything else."""
    if isinstance(value, str):
        match = _WITH_SPREAD.match(value)
        if match:
            return match.group(1), match.group(2)
    return value, None


# The keys each Hub mapping declares, normalised ('verifyToken' -> 'verifytoken'); 'args' and
# a metric's 'value' may hold anything, the others are text.
_TASK_KEYS = frozenset({"type", "name"})
_DATASET_KEYS = _TASK_KEYS | {"config", "split", "revision", "args"}
_SOURCE_KEYS = frozenset({"name", "url"})
_METRIC_KEYS = _TASK_KEYS | {"value", "config", "args", "verified", "verifytoken"}
_ATTRIBUTES = {"verifytoken": "verify_token"}
_ANY_VALUE = {"args", "value"}


def _info(raw: LocatedDict, keys: frozenset[str]) -> dict[str, Any]:
    """A Hub mapping's values by attribute, and what the schema has no field for in ``extra``
    under the key as written: a misspelt key or a list where text belongs is kept, not lost."""
    info: dict[str, Any] = {"extra": {}}
    for key, value in raw.items():
        normalized = normalize_key(key).replace(" ", "")
        attribute = _ATTRIBUTES.get(normalized, normalized) if normalized in keys else None
        shape_fits = attribute in _ANY_VALUE or not isinstance(value, (dict, list))
        if attribute == "verified" and not isinstance(value, bool):
            shape_fits = value is None
        if attribute is not None and shape_fits and attribute not in info:
            info[attribute] = value
        else:
            info["extra"][str(key)] = value
    return info


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _metric_entry(item: LocatedDict) -> tuple[dict[str, Any], Any, str | None]:
    """A listed metric's entry, its label (name, else type) and why its value is no number
    (None where it is one)."""
    entry = _info(item, _METRIC_KEYS)
    entry["line"] = item.line
    value, spread = _with_spread(entry.get("value"))
    reason = EMPTY_VALUE if _is_empty(value) else None
    try:
        entry["number"] = coerce_percent(value)
        entry["spread"] = None if spread is None else coerce_percent(spread)
    except ValueError as error:
        reason = reason or str(error)
    label = entry.get("name") if entry.get("name") is not None else entry.get("type")
    if isinstance(label, (dict, list)):
        label = None
    return entry, label, reason


def _flatten_metrics(
    raw: Any, index: int, path: str, line: int, flat: _Flat, result: dict[str, Any]
) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    spreads: dict[str, Any] = result["spread"]
    if isinstance(raw, LocatedDict):
        for key, value in raw.items():
            where = Location(path, raw.key_lines.get(key, raw.line))
            flat.locations[result_field(index, str(key))] = where
            if _is_empty(value):
                flat.reject(result_field(index, str(key)), value, EMPTY_VALUE, where)
                continue
            metrics[str(key)], spread = _with_spread(value)
            if spread is not None:
                spreads[str(key)] = spread
    elif isinstance(raw, list):
        # The list form: [{Name: Top 1 Accuracy, Value: 80.4}, ...], as Hub cards write it;
        # every item is kept, a second one of the same name too.
        entries = result["metric_entries"] = []
        for item in raw:
            if not isinstance(item, LocatedDict):
                where = Location(path, line)
                display = result_field(index, "Metrics")
                flat.reject(display, item, "expected {Name, Value}", where)
                continue
            entry, name, reason = _metric_entry(item)
            entries.append(entry)
            if name is None:
                continue
            # Where the value is written: what S011 and the value's other rules point at.
            value_keys = (key for key in item if normalize_key(key) == "value")
            where = Location(path, item.key_lines.get(next(value_keys, None), item.line))
            field_name = result_field(index, str(name))
            repeated = str(name) in metrics
            if reason == EMPTY_VALUE or (repeated and reason is not None):
                # The mapping keeps a name's first value; a second one's fault is said here.
                flat.reject(field_name, entry.get("value"), reason, where)
            if repeated or reason == EMPTY_VALUE:
                continue
            flat.locations[field_name] = where
            metrics[str(name)], spread = _with_spread(entry.get("value"))
            if spread is not None:
                spreads[str(name)] = spread
    elif raw is not None:
        where = Location(path, line)
        reason = "expected a mapping of metric values"
        flat.reject(result_field(index, "Metrics"), raw, reason, where)
    return metrics


def _flatten_results(raw: Any, path: str, line: int, flat: _Flat) -> None:
    results: list[dict[str, Any]] = []
    for index, item in enumerate(raw if isinstance(raw, list) else [raw]):
        if not isinstance(item, LocatedDict):
            if item is not None:
                reason = "expected a mapping with Task, Dataset and Metrics"
                flat.reject(result_field(index), item, reason, Location(path, line))
            continue
        flat.locations[result_field(index)] = Location(path, item.line)
        result: dict[str, Any] = {"extra": {}, "spread": {}}
        for key, value in item.items():
            normalized = normalize_key(key)
            if normalized in {"task", "dataset"}:
                if isinstance(value, LocatedDict):
                    keys = _TASK_KEYS if normalized == "task" else _DATASET_KEYS
                    info = result[f"{normalized}_info"] = _info(value, keys)
                    # The display name, else the id: {type: glue} is a dataset called glue.
                    value = info.get("name") if info.get("name") is not None else info.get("type")
                result[normalized] = _name_of(value)
                where = Location(path, item.key_lines.get(key, item.line))
                flat.locations[result_field(index, normalized.title())] = where
            elif normalized == "metrics":
                key_line = item.key_lines.get(key, item.line)
                # Kept also for an empty mapping: S013 tells `Metrics: {}` from no Metrics.
                flat.locations[result_field(index, "Metrics")] = Location(path, key_line)
                result["metrics"] = _flatten_metrics(value, index, path, key_line, flat, result)
            elif normalized == "source" and isinstance(value, LocatedDict):
                result["source"] = _info(value, _SOURCE_KEYS)
            else:
                result["extra"][str(key)] = value
        results.append(result)
    flat.data["results"] = results


def _flatten_link(raw: Any, attr: str, display: str, flat: _Flat) -> None:
    """Paper and Code may be text or a mapping such as {Title, URL} or {URL, Version}."""
    if not isinstance(raw, dict):
        if attr == "paper":
            is_url = isinstance(raw, str) and "://" in raw
            flat.data["paper"] = {"url" if is_url else "title": raw}
        else:
            flat.data[attr] = raw
        return
    keys = {normalize_key(key): key for key in raw}
    url = raw.get(keys.get("url", ""))
    if attr == "paper":
        title = raw.get(keys.get("title", ""))
        others = {str(k): v for k, v in raw.items() if normalize_key(k) not in {"url", "title"}}
        flat.data["paper"] = {"title": title, "url": url, "extra": others}
        return
    flat.data[attr] = url
    for key, value in raw.items():
        if normalize_key(key) != "url":
            flat.data["extra"][f"{display} {key}"] = value


# The keys of an entry that set one field each, by normalised key.
_SINGLE_FIELDS = {
    **ENTRY_KEYS,
    "metadata": fields.METADATA,
    "results": fields.RESULTS,
    "paper": fields.PAPER,
    "id": fields.ID,
}


def _flatten(raw: LocatedDict, path: str) -> _Flat:
    flat = _Flat()
    flat.data["extra"] = {}
    for key, value in raw.items():
        normalized = normalize_key(key)
        where = Location(path, raw.key_lines.get(key, raw.line))
        field_name = _SINGLE_FIELDS.get(normalized)
        if field_name and not flat.written(field_name, key, where, key in raw.merged):
            continue
        if normalized == "metadata":
            flat.locations["Metadata"] = where
            _flatten_metadata(value, path, flat)
        elif normalized == "results":
            flat.locations["Results"] = where
            _flatten_results(value, path, where.line or raw.line, flat)
        elif normalized in {"paper", "code"}:
            display = fields.PAPER if normalized == "paper" else fields.CODE
            flat.locations[display] = where
            _flatten_link(value, normalized, display, flat)
        elif normalized == "id":
            # timm's cards write ID under Metadata; a top-level ID means the same thing.
            flat.data.setdefault("metadata", {"extra": {}})["id"] = value
            flat.locations["ID"] = where
        elif normalized in ENTRY_KEYS:
            name = ENTRY_KEYS[normalized]
            flat.data[name.attribute] = value
            flat.locations[name] = where
        else:
            flat.data["extra"][str(key)] = value
            flat.locations[str(key)] = where
    return flat


_NOT_INHERITED = {
    "name",
    "extra",
    "source",
    "dialect",
    "invalid",
    "metadata",
    "results",
    # What a count's unit states goes with the count, field by field (see _inherit_units).
    "rounding",
    "count_texts",
    "flops_convention",
}


def _inherit(model: Model, own: _Flat, collection: Collection) -> None:
    """Fill what the model leaves out with its collection's typed values.

    The values are shared, not copied: a collection's 50,000-item list inherited by 20,000
    models must cost one list, not 20,000. What the model wrote itself, valid or not, is its
    own; an invalid value of the collection is reported once, on the collection.
    """
    for attr in collection.model_fields_set - own.data.keys() - _NOT_INHERITED:
        setattr(model, attr, getattr(collection, attr))
    if not model.results and collection.results:
        model.results = collection.results
    metadata, inherited = model.metadata, collection.metadata
    own_metadata = own.data.get("metadata", {}).keys()
    for attr in inherited.model_fields_set - own_metadata - {"extra"}:
        setattr(metadata, attr, getattr(inherited, attr))
    if inherited.extra:
        metadata.extra = (
            InheritedKeys(metadata.extra, inherited.extra)
            if metadata.extra
            else MappingProxyType(inherited.extra)
        )
    model._parent_locations = collection._locations
    _inherit_units(model, own_metadata, collection)


def _inherit_units(model: Model, own_metadata: Iterable[str], collection: Collection) -> None:
    """A count the model inherits brings the rounding and convention its unit states."""
    inherited = [
        str(counted)
        for counted in _COUNT_READERS
        if counted.attribute not in own_metadata and str(counted) in collection.count_texts
    ]
    if not inherited:
        return
    model.rounding = {
        **{key: collection.rounding[key] for key in inherited if key in collection.rounding},
        **model.rounding,
    }
    model.count_texts = {
        **{key: collection.count_texts[key] for key in inherited},
        **model.count_texts,
    }
    if str(fields.FLOPS) in inherited and collection.flops_convention:
        model.flops_convention = collection.flops_convention


def _resolve_path(value: str | None, base: str) -> str | None:
    if not value or "://" in value:
        return None
    return os.path.normpath(os.path.join(base, value))


@dataclass
class BuiltIndex:
    collections: list[Collection]
    models: list[Model]
    problems: list[LoadProblem] = field(default_factory=list)
    """Keys that set the same field twice."""


def _build(
    record_type: type[Collection] | type[Model], flat: _Flat, entry: RawEntry
) -> Collection | Model:
    source = Location(entry.path, entry.data.line)
    flat.data["source"] = source
    flat.data["dialect"] = entry.dialect
    record, invalid = validate_leniently(
        record_type, flat.data, _field_name, flat.locations, source
    )
    if invalid or flat.invalid:
        record.invalid = [*record.invalid, *flat.invalid, *invalid]
    record._locations = flat.locations
    return record


def build_index(entries: Iterable[RawEntry], repo_root: str | None = None) -> BuiltIndex:
    """Type every entry; models inherit from the collection named by ``In Collection``."""
    entries = list(entries)
    problems: list[LoadProblem] = []
    collections: list[Collection] = []
    parents: dict[str, Collection] = {}
    declared_names: set[str] = set()
    for entry in entries:
        if entry.kind is not EntryKind.COLLECTION:
            continue
        flat = _flatten(entry.data, entry.path)
        problems += flat.problems
        _read_units(flat)
        collection = _build(Collection, flat, entry)
        collections.append(collection)  # type: ignore[arg-type]
        if collection.name is None:
            continue
        # A README's title stands for a collection only where no model-index file declares it;
        # otherwise the first declaration wins.
        from_table = is_secondary(entry.dialect)
        if collection.name not in parents or (
            not from_table and collection.name not in declared_names
        ):
            parents[collection.name] = collection  # type: ignore[assignment]
        if not from_table:
            declared_names.add(collection.name)

    models: list[Model] = []
    for entry in entries:
        if entry.kind is not EntryKind.MODEL:
            continue
        flat = _flatten(entry.data, entry.path)
        problems += flat.problems
        _read_units(flat)
        if entry.rounding:
            flat.data["rounding"] = {**flat.data.get("rounding", {}), **entry.rounding}
        model: Model = _build(Model, flat, entry)  # type: ignore[assignment]
        parent = parents.get(model.in_collection) if model.in_collection else None
        if parent is not None:
            _inherit(model, flat, parent)
        for attr, display in (("config", fields.CONFIG), ("readme", fields.README)):
            value = getattr(model, attr)
            if value:
                declared_in = model.location(display).path
                relative_to_root = repo_root is not None and not entry.paths_relative_to_file
                base = repo_root if relative_to_root else os.path.dirname(declared_in)
                if entry.paths_relative_to_file and value.startswith("/"):
                    # A README link such as '/configs/x.py' is relative to the repository.
                    if repo_root is None:
                        continue
                    value, base = value.lstrip("/"), repo_root
                setattr(model, f"{attr}_path", _resolve_path(value, base or "."))
                if attr == "config" and model.config_path:
                    model.config_root = os.path.normpath(repo_root or base or ".")
        models.append(model)
    return BuiltIndex(collections, models, problems)


__all__ = ["BuiltIndex", "InvalidValue", "build_index"]
