"""A real HTTP server on 127.0.0.1 for the online tests: routes are small functions that
answer one request each, and every request is recorded."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class UrlServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def _answer(self) -> None:
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server.seen.append(Seen(self.command, path, dict(self.headers)))
                    server.active += 1
                    server.most_active = max(server.most_active, server.active)
                try:
                    server.routes.get(path, not_found)(self)
                finally:
                    with server._lock:
                        server.active -= 1

            do_GET = do_HEAD = _answer

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        # A route that resets the connection leaves the handler writing to a closed socket.
        self._httpd.handle_error = lambda _request, _address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> UrlServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{path}"

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]


def respond(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    headers = {"Content-Length": str(len(body)), **(headers or {})}
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def not_found(handler: BaseHTTPRequestHandler) -> None:
    respond(handler, 404, b"no such file")


def serve_file(
    body: bytes, etag: str | None = None, content_length: int | None = None, head: bool = True
) -> Route:
    """A file answering HEAD (unless ``head`` is False: 405), GET and one-range GET, and
    If-None-Match with 304. ``content_length`` overrides the announced size."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        extra = {"ETag": etag} if etag else {}
        if etag and handler.headers.get("If-None-Match") == etag:
            respond(handler, 304, headers=extra)
            return
        if handler.command == "HEAD" and not head:
            respond(handler, 405, headers={"Allow": "GET"})
            return
        size = str(content_length if content_length is not None else len(body))
        ranged = handler.headers.get("Range", "")
        if handler.command == "GET" and ranged == "bytes=0-0":
            respond(handler, 206, body[:1], {"Content-Range": f"bytes 0-0/{size}", **extra})
            return
        handler.send_response(200)
        handler.send_header("Content-Length", size)
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command == "GET":
            handler.wfile.write(body)

    return route


def in_turn(*routes: Route) -> Route:
    """Each request answered by the next route; the last one answers all after."""
    queue: Iterator[Route] = iter(routes)
    last = routes[-1]

    def route(handler: BaseHTTPRequestHandler) -> None:
        next(queue, last)(handler)

    return route


def status(code: int, headers: dict[str, str] | None = None) -> Route:
    return lambda handler: respond(handler, code, f"status {code}".encode(), headers)


def redirect(to: str, code: int = 302) -> Route:
    return lambda handler: respond(handler, code, headers={"Location": to})


def slow(seconds: float, then: Route) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        then(handler)

    return route


def reset(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection with a TCP reset, before any answer."""
    connection: socket.socket = handler.connection
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()
    handler.close_connection = True


def trickle(content_length: int) -> Route:
    """A body that announces ``content_length`` bytes and sends one every 0.1 s: each read
    comes within any read timeout. 10 s at the most: the test server's loop is bounded too."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(content_length))
        handler.end_headers()
        if handler.command == "HEAD":
            return
        for _ in range(100):
            try:
                handler.wfile.write(b"x")
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(0.1)

    return route
