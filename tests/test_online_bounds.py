"""Every number, byte and second a server hands the online checks is bounded: absurd headers
and checkpoint shapes are findings, never crashes (nor cached crashes); downloads stop past
the card's File Size and are never inflated; a probe whose headers trickle ends at its
deadline; a Code anchor's range is bounded."""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from modelindex.checks import Settings, validate
from modelindex.cli import main
from modelindex.loading import load
from modelindex.online import checkpoint
from modelindex.online.download import download
from modelindex.online.http_client import Sessions
from modelindex.online.options import HttpSettings, OnlineOptions
from modelindex.online.results import CheckKind, Status
from modelindex.online.run import check_urls
from modelindex.online.url_cache import UrlCache
from tests.test_online import FAST, WEIGHTS, _codes, _model, _run, _zoo
from tests.url_server import Route, UrlServer, in_turn, respond, serve_file, status

HUGE = "9" * 5000  # more digits than Python converts to an int by default


@pytest.fixture
def server():
    with UrlServer() as running:
        yield running


def _safetensors(header: object, data: bytes = b"") -> bytes:
    text = json.dumps(header).encode() if not isinstance(header, bytes) else header
    return len(text).to_bytes(8, "little") + text + data


# The file: 472 bytes whose header claims 10**400 parameters.
ABSURD_SHAPE = _safetensors(
    {"w": {"dtype": "F32", "shape": [10**200, 10**200], "data_offsets": [0, 16]}}, bytes(16)
)
# conv 8x3x3x3 in F32: 216 parameters in 864 bytes.
VALID = _safetensors(
    {"conv.weight": {"dtype": "F32", "shape": [8, 3, 3, 3], "data_offsets": [0, 864]}},
    bytes(864),
)


def _absurd_zoo(tmp_path: Path, server: UrlServer) -> Path:
    server.routes["/w.safetensors"] = serve_file(ABSURD_SHAPE)
    weights = server.url("/w.safetensors")
    return _zoo(tmp_path, [_model("net", Weights=weights, Metadata={"Parameters": 1000})])


def test_absurd_checkpoint_shapes_are_a_finding_on_every_run_not_a_crash(
    tmp_path: Path, server: UrlServer, capsys: pytest.CaptureFixture[str]
) -> None:
    zoo = _absurd_zoo(tmp_path, server)
    command = ["validate", str(zoo), "--online", "--download", "--select", "O,M"]
    command += ["--url-cache", str(tmp_path / "urls.sqlite"), "--timeout", "1"]
    for _ in range(2):  # the second run reads the first one's result from the cache
        assert main(command) == 1
        out, err = capsys.readouterr()
        assert "O009 Weights file" in out and "does not fit its 16 bytes" in out
        assert "internal error" not in out + err and "M001" not in out


def test_a_cached_result_with_an_absurd_count_is_checked_again(
    tmp_path: Path, server: UrlServer
) -> None:
    """A cache written before counts were bounded holds 10**400: it is read as no entry."""
    server.routes["/w.safetensors"] = serve_file(VALID)
    weights = server.url("/w.safetensors")
    path = tmp_path / "urls.sqlite"
    UrlCache(path).close()
    poisoned = {"url": weights, "kind": "download", "status": "ok", "sha256": "0" * 64}
    poisoned["checkpoint_parameters"] = 10**400
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO checks VALUES (?, 'download', ?, ?)",
            (weights, time.time(), json.dumps(poisoned)),
        )
    index = load(_zoo(tmp_path, [_model("net", Weights=weights, Metadata={"Parameters": 216})]))
    with UrlCache(path) as cache:
        run = check_urls(index, cache, OnlineOptions(http=FAST, download=True))
    result = run.results[(weights, CheckKind.DOWNLOAD)]
    assert not result.from_cache and result.checkpoint_parameters == 216
    assert validate(index, Settings(select=("O",)), run).findings == []


