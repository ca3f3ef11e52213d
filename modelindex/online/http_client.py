"""HTTP with requests: a session per thread with urllib3's Retry, and the reachability probe.

Every request is bounded: connect and read timeouts, a fixed number of retries with backoff
(429 waits as Retry-After asks, up to a cap), at most ``MAX_REDIRECTS`` redirects, and an
overall deadline for each check (see :mod:`modelindex.online.deadline`). Bodies are asked for
and read as they are stored (``Accept-Encoding: identity``): a weights file is never inflated.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3 import BaseHTTPResponse
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError
from urllib3.exceptions import TimeoutError as TimeoutBase
from urllib3.util.retry import Retry

from modelindex.online.deadline import (
    Deadline,
    WatchedAdapter,
    deadline_fired,
    overall_deadline,
    time_left,
)
from modelindex.online.options import MIN_AVERAGE_RATE, MIN_WINDOW_BYTES, HttpSettings
from modelindex.online.results import MAX_BYTES, CheckKind, Status, UrlResult

MAX_REDIRECTS = 10
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# A HEAD that these answer is tried again as a one-byte GET: some servers refuse HEAD, and
# signed object-storage URLs (where GitHub release assets redirect) sign the method too.
HEAD_REFUSED = frozenset({400, 403, 405, 501})


class _BoundedRetry(Retry):
    """urllib3's Retry, with every wait bounded: Retry-After is capped (a server asking for an
    hour must not stall a CI job for an hour), and no wait outlasts the check's deadline,
    after which nothing is tried again."""

    def __init__(self, *args: Any, max_retry_after_s: float = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_retry_after_s = max_retry_after_s

    def new(self, **changes: Any) -> _BoundedRetry:
        renewed = super().new(**changes)
        renewed.max_retry_after_s = self.max_retry_after_s  # type: ignore[attr-defined]
        return renewed  # type: ignore[return-value]

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        seconds = retry_after_seconds(response.headers.get("Retry-After", ""))
        return None if seconds is None else min(seconds, self.max_retry_after_s, time_left())

    def get_backoff_time(self) -> float:
        return min(super().get_backoff_time(), time_left())

    def is_exhausted(self) -> bool:
        return super().is_exhausted() or deadline_fired()


def retry_after_seconds(value: str) -> float | None:
    """The wait a Retry-After asks for, in seconds or as an HTTP date; None when it says
    neither ('soon'). Never converts a number of any length whole."""
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text) if len(text) <= 9 else math.inf
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def retry_policy(settings: HttpSettings) -> Retry:
    return _BoundedRetry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        other=0,
        backoff_factor=settings.backoff_s,
        backoff_max=8 * settings.backoff_s,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"HEAD", "GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,
        max_retry_after_s=settings.max_retry_after_s,
    )


class Sessions:
    """One requests Session per worker thread: Session shares cookies and adapters between
    calls, which requests does not promise to be thread-safe."""

    def __init__(self, settings: HttpSettings, pool_size: int) -> None:
        self.settings = settings
        self._pool_size = pool_size
        self._local = threading.local()
        self._all: list[requests.Session] = []
        self._lock = threading.Lock()

    def get(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = WatchedAdapter(
                max_retries=retry_policy(self.settings),
                pool_connections=self._pool_size,
                pool_maxsize=self._pool_size,
            )
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.max_redirects = MAX_REDIRECTS
            session.headers.update({"Accept-Encoding": "identity", **self.settings.headers})
            session.trust_env = True
            self._local.session = session
            with self._lock:
                self._all.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._all:
                session.close()
            self._all.clear()

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.settings.timeout_s, self.settings.timeout_s)


def status_of(http_status: int) -> Status:
    if 200 <= http_status < 400:
        return Status.OK
    if http_status in {404, 410}:
        return Status.NOT_FOUND
    # 401, 403 and 429 say nothing about the card: a login wall, a bot filter, a rate limit.
    return Status.SERVER_ERROR


def fault_result(url: str, kind: CheckKind, error: requests.RequestException) -> UrlResult:
    """A network fault as a result: it never says the card is wrong."""
    if isinstance(error, DeadlinePassed | BodyStalled | BodyTooSlow):
        return UrlResult(url, kind, Status.TIMEOUT, str(error))
    if isinstance(error, UnusableUrl):
        return UrlResult(url, kind, Status.UNREACHABLE, str(error))
    causes = _causes(error)
    reason = _reason(causes[-1])
    if isinstance(error, requests.TooManyRedirects):
        return UrlResult(url, kind, Status.TOO_MANY_REDIRECTS, f"more than {MAX_REDIRECTS}")
    if any(_is_timeout(cause) for cause in causes):
        return UrlResult(url, kind, Status.TIMEOUT, reason)
    if isinstance(error, requests.exceptions.RetryError):
        return UrlResult(url, kind, Status.SERVER_ERROR, reason)
    return UrlResult(url, kind, Status.UNREACHABLE, reason)


def _is_timeout(error: BaseException) -> bool:
    # requests reports a read timeout that outlasted the retries as a ConnectionError, so the
    # causes are looked at. urllib3 derives its failed-connection error (no such host,
    # refused) from its connect-timeout error, for history's sake: that one is no timeout.
    if isinstance(error, NewConnectionError):
        return False
    return isinstance(error, requests.Timeout | TimeoutError | TimeoutBase)


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what it wraps, outermost first (urllib3 nests them in args and reason)."""
    chain = [error]
    while len(chain) < 20:
        inner = chain[-1]
        wrapped = [arg for arg in inner.args if isinstance(arg, BaseException)]
        nested = wrapped[0] if wrapped else None
        nested = nested or getattr(inner, "reason", None) or inner.__cause__ or inner.__context__
        if not isinstance(nested, BaseException) or any(nested is seen for seen in chain):
            break
        chain.append(nested)
    return chain


