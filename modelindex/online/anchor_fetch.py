"""Read the source files that Code anchors point into: once per file, within the time the
options give a probe and a body, keeping of each anchor's window only the few lines its
verdict needs (see :class:`~modelindex.online.anchors.AnchorWindow`), so that neither a file
of any size nor any number of anchors into it takes much memory, or much room in the cache."""

from __future__ import annotations

from collections.abc import Iterator

import requests

from modelindex.online.anchors import AnchorWindow, CodeAnchor
from modelindex.online.deadline import Deadline, overall_deadline
from modelindex.online.http_client import (
    Sessions,
    cut_short,
    fault_result,
    from_response,
    get_streamed,
    printable,
    read_chunks,
)
from modelindex.online.options import HttpSettings
from modelindex.online.results import CheckKind, Status, UrlResult

# The body a source file is given time for, beyond the probe's time for the answer: 16 MiB is
# far more than any hand-written module, and takes 16 s at the floor rate.
SOURCE_FILE_BYTES = 16 << 20
_MAX_LINE_CHARS = 300


def fetch_anchors(
    sessions: Sessions,
    raw_url: str,
    anchors: list[CodeAnchor],
    deadline_s: float | None = None,
) -> list[UrlResult]:
    """Read ``raw_url`` once and keep what each anchor's verdict needs. ``deadline_s`` bounds
    the whole; by default the answer has a probe's time, and the body a source file's."""
    settings = sessions.settings
    answer_s = settings.probe_deadline_s if deadline_s is None else deadline_s
    total_s = settings.transfer_deadline_s(SOURCE_FILE_BYTES) if deadline_s is None else deadline_s
    with overall_deadline(answer_s) as deadline:
        results = _read_anchors(sessions, raw_url, anchors, deadline, total_s)
    return [cut_short(deadline, result) for result in results]


def _read_anchors(
    sessions: Sessions,
    raw_url: str,
    anchors: list[CodeAnchor],
    deadline: Deadline,
    total_s: float,
) -> list[UrlResult]:
    session = sessions.get()
    windows = [AnchorWindow(anchor) for anchor in anchors]
    try:
        with get_streamed(session, raw_url, sessions.timeout) as response:
            answered = from_response(raw_url, CheckKind.ANCHOR, response, None)
            if answered.status is not Status.OK:
                return _unread(anchors, answered.status, f"{raw_url}: {answered.detail}")
            deadline.extend_to(total_s)
            lines = _lines(response, deadline, sessions.settings)
            line_count = _show(lines, windows)
    except requests.RequestException as error:
        fault = fault_result(raw_url, CheckKind.ANCHOR, error)
        return _unread(anchors, fault.status, f"{raw_url}: {fault.detail}")
    return [
        UrlResult(
            anchor.code_url,
            CheckKind.ANCHOR,
            Status.OK,
            f"read {raw_url}",
            anchor_lines=window.lines(),
            anchor_names=anchor.names,
            line_count=line_count,
        )
        for anchor, window in zip(anchors, windows, strict=True)
    ]


def _show(lines: Iterator[bytes], windows: list[AnchorWindow]) -> int:
    """Show each line to the windows that hold it; the number of lines."""
    waiting = sorted(windows, key=lambda window: window.start, reverse=True)
    open_: list[AnchorWindow] = []
    number = 0
    for line in lines:
        number += 1
        while waiting and waiting[-1].start <= number:
            open_.append(waiting.pop())
        if not open_:
            continue
        text = _text(line)
        for window in open_:
            window.see(number, text)
        open_ = [window for window in open_ if window.end > number]
    return number


def _lines(
    response: requests.Response, deadline: Deadline, settings: HttpSettings
) -> Iterator[bytes]:
    """The body's lines, without their ends; a line longer than 1 MiB is cut."""
    pending = b""
    # A source file sent compressed despite the request is inflated, a chunk at a time.
    for chunk in read_chunks(response, 1 << 16, deadline, True, settings):
        *complete, pending = (pending + chunk).split(b"\n")
        yield from complete
        # A 'line' without end (a minified or binary file) is cut, not kept whole.
        if len(pending) > 1 << 20:
            pending = pending[: _MAX_LINE_CHARS * 4]
    if pending:
        yield pending


def _text(line: bytes) -> str:
    start = line[: _MAX_LINE_CHARS * 4]  # no character takes more than 4 bytes in UTF-8
    return printable(start.decode("utf-8", errors="replace").rstrip("\r"))[:_MAX_LINE_CHARS]


def _unread(anchors: list[CodeAnchor], status: Status, detail: str) -> list[UrlResult]:
    return [UrlResult(anchor.code_url, CheckKind.ANCHOR, status, detail) for anchor in anchors]