@pytest.mark.parametrize(
    ("header", "says"),
    [
        (ABSURD_SHAPE[8:-16], "does not fit its 16 bytes"),
        (b"[" * 100_000, "no JSON"),
        (b"\xff\xfe not text", "no JSON"),
        (b'["a list"]', "no JSON object"),
        (f'{{"w": {{"dtype": "F32", "shape": [{HUGE}], "data_offsets": [0, 4]}}}}', "no JSON"),
        ({"w": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, "whole numbers"),
        ({"w": {"dtype": "F32", "shape": [-4, -1], "data_offsets": [0, 16]}}, "whole numbers"),
        ({"w": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 16]}}, "whole numbers"),
        ({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 10**30]}}, "outside the file"),
        ({"w": {"dtype": "F32", "shape": [4], "data_offsets": [8, 4]}}, "outside the file"),
        ({"w": {"dtype": "F32", "shape": [5], "data_offsets": [0, 16]}}, "does not fit"),
        ({"w": {"dtype": "F99", "shape": [10**9], "data_offsets": [0, 16]}}, "does not fit"),
        ({"w": "not an object"}, "no JSON object"),
    ],
    ids=lambda value: repr(value)[:30],
)
def test_a_safetensors_header_that_contradicts_its_file_is_no_checkpoint(
    tmp_path: Path, header: object, says: str
) -> None:
    text = header.encode() if isinstance(header, str) else header
    path = tmp_path / "w.safetensors"
    path.write_bytes(_safetensors(text, bytes(16)))
    with pytest.raises(checkpoint.InvalidCheckpoint, match=says):
        checkpoint.count_checkpoint_parameters(path)


@pytest.mark.parametrize(
    "start", [b"", b"\x01\x02", (10**12).to_bytes(8, "little")], ids=["empty", "short", "long"]
)
def test_a_safetensors_header_length_past_the_file_is_no_checkpoint(
    tmp_path: Path, start: bytes
) -> None:
    path = tmp_path / "w.safetensors"
    path.write_bytes(start + b"{}")
    with pytest.raises(checkpoint.InvalidCheckpoint, match="not a safetensors file"):
        checkpoint.count_checkpoint_parameters(path)


def _ranged_with_total(total: str) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        if handler.command == "HEAD":
            respond(handler, 405)
        else:
            respond(handler, 206, b"x", {"Content-Range": f"bytes 0-0/{total}"})

    return route


@pytest.mark.parametrize(
    "route",
    [
        lambda: status(200, {"Content-Length": HUGE}),
        lambda: _ranged_with_total(HUGE),
        lambda: in_turn(status(429, {"Retry-After": HUGE}), serve_file(WEIGHTS)),
        lambda: in_turn(
            status(429, {"Retry-After": "Fri, 31 Dec 99999 23:59:59 GMT"}), serve_file(WEIGHTS)
        ),
    ],
    ids=["Content-Length", "Content-Range", "Retry-After seconds", "Retry-After date"],
)
def test_header_numbers_of_any_size_give_an_answer_not_a_failed_check(
    tmp_path: Path, server: UrlServer, route
) -> None:
    server.routes["/w.pth"] = route()
    http = HttpSettings(timeout_s=0.5, retries=1, backoff_s=0.01, max_retry_after_s=0.05)
    model = _model("net", Weights=server.url("/w.pth"), Metadata={"File Size": len(WEIGHTS)})
    started = time.monotonic()
    run, findings = _run(tmp_path, [model], http=http)
    assert time.monotonic() - started < 3
    result = run.results[(server.url("/w.pth"), CheckKind.PROBE)]
    # A size no file has is no size verdict; a wait no one can mean is a short one.
    assert result.status is Status.OK and result.content_length in {None, len(WEIGHTS)}
    assert findings == []


