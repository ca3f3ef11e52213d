"""Disk, memory and time an online run takes follow its options and stay bounded, whatever a
server sends: a download writes to disk only what counting needs and removes it on every way
out; a body that stalls ends within its window; anchors keep a few lines each; a safetensors
header is small, and refused before parsing when built to take memory; a check that fails is
an internal error, not a network fault."""

from __future__ import annotations

import importlib.util
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from modelindex.cli import main
from modelindex.online import checkpoint
from modelindex.online.download import download
from modelindex.online.http_client import Sessions
from modelindex.online.options import HttpSettings
from modelindex.online.results import CheckKind, Status
from modelindex.online.url_cache import UrlCache
from tests.test_online import _codes, _model, _run, _zoo
from tests.test_online_bounds import (
    _bytes_under,
    _endless,
    _safetensors,
    _trickled_headers,
)
from tests.url_server import Route, UrlServer, serve_file, trickle

REPO_ROOT = Path(__file__).resolve().parents[1]
# A stall window of 2 s (the least there is); a probe's time of 1 s.
QUICK = HttpSettings(timeout_s=0.25, retries=0, backoff_s=0.01, max_retry_after_s=0.1)
QUICK_OPTIONS = ["--timeout", "0.25", "--retries", "0"]
NO_TORCH = pytest.mark.skipif(
    importlib.util.find_spec("torch") is not None, reason="torch is installed: it counts"
)


@pytest.fixture
def server():
    with UrlServer() as running:
        yield running


def _check_urls(tmp_path: Path, zoo: Path, *options: str) -> int:
    cache = ["--url-cache", str(tmp_path / "urls.sqlite")]
    return main(["check-urls", str(zoo), *cache, *QUICK_OPTIONS, *options])


# --- 4. downloads: disk only for what counting needs, time from the options ----------------


@NO_TORCH
def test_without_torch_a_weights_download_writes_nothing_to_disk(
    tmp_path: Path, server: UrlServer, download_folder: Path
) -> None:
    on_disk: list[int] = []
    server.routes["/w.pth"] = _endless(download_folder, on_disk)
    weights = server.url("/w.pth")
    run, _ = _run(
        tmp_path, [_model("net", Weights=weights)], download=True, max_download_bytes=3 << 20
    )
    assert run.results[(weights, CheckKind.DOWNLOAD)].larger_than == 3 << 20
    assert on_disk and max(on_disk) == 0


