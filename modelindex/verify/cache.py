"""Measurements cached in a JSON file (``data/measurements.json``), committed with the zoo.

``modelindex validate`` reads it with no torch installed. An entry is keyed by the zoo model,
the reference (library, version and model id), the input size and the class count, so that a
new timm version or another input size is measured anew instead of being mistaken for the old.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

from modelindex.bundled import bundled_path
from modelindex.verify.references import Reference

FORMAT_VERSION = 1


def default_cache_path() -> Path:
    return bundled_path("data") / "measurements.json"


def cache_key(model: str, reference: Reference, library_version: str) -> str:
    stem = f", {reference.stem} stem" if reference.stem else ""
    return (
        f"{model} | {reference.library} {library_version} {reference.model_id} | "
        f"{reference.image_size} px | {reference.num_classes} classes{stem}"
    )


def _without_version(key: str) -> str:
    model, reference, rest = key.split(" | ", 2)
    library, _, model_id = reference.split(" ", 2)
    return f"{model} | {library} {model_id} | {rest}"


class MeasurementCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        self.changed = False
        self._by_model: dict[str, list[tuple[str, dict[str, Any]]]] | None = None
        self._load()

    def _load(self) -> None:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as error:
            warnings.warn(
                f"{self.path}: unreadable measurement cache, starting anew: {error}", stacklevel=2
            )
            return
        entries = document.get("entries") if isinstance(document, dict) else None
        if isinstance(entries, dict):
            self.entries = {key: value for key, value in entries.items() if isinstance(value, dict)}

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        if self.entries.get(key) != entry:
            self.entries[key] = entry
            self.changed = True
            self._by_model = None

    def latest_for(self, model: str, reference: Reference) -> dict[str, Any] | None:
        """The newest entry of ``model`` measured as ``reference``, whatever the library version
        (validate has no library to ask)."""
        if self._by_model is None:
            self._by_model = {}
            for key, entry in self.entries.items():
                self._by_model.setdefault(key.split(" | ", 1)[0], []).append((key, entry))
        wanted = cache_key(model, reference, "*")
        found = [
            entry
            for key, entry in self._by_model.get(model, [])
            if _without_version(key) == _without_version(wanted)
        ]
        return max(found, key=lambda entry: str(entry.get("measured_at", ""))) if found else None

    def save(self) -> None:
        """Write atomically, with sorted keys: a diff shows exactly what was re-measured."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"format": FORMAT_VERSION, "entries": dict(sorted(self.entries.items()))}
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".measurements-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(document, stream, indent=1, sort_keys=False)
                stream.write("\n")
            os.replace(temporary, self.path)
        except BaseException:
            os.unlink(temporary)
            raise
        self.changed = False
