"""Replace a file's bytes all at once: a reader, or a run killed half-way, sees the old file or
the new one, never a mix of the two.

The bytes go to a temporary in the file's own folder (a rename across file systems is a copy),
are flushed to the disk, take the file's permissions, and the temporary is renamed over the
file. The temporary is named ``.NAME.PID.XXXXXXXX.tmp``, so a writer that was killed can be
told from one that is still running.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path


def default_mode() -> int:
    """The permissions a new file gets under the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def replace_atomically(
    file: Path, data: bytes, before_replace: Callable[[], None] | None = None
) -> None:
    """Write ``data`` as ``file``'s whole content in one rename. ``before_replace`` runs once the
    new bytes are safe on disk and the old file is still in place (to keep a copy of it)."""
    mode = file.stat().st_mode & 0o777 if file.exists() else default_mode()
    handle, temporary = tempfile.mkstemp(
        dir=file.parent, prefix=f".{file.name}.{os.getpid()}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            # On disk before the rename: a crash after it must not leave an empty file.
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp creates the file 0600; the file keeps the permissions it had.
        os.chmod(temporary, mode)
        if before_replace is not None:
            before_replace()
        _keep_owner(file, temporary)
        os.replace(temporary, file)
        _sync_folder(file.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _keep_owner(file: Path, temporary: str) -> None:
    """Give the new file the old one's owner and group, where this process may (as root)."""
    with contextlib.suppress(OSError, AttributeError):
        old = file.stat()
        new = os.stat(temporary)
        if (old.st_uid, old.st_gid) != (new.st_uid, new.st_gid):
            os.chown(temporary, old.st_uid, old.st_gid)


def _sync_folder(folder: Path) -> None:
    """Put the rename itself on disk: a crash right after it must not bring the old file back."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def is_running(pid: int) -> bool:
    """Whether process ``pid`` is alive (where that cannot be told, it is taken to be)."""
    if os.name != "posix":
        return True  # os.kill would end the process there, not probe it
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True  # another user's process
    return True


def remove_leftovers(file: Path) -> None:
    """Remove the temporaries that writers of ``file`` left when they were killed: the file
    itself was never touched by them."""
    own = re.compile(rf"\.{re.escape(file.name)}\.([1-9][0-9]{{0,9}})\.[a-z0-9_]{{8}}\.tmp")
    with contextlib.suppress(OSError):
        for candidate in file.parent.iterdir():
            left = own.fullmatch(candidate.name)
            if left and not is_running(int(left.group(1))) and candidate.is_file():
                with contextlib.suppress(OSError):
                    candidate.unlink()
