"""What the on-disk caches (URL checks, measurements) share: how a damaged cache is set aside.

A cache that was ours but can no longer be read is renamed ``NAME.corrupt``, then
``NAME.corrupt-2``, ``NAME.corrupt-3``...: never deleted, and an earlier copy set aside is never
overwritten. A path that holds anything else (a folder, a user's file) is left as it is; each
cache decides what counts as its own.
"""

from __future__ import annotations

import os
from pathlib import Path


def unused_name(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``...: the first that does not exist yet."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def corrupt_copy_name(path: Path) -> Path:
    """Where the damaged cache ``path`` goes when it is set aside."""
    return unused_name(path.with_name(path.name + ".corrupt"))


def move_aside(path: Path) -> Path:
    """Rename the damaged cache ``path`` to :func:`corrupt_copy_name` and return that name.

    The caller serialises this with other writers of the cache (sqlite's lock, a folder lock),
    since the free name is looked up before it is taken.
    """
    aside = corrupt_copy_name(path)
    os.replace(path, aside)
    return aside
