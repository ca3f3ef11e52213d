"""What the on-disk caches (URL checks, measurements) share: how a damaged cache is kept.

A cache that was ours but can no longer be read is kept as ``NAME.corrupt``, then
``NAME.corrupt-2``, ``NAME.corrupt-3``...: never deleted, and a copy kept earlier is never
overwritten; a damaged file whose bytes are kept already under one of those names is not kept
twice. The copy is a hard link, or where the file system has none, a copy of the bytes, so
that the cache's own path holds the damaged file until its replacement is renamed over it: a
writer killed in between leaves the damaged cache where it was, never a missing one. A path
that holds anything else (a folder, a user's file) is left as it is; each cache decides what
counts as its own.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path


def _numbered(path: Path) -> Iterator[Path]:
    """``path``, ``path-2``, ``path-3``..."""
    yield path
    number = 2
    while True:
        yield path.with_name(f"{path.name}-{number}")
        number += 1


def _same_bytes(path: Path, kept: Path) -> bool:
    try:
        found = kept.lstat()
        # A FIFO or a link under a kept name is not a copy, and opening a FIFO would block.
        if not stat.S_ISREG(found.st_mode) or found.st_size != path.stat().st_size:
            return False
        return filecmp.cmp(path, kept, shallow=False)
    except OSError:
        return False


def corrupt_copy_name(path: Path) -> Path:
    """Where the damaged cache ``path`` is kept: the copy that holds its bytes already, else
    the first numbered name not taken."""
    return next(
        candidate
        for candidate in _numbered(path.with_name(path.name + ".corrupt"))
        if not os.path.lexists(candidate) or _same_bytes(path, candidate)
    )


def _link_or_copy(path: Path, kept: Path) -> None:
    """Make ``kept`` a second name of ``path``; FileExistsError when ``kept`` is taken."""
    try:
        os.link(path, kept)
    except FileExistsError:
        raise
    except OSError:
        # A file system without hard links (FAT, some network shares): copy the bytes, into a
        # name created only if it is free, so that no copy kept earlier is overwritten.
        with path.open("rb") as source, kept.open("xb") as copy:
            shutil.copyfileobj(source, copy)


def keep_copy(path: Path) -> Path:
    """Keep the damaged cache ``path`` under :func:`corrupt_copy_name`, leaving ``path`` as it
    is, and return that name."""
    while True:
        kept = corrupt_copy_name(path)
        if os.path.lexists(kept):
            return kept  # these bytes are kept already
        try:
            _link_or_copy(path, kept)
        except FileExistsError:
            continue  # another run took the name meanwhile: the next one is free
        return kept


def move_aside(path: Path) -> Path:
    """Keep the damaged cache ``path`` (:func:`keep_copy`), remove it, and return the name it
    is kept under."""
    kept = keep_copy(path)
    path.unlink()
    return kept
