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
  repeated entries) is kept as ``*.corrupt``, ``*.corrupt-2``... when the run saves (a hard
  link, else a copy: the cache's path holds it until the new file is renamed over it); an
  earlier copy is never overwritten. The new file keeps every valid entry the old one held;
  of a merge conflict, those of both sides (of a key on both, the entry measured last); of a
  file cut short or garbled, the entries complete before the damage.
- A save merges this run's entries into the file as it is then, under a lock on the file's
  folder, so that another run's entries stay. It writes a temporary file
  ``.NAME.<pid>.<tempfile's 8 characters>.tmp`` next to the cache and renames it over the cache.
- A temporary of a writer that was killed (its pid is gone, or it is over an hour old) is
  removed by the next save, after that save has merged the valid entries of a temporary that
  was written whole: those measurements reached no cache yet, and a temporary holds only
  entries that its writer checked. A file is removed only if its name is exactly such a
  temporary's (or ``.measurements-<8 characters>``, as versions before pids wrote them) and its
  text begins as ``_write``'s does, or is a beginning of it (a temporary cut short).
- A cache path that is a link to a file writes to that file (the link stays; the temporary and
  the lock are in the file's folder). A link that leads to no file is left as it is, like a
  user's file: a shared cache that is away (an unmounted share, a moved file) is not split by
  creating a second one where it was.
- The copy inside an installed wheel is read, never written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import stat
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelindex._version import __version__
from modelindex.atomic_write import is_running, replace_atomically
from modelindex.bundled import bundled_path
from modelindex.cache_files import corrupt_copy_name, keep_copy

try:
    import fcntl
except ImportError:  # not on Windows: saves there are atomic but not serialised
    fcntl = None  # type: ignore[assignment]
from modelindex.measurements.record import Measurement, is_complete
from modelindex.measurements.references import Reference, references_for
from modelindex.schema import Model

FORMAT_VERSION = 1
# The table of keys that a reference could not measure (no such model, a build that fails), so
# that a rerun does not start torch to learn it again. A record holds the modelindex version
# that tried and the versions of the libraries installed then: a newer harness, or another
# torch or mmengine, or transformers installed since, tries again. Versions of modelindex that
# predate the table ignore it.
UNMEASURABLE = "unmeasurable"
UNMEASURABLE_STATUSES = ("not verifiable", "failed")
_RECORD_FIELDS = ("status", "reason", "modelindex", "environment", "when")
# What a usable entry holds; an entry written before a field existed is measured again.
# How a cache's text begins (also after a merge-conflict marker, or with its keys sorted): a
# file that begins otherwise is somebody else's, and is not read further.
_CACHE_START = re.compile(rb'\s*(?:[<=>|]{7}[^\n]*\n\s*)?\{\s*"(?:format|entries)"\s*:')
_HEAD_BYTES = 4096
# A writer holds the folder lock while its temporary exists, so one found under the lock was
# left by a killed writer; the age covers platforms without the lock, and reused pids.
_STALE_AFTER_S = 3600.0
# How the text that _write writes begins: a leftover temporary whose text begins otherwise, and
# is no beginning of it either (a temporary cut short), is somebody's file.
_WRITTEN_START = b'{\n "format": '
# The part of a temporary's name that tempfile makes: 8 characters of its alphabet.
_TEMPFILE_PART = "[a-z0-9_]{8}"
# Before temporaries carried a pid, they were named by tempfile alone.
_PIDLESS_TEMPORARY = re.compile(rf"\.measurements-{_TEMPFILE_PART}")
# A line of git's conflict markers (7 of one character, a label after some), and the section
# of a hunk that each begins: the side in the working tree, the common ancestor (of the diff3
# style), the side merged in, the text both sides share.
_CONFLICT_MARKER = re.compile(r"([<|=>])\1{6}(?:[ \t][^\n]*)?\r?")
_NEXT_SECTION = {
    (None, "<"): "ours",
    ("ours", "|"): "base",
    ("ours", "="): "theirs",
    ("base", "="): "theirs",
    ("theirs", ">"): None,
}
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def default_cache_path() -> Path:
    return bundled_path("data") / "measurements.json"


def cache_path(given: Path | None = None, configured: Path | None = None) -> Path:
    """Where the measurements are, for every reader and writer: the path given (``--cache``,
    ``--measurements``, the plugin's option), else ``measurements`` in [tool.modelindex], else
    the cache shipped with modelindex."""
    return given or configured or default_cache_path()


def cache_at(path: Path) -> MeasurementCache | None:
    """The cache at ``path`` for reading, or None where there is none yet."""
    return MeasurementCache(path) if path.is_file() else None


def is_packaged(path: Path) -> bool:
    """Whether ``path`` is the cache shipped inside an installed wheel (read, never written)."""
    return "_bundled" in path.parts


def cache_key(model: str, reference: Reference, library_version: str) -> str:
    stem = f", {reference.stem} stem" if reference.stem else ""
    classes = f"{reference.num_classes} classes" if reference.num_classes else "default classes"
    return (
        f"{model} | {reference.library} {library_version} {reference.built} | "
        f"{reference.size} | {classes}{stem}"
    )


def _any_version(built: str) -> str:
    """'timm 1.0.31 resnet50d' as 'timm * resnet50d'."""
    library = built.split(" ", 2)
    return f"{library[0]} * {library[2]}" if len(library) == 3 else built


def _without_version(key: str) -> str | None:
    """The key with the library version left out; None for a key of another shape."""
    parts = key.split(" | ", 2)
    library = parts[1].split(" ", 2) if len(parts) == 3 else []
    if len(library) != 3:
        return None
    return f"{parts[0]} | {library[0]} {library[2]} | {parts[2]}"


@dataclass(frozen=True)
class _OnDisk:
    """What a cache path holds, as a save would find it."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The valid entries; of repeated keys, the newest entry."""
    damage: str | None = None
    """Set when the file is a damaged cache: it is kept aside before the next save."""
    foreign: str | None = None
    """Set when the path is not a measurement cache: it is never written."""
    unmeasurable: dict[str, dict[str, str]] = field(default_factory=dict)
    """Keys a reference could not measure, each with the status and the reason."""


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


_DECODER = json.JSONDecoder(object_pairs_hook=_json_object)


def _read_cache_file(path: Path) -> _OnDisk:
    """The entries at ``path``, and whether it is a damaged cache or not a cache at all."""
    try:
        if not path.exists():
            return _OnDisk(foreign=_link_to_no_file(path))
        if not path.is_file():
            return _OnDisk(foreign="a folder" if path.is_dir() else "not a regular file")
        with path.open("rb") as stream:
            head = stream.read(_HEAD_BYTES)
            if not _CACHE_START.match(head):
                return _OnDisk(foreign="its text does not begin as a measurement cache does")
            text = head + stream.read()
    except OSError as error:
        return _OnDisk(foreign=f"it cannot be read: {error.strerror or error}")
    return _parse_cache_text(text)


def _link_to_no_file(path: Path) -> str | None:
    """Why ``path`` is not written, where it is a link that leads to no file."""
    if path.exists() or not path.is_symlink():
        return None
    return f"a link to {os.readlink(path)}, which leads to no file"


def _parse_cache_text(text: bytes, rescue: bool = True) -> _OnDisk:
    """The entries of a cache's text; of a damaged text, with ``rescue``, what can be saved."""
    try:
        decoded = text.decode("utf-8")
        document = _DECODER.decode(decoded)
    except UnicodeDecodeError as error:
        return (
            _rescued(text[: error.start].decode("utf-8"), error) if rescue else _unreadable(error)
        )
    except (ValueError, RecursionError) as error:
        return _rescued(decoded, error) if rescue else _unreadable(error)
    found = document.get("format")  # _CACHE_START made sure the text is an object
    if found != FORMAT_VERSION:
        return _OnDisk(foreign=f"format {found!r}, where this version has {FORMAT_VERSION}")
    on_disk = _entries_of(document.get("entries"))
    return dataclasses.replace(on_disk, unmeasurable=_unmeasurable_of(document.get(UNMEASURABLE)))


def _unmeasurable_of(table: object) -> dict[str, dict[str, str]]:
    """The well-formed records of keys that could not be measured. They only spare a rerun
    the time of trying again, so a malformed one is dropped without a word."""
    if not isinstance(table, dict):
        return {}
    return {
        key: record
        for key, record in table.items()
        if _without_version(key) is not None
        and isinstance(record, dict)
        and record.get("status") in UNMEASURABLE_STATUSES
        and all(isinstance(record.get(name), str) for name in _RECORD_FIELDS)
    }


def _unreadable(error: BaseException) -> _OnDisk:
    return _OnDisk(damage=f"unreadable measurement cache ({error}); starting anew")


def _rescued(text: str, error: BaseException) -> _OnDisk:
    """What a damaged cache's text still holds: of a merge conflict, the entries of both sides;
    of a text cut short or garbled, the entries complete before the damage."""
    sides = _conflict_sides(text)
    pairs = [pair for version in sides or [text] for pair in _entries_before_damage(version)]
    rescued = _newest((key, entry) for key, entry in pairs if _is_usable(key, entry))
    if not rescued:
        return _unreadable(error)
    where = "both sides of a merge conflict" if sides else "the complete entries before the damage"
    rescue = f"{len(rescued)} entries rescued from {where}"
    return _OnDisk(rescued, damage=f"unreadable measurement cache ({error}); {rescue}")


def _conflict_sides(text: str) -> tuple[str, str] | None:
    """The two versions that git's conflict markers join in ``text``, None where it has none.
    The common ancestor's lines (of the diff3 style) belong to neither; a hunk cut short ends
    with the text."""
    sides: tuple[list[str], list[str]] = ([], [])
    section: str | None = None
    found = False
    for line in text.split("\n"):
        marker = _CONFLICT_MARKER.fullmatch(line)
        transition = (section, marker.group(1)) if marker else None
        if transition in _NEXT_SECTION:
            section, found = _NEXT_SECTION[transition], True
            continue
        if section in (None, "ours"):
            sides[0].append(line)
        if section in (None, "theirs"):
            sides[1].append(line)
    return ("\n".join(sides[0]), "\n".join(sides[1])) if found else None


def _entries_before_damage(text: str) -> list[tuple[str, Any]]:
    """The entries that a cache's text holds whole before it stops being JSON; none where the
    text names another format."""
    cursor = _JsonCursor(text)
    entries: list[tuple[str, Any]] = []
    # Cut short before its format: the text began as a cache does, and entries are checked.
    named_format: object = FORMAT_VERSION
    with contextlib.suppress(ValueError, RecursionError):
        for key in cursor.members():
            if key == "entries" and cursor.next_character() == "{":
                for entry_key in cursor.members():
                    entries.append((entry_key, cursor.value()))
            elif key == "format":
                named_format = cursor.value()
            else:
                cursor.value()
    return entries if named_format == FORMAT_VERSION else []


class _JsonCursor:
    """Reads a JSON text one value at a time, so that what precedes a damage is kept; a
    damage raises ValueError."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def next_character(self) -> str:
        """The next character that is not white space (read by the next call, not this)."""
        space = _JSON_SPACE.match(self.text, self.position)
        if space:  # always: it matches nothing, at the least
            self.position = space.end()
        return self.text[self.position : self.position + 1]

    def _read(self, character: str) -> bool:
        """Read ``character`` if it comes next."""
        if self.next_character() != character:
            return False
        self.position += 1
        return True

    def value(self) -> Any:
        self.next_character()
        found, self.position = _DECODER.raw_decode(self.text, self.position)
        return found

    def members(self) -> Iterator[str]:
        """The keys of the object that comes next; the caller reads each key's value (with
        :meth:`value` or :meth:`members`) before it asks for the next key."""
        if not self._read("{"):
            raise ValueError("not an object")
        if self._read("}"):
            return
        while True:
            key = self.value()
            if not isinstance(key, str) or not self._read(":"):
                raise ValueError("not a member of an object")
            yield key
            if self._read("}"):
                return
            if not self._read(","):
                raise ValueError("not a separator of members")


def _is_usable(key: str, entry: object) -> bool:
    return _without_version(key) is not None and is_complete(entry)


def _entries_of(table: object) -> _OnDisk:
    if not isinstance(table, dict):
        return _OnDisk(damage="unreadable measurement cache (no table of entries); starting anew")
    pairs = table.pairs if isinstance(table, _RepeatedKeys) else list(table.items())
    usable = [(key, entry) for key, entry in pairs if _is_usable(key, entry)]
    malformed = len(pairs) - len(usable)
    repeated = len(pairs) - len(table)
    problems = []
    if malformed:
        problems.append(
            f"{malformed} malformed or incomplete entries ignored; their models are measured again"
        )
    if repeated:
        problems.append(f"{repeated} repeated keys, of which the newest entry is used")
    return _OnDisk(_newest(usable), damage="; ".join(problems) or None)


def _newest(pairs: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Of the entries of a key, the one measured last; of two measured at once, the later."""
    newest: dict[str, dict[str, Any]] = {}
    for key, entry in pairs:
        if key not in newest or _measured_at(entry) >= _measured_at(newest[key]):
            newest[key] = entry
    return newest


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
                f"{corrupt_copy_name(_file_of(path)).name} when measurements are saved",
                stacklevel=2,
            )
        self.entries: dict[str, dict[str, Any]] = on_disk.entries
        self.unmeasurable = on_disk.unmeasurable
        self._updated_unmeasurable: dict[str, dict[str, str]] = {}

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

    def unmeasurable_record(self, key: str, environment: str) -> dict[str, str] | None:
        """Why ``key`` could not be measured, when this version of modelindex tried it with
        the libraries of ``environment`` (their versions, as :meth:`put_unmeasurable` got)."""
        record = self.unmeasurable.get(key)
        if record and record["modelindex"] == __version__ and record["environment"] == environment:
            return record
        return None

    def put_unmeasurable(
        self, key: str, status: str, reason: str, when: str, environment: str
    ) -> None:
        """Remember that ``key`` could not be measured (``status`` is one of
        UNMEASURABLE_STATUSES) with the libraries of ``environment``, so that a rerun with
        them does not try again."""
        record = {
            "status": status,
            "reason": reason,
            "modelindex": __version__,
            "environment": environment,
            "when": when,
        }
        self.unmeasurable[key] = self._updated_unmeasurable[key] = record
        self.changed = True

    def _of_model(self, model: str) -> list[tuple[str, dict[str, Any]]]:
        if self._by_model is None:
            self._by_model = {}
            for key, entry in self.entries.items():
                self._by_model.setdefault(key.split(" | ", 1)[0], []).append((key, entry))
        return self._by_model.get(model, [])

    def latest_for(self, model: str, reference: Reference) -> Measurement | None:
        """The newest measurement of ``model`` as ``reference``, whatever the library version
        (validate has no library to ask)."""
        wanted = _without_version(cache_key(model, reference, "*"))
        found = [entry for key, entry in self._of_model(model) if _without_version(key) == wanted]
        return Measurement.from_data(max(found, key=_measured_at)) if found else None

    def latest_pretrained(self, model: str, reference: Reference) -> Measurement | None:
        """The newest measurement of ``model`` as ``reference`` that recorded timm's pretrained
        tags, at whatever input size and class count: the tags are the architecture's, and a
        card's Image Size does not change them."""
        built = f"{reference.library} * {reference.built}"
        found = [
            entry
            for key, entry in self._of_model(model)
            if "pretrained" in entry
            and len(parts := key.split(" | ")) == 4
            and _any_version(parts[1]) == built
        ]
        return Measurement.from_data(max(found, key=_measured_at)) if found else None

    def measured(self, models: Iterable[Model]) -> list[tuple[Model, Measurement]]:
        """Each of ``models`` that has a measurement, with the newest one of the first of its
        references (its zoo's own library before timm) that has one."""
        found = []
        for model in models:
            for reference in references_for(model):
                entry = self.latest_for(model.name or "", reference)
                if entry is not None:
                    found.append((model, entry))
                    break
        return found

    def save(self) -> None:
        """Merge this run's measurements into the file as it is now, and write it atomically.

        Another run may have saved since this one read the file: its entries stay, and so do
        those of a save that was killed after writing its temporary. A damaged file is kept
        aside, a path that is not a cache is left alone (see the module's docstring). Keys are
        sorted, so that a diff shows exactly what was measured again.
        """
        if self._refusal is not None:
            return
        file = _file_of(self.path)
        if is_packaged(self.path) or is_packaged(file):
            self._refuse("the copy inside the installed package, read but never written")
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        gone = _link_to_no_file(self.path)  # its folder too may be gone: nothing to lock
        if gone:
            self._refuse(gone)
            return
        with _locked(file.parent):
            on_disk = _read_cache_file(self.path)
            if on_disk.foreign:
                self._refuse(on_disk.foreign)
                return
            stale = _stale_temporaries(file)
            recovered = [pair for entries in stale.values() for pair in entries.items()]
            # On disk last: of two entries measured at once, the one already saved stays.
            merged = {**_newest([*recovered, *on_disk.entries.items()]), **self._updated}
            document: dict[str, Any] = {
                "format": FORMAT_VERSION,
                "entries": dict(sorted(merged.items())),
            }
            unmeasurable = {
                key: record
                for key, record in {**on_disk.unmeasurable, **self._updated_unmeasurable}.items()
                if key not in merged
            }
            if unmeasurable:
                document[UNMEASURABLE] = dict(sorted(unmeasurable.items()))
            _write(file, document, keep_aside=on_disk.damage is not None)
            # Only now: until the new file is in place, a temporary may hold the only copy.
            for temporary in stale:
                with contextlib.suppress(OSError):
                    temporary.unlink()
        self.entries, self._updated, self.changed = merged, {}, False
        self.unmeasurable, self._updated_unmeasurable = unmeasurable, {}
        self._by_model = None