def test_a_check_that_fails_unexpectedly_loses_nothing_else_and_is_not_cached(
    tmp_path: Path, server: UrlServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("a bug in reading")

    monkeypatch.setattr("modelindex.online.download.from_response", broken)
    server.routes["/w.pth"] = serve_file(WEIGHTS)
    server.routes["/paper"] = serve_file(b"paper")
    weights, paper = server.url("/w.pth"), server.url("/paper")
    models = [_model("a", Weights=weights), _model("b", Paper={"URL": paper})]
    with UrlCache(tmp_path / "urls.sqlite") as cache:
        run, _ = _run(tmp_path, models, cache, download=True)
    failed = run.results[(weights, CheckKind.DOWNLOAD)]
    # Not 'unreachable': a bug of ours is no fault of the network (M001, see
    # test_online_resources).
    assert failed.status is Status.FAILED and "a bug in reading" in failed.detail
    assert run.results[(paper, CheckKind.PROBE)].status is Status.OK
    with UrlCache(tmp_path / "urls.sqlite") as cache:
        assert cache.fresh(weights, CheckKind.DOWNLOAD) is None
        assert cache.fresh(weights, CheckKind.PROBE) is not None
        assert cache.fresh(paper, CheckKind.PROBE) is not None


def test_findings_that_fail_for_one_url_leave_the_others(
    tmp_path: Path, server: UrlServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def overflowing(*_args: object) -> bool:
        raise OverflowError("int too large to convert to float")

    monkeypatch.setattr("modelindex.checks.online_rules.parameters_agree", overflowing)
    server.routes["/w.safetensors"] = serve_file(VALID)
    weights = server.url("/w.safetensors")
    models = [
        _model("counted", Weights=weights, Metadata={"Parameters": 216}),
        _model("dead", Weights=server.url("/gone.pth")),
    ]
    index = load(_zoo(tmp_path, models))
    run = check_urls(index, None, OnlineOptions(http=FAST, download=True))
    findings = validate(index, Settings(select=("O", "M001")), run).findings
    assert [(f.code, f.model) for f in findings] == [("M001", "counted"), ("O001", "dead")]
    assert f"checking Weights {weights} failed: OverflowError" in findings[0].message
    assert findings[0].line == 3  # the Weights line of the model declaring it


def _trickled_headers(handler: BaseHTTPRequestHandler) -> None:
    """A status line, then one header line every 0.2 s: every read comes within any read
    timeout, the answer never does (10 s at the most: the test server's loop is bounded)."""
    handler.close_connection = True
    try:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for number in range(50):
            handler.wfile.write(f"X-Slow-{number}: 1\r\n".encode())
            time.sleep(0.2)
        handler.wfile.write(b"Content-Length: 0\r\n\r\n")
    except OSError:
        return


@pytest.mark.parametrize("retries", [0, 1])
def test_a_probe_whose_headers_trickle_ends_at_its_deadline(
    tmp_path: Path, server: UrlServer, retries: int
) -> None:
    server.routes["/w.pth"] = _trickled_headers
    http = HttpSettings(timeout_s=0.25, retries=retries, backoff_s=0.01, max_retry_after_s=0.1)
    started = time.monotonic()
    run, findings = _run(tmp_path, [_model("net", Weights=server.url("/w.pth"))], http=http)
    assert time.monotonic() - started < 3  # deadlines of 1 s (no retry) and 2.1 s (one)
    result = run.results[(server.url("/w.pth"), CheckKind.PROBE)]
    assert result.status is Status.TIMEOUT and "no complete answer within" in result.detail
    assert _codes(findings) == ["O002"]
    assert len(server.requests_to("/w.pth")) == 1  # nothing tried again after the deadline


def test_a_download_whose_headers_trickle_ends_at_its_deadline(server: UrlServer) -> None:
    server.routes["/w.pth"] = _trickled_headers
    sessions = Sessions(HttpSettings(timeout_s=0.5, retries=0), pool_size=1)
    started = time.monotonic()
    result = download(sessions, server.url("/w.pth"), deadline_s=1.0)
    assert time.monotonic() - started < 2
    assert result.status is Status.TIMEOUT


def test_check_urls_exits_at_the_deadline_of_a_trickling_server(
    tmp_path: Path, server: UrlServer
) -> None:
    """No thread stuck on a server holds the process open at exit."""
    server.routes["/w.pth"] = _trickled_headers
    zoo = _zoo(tmp_path, [_model("net", Weights=server.url("/w.pth"))])
    command = [sys.executable, "-m", "modelindex", "check-urls", str(zoo)]
    command += ["--timeout", "0.25", "--retries", "0", "--url-cache", str(tmp_path / "c.db")]
    started = time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=8)
    assert time.monotonic() - started < 6
    assert completed.returncode == 0 and "O002" in completed.stdout
    assert "no complete answer within 1 s" in completed.stdout


def _bytes_under(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:
            continue  # removed while counted
    return total


def _endless(download_folder: Path, on_disk: list[int]) -> Route:
    """A body with no announced end, 64 KiB at a time (256 MiB at the most); between writes,
    how much the client's download folder holds."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        if handler.command == "HEAD":
            return
        block = b"\x01" * (64 << 10)
        for _ in range(4096):
            try:
                handler.wfile.write(block)
            except OSError:
                return
            on_disk.append(_bytes_under(download_folder))

    return route


def test_an_endless_body_stops_a_little_past_the_declared_file_size(
    tmp_path: Path, server: UrlServer, download_folder: Path
) -> None:
    on_disk: list[int] = []
    server.routes["/w.pth"] = _endless(download_folder, on_disk)
    declared = 1 << 20
    limit = declared + declared // 10 + (1 << 20)
    weights = server.url("/w.pth")
    model = _model("net", Weights=weights, Metadata={"File Size": declared})
    started = time.monotonic()
    run, findings = _run(tmp_path, [model], download=True)
    assert time.monotonic() - started < 5
    assert max(on_disk) <= limit
    result = run.results[(weights, CheckKind.DOWNLOAD)]
    assert result.larger_than == limit and result.sha256 is None
    assert _codes(findings) == ["O005"]
    assert f"differs from the more than {limit} bytes that {weights} serves" in (
        findings[0].message
    )


def test_an_endless_body_without_a_file_size_stops_at_the_ceiling(
    tmp_path: Path, server: UrlServer, download_folder: Path
) -> None:
    on_disk: list[int] = []
    server.routes["/w.pth"] = _endless(download_folder, on_disk)
    weights = server.url("/w.pth")
    run, findings = _run(
        tmp_path, [_model("net", Weights=weights)], download=True, max_download_bytes=3 << 20
    )
    assert run.results[(weights, CheckKind.DOWNLOAD)].larger_than == 3 << 20
    assert max(on_disk) <= 3 << 20 and findings == []


def test_a_compressed_weights_file_is_neither_asked_for_nor_inflated(
    tmp_path: Path, server: UrlServer, download_folder: Path
) -> None:
    bomb = gzip.compress(bytes(64 << 20), compresslevel=1)  # 64 MiB in about 0.3 MiB
    on_disk: list[int] = []

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Encoding", "gzip")  # whatever the request asked for
        handler.send_header("Content-Length", str(len(bomb)))
        handler.end_headers()
        if handler.command == "HEAD":
            return
        for start in range(0, len(bomb), 16 << 10):
            try:
                handler.wfile.write(bomb[start : start + (16 << 10)])
            except OSError:
                return
            time.sleep(0.002)
            on_disk.append(_bytes_under(download_folder))

    server.routes["/w.pth"] = route
    weights = server.url("/w.pth")
    run, findings = _run(tmp_path, [_model("net", Weights=weights)], download=True)
    assert {seen.headers.get("Accept-Encoding") for seen in server.seen} == {"identity"}
    result = run.results[(weights, CheckKind.DOWNLOAD)]
    assert result.sha256 is None and "gzip-encoded" in (result.checkpoint_note or "")
    assert max(on_disk, default=0) < len(bomb)
    assert findings == []


@pytest.fixture
def github_proxy(server: UrlServer, monkeypatch: pytest.MonkeyPatch) -> UrlServer:
    """The test server as the HTTP proxy: a request for http://github.com/... reaches it, not
    the internet."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url(""))
    monkeypatch.setenv("http_proxy", server.url(""))
    return server


@pytest.mark.parametrize(
    ("anchor", "says"),
    [
        ("L1-L50000000", "spans 50000000 lines, more than the 1000 an anchor is read for"),
        (f"L{HUGE}", "names a line past 1000000000, beyond any source file"),
        (f"L2-L{HUGE}", "names a line past 1000000000, beyond any source file"),
    ],
    ids=["fifty million lines", "a line of 5000 digits", "a range to it"],
)
def test_a_code_anchor_beyond_any_sane_range_is_reported_not_read(
    tmp_path: Path, github_proxy: UrlServer, anchor: str, says: str
) -> None:
    page = "http://github.com/o/r/blob/0123abcd/big.py"
    github_proxy.routes[page] = serve_file(b"<html>the page</html>")
    github_proxy.routes["/o/r/0123abcd/big.py"] = serve_file(b"def resnet50d():\n    pass\n")
    code = f"{page}#{anchor}"
    tracemalloc.start()
    try:
        started = time.monotonic()
        run, findings = _run(
            tmp_path, [_model("resnet50d", Code=code)], raw_base=github_proxy.url("")
        )
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 3 and peak < 8 << 20
    assert run.results[(code, CheckKind.PROBE)].status is Status.OK
    assert _codes(findings) == ["O008"] and says in findings[0].message
    # The page answered; the source file was not read for a range no definition spans.
    assert [seen.path for seen in github_proxy.seen] == [page]
