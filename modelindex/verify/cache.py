"""Measurements cached in a JSON file (``data/measurements.json``), committed with the zoo.

``modelindex validate`` reads it with no torch installed. An entry is keyed by the zoo model,
the reference (library, version and model id), the input size and the class count, so that a
new timm version or another input size is measured anew instead of being mistaken for the old.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from modelindex.bundled import bundled_path

try:
    import fcntl
except ImportError:  # not on Windows: saves there are atomic but not serialised
    fcntl = None  # type: ignore[assignment]
from modelindex.schema import Model
from modelindex.verify.references import Reference, reference_for

FORMAT_VERSION = 1
# What a usable entry holds; an entry written before a field existed is measured again.
MEASURED_FIELDS = (
    "parameters",
    "buffers",
    "tensors",
    "state_dict_bytes",
    "state_dict_bytes_fp16",
    "macs",
    "mmcv_flops",
)


def default_cache_path() -> Path:
    return bundled_path("data") / "measurements.json"


def is_packaged(path: Path) -> bool:
    """Whether ``path`` is the cache shipped inside an installed wheel (read, never written)."""
    return "_bundled" in path.parts


def cache_key(model: str, reference: Reference, library_version: str) -> str:
    stem = f", {reference.stem} stem" if reference.stem else ""
    classes = f"{reference.num_classes} classes" if reference.num_classes else "default classes"
    return (
        f"{model} | {reference.library} {library_version} {reference.model_id} | "
        f"{reference.image_size} px | {classes}{stem}"
    )


def _without_version(key: str) -> str | None:
    """The key with the library version left out; None for a key of another shape."""
    parts = key.split(" | ", 2)
    library = parts[1].split(" ", 2) if len(parts) == 3 else []
    if len(library) != 3:
        return None
    return f"{parts[0]} | {library[0]} {library[2]} | {parts[2]}"


def is_complete(entry: object) -> bool:
    """Whether ``entry`` holds every measured count, each a non-negative integer."""
    return isinstance(entry, dict) and all(
        isinstance(entry.get(field), int)
        and not isinstance(entry.get(field), bool)
        and entry[field] >= 0
        for field in MEASURED_FIELDS
    )


class MeasurementCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed = False
        self._updated: dict[str, dict[str, Any]] = {}
        self._unreadable = False
        self._by_model: dict[str, list[tuple[str, dict[str, Any]]]] | None = None
        self.entries: dict[str, dict[str, Any]] = self._read(warn=True)

    def _read(self, warn: bool) -> dict[str, dict[str, Any]]:
        """The file's valid entries. An unreadable file is kept aside on the next save."""
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            self._unreadable = True
            if warn:
                warnings.warn(
                    f"{self.path}: unreadable measurement cache, starting anew "
                    f"(it is kept as {self._kept_path().name} when this run saves): {error}",
                    stacklevel=3,
                )
            return {}
        if not isinstance(document, dict) or document.get("format") != FORMAT_VERSION:
            self._unreadable = True
            if warn:
                warnings.warn(
                    f"{self.path}: not a measurement cache of format {FORMAT_VERSION}, starting "
                    f"anew (it is kept as {self._kept_path().name} when this run saves)",
                    stacklevel=3,
                )
            return {}
        entries = document.get("entries")
        valid = {
            key: value
            for key, value in (entries.items() if isinstance(entries, dict) else [])
            if isinstance(key, str) and _without_version(key) and is_complete(value)
        }
        skipped = (len(entries) if isinstance(entries, dict) else 0) - len(valid)
        if skipped and warn:
            warnings.warn(
                f"{self.path}: {skipped} malformed or incomplete entries ignored; "
                "their models are measured again",
                stacklevel=3,
            )
        return valid

    def _kept_path(self) -> Path:
        return self.path.with_name(self.path.name + ".unreadable")

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        if self.entries.get(key) != entry:
            self.entries[key] = entry
            self._updated[key] = entry
            self.changed = True
            self._by_model = None

    def latest_for(self, model: str, reference: Reference) -> dict[str, Any] | None:
        """The newest entry of ``model`` measured as ``reference``, whatever the library version
        (validate has no library to ask)."""
        if self._by_model is None:
            self._by_model = {}
            for key, entry in self.entries.items():
                self._by_model.setdefault(key.split(" | ", 1)[0], []).append((key, entry))
        wanted = _without_version(cache_key(model, reference, "*"))
        found = [
            entry for key, entry in self._by_model.get(model, []) if _without_version(key) == wanted
        ]
        return max(found, key=lambda entry: str(entry.get("measured_at", ""))) if found else None

    def measured(self, models: Iterable[Model]) -> list[tuple[Model, dict[str, Any]]]:
        """Each of ``models`` that has an entry for its reference, with the newest entry."""
        found = []
        for model in models:
            reference = reference_for(model)
            entry = self.latest_for(model.name, reference) if reference and model.name else None
            if entry is not None:
                found.append((model, entry))
        return found

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise saves of concurrent runs: a lock on the folder, so no lock file is left."""
        if fcntl is None:
            yield
            return
        folder = os.open(self.path.parent, os.O_RDONLY)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)
            yield
        finally:
            os.close(folder)  # closing releases the lock

    def save(self) -> None:
        """Merge this run's measurements into the file as it is now, and write it atomically.

        Another run may have saved since this one read the file: its entries stay. An
        unreadable file is renamed aside, not overwritten. Keys are sorted, so that a diff
        shows exactly what was measured again.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            on_disk = self._read(warn=False)
            if self._unreadable and self.path.exists():
                os.replace(self.path, self._kept_path())
            merged = {**on_disk, **self._updated}
            self._write({"format": FORMAT_VERSION, "entries": dict(sorted(merged.items()))})
        self.entries, self._updated, self.changed, self._unreadable = merged, {}, False, False
        self._by_model = None

    def _write(self, document: dict[str, Any]) -> None:
        mode = self.path.stat().st_mode & 0o777 if self.path.exists() else _default_mode()
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".measurements-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(document, stream, indent=1)
                stream.write("\n")
            # mkstemp creates the file 0600; the cache is shared like any other file.
            os.chmod(temporary, mode)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
