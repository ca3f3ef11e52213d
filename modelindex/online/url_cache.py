"""The on-disk cache of URL checks: sqlite, keyed by URL and kind of check, with a time to live.

Several runs may share one cache file: sqlite's locking (WAL journal, a busy timeout) keeps
their writes whole. An existing file is taken as the cache only if it is an sqlite database of
this schema, or, under a cache's suffix (``.sqlite``, ``.sqlite3``, ``.db``), an empty file or
database; anything else (a user's file, empty or not, whatever its suffix; another program's
database, damaged or not) is left as it is, with a warning, and the run checks without a cache.
Only a damaged cache of this schema (the sqlite header, and this table's definition on the
first page, where sqlite cannot read the file whole) is kept as ``*.corrupt`` (see
:mod:`modelindex.cache_files`), and the cache starts empty, with a warning; it only ever held
what the network can tell again. A cache path that is a link is used through the link, which
stays.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
import warnings
from collections.abc import Iterable
from pathlib import Path

from modelindex.cache_files import move_aside
from modelindex.online.results import TRANSIENT, CheckKind, UrlResult

DEFAULT_TTL_S = 7 * 24 * 3600
_FORMAT = 1
_BUSY_TIMEOUT_S = 30.0
_WRITE_EVERY = 200
_SQLITE_HEADER = b"SQLite format 3\x00"
# The largest page of sqlite: the first one holds the definitions of the tables.
_FIRST_PAGE_BYTES = 65536
_CACHE_SUFFIXES = {".sqlite", ".sqlite3", ".db"}
_COLUMNS = ["url", "kind", "checked_at", "result"]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS checks (
    url TEXT NOT NULL,
    kind TEXT NOT NULL,
    checked_at REAL NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (url, kind)
)
"""
# The definition as sqlite keeps it in the file: the statement's text without IF NOT EXISTS.
_STORED_SCHEMA = _SCHEMA.strip().replace(" IF NOT EXISTS", "").encode()


def default_url_cache_path() -> Path:
    """``$MODELINDEX_CACHE_DIR/urls.sqlite``, else the user's cache folder of the platform."""
    configured = os.environ.get("MODELINDEX_CACHE_DIR")
    if configured:
        return Path(configured) / "urls.sqlite"
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "modelindex" / "urls.sqlite"


class _NotOurs(sqlite3.DatabaseError):
    pass


def _check_sqlite_or_empty(path: Path) -> None:
    """Raise _NotOurs for a file that holds bytes, but not sqlite's header: sqlite takes a file
    of a byte or two for an empty database, and would write over it."""
    with path.open("rb") as file:
        header = file.read(len(_SQLITE_HEADER))
    if header and header != _SQLITE_HEADER:
        raise _NotOurs("not a modelindex URL cache (not an sqlite database)")


def _is_damaged_cache(path: Path) -> bool:
    """Whether ``path``, which sqlite cannot read whole, is a cache of ours: an sqlite file that
    defines this cache's table. Anything else at that path (another program's database, a file
    under a cache's name) is somebody's data."""
    try:
        with path.open("rb") as file:
            first_page = file.read(_FIRST_PAGE_BYTES)
    except OSError:
        return False
    return first_page.startswith(_SQLITE_HEADER) and _STORED_SCHEMA in first_page


