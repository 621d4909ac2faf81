import json
import threading
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from oms.sandbox import SandboxServer
from tests import fixtures_sandbox

# The sandbox fixtures, also offered to other folders through the `tests.fixtures_sandbox` plugin.
sandbox_server = fixtures_sandbox.sandbox_server
sandbox = fixtures_sandbox.sandbox


@pytest.fixture
def http(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """An HTTP client of the sandbox without credentials."""
    with httpx.Client(base_url=sandbox.url, timeout=5, verify=False) as client:
        yield client


@pytest.fixture
def token(sandbox: SandboxServer, http: httpx.Client) -> str:
    response = http.post(
        "/api/v1/auth/login/", json={"username": sandbox.username, "password": sandbox.password}
    )
    assert response.status_code == 200
    return response.json()["key"]


@pytest.fixture
def authed(sandbox: SandboxServer, token: str) -> Iterator[httpx.Client]:
    """An HTTP client of the sandbox sending a valid token."""
    with httpx.Client(
        base_url=sandbox.url, timeout=5, verify=False, headers={"Authorization": f"Token {token}"}
    ) as client:
        yield client


class PushReceiver:
    """A loopback HTTP server standing in for OMS's ingestion endpoint."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: deque[tuple[int, dict[str, str]]] = deque()
        self.event = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers = receiver.answers.popleft() if receiver.answers else (201, {})
                receiver.received.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(body),
                        "answered": status,
                    }
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                receiver.event.set()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/api/v1/oms/omnitron/orders/"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_receiver() -> Iterator[PushReceiver]:
    receiver = PushReceiver()
    yield receiver
    receiver.stop()