def _streamed(
    body: bytes, piece: int, pause_s: float = 0.0, after_each: Callable[[], None] | None = None
) -> Route:
    """``body`` in pieces of ``piece`` bytes, ``pause_s`` apart, calling ``after_each`` after
    each (to see how much the download folder holds meanwhile)."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command == "HEAD":
            return
        for start in range(0, len(body), piece):
            handler.wfile.write(body[start : start + piece])
            handler.wfile.flush()
            if after_each is not None:
                after_each()
            time.sleep(pause_s)

    return route


def _recording(download_folder: Path, on_disk: list[int]) -> Callable[[], None]:
    return lambda: on_disk.append(_bytes_under(download_folder))


def test_a_safetensors_download_counts_from_its_header_and_writes_nothing(
    tmp_path: Path, server: UrlServer, download_folder: Path
) -> None:
    elements = 1 << 19  # 2 MiB of F32
    header = {"w": {"dtype": "F32", "shape": [elements], "data_offsets": [0, 4 * elements]}}
    on_disk: list[int] = []
    server.routes["/w.safetensors"] = _streamed(
        _safetensors(header, bytes(4 * elements)),
        64 << 10,
        after_each=_recording(download_folder, on_disk),
    )
    weights = server.url("/w.safetensors")
    model = _model("net", Weights=weights, Metadata={"Parameters": elements})
    run, findings = _run(tmp_path, [model], download=True)
    assert run.results[(weights, CheckKind.DOWNLOAD)].checkpoint_parameters == elements
    assert findings == [] and len(on_disk) > 30 and max(on_disk) == 0


def test_a_download_whose_body_trickles_ends_within_its_stall_window(
    tmp_path: Path, server: UrlServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.routes["/w.pth"] = trickle(1 << 20)
    zoo = _zoo(tmp_path, [_model("net", Weights=server.url("/w.pth"))])
    started = time.monotonic()
    assert _check_urls(tmp_path, zoo, "--download") == 0
    assert time.monotonic() - started < 4  # a window of 2 s; the server trickles for 10
    out = capsys.readouterr().out
    assert "O002" in out and "Download of Weights" in out and "timeout (the body stalled" in out


def test_a_download_whose_headers_trickle_ends_at_a_probes_deadline(server: UrlServer) -> None:
    """The time for a large body comes once the answer has: not before."""
    server.routes["/w.pth"] = _trickled_headers
    started = time.monotonic()
    result = download(Sessions(QUICK, pool_size=1), server.url("/w.pth"))
    assert time.monotonic() - started < 2.5  # a probe's time with these options: 1 s
    assert result.status is Status.TIMEOUT


def test_a_steady_download_longer_than_its_stall_window_is_not_cut(
    tmp_path: Path, server: UrlServer
) -> None:
    body = os.urandom(4 << 20)
    server.routes["/w.pth"] = _streamed(
        body, len(body) // 64, pause_s=3.0 / 64
    )  # 1.3 MiB/s; the window is 2 s
    weights = server.url("/w.pth")
    model = _model("net", Weights=weights, Metadata={"File Size": len(body)})
    run, findings = _run(tmp_path, [model], download=True, http=QUICK)
    result = run.results[(weights, CheckKind.DOWNLOAD)]
    assert result.status is Status.OK and result.content_length == len(body)
    assert findings == []


def _paced(piece: int, pause_s: float, seconds: float, length: int | None = None) -> Route:
    """``piece`` bytes every ``pause_s`` for ``seconds`` (then the connection closes), with
    ``length`` announced as the Content-Length, or none."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Connection", "close")
        if length is not None:
            handler.send_header("Content-Length", str(length))
        handler.end_headers()
        if handler.command == "HEAD":
            return
        for _ in range(round(seconds / pause_s)):
            try:
                handler.wfile.write(b"\x01" * piece)
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(pause_s)

    return route


def test_a_small_file_at_a_slow_steady_pace_arrives_whole(
    tmp_path: Path, server: UrlServer
) -> None:
    """50 KB/s for 3 s: no stall, and within the grace any pace may take, though far below
    the average a long transfer must keep up."""
    size = 150_000
    server.routes["/w.pth"] = _paced(5_000, 0.1, 3.0, length=size)
    weights = server.url("/w.pth")
    model = _model("net", Weights=weights, Metadata={"File Size": size})
    run, findings = _run(tmp_path, [model], download=True, http=QUICK)
    result = run.results[(weights, CheckKind.DOWNLOAD)]
    assert result.status is Status.OK and result.content_length == size
    assert findings == []


def test_a_body_of_no_announced_size_at_a_slow_pace_ends_after_its_grace(
    server: UrlServer,
) -> None:
    """80 KB/s without end (the server stops after 10 s): never stalled, yet below the average
    rate once its grace (here a stall window, 2 s) is over."""
    server.routes["/w.pth"] = _paced(8_000, 0.1, 10.0)
    settings = HttpSettings(timeout_s=0.25, retries=0, min_grace_s=0.0)
    started = time.monotonic()
    result = download(Sessions(settings, pool_size=1), server.url("/w.pth"))
    assert time.monotonic() - started < 4
    assert result.status is Status.TIMEOUT and "the body came too slowly" in result.detail


def test_a_body_of_no_announced_size_is_timed_by_the_size_it_is_given(
    server: UrlServer,
) -> None:
    """4 MiB/s without end (the server stops after 8 s), timed as a body of 1 MiB: a probe's
    time (1 s), the grace (2 s) and 1 s."""
    server.routes["/w.pth"] = _paced(64 << 10, 1 / 64, 8.0)
    settings = HttpSettings(timeout_s=0.25, retries=0, min_grace_s=0.0)
    started = time.monotonic()
    result = download(Sessions(settings, pool_size=1), server.url("/w.pth"), unsized_bytes=1 << 20)
    assert 3.5 < time.monotonic() - started < 6
    assert result.status is Status.TIMEOUT and "still arriving when its time was up" in (
        result.detail
    )