def _file_of(path: Path) -> Path:
    """The file that a cache path names: the path itself, or where its links lead."""
    return Path(os.path.realpath(path))


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialise saves of concurrent runs: a lock on the folder, so no lock file is left."""
    if fcntl is None:
        yield
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _write(file: Path, document: dict[str, Any], keep_aside: bool) -> None:
    text = json.dumps(document, indent=1) + "\n"
    kept = (lambda: keep_copy(file)) if keep_aside and file.exists() else None
    replace_atomically(file, text.encode("utf-8"), before_replace=kept)


def _stale_temporaries(file: Path) -> dict[Path, dict[str, dict[str, Any]]]:
    """The temporaries that writers of ``file`` killed mid-save left in its folder, each with
    its valid entries (none for a temporary cut short)."""
    own = re.compile(rf"\.{re.escape(file.name)}\.([1-9][0-9]{{0,9}})\.{_TEMPFILE_PART}\.tmp")
    now = time.time()
    stale: dict[Path, dict[str, dict[str, Any]]] = {}
    for candidate in file.parent.iterdir():
        mine = own.fullmatch(candidate.name)
        if not (mine or _PIDLESS_TEMPORARY.fullmatch(candidate.name)):
            continue
        try:
            old = now - candidate.lstat().st_mtime > _STALE_AFTER_S
        except OSError:
            continue  # gone already
        if old or (mine and not is_running(int(mine.group(1)))):
            entries = _entries_of_temporary(candidate)
            if entries is not None:
                stale[candidate] = entries
    return stale


def _entries_of_temporary(path: Path) -> dict[str, dict[str, Any]] | None:
    """The valid entries of a temporary that :func:`_write` left, none of one cut short; None
    for a file that is not such a temporary, which is left as it is."""
    try:
        # Not a FIFO (opening it would block) nor a link to somebody's file.
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
        with path.open("rb") as stream:
            head = stream.read(len(_WRITTEN_START))
            if not _WRITTEN_START.startswith(head):
                return None
            text = head + stream.read()
    except OSError:
        return None
    on_disk = _parse_cache_text(text, rescue=False)
    return None if on_disk.foreign else on_disk.entries