def _reason(innermost: BaseException) -> str:
    """A line for people: 'connection reset by the server', not urllib3's nested reprs."""
    if isinstance(innermost, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(innermost, ConnectionRefusedError):
        return "connection refused"
    if isinstance(innermost, socket.gaierror):
        return f"host name not found ({innermost.strerror or innermost})"
    return printable(str(innermost) or type(innermost).__name__)[:200]


def printable(text: str) -> str:
    """Text from a server, safe for a terminal and a one-line finding: control characters
    (escape sequences, line breaks of any kind) are shown as escapes."""
    if text.isprintable():  # nearly always: no character to look at one by one
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class UnusableUrl(requests.exceptions.InvalidURL):
    """A URL that requests or urllib3 refuse to request, the card's own or one a server
    redirects to: it names which, and why."""


def send(session: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
    """``session.request``, where a URL that cannot be requested raises UnusableUrl, a
    RequestException like every other fault of the exchange.

    requests turns most malformed URLs into its own InvalidURL, not all: urllib3 raises
    LocationParseError (a host name with an empty label, or one over 63 characters) and the
    standard library ValueError (an IPv6 literal that is none, a Location header that is no
    UTF-8), and a server can send any of them as a redirect's Location. A redirect's body is
    never read."""
    answered: list[str] = []

    def record(response: requests.Response, **_: Any) -> None:
        answered.append(response.url)
        if response.is_redirect:
            # requests reads a redirect's body whole, inflated, before it follows the
            # redirect: a server could send gigabytes. Nothing looks at it: it is taken as
            # empty, and the connection closed rather than drained.
            response._content = b""
            response.close()

    try:
        return session.request(method, url, hooks={"response": record}, **kwargs)
    except requests.RequestException:
        raise
    except (Urllib3Error, ValueError) as error:
        # Every answer before the failure was a redirect: the last one led nowhere usable.
        where = f"redirected by {answered[-1]} to a URL that" if answered else "the URL"
        reason = printable(str(error) or type(error).__name__)[:200]
        raise UnusableUrl(f"{where} cannot be requested: {reason}") from error


def get_streamed(
    session: requests.Session, url: str, timeout: Any, headers: dict[str, str] | None = None
) -> requests.Response:
    """A GET whose body is read as it arrives, after following redirects (see :func:`send`)."""
    return send(
        session, "GET", url, allow_redirects=True, timeout=timeout, headers=headers, stream=True
    )


class DeadlinePassed(requests.Timeout):
    """A body still arriving when its time is up: each read came within the read timeout,
    but the server trickles."""


class BodyStalled(requests.Timeout):
    """A body that brought less than ``MIN_WINDOW_BYTES`` in a stall window: its server is
    sending next to nothing, and would hold the check until its overall deadline."""


class BodyTooSlow(requests.Timeout):
    """A body that fell behind ``MIN_AVERAGE_RATE`` once its grace was over: it is not
    stalled, but at its pace it would hold the check for hours."""


_STILL_ARRIVING = "the body was still arriving when its time was up"


class _Pace:
    """A body's progress against its two floors: some bytes in every stall window, and its
    grace plus a second for every ``MIN_AVERAGE_RATE`` bytes in all."""

    def __init__(self, settings: HttpSettings) -> None:
        self.window_s = settings.stall_window_s
        self.grace_s = settings.body_grace_s
        self._began = self._window_began = time.monotonic()
        self._bytes = self._window_bytes = 0

    def add(self, count: int) -> None:
        now = time.monotonic()
        self._bytes += count
        self._window_bytes += count
        elapsed = now - self._began
        if elapsed > self.grace_s + self._bytes / MIN_AVERAGE_RATE:
            raise BodyTooSlow(
                f"the body came too slowly: {self._bytes} bytes in {elapsed:.1f} s; after its "
                f"first {self.grace_s:g} s, a body must bring {MIN_AVERAGE_RATE} bytes a second "
                "on average"
            )
        if now - self._window_began < self.window_s:
            return
        if self._window_bytes < MIN_WINDOW_BYTES:
            raise BodyStalled(
                f"the body stalled: {self._window_bytes} bytes in {now - self._window_began:.1f}"
                f" s, where {MIN_WINDOW_BYTES} bytes every {self.window_s:g} s are the least"
            )
        self._window_began, self._window_bytes = now, 0


def read_chunks(
    response: requests.Response,
    chunk_bytes: int,
    deadline: Deadline,
    decode: bool,
    settings: HttpSettings,
) -> Iterator[bytes]:
    """The body as it arrives, at most ``chunk_bytes`` at a time, until ``deadline``, and while
    it keeps the pace ``settings`` ask for (see :class:`_Pace`). Unlike iter_content, a read
    returns what has come, so a trickling server cannot hold a read past the deadline for a
    whole chunk. ``decode``: undo a Content-Encoding (urllib3 inflates at most ``chunk_bytes``
    per read); without it, the bytes as sent."""
    raw = response.raw
    pace = _Pace(settings)
    while True:
        if deadline.fired or deadline.remaining() <= 0:
            raise DeadlinePassed(_STILL_ARRIVING)
        try:
            chunk = raw.read1(chunk_bytes, decode_content=decode)
        except (ProtocolError, Urllib3Error, OSError) as error:
            if deadline.fired:
                raise DeadlinePassed(_STILL_ARRIVING) from error
            if isinstance(error, ReadTimeoutError):
                raise requests.ReadTimeout(error) from error
            raise requests.ConnectionError(error) from error
        if not chunk:
            # The deadline shut the socket: what looks like the end is where it was cut.
            if deadline.fired:
                raise DeadlinePassed(_STILL_ARRIVING)
            return
        pace.add(len(chunk))
        yield chunk


def cut_short(deadline: Deadline, result: UrlResult) -> UrlResult:
    """A check's result, or a timeout where its deadline shut the connection: what was read
    after that (headers, a body) may end where it was cut, so it says nothing."""
    if not deadline.fired or result.status is Status.TIMEOUT:
        return result
    detail = f"no complete answer within {deadline.seconds:g} s"
    return UrlResult(result.url, result.kind, Status.TIMEOUT, detail)


def content_encoding(response: requests.Response) -> str | None:
    """The Content-Encoding a body was sent with, None for the body as stored."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    return None if encoding in {"", "identity"} else printable(encoding)[:40]


def content_length(response: requests.Response) -> int | None:
    """The size of the resource: Content-Range's total for a ranged answer, else
    Content-Length, unless the body is compressed in transit."""
    if response.status_code == 206:
        # Content-Length is the range's here: the file's size is Content-Range's, or unknown.
        total = response.headers.get("Content-Range", "").rpartition("/")[2].strip()
        return _count(total)
    if content_encoding(response) is not None:
        return None
    return _count(response.headers.get("Content-Length", "").strip())


def _count(text: str) -> int | None:
    """A byte count from a header; None for one that is not a count, or larger than any file
    (never converted whole: a header may carry thousands of digits)."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_BYTES)):
        return None
    count = int(text)
    return count if count <= MAX_BYTES else None


def conditional_headers(previous: UrlResult | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from an earlier good answer."""
    if previous is None or previous.status is not Status.OK:
        return {}
    headers = {}
    etag, modified = previous.etag, previous.last_modified
    if etag and _sendable(etag):
        headers["If-None-Match"] = etag
    if modified and _sendable(modified) and _is_http_date(modified):
        headers["If-Modified-Since"] = modified
    return headers


def _sendable(value: str) -> bool:
    # From a server, or a cache file anyone may edit: a value that no header can carry (a
    # character beyond ASCII, a control character, a line break) is not sent: the file is
    # asked for whole instead.
    return value.isascii() and value.isprintable() and value == value.strip()


def _is_http_date(value: str) -> bool:
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return True


def from_response(
    url: str, kind: CheckKind, response: requests.Response, previous: UrlResult | None
) -> UrlResult:
    """The result a final response gives; a 304 renews the earlier result."""
    if response.status_code == 304 and previous is not None:
        return replace(previous, detail="not modified since last checked", from_cache=False)
    reason = f" {printable(response.reason)}" if response.reason else ""
    return UrlResult(
        url,
        kind,
        status_of(response.status_code),
        f"HTTP {response.status_code}{reason}",
        http_status=response.status_code,
        content_length=content_length(response),
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


def probe(sessions: Sessions, url: str, previous: UrlResult | None = None) -> UrlResult:
    """Whether ``url`` answers, and the size it announces: HEAD, or a one-byte GET when the
    server refuses HEAD. Redirects are followed; all of it within the probe's deadline."""
    with overall_deadline(sessions.settings.probe_deadline_s) as deadline:
        result = _probe(sessions, url, previous)
    return cut_short(deadline, result)


def _probe(sessions: Sessions, url: str, previous: UrlResult | None) -> UrlResult:
    session = sessions.get()
    headers = conditional_headers(previous)
    try:
        with send(
            session, "HEAD", url, allow_redirects=True, timeout=sessions.timeout, headers=headers
        ) as response:
            result = from_response(url, CheckKind.PROBE, response, previous)
            refused = response.status_code in HEAD_REFUSED
        if not refused:
            return result
        ranged = {**headers, "Range": "bytes=0-0"}
        # stream=True: a server that ignores Range must not send the whole file.
        with get_streamed(session, url, sessions.timeout, ranged) as response:
            return from_response(url, CheckKind.PROBE, response, previous)
    except requests.RequestException as error:
        return fault_result(url, CheckKind.PROBE, error)
