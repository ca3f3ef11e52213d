"""Download a weights file in bounded memory: its sha256, and its parameters when countable."""

from __future__ import annotations

import hashlib
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import requests

from modelindex.links import file_name
from modelindex.online.checkpoint import count_checkpoint_parameters
from modelindex.online.http_client import (
    Sessions,
    conditional_headers,
    fault_result,
    from_response,
    read_chunks,
)
from modelindex.online.results import CheckKind, Status, UrlResult

CHUNK_BYTES = 1 << 20
DEFAULT_DOWNLOAD_DEADLINE_S = 1800.0


def download(
    sessions: Sessions,
    url: str,
    previous: UrlResult | None = None,
    count_parameters: bool = True,
    deadline_s: float = DEFAULT_DOWNLOAD_DEADLINE_S,
) -> UrlResult:
    """Stream ``url`` through sha256, ``CHUNK_BYTES`` at a time. With ``count_parameters`` the
    file goes to a temporary folder (removed after) to count its tensors there."""
    session = sessions.get()
    if previous is not None and previous.sha256 is None:
        previous = None  # nothing worth renewing: download again
    deadline = time.monotonic() + deadline_s
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
            # Never the URL's own name: decoded, '..%2F..%2Fx' would leave the folder.
            suffix = ".safetensors" if file_name(url).endswith(".safetensors") else ".bin"
            path = Path(folder) / f"checkpoint{suffix}"
            sink = path if count_parameters else None
            digest, size = _stream(response, sink, deadline)
            result = replace(result, sha256=digest, content_length=size)
            if count_parameters:
                count, note = count_checkpoint_parameters(path)
                result = replace(result, checkpoint_parameters=count, checkpoint_note=note)
            return result
    except requests.RequestException as error:
        return fault_result(url, CheckKind.DOWNLOAD, error)
    except OSError as error:
        return UrlResult(url, CheckKind.DOWNLOAD, Status.UNREACHABLE, f"cannot store: {error}")


def _stream(response: requests.Response, path: Path | None, deadline: float) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    sink = path.open("wb") if path is not None else None
    try:
        for chunk in read_chunks(response, CHUNK_BYTES, deadline):
            digest.update(chunk)
            size += len(chunk)
            if sink is not None:
                sink.write(chunk)
    finally:
        if sink is not None:
            sink.close()
    return digest.hexdigest(), size
