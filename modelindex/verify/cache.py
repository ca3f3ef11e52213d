"""Measurements cached in a JSON file (``data/measurements.json``), committed with the zoo.

``modelindex validate`` reads it with no torch installed. An entry is keyed by the zoo model,
the reference (library, version and model id), the input size and the class count, so that a
new timm version or another input size is measured anew instead of being mistaken for the old.

What the cache writes, and what it never touches (the rules of the URL cache, and the reasons):

- A path that is not a measurement cache — a folder, a FIFO, a file that cannot be read, a
  file whose text does not begin as a cache does (a markdown card, a checkpoint), JSON of any
  other shape or format — is never renamed, moved or written. A warning says so once, and the
  run goes on without saving: ``verify --cache docs/`` is a typo to be told about, not a
  reason to lose the measurements printed.
- A cache that was ours but is damaged (cut short, a merge conflict, malformed, incomplete or
  repeated entries) is renamed ``*.corrupt``, ``*.corrupt-2``... when the run saves; an earlier
  copy is never overwritten. The new file keeps every valid entry the old one held.
- A save merges this run's entries into the file as it is then, under a lock on the folder, so
  that another run's entries stay. It writes a temporary file named after the writer's pid and
  renames it over the cache; temporaries that a killed writer left are removed by the next save.
- The copy inside an installed wheel is read, never written.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelindex.bundled import bundled_path
from modelindex.cache_files import corrupt_copy_name, move_aside

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
# How a cache's text begins (also after a merge-conflict marker, or with its keys sorted): a
# file that begins otherwise is somebody else's, and is not read further.
_CACHE_START = re.compile(rb'\s*(?:[<=>|]{7}[^\n]*\n\s*)?\{\s*"(?:format|entries)"\s*:')
_HEAD_BYTES = 4096
# A writer holds the folder lock while its temporary exists, so one found under the lock was
# left by a killed writer; the age covers platforms without the lock, and reused pids.
_STALE_AFTER_S = 3600.0
# Before temporaries carried a pid, they were named by tempfile alone.
_PIDLESS_TEMPORARY = re.compile(r"\.measurements-[a-z0-9_]{8}")


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


@dataclass(frozen=True)
class _OnDisk:
    """What a cache path holds, as a save would find it."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The valid entries; of repeated keys, the newest entry."""
    damage: str | None = None
    """Set when the file is a damaged cache: it is kept aside before the next save."""
    foreign: str | None = None
    """Set when the path is not a measurement cache: it is never written."""


class _RepeatedKeys(dict[str, Any]):
    """A JSON object whose text repeats a key; ``pairs`` holds every value, in order."""

    pairs: list[tuple[str, Any]]


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    repeated = _RepeatedKeys(found)
    repeated.pairs = pairs
    return repeated


def _read_cache_file(path: Path) -> _OnDisk:
    """The entries at ``path``, and whether it is a damaged cache or not a cache at all."""
    try:
        if not path.exists():
            return _OnDisk()
        if not path.is_file():
            return _OnDisk(foreign="a folder" if path.is_dir() else "not a regular file")
        with path.open("rb") as stream:
            head = stream.read(_HEAD_BYTES)
            if not _CACHE_START.match(head):
                return _OnDisk(foreign="its text does not begin as a measurement cache does")
            text = head + stream.read()
    except OSError as error:
        return _OnDisk(foreign=f"it cannot be read: {error.strerror or error}")
    try:
        document = json.loads(text.decode("utf-8"), object_pairs_hook=_json_object)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return _OnDisk(damage=f"unreadable measurement cache ({error}); starting anew")
    found = document.get("format")  # _CACHE_START made sure the text is an object
    if found != FORMAT_VERSION:
        return _OnDisk(foreign=f"format {found!r}, where this version has {FORMAT_VERSION}")
    return _entries_of(document.get("entries"))


