"""Hostile servers, hostile cards and odd cache paths: nothing written outside, nothing of the
user's touched, no false verdicts, and every wait bounded."""

from __future__ import annotations

import hashlib
import sqlite3
import time
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
from tests.url_server import UrlServer, respond, serve_file, trickle


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
    from modelindex.checks.online_rules import online_hits
    from modelindex.online.options import OnlineOptions
    from modelindex.online.run import check_urls

    index = load(zoo)
    run = check_urls(index, None, OnlineOptions(http=FAST, download=True))
    findings = validate(index, Settings(select=("O",)), online_hits(run)).findings
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


def test_a_second_corrupt_cache_keeps_the_first_copy(tmp_path: Path) -> None:
    path = tmp_path / "urls.sqlite"
    for text in (b"first damage" * 10, b"second damage" * 10):
        path.write_bytes(text)
        with pytest.warns(UserWarning, match="was unreadable"):
            UrlCache(path).close()
    assert (tmp_path / "urls.sqlite.corrupt").read_bytes().startswith(b"first")
    assert (tmp_path / "urls.sqlite.corrupt-2").read_bytes().startswith(b"second")


def test_an_ipv6_literal_url_is_checked(tmp_path: Path) -> None:
    zoo = _zoo(tmp_path, [_model("net", Weights="http://[::1]:9/w.pth")])
    assert main(["validate", str(zoo), "--select", "U001"]) == 0
    assert load(zoo)["net"].weights == "http://[::1]:9/w.pth"
