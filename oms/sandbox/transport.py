"""The sandbox's HTTP plumbing: requests in, replies out, over stdlib `ThreadingHTTPServer`.

HTTP/1.1 with keep-alive, one thread per connection. `SandboxHTTPServer` passes each request to an
`answer` function; an answer of None closes the connection without a response (a dropped
connection). No Django.
"""

import json
import logging
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

logger = logging.getLogger(__name__)


@dataclass
class Reply:
    """An HTTP answer: status, body bytes, content type and extra headers."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(data).encode(), "application/json", headers or {})


def html_reply(status: int) -> Reply:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    page = f"<!DOCTYPE html><html><head><title>{status} {phrase}</title></head>"
    page += f"<body><h1>{status} {phrase}</h1><p>nginx</p></body></html>"
    return Reply(status, page.encode(), "text/html; charset=utf-8")


@dataclass
class Request:
    """What a handler needs of an HTTP request."""

    method: str
    path: str
    query: str
    body: Any
    body_error: str
    host: str
    authorization: str

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))


class SandboxHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that answers with `answer(request)` and can close open connections."""

    daemon_threads = True
    allow_reuse_address = True
    # An AF_INET socket (the default family, kept): bound to a (host, port) with host a str.
    server_address: tuple[str, int]

    def __init__(self, address: tuple[str, int], answer: Callable[["Request"], "Reply | None"]) -> None:
        self.answer = answer
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, RequestHandler)

    def connection_opened(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def connection_closed(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Close kept-alive connections so no handler thread answers after `stop()`."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                logger.debug("Sandbox connection was already closed")

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return  # the client went away (e.g. it timed out during injected latency)
        logger.exception("Sandbox failed to answer a request from %s", client_address)


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "OmnitronSandbox/1.0"
    sys_version = ""
    timeout = 120  # idle kept-alive connections are closed after this many seconds
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.connection_opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.connection_closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        body: Any = None
        body_error = ""
        if raw:
            try:
                body = json.loads(raw)
            except ValueError as exc:
                body, body_error = raw.decode("utf-8", "replace"), f"JSON parse error - {exc}"
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=split.path,
            query=split.query,
            body=body,
            body_error=body_error,
            host=self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_port}",
            authorization=self.headers.get("Authorization", ""),
        )
        reply = self.server.answer(request)
        if reply is None:
            self.close_connection = True  # dropped: close without a response
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)