def _fake_torch(folder: Path) -> Path:
    """A package named torch that importlib finds (so a torch file is written to be counted)
    and that cannot be imported: the download never ends, nothing ever counts it."""
    package = folder / "torch"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('a stand-in')\n", encoding="utf-8")
    return folder


def _writing_download(
    tmp_path: Path, server: UrlServer, download_folder: Path
) -> subprocess.Popen[str]:
    """A ``check-urls --download`` process, once it has written 1 MiB of a torch file that
    never ends."""
    server.routes["/w.pth"] = _endless(download_folder, [])
    zoo = _zoo(tmp_path, [_model("net", Weights=server.url("/w.pth"))])
    paths = [str(_fake_torch(tmp_path / "fake")), os.environ.get("PYTHONPATH") or str(REPO_ROOT)]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    environment["TMPDIR"] = str(download_folder)
    command = [sys.executable, "-m", "modelindex", "check-urls", str(zoo), "--download"]
    command += ["--url-cache", str(tmp_path / "urls.sqlite")]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while _bytes_under(download_folder) < 1 << 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    if _bytes_under(download_folder) < 1 << 20:
        process.kill()
        process.communicate()
        pytest.fail("the download never started writing")
    return process


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_an_interrupted_download_leaves_no_partial_file(
    tmp_path: Path, server: UrlServer, download_folder: Path, stop: signal.Signals
) -> None:
    process = _writing_download(tmp_path, server, download_folder)
    try:
        process.send_signal(stop)
        assert process.wait(timeout=10) == 130
    finally:
        process.kill()
        process.communicate()
    assert list(download_folder.iterdir()) == []


def test_the_next_run_removes_what_a_killed_download_left(
    tmp_path: Path, server: UrlServer, download_folder: Path
) -> None:
    process = _writing_download(tmp_path, server, download_folder)
    process.kill()  # SIGKILL: no way out runs
    process.communicate()
    assert _bytes_under(download_folder) >= 1 << 20
    # A download of this (running) process, and a folder named otherwise: not to be touched.
    kept = {f"modelindex-download-{os.getpid()}-inuse", "modelindex-download-by-hand"}
    for name in kept:
        (download_folder / name).mkdir()
    server.routes["/next.pth"] = serve_file(b"another file")
    _run(tmp_path, [_model("next", Weights=server.url("/next.pth"))], download=True)
    assert {path.name for path in download_folder.iterdir()} == kept


