"""Hostile servers, hostile cards and odd cache paths: nothing written outside, nothing of the
user's touched, no false verdicts, and every wait bounded."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from modelindex.cli import main
from modelindex.loading import load
from modelindex.online.download import download
from modelindex.online.http_client import Sessions
from modelindex.online.options import HttpSettings
from modelindex.online.results import CheckKind, Status
from modelindex.online.url_cache import UrlCache
from tests.test_online import FAST, WEIGHTS, _codes, _model, _run, _zoo
from tests.url_server import UrlServer, redirect, respond, serve_file, trickle


@pytest.fixture
def server():
    with UrlServer() as running:
        yield running


def test_a_weights_name_cannot_place_the_download_outside_its_folder(
    tmp_path: Path, server: UrlServer
) -> None:
    target = tmp_path / "pwned.txt"
    escape = "..%2F" * 12 + str(target).lstrip("/").replace("/", "%2F")
    server.routes[f"/wt/{escape}"] = serve_file(b"owned")
    run, _ = _run(tmp_path, [_model("net", Weights=server.url(f"/wt/{escape}"))], download=True)
    assert run.results[(server.url(f"/wt/{escape}"), CheckKind.DOWNLOAD)].sha256 == (
        hashlib.sha256(b"owned").hexdigest()
    )
    assert not target.exists()


def test_a_server_that_trickles_is_cut_off_at_the_deadline(server: UrlServer) -> None:
    server.routes["/trickle.pth"] = trickle(10**9)
    sessions = Sessions(HttpSettings(timeout_s=1, retries=0), pool_size=1)
    started = time.monotonic()
    result = download(sessions, server.url("/trickle.pth"), deadline_s=1.0)
    assert time.monotonic() - started < 3
    assert result.status is Status.TIMEOUT and "still arriving" in result.detail


def test_collection_weights_are_checked_against_the_collection(
    tmp_path: Path, server: UrlServer
) -> None:
    server.routes["/fam-deadbeef.pth"] = serve_file(WEIGHTS)
    zoo = tmp_path / "model-index.yml"
    zoo.write_text(
        "Collections:\n- Name: Fam\n  Metadata: {File Size: 5}\n"
        f"  Weights: {server.url('/fam-deadbeef.pth')}\n"
        "Models:\n- Name: b\n  In Collection: Fam\n",
        encoding="utf-8",
    )
    assert main(["check-urls", str(zoo), "--download", "--url-cache", str(tmp_path / "c.db")]) == 1
    from modelindex.checks import Settings, validate
    from modelindex.online.options import OnlineOptions
    from modelindex.online.run import check_urls

    index = load(zoo)
    run = check_urls(index, None, OnlineOptions(http=FAST, download=True))
    findings = validate(index, Settings(select=("O",)), run).findings
    assert _codes(findings) == ["O005", "O006"]
    assert [f.line for f in findings] == [3, 4]


def test_a_ranged_answer_without_a_total_is_no_size_verdict(
    tmp_path: Path, server: UrlServer
) -> None:
    def route(handler: BaseHTTPRequestHandler) -> None:
        if handler.command == "HEAD":
            respond(handler, 405)
        else:
            respond(handler, 206, b"x", {"Content-Range": "garbage"})

    server.routes["/w.pth"] = route
    models = [_model("net", Weights=server.url("/w.pth"), Metadata={"File Size": 1000})]
    run, findings = _run(tmp_path, models)
    assert run.results[(server.url("/w.pth"), CheckKind.PROBE)].content_length is None
    assert findings == []


def test_server_text_is_one_line_without_control_characters(
    tmp_path: Path, server: UrlServer
) -> None:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(404, "Gone\x1b[31m RED\x0bsecond\x85third")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server.routes["/w.pth"] = route
    _, findings = _run(tmp_path, [_model("net", Weights=server.url("/w.pth"))])
    assert _codes(findings) == ["O001"]
    assert findings[0].message.isprintable() and "\\x1b[31m RED\\x0bsecond" in findings[0].message


def test_an_anchor_deep_in_a_large_file_is_found(tmp_path: Path, server: UrlServer) -> None:
    lines = [
        f"x_{number} = {number}  # filler line of a big generated file" for number in range(300_000)
    ]
    lines[250_000 - 1] = "def resnet101d(pretrained=False):"
    server.routes["/o/r/0123abcd/big.py"] = serve_file("\n".join(lines).encode())
    code = "https://github.com/o/r/blob/0123abcd/big.py#L250000"
    run, findings = _run(tmp_path, [_model("resnet101d", Code=code)], raw_base=server.url(""))
    assert run.results[(code, CheckKind.ANCHOR)].line_count == 300_000
    assert findings == []


def test_check_urls_reports_a_file_it_cannot_read(tmp_path: Path, capsys) -> None:
    zoo = tmp_path / "model-index.yml"
    zoo.write_text("Models:\n  - Name: [unclosed\n", encoding="utf-8")
    assert main(["check-urls", str(zoo), "--url-cache", str(tmp_path / "c.sqlite")]) == 1
    assert ": L005 " in capsys.readouterr().out


def test_a_cache_path_that_is_a_folder_is_left_alone(tmp_path: Path, server: UrlServer) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "important.txt").write_text("keep", encoding="utf-8")
    with pytest.warns(UserWarning, match="is not a file; checking without a cache"):
        cache = UrlCache(folder)
    cache.close()
    assert (folder / "important.txt").read_text(encoding="utf-8") == "keep"
    assert not (tmp_path / "cache.corrupt").exists()


def test_a_cache_path_naming_a_users_file_is_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "model-index.yml"
    notes.write_text("Models: []\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="is not a modelindex URL cache"):
        UrlCache(notes).close()
    assert notes.read_text(encoding="utf-8") == "Models: []\n"
    assert list(tmp_path.iterdir()) == [notes]


def test_another_programs_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "app.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE accounts (name TEXT)")
    before = path.read_bytes()
    with pytest.warns(UserWarning, match="a database of another program"):
        UrlCache(path).close()
    assert path.read_bytes() == before and not (tmp_path / "app.sqlite.corrupt").exists()


def test_an_ipv6_literal_url_is_checked(tmp_path: Path) -> None:
    zoo = _zoo(tmp_path, [_model("net", Weights="http://[::1]:9/w.pth")])
    assert main(["validate", str(zoo), "--select", "U001"]) == 0
    assert load(zoo)["net"].weights == "http://[::1]:9/w.pth"


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests go where their URLs say, never through a proxy of the environment."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


LABEL_64 = "a" * 64


@pytest.mark.parametrize(
    ("location", "says"),
    [
        ("http://x..example.com/w.pth", "label empty or too long"),
        (f"http://{LABEL_64}.example.com/w.pth", "label empty or too long"),
        ("//x..example.com/w.pth", "label empty or too long"),
        ("http://[::1/w.pth", "Invalid IPv6 URL"),
        ("http://[zz::1]/w.pth", "does not appear to be an IPv4 or IPv6 address"),
        ("http://\xe9..example.com/w.pth", "can't decode byte 0xe9"),  # Latin-1, not UTF-8
    ],
    ids=["empty label", "64-character label", "no scheme", "open bracket", "no IP", "Latin-1"],
)
@pytest.mark.parametrize("command", ["check-urls", "validate"])
def test_a_redirect_to_a_url_that_cannot_be_requested_is_unreachable_not_an_internal_error(
    tmp_path: Path,
    server: UrlServer,
    no_proxy: None,
    capsys: pytest.CaptureFixture[str],
    location: str,
    says: str,
    command: str,
) -> None:
    server.routes["/w.pth"] = redirect(location)
    zoo = _zoo(tmp_path, [_model("net", Weights=server.url("/w.pth"))])
    online = ["--online"] if command == "validate" else []
    arguments = [command, str(zoo), *online, "--download", "--timeout", "1", "--retries", "0"]
    assert main([*arguments, "--url-cache", str(tmp_path / "urls.sqlite")]) == 0
    out, err = capsys.readouterr()
    assert "M001" not in out and "internal error" not in out + err
    assert "O002" in out and says in out
    assert f"redirected by {server.url('/w.pth')} to a URL that cannot be requested" in out


@pytest.mark.parametrize(
    "weights",
    ["http://x..example.com/w.pth", f"http://{LABEL_64}.example.com/w.pth"],
    ids=["empty label", "64-character label"],
)
def test_a_weights_host_that_cannot_be_requested_is_no_internal_error(
    tmp_path: Path, no_proxy: None, weights: str
) -> None:
    # Such a URL is U001 offline, so the online checks leave it alone; asked for anyway (an
    # older cache, a caller of the API), it is unreachable, never a check that failed.
    run, findings = _run(tmp_path, [_model("net", Weights=weights)], download=True)
    assert "M001" not in _codes(findings)
    for kind in (CheckKind.PROBE, CheckKind.DOWNLOAD):
        result = run.results.get((weights, kind))
        if result is not None:
            assert result.status is Status.UNREACHABLE
    zoo = _zoo(tmp_path, [_model("net", Weights=weights)])
    assert main(["validate", str(zoo), "--select", "U001"]) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("etag", "\u20ac"),
        ("etag", '"v0"\r\nX-Injected: 1'),
        ("last_modified", " Mon, 01 Jan 2024 00:00:00 GMT"),
    ],
    ids=["beyond Latin-1", "line break", "leading space"],
)
def test_a_cached_validator_that_no_header_can_carry_is_not_sent(
    tmp_path: Path, server: UrlServer, field: str, value: str
) -> None:
    """The cache is a file anyone may edit: its validators are sent only where valid, and the
    file is asked for whole instead."""
    server.routes["/w.pth"] = serve_file(WEIGHTS, etag='"v1"')
    weights = server.url("/w.pth")
    path = tmp_path / "urls.sqlite"
    UrlCache(path).close()
    stale = {"url": weights, "kind": "probe", "status": "ok", field: value, "http_status": 200}
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO checks VALUES (?, 'probe', ?, ?)", (weights, 0.0, json.dumps(stale))
        )
    with UrlCache(path) as cache:
        run, findings = _run(tmp_path, [_model("net", Weights=weights)], cache)
    result = run.results[(weights, CheckKind.PROBE)]
    assert result.status is Status.OK and result.etag == '"v1"' and findings == []
    assert {"If-None-Match", "If-Modified-Since"}.isdisjoint(server.seen[0].headers)


def test_a_redirects_body_is_never_read(tmp_path: Path, server: UrlServer) -> None:
    """requests reads a redirect's body whole before following it: 64 MiB of it here."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", "/real.pth")
        handler.send_header("Connection", "close")
        handler.end_headers()
        if handler.command == "HEAD":
            return
        block = bytes(1 << 20)
        for _ in range(64):
            try:
                handler.wfile.write(block)
            except OSError:
                return

    server.routes["/w.pth"] = route
    server.routes["/real.pth"] = serve_file(WEIGHTS)
    weights = server.url("/w.pth")
    tracemalloc.start()
    try:
        run, findings = _run(tmp_path, [_model("net", Weights=weights)], download=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert run.results[(weights, CheckKind.DOWNLOAD)].sha256 == hashlib.sha256(WEIGHTS).hexdigest()
    assert findings == [] and peak < 16 << 20
