"""A loopback HTTP server that answers through a handler function and misbehaves on request."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, cast
from urllib.parse import parse_qs, unquote, urlsplit

# Long enough for any replayed exchange, short enough that a forgotten keep-alive connection
# does not hold a handler thread for the rest of a test session.
_IDLE_TIMEOUT = 30.0
_JOIN_TIMEOUT = 5.0


@dataclass(frozen=True)
class Request:
    """One request as the handler sees it; `body` exists so POST endpoints (logins) can be replayed."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        # Compact separators and raw UTF-8: the bytes a Rails or XRPC server puts on the wire.
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        merged = {"Content-Type": "application/json; charset=utf-8"}
        merged.update(headers or {})
        return cls(status=status, body=body, headers=merged)


@dataclass
class Fault:
    """Injected into the next `times` requests whose path matches `path` (re.search)."""

    path: str
    kind: Literal["status", "drop", "delay"]
    status: int = 503
    retry_after: int | None = None
    seconds: float = 0.0
    times: int = 1


Handler = Callable[[Request, str], Response]


def fault_response(fault: Fault) -> Response:
    """The error a struggling server sends; 429 carries the headers a client backs off by."""
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    if fault.status == HTTPStatus.TOO_MANY_REQUESTS:
        wait = fault.retry_after if fault.retry_after is not None else 1
        reset = datetime.now(UTC) + timedelta(seconds=wait)
        headers["X-RateLimit-Limit"] = "300"
        headers["X-RateLimit-Remaining"] = "0"
        headers["X-RateLimit-Reset"] = reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        message = "Too many requests"
    else:
        try:
            message = HTTPStatus(fault.status).phrase
        except ValueError:
            message = f"Error {fault.status}"
    return Response.json({"error": message}, status=fault.status, headers=headers)


class ReplayServer:
    """Serves `handler` on 127.0.0.1 from a background thread, logging every request it receives.

    Faults are consumed in the order given; the first one whose pattern matches a request's path
    applies to it. A running server can be handed to any HTTP client, so the real client library
    (not a mock of it) is what tests and benchmarks exercise.
    """

    def __init__(self, handler: Handler, *, latency: float = 0.0, faults: Iterable[Fault] = ()) -> None:
        self.handler = handler
        self.latency = latency
        self.requests: list[Request] = []
        self._faults: list[Fault] = list(faults)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._url: str | None = None
        self._thread: threading.Thread | None = None
        self._workers: dict[threading.Thread, socket.socket] = {}

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the replay server has not been started; call start() first")
        return self._url

    def add_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def start(self) -> ReplayServer:
        if self._httpd is not None:
            raise RuntimeError("the replay server is already running")
        self._closing.clear()
        self._httpd = _HTTPServer(self)
        host, port = self._httpd.server_address[:2]
        self._url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"replay-server-{self._httpd.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self._closing.set()
        httpd.shutdown()
        thread.join()
        httpd.server_close()
        # Handler threads may sit on idle keep-alive connections or in an injected delay; wake
        # them so their sockets are closed now rather than when the interpreter exits.
        with self._lock:
            workers = dict(self._workers)
        for conn in workers.values():
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for worker in workers:
            worker.join(_JOIN_TIMEOUT)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # Called from handler threads.

    def _record(self, request: Request) -> Fault | None:
        with self._lock:
            self.requests.append(request)
            for fault in self._faults:
                if fault.times > 0 and re.search(fault.path, request.path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._closing.wait(seconds)

    def _register(self, conn: socket.socket) -> None:
        with self._lock:
            self._workers[threading.current_thread()] = conn

    def _unregister(self) -> None:
        with self._lock:
            self._workers.pop(threading.current_thread(), None)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, replay: ReplayServer) -> None:
        self.replay = replay
        super().__init__(("127.0.0.1", 0), _RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gives up (a timeout, a dropped connection) is part of the scenario,
        # not an error worth a traceback on stderr; anything else is a bug and is shown.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm on, every keep-alive
    # response would wait ~40 ms for a delayed ACK, which benchmarks would mistake for the code.
    disable_nagle_algorithm = True
    server_version = "confthread-replay"
    timeout = _IDLE_TIMEOUT

    @property
    def replay(self) -> ReplayServer:
        return cast(_HTTPServer, self.server).replay

    @property
    def base_url(self) -> str:
        return self.replay.url

    def setup(self) -> None:
        super().setup()
        self.replay._register(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.replay._unregister()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _serve(self) -> None:
        request = self._read_request()
        replay = self.replay
        fault = replay._record(request)
        replay._sleep(replay.latency)
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            return
        if fault is not None and fault.kind == "delay":
            replay._sleep(fault.seconds)
        if fault is not None and fault.kind == "status":
            response = fault_response(fault)
        else:
            try:
                response = replay.handler(request, self.base_url)
            except Exception as error:
                response = Response.json(
                    {"error": f"replay handler failed: {type(error).__name__}: {error}"},
                    status=500,
                )
        self._write(response)

    def _read_request(self) -> Request:
        split = urlsplit(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        length = int(headers.get("content-length", "0") or "0")
        body = self.rfile.read(length) if length > 0 else b""
        return Request(
            method=self.command,
            path=unquote(split.path),
            query=parse_qs(split.query, keep_blank_values=True),
            headers=headers,
            body=body,
        )

    def _write(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