def test_a_torch_file_is_not_written_past_the_disks_reserve(
    tmp_path: Path, server: UrlServer, download_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("modelindex.online.download.torch_importable", lambda: True)
    monkeypatch.setattr("modelindex.online.download.DISK_RESERVE_BYTES", 1 << 60)
    on_disk: list[int] = []
    server.routes["/w.pth"] = _streamed(
        bytes(1 << 20), 64 << 10, after_each=_recording(download_folder, on_disk)
    )
    weights = server.url("/w.pth")
    run, findings = _run(tmp_path, [_model("net", Weights=weights)], download=True)
    result = run.results[(weights, CheckKind.DOWNLOAD)]
    assert result.sha256 is not None and "not counted: writing it would leave" in (
        result.checkpoint_note or ""
    )
    assert max(on_disk) == 0 and findings == []


# --- 5. Code anchors: a few lines kept each, in memory and in the cache ----------------------

ANCHORS = 100
SPAN = 1000


def _long_source() -> bytes:
    """ANCHORS blocks of SPAN lines of 100 characters; the even blocks define their model half
    way down."""
    lines = [f"x_{number} = {number}  # ".ljust(100, "-") for number in range(1, ANCHORS * SPAN)]
    for block in range(0, ANCHORS, 2):
        lines[block * SPAN + SPAN // 2 - 1] = f"def model_{block}(pretrained=False):"
    return "\n".join(lines).encode()


def test_anchors_keep_a_few_lines_each_however_long_their_ranges(
    tmp_path: Path, server: UrlServer
) -> None:
    server.routes["/o/r/c/f.py"] = serve_file(_long_source())
    base = "https://github.com/o/r/blob/c/f.py"
    models = [
        _model(f"model_{block}", Code=f"{base}#L{1 + block * SPAN}-L{(block + 1) * SPAN}")
        for block in range(ANCHORS)
    ]
    with UrlCache(tmp_path / "urls.sqlite") as cache:
        run, findings = _run(tmp_path, models, cache, raw_base=server.url(""))
    # The verdicts: the odd blocks define nothing, and the warning says what is there.
    assert [finding.model for finding in findings] == [f"model_{b}" for b in range(1, ANCHORS, 2)]
    assert "points at 'x_1001 = 1001" in findings[0].message
    kept = [result.anchor_lines for result in run.results.values()]
    assert len(kept) == ANCHORS and max(len(lines) for lines in kept) <= 3
    # The cache holds the verdicts' lines, not every window: 100 windows of 100 kB would be 10 MB.
    with sqlite3.connect(tmp_path / "urls.sqlite") as connection:
        (stored,) = connection.execute("SELECT sum(length(result)) FROM checks").fetchone()
    assert stored < 100 << 10


def test_an_anchor_is_read_again_for_a_model_renamed_since(
    tmp_path: Path, server: UrlServer
) -> None:
    """The lines kept are those the declared models need: a new name needs its own."""
    source = "def net_a(pretrained=False):\n    pass\n\n_cfgs = {\n    'net_b': {},\n}\n"
    server.routes["/o/r/c/f.py"] = serve_file(source.encode())
    code = "https://github.com/o/r/blob/c/f.py#L1-L6"
    with UrlCache(tmp_path / "urls.sqlite") as cache:
        _, first = _run(tmp_path, [_model("net_a", Code=code)], cache, raw_base=server.url(""))
    with UrlCache(tmp_path / "urls.sqlite") as cache:
        run, renamed = _run(tmp_path, [_model("net_b", Code=code)], cache, raw_base=server.url(""))
    assert first == [] and renamed == []
    assert not run.results[(code, CheckKind.ANCHOR)].from_cache


@pytest.mark.parametrize("found", [True, False], ids=["read", "not found"])
def test_a_cached_anchor_answer_makes_no_request(
    tmp_path: Path, server: UrlServer, found: bool
) -> None:
    if found:
        server.routes["/o/r/c/f.py"] = serve_file(b"def net(pretrained=False):\n")
    models = [_model("net", Code="https://github.com/o/r/blob/c/f.py#L1")]
    for _ in range(2):
        with UrlCache(tmp_path / "urls.sqlite") as cache:
            _run(tmp_path, models, cache, raw_base=server.url(""))
    assert len(server.seen) == 1


# --- 6. safetensors headers: small, and refused before parsing when built to take memory ----


def test_a_valid_safetensors_header_over_8_mib_is_not_counted_and_no_finding(
    tmp_path: Path, server: UrlServer
) -> None:
    # Valid: the safetensors library reads headers up to 100 MB.
    header = {
        "__metadata__": {"notes": "x" * (9 << 20)},
        "w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
    }
    server.routes["/w.safetensors"] = serve_file(_safetensors(header, bytes(16)))
    weights = server.url("/w.safetensors")
    model = _model("net", Weights=weights, Metadata={"Parameters": 4})
    run, findings = _run(tmp_path, [model], download=True)
    result = run.results[(weights, CheckKind.DOWNLOAD)]
    assert findings == [] and result.checkpoint_fault is None
    assert result.checkpoint_parameters is None and result.sha256 is not None
    assert "safetensors header of 9437" in (result.checkpoint_note or "")
    assert "bytes is larger than the 8388608 read" in (result.checkpoint_note or "")


def test_a_header_of_nested_brackets_is_refused_before_it_is_parsed(
    tmp_path: Path, server: UrlServer
) -> None:
    header = b'{"w": [' + b"[]," * (2 << 20) + b"[]]}"  # 6 MiB: 2 million lists if parsed
    server.routes["/w.safetensors"] = serve_file(_safetensors(header))
    weights = server.url("/w.safetensors")
    tracemalloc.start()
    try:
        _, findings = _run(tmp_path, [_model("net", Weights=weights)], download=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 << 20  # parsed, the lists alone take 140 MB
    assert _codes(findings) == ["O009"] and "brackets" in findings[0].message


def _entries_header(tensors: int) -> bytes:
    """A plausible header of ``tensors`` one-element F32 tensors, ~60 bytes an entry."""
    entries = {
        f"layer{number}.weight": {
            "dtype": "F32",
            "shape": [1],
            "data_offsets": [4 * number, 4 * number + 4],
        }
        for number in range(tensors)
    }
    return _safetensors(entries, bytes(4 * tensors))


def test_headers_are_parsed_one_at_a_time(tmp_path: Path) -> None:
    """Parallel downloads do not multiply the memory a parsed header takes."""
    path = tmp_path / "w.safetensors"
    path.write_bytes(_entries_header(20_000))

    def peak_of(count: Callable[[], object]) -> int:
        tracemalloc.start()
        try:
            count()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    one = peak_of(lambda: checkpoint.count_checkpoint_parameters(path))

    def four_at_once() -> None:
        start = threading.Barrier(4)

        def count() -> None:
            start.wait()
            checkpoint.count_checkpoint_parameters(path)

        threads = [threading.Thread(target=count) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert peak_of(four_at_once) < 2 * one  # 3.6 times without the lock


# --- 7. an invalid checkpoint is O009; a check that fails is M001 ---------------------------


def test_a_tensor_whose_dtype_is_no_name_is_an_invalid_checkpoint(
    tmp_path: Path, server: UrlServer, capsys: pytest.CaptureFixture[str]
) -> None:
    header = {"w": {"dtype": ["F32"], "shape": [1], "data_offsets": [0, 4]}}
    server.routes["/w.safetensors"] = serve_file(_safetensors(header, bytes(4)))
    zoo = _zoo(tmp_path, [_model("net", Weights=server.url("/w.safetensors"))])
    assert _check_urls(tmp_path, zoo, "--download") == 1
    out = capsys.readouterr().out
    assert "O009" in out and "tensor 'w' has no dtype name" in out and "O002" not in out


def test_a_check_that_fails_unexpectedly_is_an_internal_error_not_a_network_fault(
    tmp_path: Path,
    server: UrlServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("a bug in reading")

    monkeypatch.setattr("modelindex.online.download.from_response", broken)
    server.routes["/w.pth"] = serve_file(b"weights")
    zoo = _zoo(tmp_path, [_model("net", Weights=server.url("/w.pth"))])
    assert _check_urls(tmp_path, zoo, "--download") == 3
    out = capsys.readouterr().out
    assert "M001" in out and "check failed (RuntimeError('a bug in reading'))" in out
    assert "O002" not in out and "unreachable" not in out


# --- 8. the anchor read's time follows the options --------------------------------------------


@pytest.mark.parametrize(
    ("route", "says"),
    [(trickle(1 << 20), "the body stalled: "), (_trickled_headers, "")],
    ids=["body trickles", "headers trickle"],
)
def test_an_anchor_read_from_a_trickling_server_ends_as_the_options_say(
    tmp_path: Path, server: UrlServer, capsys: pytest.CaptureFixture[str], route: Route, says: str
) -> None:
    server.routes["/o/r/c/f.py"] = route
    zoo = _zoo(tmp_path, [_model("net", Code="https://github.com/o/r/blob/c/f.py#L5")])
    started = time.monotonic()
    assert _check_urls(tmp_path, zoo, "--github-raw", server.url("")) == 0
    assert time.monotonic() - started < 4  # a probe's time of 1 s, a window of 2 s
    out = capsys.readouterr().out
    assert "O002" in out and ": timeout (" in out and says in out
