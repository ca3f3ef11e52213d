"""``validate --watch``: check again whenever a file under the given paths is saved.

It polls: once a second it compares the size and modification time of every file under the
paths (at most MAX_WATCHED of them), which needs no platform's file-event API and notices a
file that is added or removed as well as one that is saved.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import datetime

from modelindex.cli.common import Failure
from modelindex.printable import printable

POLL_S = 1.0
# A folder of more files than this is watched by its first MAX_WATCHED, in walk order.
MAX_WATCHED = 20_000


def _snapshot(paths: list[str], ignored: set[str]) -> dict[str, tuple[int, int]]:
    seen: dict[str, tuple[int, int]] = {}
    for path in paths:
        found = []
        if not os.path.isdir(path):
            found.append(path)
        else:
            for folder, folders, files in os.walk(path):
                folders[:] = sorted(name for name in folders if not name.startswith("."))
                found += [os.path.join(folder, name) for name in sorted(files)]
                if len(seen) + len(found) >= MAX_WATCHED:
                    break
        for file in found[: MAX_WATCHED - len(seen)]:
            if os.path.realpath(file) in ignored:
                continue
            try:
                status = os.stat(file)
            except OSError:
                continue
            seen[file] = (status.st_mtime_ns, status.st_size)
    return seen


def watch(
    paths: list[str],
    run: Callable[[], int],
    ignored: set[str] | None = None,
    poll_s: float = POLL_S,
) -> int:
    """Run ``run`` now and after every change, until interrupted (Ctrl-C: KeyboardInterrupt,
    which the command turns into its exit code). ``ignored``: real paths whose changes are
    not the zoo's, such as the report the run writes."""
    ignored = ignored or set()
    last = _snapshot(paths, ignored)
    _run_once(run)
    while True:
        sys.stdout.flush()
        print("watching for changes; Ctrl-C stops", file=sys.stderr, flush=True)
        while (now := _snapshot(paths, ignored)) == last:
            time.sleep(poll_s)
        changed = sorted(set(now.items()) ^ set(last.items()))
        last = now
        names = sorted({name for name, _ in changed})
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        print(f"\n[{datetime.now():%H:%M:%S}] changed: {shown}", file=sys.stderr, flush=True)
        _run_once(run)


def _run_once(run: Callable[[], int]) -> None:
    # A file that is away for a moment (a branch switch, an editor's save) fails one check,
    # not the watch.
    try:
        run()
    except Failure as failure:
        print(printable(f"error: {failure}"), file=sys.stderr)