def _entries_of(table: object) -> _OnDisk:
    if not isinstance(table, dict):
        return _OnDisk(damage="unreadable measurement cache (no table of entries); starting anew")
    pairs = table.pairs if isinstance(table, _RepeatedKeys) else list(table.items())
    valid: dict[str, dict[str, Any]] = {}
    malformed = 0
    for key, entry in pairs:
        if not (_without_version(key) and is_complete(entry)):
            malformed += 1
        elif key not in valid or _measured_at(entry) >= _measured_at(valid[key]):
            valid[key] = entry
    repeated = len(pairs) - len(table)
    problems = []
    if malformed:
        problems.append(
            f"{malformed} malformed or incomplete entries ignored; their models are measured again"
        )
    if repeated:
        problems.append(f"{repeated} repeated keys, of which the newest entry is used")
    return _OnDisk(valid, damage="; ".join(problems) or None)


def _measured_at(entry: dict[str, Any]) -> str:
    return str(entry.get("measured_at", ""))


class MeasurementCache:
    """The cache at ``path``: its valid entries, read once; :meth:`save` writes this run's."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed = False
        self._updated: dict[str, dict[str, Any]] = {}
        self._refusal: str | None = None
        self._by_model: dict[str, list[tuple[str, dict[str, Any]]]] | None = None
        on_disk = _read_cache_file(path)
        if on_disk.foreign:
            self._refuse(on_disk.foreign)
        elif on_disk.damage:
            warnings.warn(
                f"{path}: {on_disk.damage}; the file is kept as "
                f"{corrupt_copy_name(path).name} when measurements are saved",
                stacklevel=2,
            )
        self.entries: dict[str, dict[str, Any]] = on_disk.entries

    def _refuse(self, reason: str) -> None:
        """Never write this path; say so once."""
        if self._refusal is None:
            self._refusal = reason
            warnings.warn(
                f"{self.path} is not a modelindex measurement cache ({reason}); left as it is, "
                "and measurements are not saved to it",
                stacklevel=3,
            )

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
        return max(found, key=_measured_at) if found else None

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

        Another run may have saved since this one read the file: its entries stay. A damaged
        file is renamed aside, a path that is not a cache is left alone (see the module's
        docstring). Keys are sorted, so that a diff shows exactly what was measured again.
        """
        if self._refusal is not None:
            return
        if is_packaged(self.path):
            self._refuse("the copy inside the installed package, read but never written")
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._remove_stale_temporaries()
            on_disk = _read_cache_file(self.path)
            if on_disk.foreign:
                self._refuse(on_disk.foreign)
                return
            merged = {**on_disk.entries, **self._updated}
            document = {"format": FORMAT_VERSION, "entries": dict(sorted(merged.items()))}
            self._write(document, keep_aside=on_disk.damage is not None)
        self.entries, self._updated, self.changed = merged, {}, False
        self._by_model = None

    def _write(self, document: dict[str, Any], keep_aside: bool) -> None:
        mode = self.path.stat().st_mode & 0o777 if self.path.exists() else _default_mode()
        handle, temporary = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.{os.getpid()}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(document, stream, indent=1)
                stream.write("\n")
            # mkstemp creates the file 0600; the cache is shared like any other file.
            os.chmod(temporary, mode)
            if keep_aside and self.path.exists():
                move_aside(self.path)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def _remove_stale_temporaries(self) -> None:
        """Remove what writers of this cache that were killed mid-save left in its folder."""
        own = re.compile(rf"\.{re.escape(self.path.name)}\.(\d{{1,10}})\.[a-z0-9_]+\.tmp")
        now = time.time()
        for candidate in self.path.parent.iterdir():
            mine = own.fullmatch(candidate.name)
            if not (mine or _PIDLESS_TEMPORARY.fullmatch(candidate.name)):
                continue
            with contextlib.suppress(OSError):  # gone already, or not ours to remove
                old = now - candidate.lstat().st_mtime > _STALE_AFTER_S
                if old or (mine and not _is_running(int(mine.group(1)))):
                    candidate.unlink()


def _is_running(pid: int) -> bool:
    if os.name != "posix":
        return True  # os.kill would end the process there, not probe it: the age decides
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
