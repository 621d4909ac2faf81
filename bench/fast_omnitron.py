"""A minimal Omnitron stand-in for the resolution benchmark at scale: real HTTP, Omnitron's wire format.

The sandbox (`oms.sandbox`) keeps every order in a store, logs every request and checks tokens; at
100,000 shipments and more its answers would be what the benchmark measures. This one answers only
what resolution sends (`POST /api/v1/auth/login/`, `GET /api/v1/orders/?id__in=...`, and the naive
cycle's `GET /api/v1/orders/{pk}/`), in a process of its own (a threaded `http.server`), every order
being `bench.harness.omnitron_order_json(pk, items=3, status=...)`: item pks pk*10+n, tracking
number 7330<pk>. Each order's JSON is made from one precomputed text by substituting its pk, so an
answer of 500 orders costs a few milliseconds whatever N is, and memory stays flat up to 1,000,000.
"""

import contextlib
import json
import multiprocessing
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SENTINEL = 987654321
USERNAME = "omnitron"
PASSWORD = "bench-fast-omnitron"


def order_text_maker(status: str):
    """A function pk -> the order's JSON text, from one precomputed template."""
    from bench.harness import omnitron_order_json

    template = json.dumps(omnitron_order_json(SENTINEL, items=3, status=status), separators=(",", ":"))
    tracking = f"7330{SENTINEL:012d}"
    items = [str(SENTINEL * 10 + n) for n in (1, 2, 3)]

    def make(pk: int) -> str:
        text = template.replace(tracking, f"7330{pk:012d}")
        for n, item in enumerate(items, start=1):
            text = text.replace(item, str(pk * 10 + n))
        return text.replace(str(SENTINEL), str(pk))

    return make


def _serve(connection, status: str, counters) -> None:
    make = order_text_maker(status)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _answer(self, code: int, body: str) -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if self.path.rstrip("/") == "/api/v1/auth/login":
                with counters.get_lock():
                    counters[0] += 1
                self._answer(200, json.dumps({"key": "bench-token"}))
            else:
                self._answer(404, '{"detail":"not found"}')

        def do_GET(self) -> None:
            began = time.perf_counter()
            url = urlsplit(self.path)
            if url.path.rstrip("/") == "/api/v1/orders":
                ids = (parse_qs(url.query).get("id__in") or [""])[0]
                texts = [make(int(pk)) for pk in ids.split(",") if pk]
                body = f'{{"count":{len(texts)},"next":null,"previous":null,"results":[{",".join(texts)}]}}'
                self._answer(200, body)
                slot = 1
            elif url.path.startswith("/api/v1/orders/"):
                self._answer(200, make(int(url.path.rstrip("/").rsplit("/", 1)[1])))
                slot = 2
            else:
                self._answer(404, '{"detail":"not found"}')
                return
            with counters.get_lock():
                counters[slot] += 1
                counters[3] += int((time.perf_counter() - began) * 1_000_000)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    connection.send(f"http://127.0.0.1:{server.server_address[1]}")
    import threading

    threading.Thread(target=server.serve_forever, daemon=True).start()
    connection.recv()  # stop
    server.shutdown()


class FastOmnitron:
    """The stand-in in its own process. `counts()`: logins, id__in reads, single reads, busy seconds."""

    def __init__(self, status: str = "500") -> None:
        context = multiprocessing.get_context("spawn")
        self._counters = context.Array("q", 4)
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, status, self._counters), daemon=True)
        self.url = ""
        self.username = USERNAME
        self.password = PASSWORD

    def __enter__(self) -> "FastOmnitron":
        self._process.start()
        if not self._connection.poll(30):
            raise RuntimeError("the fast Omnitron stand-in did not start in 30 s")
        self.url = self._connection.recv()
        return self

    def clear(self) -> None:
        with self._counters.get_lock():
            for slot in range(4):
                self._counters[slot] = 0

    def counts(self) -> dict[str, Any]:
        with self._counters.get_lock():
            logins, many, single, busy = list(self._counters)
        return {
            "POST /api/v1/auth/login/": logins,
            "GET /api/v1/orders/?id__in=…": many,
            "GET /api/v1/orders/{pk}/": single,
            "server_busy_seconds": busy / 1_000_000,
        }

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError, EOFError, BrokenPipeError):
            self._connection.send("stop")
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