class UrlCache:
    """Results of earlier checks. Reads happen once, up front; writes go in batches."""

    def __init__(self, path: Path, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.path = path
        self.ttl_s = ttl_s
        self._entries: dict[tuple[str, CheckKind], tuple[float, UrlResult]] = {}
        self._pending: list[UrlResult] = []
        self._connection: sqlite3.Connection | None = None
        self._open()

    def _open(self) -> None:
        if self.path.exists() and not self.path.is_file():
            self._disable(f"the URL cache {self.path} is not a file; checking without a cache")
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = self._connect()
            self._entries = self._read_all()
        except sqlite3.OperationalError as error:
            # Locked, read-only, or not openable: the file may be fine; it is never touched.
            self._disable(f"cannot use the URL cache {self.path}: {error}; checking without it")
        except _NotOurs as error:
            self._disable(f"{self.path} is {error}; left as it is, checking without a cache")
        except sqlite3.DatabaseError as error:
            if _is_damaged_cache(self.path):
                self._rebuild(error)
            else:
                self._disable(
                    f"{self.path} is not a modelindex URL cache ({error}); left as it is, "
                    "checking without a cache"
                )
        except OSError as error:
            self._disable(f"cannot use the URL cache {self.path}: {error}; checking without it")

    def _connect(self) -> sqlite3.Connection:
        existed = self.path.exists()
        # Looked at before anything is written: a file that is not ours stays as it is.
        if existed:
            _check_sqlite_or_empty(self.path)
        connection = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        try:
            if existed:
                self._check_ours(connection)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(_SCHEMA)
            connection.execute(f"PRAGMA user_version={_FORMAT}")
        except BaseException:
            connection.close()
            raise
        return connection

    def _check_ours(self, connection: sqlite3.Connection) -> None:
        """Raise _NotOurs unless the existing file is a cache of this schema, or an empty one
        under a cache's name."""
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        tables = {
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite~_%' "
                "ESCAPE '~'"
            )
        }
        if not tables and version == 0:
            # sqlite takes an empty file for an empty database: a user's empty notes.md too.
            if self.path.suffix not in _CACHE_SUFFIXES:
                raise _NotOurs("an empty file, not a modelindex URL cache")
            return
        columns = [row[1] for row in connection.execute("PRAGMA table_info(checks)")]
        if version not in {0, _FORMAT} or tables != {"checks"} or columns != _COLUMNS:
            raise _NotOurs(f"a database of another program (format {version})")

    def _read_all(self) -> dict[tuple[str, CheckKind], tuple[float, UrlResult]]:
        assert self._connection is not None
        entries: dict[tuple[str, CheckKind], tuple[float, UrlResult]] = {}
        rows = self._connection.execute("SELECT url, kind, checked_at, result FROM checks")
        for url, kind, checked_at, text in rows:
            try:
                result = UrlResult.from_data(json.loads(text))
                entries[(str(url), CheckKind(kind))] = (float(checked_at), result)
            except (KeyError, TypeError, ValueError):
                continue  # a malformed row is checked again and overwritten
        return entries

    def _rebuild(self, error: Exception) -> None:
        """Move a damaged cache aside and start anew."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        # The file itself, where the path is a link: the link stays, and leads to the new cache.
        file = Path(os.path.realpath(self.path))
        try:
            aside = move_aside(file)
            for suffix in ("-wal", "-shm"):
                Path(f"{file}{suffix}").unlink(missing_ok=True)
            self._connection = self._connect()
            self._entries = {}
        except (OSError, sqlite3.Error) as second:
            self._disable(f"cannot rebuild the URL cache {self.path}: {second}; checking without")
            return
        warnings.warn(
            f"the URL cache {self.path} was unreadable ({error}); moved it to {aside.name} "
            "and started a new one",
            stacklevel=2,
        )

    def _disable(self, message: str) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None
        self._entries = {}
        warnings.warn(message, stacklevel=3)

    def fresh(self, url: str, kind: CheckKind, now: float | None = None) -> UrlResult | None:
        """The cached result if it is younger than the time to live."""
        found = self._entries.get((url, kind))
        if found is None:
            return None
        checked_at, result = found
        return result if 0 <= (now or time.time()) - checked_at < self.ttl_s else None

    def stale(self, url: str, kind: CheckKind) -> UrlResult | None:
        """Any cached result, however old: its ETag or Last-Modified can make the next request
        a conditional one."""
        found = self._entries.get((url, kind))
        return found[1] if found else None

    def store(self, results: Iterable[UrlResult]) -> None:
        """Keep these results; transient faults are not kept, so the next run asks again.
        They are written in batches, so that an interrupted run loses little."""
        now = time.time()
        for result in results:
            if result.status in TRANSIENT:
                continue
            self._entries[(result.url, result.kind)] = (now, result)
            self._pending.append(result)
        if len(self._pending) >= _WRITE_EVERY:
            self.flush()

    def flush(self) -> None:
        """Write what :meth:`store` kept since the last flush, in one transaction."""
        if self._connection is None or not self._pending:
            self._pending.clear()
            return
        now = time.time()
        rows = [(r.url, r.kind.value, now, json.dumps(r.as_data())) for r in self._pending]
        try:
            with self._connection:
                self._connection.execute("BEGIN IMMEDIATE")
                self._connection.executemany(
                    "INSERT OR REPLACE INTO checks (url, kind, checked_at, result) "
                    "VALUES (?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.Error as error:
            warnings.warn(f"URL cache {self.path} not updated: {error}", stacklevel=2)
        self._pending.clear()

    def close(self) -> None:
        self.flush()
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> UrlCache:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
