"""The on-disk cache of URL checks: sqlite, keyed by URL and kind of check, with a time to live.

Several runs may share one cache file: sqlite's locking (WAL journal, a busy timeout) keeps
their writes whole. An existing file is taken as the cache only if it is an sqlite database of
this schema, or, under a cache's suffix (``.sqlite``, ``.sqlite3``, ``.db``), an empty file or
database; anything else (a user's file, empty or not, another program's database) is left as it
is, with a warning, and the run checks without a cache. A file under a cache's suffix that
sqlite cannot read, or an sqlite file that is not another program's, is kept as ``*.corrupt``
(see :mod:`modelindex.cache_files`) and the cache starts empty, with a warning; it only ever
holds what the network can tell again. A cache path that is a link is used through the link,
which stays.
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


def _looks_like_cache(path: Path) -> bool:
    """A damaged cache: an sqlite file that is not another program's, or a file under a
    cache's name. Anything else at that path is somebody's data."""
    try:
        with path.open("rb") as file:
            header = file.read(16)
    except OSError:
        return False
    return path.suffix in _CACHE_SUFFIXES or header == _SQLITE_HEADER


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
            self._rebuild(error)
        except OSError as error:
            self._disable(f"cannot use the URL cache {self.path}: {error}; checking without it")

    def _connect(self) -> sqlite3.Connection:
        existed = self.path.exists()
        connection = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        try:
            # Looked at before anything is written: a file that is not ours stays as it is.
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
        """Move a damaged cache aside and start anew; a file that was never a cache (a typo in
        --url-cache naming a zoo file, say) is left alone."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if not _looks_like_cache(self.path):
            self._disable(
                f"{self.path} is not a modelindex URL cache ({error}); left as it is, "
                "checking without a cache"
            )
            return
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
