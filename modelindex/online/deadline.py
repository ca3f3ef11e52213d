"""An overall deadline for one check: when its time is up, its sockets are shut down.

requests bounds each read, never a whole exchange: a server that sends one header line every
few seconds holds a HEAD for as long as it likes, within any read timeout. A check runs inside
``overall_deadline(seconds)``; the connections it uses (see :class:`WatchedAdapter`) hand their
sockets to it, and a timer shuts them down when the time is up. That wakes a read blocked in
the worker thread at once, so no thread outlives its check's deadline by more than a moment,
and none can hold the run open at exit. The retry policy reads the deadline too (see
``time_left``): no retry is tried after it, and no backoff or Retry-After wait outlasts it.
"""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

_current = threading.local()


class Deadline:
    """The end of one check's time, and the sockets to shut down when it comes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.fired = False
        """Whether the time ran out and the sockets were shut down: whatever was read after
        may be cut short, so the check's answer is a timeout."""
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = self._new_timer()

    def _new_timer(self) -> threading.Timer:
        timer = threading.Timer(self.remaining(), self.expire)
        # A timer thread that is not a daemon would hold the interpreter open at exit.
        timer.daemon = True
        return timer

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def extend_to(self, seconds: float) -> None:
        """Give the check ``seconds`` from its start in all, where that is more: its answer
        came within the time for one, and its body may take longer."""
        with self._lock:
            if self.fired or seconds <= self.seconds:
                return
            self._timer.cancel()
            self.at += seconds - self.seconds
            self.seconds = seconds
            self._timer = self._new_timer()
            self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if not self.fired:
                self._sockets.append(sock)
                return
        _shut_down(sock)

    def expire(self) -> None:
        """End the check now, as its timer does when its time is up."""
        with self._lock:
            self.fired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shut_down(sock)

    def _start(self) -> None:
        self._timer.start()

    def _stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            self._sockets.clear()


def _shut_down(sock: socket.socket) -> None:
    # shutdown, not close: closing a socket does not wake a thread blocked reading it. The
    # plain socket's method, so that a TLS socket is cut at its file descriptor, not unwrapped
    # under the feet of the thread reading it.
    with contextlib.suppress(OSError):  # closed already: nothing is waiting on it
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


@contextmanager
def overall_deadline(seconds: float) -> Iterator[Deadline]:
    """Run one check within ``seconds``, in this thread."""
    deadline = Deadline(seconds)
    outer = getattr(_current, "deadline", None)
    _current.deadline = deadline
    deadline._start()
    try:
        yield deadline
    finally:
        deadline._stop()
        _current.deadline = outer


def current_deadline() -> Deadline | None:
    return getattr(_current, "deadline", None)


def time_left() -> float:
    """Seconds left to this thread's check; infinite outside one."""
    deadline = current_deadline()
    return math.inf if deadline is None else deadline.remaining()


def deadline_fired() -> bool:
    deadline = current_deadline()
    return deadline is not None and deadline.fired


class _Watched:
    """A connection that refuses to start a request once its check's time is up, and hands
    its socket to the check's deadline while an answer is awaited and read."""

    sock: socket.socket | None

    def request(self, *args: Any, **kwargs: Any) -> None:
        if deadline_fired():
            raise TimeoutError("the check's time is up")
        super().request(*args, **kwargs)  # type: ignore[misc]

    def getresponse(self) -> Any:
        deadline = current_deadline()
        if deadline is not None and self.sock is not None:
            deadline.watch(self.sock)
        return super().getresponse()  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, with connections that the current deadline can cut (directly or
    through an HTTP proxy; a SOCKS proxy's connections are bounded by their timeouts only)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager
