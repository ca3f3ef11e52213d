"""A progress bar on stderr with counts per status (rich when installed, plain lines else)."""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Callable, Iterator

Advance = Callable[[str, str], None]
"""Called once per item done, with the item's name and its status."""


@contextlib.contextmanager
def progress_bar(total: int, label: str, quiet_status: str | None = None) -> Iterator[Advance]:
    """Yield ``advance(name, status)``. Without rich, each item is a line on stderr, except
    those whose status is ``quiet_status`` (a thousand 'ok' lines would bury the others)."""
    counts: Counter[str] = Counter()

    def describe() -> str:
        return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))

    try:
        from rich.console import Console
        from rich.progress import Progress
    except ImportError:

        def plain(name: str, status: str) -> None:
            counts[status] += 1
            if status != quiet_status:
                print(f"[{sum(counts.values())}/{total}] {name}: {status}", file=sys.stderr)

        yield plain
        return
    # On stderr: stdout carries the table or the machine-readable document.
    with Progress(console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(label, total=total)

        def advance(name: str, status: str) -> None:
            counts[status] += 1
            bar.update(task, advance=1, description=describe())

        yield advance
