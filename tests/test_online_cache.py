"""The URL cache: hits make no request, conditional requests after the TTL, refresh, a
damaged cache rebuilt with a warning, anything else left as it is, and concurrent runs on one
file."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from pathlib import Path

import pytest

from modelindex.loading import load
from modelindex.online.options import HttpSettings, OnlineOptions
from modelindex.online.results import CheckKind, Status, UrlResult
from modelindex.online.run import check_urls
from modelindex.online.url_cache import UrlCache
from tests.test_online import WEIGHTS, _model, _zoo
from tests.url_server import UrlServer, in_turn, serve_file, status

FAST = OnlineOptions(http=HttpSettings(timeout_s=2, retries=1, backoff_s=0.01))


@pytest.fixture
def server():
    with UrlServer() as running:
        yield running


def _check(zoo: Path, cache_path: Path, ttl_s: float = 3600, **options: object):
    with UrlCache(cache_path, ttl_s=ttl_s) as cache:
        return check_urls(load(zoo), cache, OnlineOptions(**{**FAST.__dict__, **options}))


def _files(server: UrlServer, count: int) -> list[dict]:
    for number in range(count):
        server.routes[f"/w{number}.pth"] = serve_file(WEIGHTS, etag=f'"v{number}"')
    return [_model(f"net{n}", Weights=server.url(f"/w{n}.pth")) for n in range(count)]


def test_a_cache_hit_makes_no_request(tmp_path: Path, server: UrlServer) -> None:
    zoo = _zoo(tmp_path, _files(server, 3))
    first = _check(zoo, tmp_path / "urls.sqlite")
    assert first.requested == 3 and len(server.seen) == 3
    second = _check(zoo, tmp_path / "urls.sqlite")
    assert len(server.seen) == 3 and second.requested == 0
    assert all(result.from_cache for result in second.results.values())
    assert second.results == {key: r for key, r in second.results.items() if r.status == "ok"}


def test_refresh_asks_again_without_conditions(tmp_path: Path, server: UrlServer) -> None:
    zoo = _zoo(tmp_path, _files(server, 2))
    _check(zoo, tmp_path / "urls.sqlite")
    again = _check(zoo, tmp_path / "urls.sqlite", refresh=True)
    assert again.requested == 2 and len(server.seen) == 4
    assert all("If-None-Match" not in seen.headers for seen in server.seen)


def test_after_the_ttl_an_etag_makes_the_request_conditional(
    tmp_path: Path, server: UrlServer
) -> None:
    zoo = _zoo(tmp_path, _files(server, 1))
    _check(zoo, tmp_path / "urls.sqlite")
    renewed = _check(zoo, tmp_path / "urls.sqlite", ttl_s=0)
    assert server.seen[-1].headers.get("If-None-Match") == '"v0"'
    result = renewed.results[(server.url("/w0.pth"), CheckKind.PROBE)]
    assert result.status is Status.OK and result.content_length == len(WEIGHTS)
    assert result.detail == "not modified since last checked"


def test_network_faults_are_not_cached(tmp_path: Path, server: UrlServer) -> None:
    server.routes["/w.pth"] = in_turn(status(503), status(503), serve_file(WEIGHTS))
    zoo = _zoo(tmp_path, [_model("net", Weights=server.url("/w.pth"))])
    first = _check(zoo, tmp_path / "urls.sqlite")
    assert first.results[(server.url("/w.pth"), CheckKind.PROBE)].status is Status.SERVER_ERROR
    second = _check(zoo, tmp_path / "urls.sqlite")
    assert second.results[(server.url("/w.pth"), CheckKind.PROBE)].status is Status.OK


# sqlite's smallest page, and the first page's header: the size of pages, the format.
_PAGE = 4096
_DAMAGES = {
    "cut short": lambda cache: cache[:_PAGE],
    "rows garbled": lambda cache: cache[: _PAGE + 8] + b"\xff" * 200 + cache[_PAGE + 208 :],
    "header garbled": lambda cache: cache[:16] + b"\xff" * 24 + cache[40:],
}


def _damaged_cache(path: Path, damage: str, urls: int = 30) -> bytes:
    """A URL cache of ours, of ``urls`` rows, that sqlite cannot read whole; its bytes."""
    with UrlCache(path) as cache:
        cache.store(
            UrlResult(f"https://example.org/w{n}.pth", CheckKind.PROBE, Status.OK)
            for n in range(urls)
        )
    damaged = _DAMAGES[damage](path.read_bytes())
    path.write_bytes(damaged)
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT * FROM checks").fetchall()
    return damaged


@pytest.mark.parametrize("damage", list(_DAMAGES))
def test_a_damaged_cache_is_rebuilt_with_a_warning(
    tmp_path: Path, server: UrlServer, damage: str
) -> None:
    cache_path = tmp_path / "urls.sqlite"
    damaged = _damaged_cache(cache_path, damage)
    zoo = _zoo(tmp_path, _files(server, 2))
    with pytest.warns(
        UserWarning, match=r"urls.sqlite was unreadable .*moved it to urls.sqlite.corrupt"
    ):
        run = _check(zoo, cache_path)
    assert {r.status for r in run.results.values()} == {Status.OK}
    assert (tmp_path / "urls.sqlite.corrupt").read_bytes() == damaged
    rows = sqlite3.connect(cache_path).execute("SELECT count(*) FROM checks").fetchone()
    assert rows == (2,)


def test_a_second_damaged_cache_keeps_the_first_copy(tmp_path: Path) -> None:
    path = tmp_path / "urls.sqlite"
    kept = []
    for damage in ("cut short", "rows garbled"):
        kept.append(_damaged_cache(path, damage))
        with pytest.warns(UserWarning, match="was unreadable"):
            UrlCache(path).close()
    assert (tmp_path / "urls.sqlite.corrupt").read_bytes() == kept[0]
    assert (tmp_path / "urls.sqlite.corrupt-2").read_bytes() == kept[1]


# A GNU dbm file's magic number and header, as another program's index.db begins.
_GDBM = b"\xce\x9a\x57\x13" + bytes(range(256)) * 16


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("index.db", _GDBM),
        ("urls.sqlite", b"my notes on the zoo's URLs\n" * 40),
        ("urls.sqlite3", b"x"),
        ("notes", b"this is not a database" * 100),
    ],
    ids=["gdbm index.db", "text under .sqlite", "one byte under .sqlite3", "no suffix"],
)
def test_a_file_that_is_not_sqlite_is_never_renamed_whatever_its_suffix(
    tmp_path: Path, server: UrlServer, name: str, text: bytes
) -> None:
    (tmp_path / name).write_bytes(text)
    zoo = _zoo(tmp_path, _files(server, 2))
    before = sorted(tmp_path.iterdir())
    _checked_without_a_cache(
        zoo,
        tmp_path / name,
        rf"{name} is not a modelindex URL cache \(not an sqlite database\); left as it is, "
        "checking without a cache",
    )
    assert (tmp_path / name).read_bytes() == text
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize("damage", ["cut short", "rows garbled"])
def test_another_programs_damaged_database_is_left_alone(
    tmp_path: Path, server: UrlServer, damage: str
) -> None:
    path = tmp_path / "app.sqlite"
    _database(
        path,
        "CREATE TABLE accounts (name TEXT, note TEXT)",
        *(f"INSERT INTO accounts VALUES ('user{n}', '{'x' * 200}')" for n in range(100)),
    )
    damaged = _DAMAGES[damage](path.read_bytes())
    path.write_bytes(damaged)
    zoo = _zoo(tmp_path, _files(server, 1))
    _checked_without_a_cache(zoo, path, r"app.sqlite is .*; left as it is, checking without")
    assert path.read_bytes() == damaged
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("app")) == ["app.sqlite"]


def test_a_malformed_row_is_checked_again(tmp_path: Path, server: UrlServer) -> None:
    zoo = _zoo(tmp_path, _files(server, 1))
    _check(zoo, tmp_path / "urls.sqlite")
    with sqlite3.connect(tmp_path / "urls.sqlite") as connection:
        connection.execute('UPDATE checks SET result = \'{"status": "sideways"}\'')
    again = _check(zoo, tmp_path / "urls.sqlite")
    assert again.requested == 1
    assert again.results[(server.url("/w0.pth"), CheckKind.PROBE)].status is Status.OK


def _run_in_process(zoo: str, cache_path: str, queue) -> None:
    run = _check(Path(zoo), Path(cache_path))
    queue.put(sorted(result.status.value for result in run.results.values()))


def test_two_runs_at_once_share_the_cache_without_corrupting_it(
    tmp_path: Path, server: UrlServer
) -> None:
    zoo = _zoo(tmp_path, _files(server, 300))
    cache_path = tmp_path / "urls.sqlite"
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    runs = [
        context.Process(target=_run_in_process, args=(str(zoo), str(cache_path), queue))
        for _ in range(2)
    ]
    for process in runs:
        process.start()
    outcomes = [queue.get(timeout=120) for _ in runs]
    for process in runs:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert outcomes == [["ok"] * 300] * 2
    connection = sqlite3.connect(cache_path)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert connection.execute("SELECT count(*) FROM checks").fetchone() == (300,)
    assert _check(zoo, cache_path).requested == 0


def test_at_most_per_host_requests_run_at_once(tmp_path: Path, server: UrlServer) -> None:
    from tests.url_server import slow

    for number in range(12):
        server.routes[f"/s{number}.pth"] = slow(0.2, serve_file(WEIGHTS))
    zoo = _zoo(tmp_path, [_model(f"n{n}", Weights=server.url(f"/s{n}.pth")) for n in range(12)])
    run = check_urls(load(zoo), None, OnlineOptions(**{**FAST.__dict__, "jobs": 8, "per_host": 3}))
    assert {r.status for r in run.results.values()} == {Status.OK}
    assert server.most_active == 3


def _checked_without_a_cache(zoo: Path, cache_path: Path, warning: str) -> None:
    """Check ``zoo`` with ``cache_path`` given: one warning, and every URL asked for."""
    with pytest.warns(UserWarning, match=warning) as warned:
        run = _check(zoo, cache_path)
    assert len(warned) == 1
    assert run.requested == len(run.results) and {r.status for r in run.results.values()} == {
        Status.OK
    }


def test_a_users_empty_file_is_not_taken_for_the_url_cache(
    tmp_path: Path, server: UrlServer
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.md").write_bytes(b"")
    _checked_without_a_cache(
        _zoo(tmp_path, _files(server, 2)),
        docs / "notes.md",
        r"notes.md is an empty file, not a modelindex URL cache; left as it is, checking without",
    )
    assert [(p.name, p.read_bytes()) for p in docs.iterdir()] == [("notes.md", b"")]


@pytest.mark.parametrize("name", ["urls.sqlite", "urls.sqlite3", "urls.db"])
def test_an_empty_file_under_a_cache_suffix_becomes_the_cache(
    tmp_path: Path, server: UrlServer, name: str
) -> None:
    (tmp_path / name).write_bytes(b"")
    zoo = _zoo(tmp_path, _files(server, 2))
    assert _check(zoo, tmp_path / name).requested == 2
    assert _check(zoo, tmp_path / name).requested == 0


def test_a_cache_under_a_name_without_a_cache_suffix_is_used_again(
    tmp_path: Path, server: UrlServer
) -> None:
    zoo = _zoo(tmp_path, _files(server, 2))
    assert _check(zoo, tmp_path / "url-cache").requested == 2
    assert _check(zoo, tmp_path / "url-cache").requested == 0


def _database(path: Path, *statements: str) -> bytes:
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()
    return path.read_bytes()


@pytest.mark.parametrize(
    ("name", "statements"),
    [
        ("app.sqlite", ["CREATE TABLE checks (id INTEGER, passed INTEGER)"]),
        (
            "app.sqlite",
            [
                "CREATE TABLE checks (url TEXT, kind TEXT, checked_at REAL, result TEXT)",
                "CREATE TABLE accounts (name TEXT)",
            ],
        ),
        ("app.data", ["CREATE TABLE scratch (x)", "DROP TABLE scratch"]),
    ],
    ids=["a checks table of other columns", "more tables than ours", "no table, no suffix"],
)
def test_a_database_not_of_the_url_cache_schema_is_left_byte_for_byte(
    tmp_path: Path, server: UrlServer, name: str, statements: list[str]
) -> None:
    before = _database(tmp_path / name, *statements)
    _checked_without_a_cache(
        _zoo(tmp_path, _files(server, 1)), tmp_path / name, "left as it is, checking without"
    )
    assert (tmp_path / name).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("app")) == [name]


@pytest.mark.parametrize("given", ["fifo", "/dev/null"])
def test_a_fifo_or_a_device_is_never_used_as_the_url_cache(
    tmp_path: Path, server: UrlServer, given: str
) -> None:
    path = Path(given) if given.startswith("/") else tmp_path / given
    if given == "fifo":
        os.mkfifo(path)
    _checked_without_a_cache(_zoo(tmp_path, _files(server, 1)), path, "is not a file; checking")
    assert path.exists() and not path.is_file()


def test_a_damaged_url_cache_behind_a_link_is_rebuilt_where_it_leads(
    tmp_path: Path, server: UrlServer
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    damaged = _damaged_cache(shared / "urls.sqlite", "rows garbled")
    link = tmp_path / "urls.sqlite"
    link.symlink_to(Path("shared") / "urls.sqlite")
    zoo = _zoo(tmp_path, _files(server, 2))
    with pytest.warns(UserWarning, match="was unreadable .*moved it to urls.sqlite.corrupt"):
        _check(zoo, link)
    assert link.is_symlink() and os.readlink(link) == str(Path("shared") / "urls.sqlite")
    assert (shared / "urls.sqlite.corrupt").read_bytes() == damaged
    assert _check(zoo, link).requested == 0
