"""Download a weights file in bounded memory, disk and time: its sha256, and its parameters
when countable.

The bytes are read as stored (``Accept-Encoding: identity``, never inflated here), at most
``max_bytes`` of them (the card's File Size and a margin, else a ceiling), within a deadline.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import requests

from modelindex.links import file_name
from modelindex.online.checkpoint import InvalidCheckpoint, count_checkpoint_parameters
from modelindex.online.deadline import Deadline, overall_deadline
from modelindex.online.http_client import (
    Sessions,
    conditional_headers,
    content_encoding,
    cut_short,
    fault_result,
    from_response,
    read_chunks,
)
from modelindex.online.options import MAX_DOWNLOAD_BYTES
from modelindex.online.results import CheckKind, Status, UrlResult

CHUNK_BYTES = 1 << 20
DEFAULT_DOWNLOAD_DEADLINE_S = 1800.0
# Room above a declared File Size: its rounding ('102 MB'), and a little more, so that a file
# slightly off is downloaded whole and its exact size reported.
_SIZE_MARGIN_SHARE = 10
_SIZE_MARGIN_BYTES = 1 << 20


def download_limit(declared_sizes: Iterable[int | None], ceiling: int = MAX_DOWNLOAD_BYTES) -> int:
    """The most bytes a download may take: the largest File Size declared for it, a tenth and
    a MiB more, and never above ``ceiling``."""
    largest = max((size for size in declared_sizes if size is not None and size > 0), default=0)
    if not largest:
        return ceiling
    # Integers only: a File Size of 1e400 must not overflow a float.
    return min(ceiling, largest + largest // _SIZE_MARGIN_SHARE + _SIZE_MARGIN_BYTES)


def download(
    sessions: Sessions,
    url: str,
    previous: UrlResult | None = None,
    count_parameters: bool = True,
    deadline_s: float = DEFAULT_DOWNLOAD_DEADLINE_S,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
) -> UrlResult:
    """Stream ``url`` through sha256, ``CHUNK_BYTES`` at a time. With ``count_parameters`` the
    file goes to a temporary folder (removed after) to count its tensors there."""
    if previous is not None and previous.sha256 is None:
        previous = None  # nothing worth renewing: download again
    with overall_deadline(deadline_s) as deadline:
        result = _download(sessions, url, previous, count_parameters, deadline, max_bytes)
    return cut_short(deadline, result)


def _download(
    sessions: Sessions,
    url: str,
    previous: UrlResult | None,
    count_parameters: bool,
    deadline: Deadline,
    max_bytes: int,
) -> UrlResult:
    session = sessions.get()
    try:
        with (
            session.get(
                url,
                allow_redirects=True,
                timeout=sessions.timeout,
                headers=conditional_headers(previous),
                stream=True,
            ) as response,
            tempfile.TemporaryDirectory(prefix="modelindex-download-") as folder,
        ):
            result = from_response(url, CheckKind.DOWNLOAD, response, previous)
            if response.status_code == 304 or result.status is not Status.OK:
                return result
            encoding = content_encoding(response)
            if encoding is not None:
                note = f"sent {encoding}-encoded though asked for the file as stored; not read"
                return replace(result, checkpoint_note=note)
            if result.content_length is not None and result.content_length > max_bytes:
                return _too_large(result, max_bytes)
            # Never the URL's own name: decoded, '..%2F..%2Fx' would leave the folder.
            suffix = ".safetensors" if file_name(url).endswith(".safetensors") else ".bin"
            path = Path(folder) / f"checkpoint{suffix}"
            streamed = _stream(response, path if count_parameters else None, deadline, max_bytes)
            if streamed is None:
                return _too_large(replace(result, content_length=None), max_bytes)
            digest, size = streamed
            result = replace(result, sha256=digest, content_length=size)
            if count_parameters:
                result = _with_parameters(result, path)
            return result
    except requests.RequestException as error:
        return fault_result(url, CheckKind.DOWNLOAD, error)
    except OSError as error:
        return UrlResult(url, CheckKind.DOWNLOAD, Status.UNREACHABLE, f"cannot store: {error}")


def _too_large(result: UrlResult, max_bytes: int) -> UrlResult:
    note = f"larger than the {max_bytes} bytes a download may take; stopped there"
    return replace(result, larger_than=max_bytes, checkpoint_note=note)


def _with_parameters(result: UrlResult, path: Path) -> UrlResult:
    try:
        count, note = count_checkpoint_parameters(path)
    except InvalidCheckpoint as fault:
        return replace(result, checkpoint_fault=str(fault))
    return replace(result, checkpoint_parameters=count, checkpoint_note=note)


def _stream(
    response: requests.Response, path: Path | None, deadline: Deadline, max_bytes: int
) -> tuple[str, int] | None:
    """(sha256, size) of the body, or None once it runs past ``max_bytes`` (reading stops)."""
    digest = hashlib.sha256()
    size = 0
    sink = path.open("wb") if path is not None else None
    try:
        for chunk in read_chunks(response, CHUNK_BYTES, deadline, decode=False):
            size += len(chunk)
            if size > max_bytes:
                return None
            digest.update(chunk)
            if sink is not None:
                sink.write(chunk)
    finally:
        if sink is not None:
            sink.close()
    return digest.hexdigest(), size
