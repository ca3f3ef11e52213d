"""Read the source files that Code anchors point into: once per file, bounded in time, keeping
only the lines around the anchors, so that a file of any size takes little memory."""

from __future__ import annotations

import requests

from modelindex.online.anchors import WINDOW, CodeAnchor
from modelindex.online.deadline import Deadline, overall_deadline
from modelindex.online.http_client import (
    Sessions,
    cut_short,
    fault_result,
    from_response,
    printable,
    read_chunks,
)
from modelindex.online.results import CheckKind, Status, UrlResult

FETCH_DEADLINE_S = 120.0
_MAX_LINE_CHARS = 300


def fetch_anchors(
    sessions: Sessions,
    raw_url: str,
    anchors: list[CodeAnchor],
    deadline_s: float = FETCH_DEADLINE_S,
) -> list[UrlResult]:
    """Read ``raw_url`` once, within ``deadline_s``, and keep each anchor's lines, ``WINDOW``
    on each side."""
    with overall_deadline(deadline_s) as deadline:
        results = _read_anchors(sessions, raw_url, anchors, deadline)
    return [cut_short(deadline, result) for result in results]


def _read_anchors(
    sessions: Sessions, raw_url: str, anchors: list[CodeAnchor], deadline: Deadline
) -> list[UrlResult]:
    session = sessions.get()
    wanted = {number for anchor in anchors for number in _window(anchor)}
    try:
        with session.get(
            raw_url, allow_redirects=True, timeout=sessions.timeout, stream=True
        ) as response:
            answered = from_response(raw_url, CheckKind.ANCHOR, response, None)
            if answered.status is not Status.OK:
                return _unread(anchors, answered.status, f"{raw_url}: {answered.detail}")
            kept, line_count = _lines(response, wanted, deadline)
    except requests.RequestException as error:
        fault = fault_result(raw_url, CheckKind.ANCHOR, error)
        return _unread(anchors, fault.status, f"{raw_url}: {fault.detail}")
    results = []
    for anchor in anchors:
        window = {number: kept[number] for number in _window(anchor) if number in kept}
        results.append(
            UrlResult(
                anchor.code_url,
                CheckKind.ANCHOR,
                Status.OK,
                f"read {raw_url}",
                anchor_lines=window,
                line_count=line_count,
            )
        )
    return results


def _window(anchor: CodeAnchor) -> range:
    return range(max(1, anchor.first - WINDOW), anchor.last + WINDOW + 1)


def _lines(
    response: requests.Response, wanted: set[int], deadline: Deadline
) -> tuple[dict[int, str], int]:
    """The wanted lines by number, and how many lines the file has."""
    kept: dict[int, str] = {}
    number = 0
    pending = b""
    # A source file sent compressed despite the request is inflated, a chunk at a time.
    for chunk in read_chunks(response, 1 << 16, deadline, decode=True):
        *complete, pending = (pending + chunk).split(b"\n")
        for line in complete:
            number += 1
            if number in wanted:
                kept[number] = _text(line)
        # A 'line' without end (a minified or binary file) is cut, not kept whole.
        if len(pending) > 1 << 20:
            pending = pending[: _MAX_LINE_CHARS * 4]
    if pending:
        number += 1
        if number in wanted:
            kept[number] = _text(pending)
    return kept, number


def _text(line: bytes) -> str:
    return printable(line.decode("utf-8", errors="replace").rstrip("\r"))[:_MAX_LINE_CHARS]


def _unread(anchors: list[CodeAnchor], status: Status, detail: str) -> list[UrlResult]:
    return [UrlResult(anchor.code_url, CheckKind.ANCHOR, status, detail) for anchor in anchors]
