"""Download a weights file in bounded memory, disk and time: its sha256, and its parameters
when countable.

The bytes are read as stored (``Accept-Encoding: identity``, never inflated here), at most
``max_bytes`` of them (the card's File Size and a margin, else a ceiling). Only what counting
needs is kept: a safetensors file's header, in memory; a torch file, on disk, where torch can
count it and while the disk keeps room. Every byte goes through sha256.

The time follows what the server does (see :class:`~modelindex.online.options.HttpSettings`):

- the answer (status and headers) comes within a probe's time;
- the body brings 64 KiB in every stall window (4 read timeouts, at least 2 s);
- the body may take its grace (30 s, or a stall window if longer) plus a second for every MiB
  it brings: a small file arrives whole at any pace that does not stall; a larger one must
  keep up 1 MiB/s on average, so that a server sending slowly without end is cut within
  about a minute;
- the whole may take no longer than a probe, the grace, and the body's size at 1 MiB/s, the
  size being the Content-Length the server announced, else the card's File Size (and the
  margin), else ``UNSIZED_BODY_BYTES`` (4 GiB: some 70 minutes).

Interrupted or killed, a run leaves no file behind for long: its folders are removed on the
way out, and a folder of a process that died without that (SIGKILL) is removed by the next
run that downloads (its name carries the process id).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO, Protocol

import requests

from modelindex.links import file_name
from modelindex.online.checkpoint import (
    TORCH_MISSING,
    InvalidCheckpoint,
    SafetensorsHeader,
    count_checkpoint_parameters,
    torch_importable,
)
from modelindex.online.deadline import Deadline, overall_deadline
from modelindex.online.http_client import (
    Sessions,
    conditional_headers,
    content_encoding,
    cut_short,
    fault_result,
    from_response,
    get_streamed,
    read_chunks,
)
from modelindex.online.options import MAX_DOWNLOAD_BYTES, UNSIZED_BODY_BYTES
from modelindex.online.results import CheckKind, Status, UrlResult

CHUNK_BYTES = 1 << 20
# Room above a declared File Size: its rounding ('102 MB'), and a little more, so that a file
# slightly off is downloaded whole and its exact size reported.
_SIZE_MARGIN_SHARE = 10
_SIZE_MARGIN_BYTES = 1 << 20
# A torch file is written only while the disk keeps this much free for everyone else; the
# room is looked at every _DISK_CHECK_BYTES written, far fewer times than there are chunks.
DISK_RESERVE_BYTES = 1 << 30
_DISK_CHECK_BYTES = 64 << 20


def download_limit(declared_sizes: Iterable[int | None], ceiling: int = MAX_DOWNLOAD_BYTES) -> int:
    """The most bytes a download may take: the largest File Size declared for it, a tenth and
    a MiB more, and never above ``ceiling``."""
    largest = max((size for size in declared_sizes if size is not None and size > 0), default=0)
    if not largest:
        return ceiling
    # Integers only: a File Size of 1e400 must not overflow a float.
    return min(ceiling, largest + largest // _SIZE_MARGIN_SHARE + _SIZE_MARGIN_BYTES)


class _Running:
    """A download under way: its deadline, and the folder of the file it writes (if any)."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.folder: Path | None = None

    def new_folder(self) -> Path:
        with _RUNNING_LOCK:
            # Stopped already: no folder may appear after remove_partial_downloads looked.
            if self.deadline.fired:
                raise TimeoutError("the download was stopped")
            prefix = f"{_FOLDER_PREFIX}{os.getpid()}-"
            self.folder = Path(tempfile.mkdtemp(prefix=prefix))
            return self.folder

    def remove_files(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


_RUNNING: set[_Running] = set()
_RUNNING_LOCK = threading.Lock()
# A download's folder is named after the process writing it, so that a later run can tell the
# folders of processes that died without removing them (SIGKILL) from those still in use.
_FOLDER_PREFIX = "modelindex-download-"
_FOLDER_NAME = re.compile(rf"{_FOLDER_PREFIX}(?P<pid>[1-9][0-9]{{0,9}})-\w+")


def remove_abandoned_downloads() -> None:
    """Remove the download folders that processes which died without removing them left in
    the temporary folder: only folders named as this module names them, owned by this user,
    whose process no longer runs."""
    if os.name != "posix":
        return  # on Windows, os.kill(pid, 0) ends the process instead of asking after it
    try:
        entries = list(os.scandir(tempfile.gettempdir()))
    except OSError:
        return
    for entry in entries:
        named = _FOLDER_NAME.fullmatch(entry.name)
        if named and _own_folder(entry) and not _process_runs(int(named["pid"])):
            shutil.rmtree(entry.path, ignore_errors=True)


def _own_folder(entry: os.DirEntry[str]) -> bool:
    try:
        status = entry.stat(follow_symlinks=False)
    except OSError:
        return False
    return stat.S_ISDIR(status.st_mode) and status.st_uid == os.getuid()


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 asks whether the process exists, and sends nothing
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's; a number no pid reaches
        return True
    return True


def remove_partial_downloads() -> None:
    """Stop every download under way, in any thread, and remove the files they were writing.

    For an interrupted run that leaves at once (``os._exit``), without waiting for its worker
    threads: their ``finally`` blocks would never run. Safe to call more than once."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for entry in running:
        entry.deadline.expire()  # its socket is shut down: its thread stops reading
        with _RUNNING_LOCK:
            entry.remove_files()


@contextmanager
def _running(deadline: Deadline) -> Iterator[_Running]:
    running = _Running(deadline)
    with _RUNNING_LOCK:
        _RUNNING.add(running)
    try:
        yield running
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(running)
        running.remove_files()


def download(
    sessions: Sessions,
    url: str,
    previous: UrlResult | None = None,
    count_parameters: bool = True,
    deadline_s: float | None = None,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    unsized_bytes: int | None = None,
) -> UrlResult:
    """Stream ``url`` through sha256, ``CHUNK_BYTES`` at a time. With ``count_parameters``,
    keep what counting its tensors needs, and count them. ``deadline_s`` bounds the whole;
    by default the answer has a probe's time, and the body the time its size gives (see the
    module's notes). ``unsized_bytes``: the size to time a body by when the server announces
    none (the card's File Size, where it declares one); by default ``max_bytes``, at most
    ``UNSIZED_BODY_BYTES``."""
    if previous is not None and previous.sha256 is None:
        previous = None  # nothing worth renewing: download again
    settings = sessions.settings
    answer_s = settings.probe_deadline_s if deadline_s is None else deadline_s
    if unsized_bytes is None:
        unsized_bytes = min(max_bytes, UNSIZED_BODY_BYTES)

    def total_s(announced: int | None) -> float:
        if deadline_s is not None:
            return deadline_s
        return settings.transfer_deadline_s(unsized_bytes if announced is None else announced)

    with overall_deadline(answer_s) as deadline, _running(deadline) as running:
        result = _download(sessions, url, previous, count_parameters, running, max_bytes, total_s)
    return cut_short(deadline, result)


def _download(
    sessions: Sessions,
    url: str,
    previous: UrlResult | None,
    count_parameters: bool,
    running: _Running,
    max_bytes: int,
    total_s: Callable[[int | None], float],
) -> UrlResult:
    session = sessions.get()
    try:
        with get_streamed(
            session, url, sessions.timeout, conditional_headers(previous)
        ) as response:
            result = from_response(url, CheckKind.DOWNLOAD, response, previous)
            if response.status_code == 304 or result.status is not Status.OK:
                return result
            encoding = content_encoding(response)
            if encoding is not None:
                note = f"sent {encoding}-encoded though asked for the file as stored; not read"
                return replace(result, checkpoint_note=note)
            if result.content_length is not None and result.content_length > max_bytes:
                return _too_large(result, max_bytes)
            running.deadline.extend_to(total_s(result.content_length))
            counter = _counter(url, count_parameters, running, result.content_length)
            try:
                streamed = _stream(response, counter, running.deadline, max_bytes, sessions)
            finally:
                counter.close()
        if streamed is None:
            return _too_large(replace(result, content_length=None), max_bytes)
        digest, size = streamed
        return counter.counted(replace(result, sha256=digest, content_length=size), size)
    except requests.RequestException as error:
        return fault_result(url, CheckKind.DOWNLOAD, error)
    except OSError as error:
        return UrlResult(url, CheckKind.DOWNLOAD, Status.UNREACHABLE, f"cannot store: {error}")


def _too_large(result: UrlResult, max_bytes: int) -> UrlResult:
    note = f"larger than the {max_bytes} bytes a download may take; stopped there"
    return replace(result, larger_than=max_bytes, checkpoint_note=note)


def _stream(
    response: requests.Response,
    counter: _Counter,
    deadline: Deadline,
    max_bytes: int,
    sessions: Sessions,
) -> tuple[str, int] | None:
    """(sha256, size) of the body, or None once it runs past ``max_bytes`` (reading stops)."""
    digest = hashlib.sha256()
    size = 0
    for chunk in read_chunks(response, CHUNK_BYTES, deadline, False, sessions.settings):
        size += len(chunk)
        if size > max_bytes:
            return None
        digest.update(chunk)
        counter.take(chunk)
    return digest.hexdigest(), size


class _Counter(Protocol):
    """What a download keeps of the bytes going by, to count the parameters they hold."""

    def take(self, chunk: bytes) -> None: ...

    def close(self) -> None: ...

    def counted(self, result: UrlResult, size: int) -> UrlResult:
        """The complete download's result, with its parameters, or why they are not known."""
        ...


def _counter(
    url: str, count_parameters: bool, running: _Running, announced: int | None
) -> _Counter:
    if not count_parameters:
        return _HashOnly(None)
    if file_name(url).endswith(".safetensors"):
        return _HeaderOnly()
    # Written only where something can read it.
    if not torch_importable():
        return _HashOnly(TORCH_MISSING)
    return _TorchFile(running.new_folder(), announced)


class _HashOnly:
    def __init__(self, note: str | None) -> None:
        self._note = note

    def take(self, chunk: bytes) -> None:
        pass

    def close(self) -> None:
        pass

    def counted(self, result: UrlResult, size: int) -> UrlResult:
        return result if self._note is None else replace(result, checkpoint_note=self._note)


class _HeaderOnly:
    """A safetensors file: its header says it all, and is kept in memory."""

    def __init__(self) -> None:
        self._header = SafetensorsHeader()

    def take(self, chunk: bytes) -> None:
        self._header.take(chunk)

    def close(self) -> None:
        pass

    def counted(self, result: UrlResult, size: int) -> UrlResult:
        try:
            count, note = self._header.parameters(size)
        except InvalidCheckpoint as fault:
            return replace(result, checkpoint_fault=str(fault))
        return replace(result, checkpoint_parameters=count, checkpoint_note=note)


_NO_ROOM = f"not counted: writing it would leave less than {DISK_RESERVE_BYTES >> 30} GiB free"


class _TorchFile:
    """A torch file, written whole for torch to open, while the disk keeps room."""

    def __init__(self, folder: Path, announced: int | None) -> None:
        # Never the URL's own name: decoded, '..%2F..%2Fx' would leave the folder.
        self._path = folder / "checkpoint.bin"
        self._file: BinaryIO | None = self._path.open("wb")
        self._no_room = False
        self._unchecked = _DISK_CHECK_BYTES  # the room is looked at before the first write
        if announced is not None and not self._room_for(announced):
            self._give_up()

    def _room_for(self, more: int) -> bool:
        return shutil.disk_usage(self._path.parent).free - more >= DISK_RESERVE_BYTES

    def _give_up(self) -> None:
        self.close()
        self._path.unlink(missing_ok=True)
        self._no_room = True

    def take(self, chunk: bytes) -> None:
        if self._file is None:
            return
        self._unchecked += len(chunk)
        if self._unchecked >= _DISK_CHECK_BYTES:
            self._unchecked = 0
            if not self._room_for(_DISK_CHECK_BYTES):
                self._give_up()
                return
        self._file.write(chunk)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def counted(self, result: UrlResult, size: int) -> UrlResult:
        if self._no_room:
            return replace(result, checkpoint_note=_NO_ROOM)
        try:
            count, note = count_checkpoint_parameters(self._path)
        except InvalidCheckpoint as fault:
            return replace(result, checkpoint_fault=str(fault))
        return replace(result, checkpoint_parameters=count, checkpoint_note=note)
