"""Read the source files that Code anchors point into: once per file, bounded in size and time."""

from __future__ import annotations

import time

import requests

from modelindex.online.anchors import WINDOW, CodeAnchor
from modelindex.online.http_client import Sessions, fault_result, from_response
from modelindex.online.results import CheckKind, Status, UrlResult

MAX_SOURCE_BYTES = 8 << 20
_FETCH_DEADLINE_S = 120.0


def fetch_anchors(sessions: Sessions, raw_url: str, anchors: list[CodeAnchor]) -> list[UrlResult]:
    """Read ``raw_url`` once (at most ``MAX_SOURCE_BYTES``) and keep each anchor's lines."""
    session = sessions.get()
    try:
        with session.get(
            raw_url, allow_redirects=True, timeout=sessions.timeout, stream=True
        ) as response:
            answered = from_response(raw_url, CheckKind.ANCHOR, response, None)
            if answered.status is not Status.OK:
                return _unread(anchors, answered.status, f"{raw_url}: {answered.detail}")
            text = _read_text(response)
    except requests.RequestException as error:
        fault = fault_result(raw_url, CheckKind.ANCHOR, error)
        return _unread(anchors, fault.status, f"{raw_url}: {fault.detail}")
    lines = text.splitlines()
    results = []
    for anchor in anchors:
        start, stop = max(1, anchor.first - WINDOW), min(len(lines), anchor.last + WINDOW)
        window = {number: lines[number - 1][:300] for number in range(start, stop + 1)}
        results.append(
            UrlResult(
                anchor.code_url,
                CheckKind.ANCHOR,
                Status.OK,
                f"read {raw_url}",
                anchor_lines=window,
                line_count=len(lines),
            )
        )
    return results


def _unread(anchors: list[CodeAnchor], status: Status, detail: str) -> list[UrlResult]:
    return [UrlResult(anchor.code_url, CheckKind.ANCHOR, status, detail) for anchor in anchors]


def _read_text(response: requests.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    started = time.monotonic()
    for chunk in response.iter_content(1 << 16):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_SOURCE_BYTES or time.monotonic() - started > _FETCH_DEADLINE_S:
            break  # a source file this large is not one: what was read is enough
    return b"".join(chunks)[:MAX_SOURCE_BYTES].decode("utf-8", errors="replace")
