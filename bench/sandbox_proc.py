"""The Omnitron sandbox (`oms.sandbox.SandboxServer`) in a process of its own, driven through a pipe.

A real HTTP server on a free port, out of the benchmark's process (so it does not compete for the
benchmark's GIL), with its Python API (`create_order`, the request log) still at hand.
"""

import contextlib
import multiprocessing
import os
from collections import Counter
from typing import Any

NODELAY = os.environ.get("BENCH_SANDBOX_NODELAY", "1") != "0"
USERNAME = "omnitron"
PASSWORD = "bench-sandbox-password"


def _serve(connection, username: str, password: str) -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    from oms.sandbox import SandboxServer
    from oms.sandbox.transport import RequestHandler

    # The sandbox writes an answer's headers and body in two send()s with Nagle's algorithm on: a
    # client that keeps the connection alive then waits for its delayed ACK, ~40 ms per request.
    # That is the stand-in's artefact, not Omnitron's (nor OMS's): set TCP_NODELAY, as servers do.
    RequestHandler.disable_nagle_algorithm = NODELAY

    server = SandboxServer(username=username, password=password).start()
    connection.send(server.url)
    while True:
        command, args = connection.recv()
        if command == "stop":
            server.stop()
            connection.send(None)
            return
        if command == "create_orders":
            count, fields = args
            connection.send([server.create_order(**fields) for _ in range(count)])
        elif command == "clear_requests":
            server.clear_requests()
            connection.send(None)
        elif command == "request_counts":
            counts: Counter[str] = Counter()
            for entry in server.requests():
                path = entry["path"]
                if path == "/api/v1/orders/":
                    kind = (
                        "GET /api/v1/orders/?id__in=…"
                        if "id__in" in (entry["params"] or {})
                        else "GET /api/v1/orders/"
                    )
                elif path.startswith("/api/v1/orders/"):
                    kind = "GET /api/v1/orders/{pk}/"
                else:
                    kind = f"{entry['method']} {path}"
                counts[kind] += 1
            connection.send(dict(counts))
        else:
            connection.send(ValueError(command))


class SandboxProcess:
    def __init__(self, username: str = USERNAME, password: str = PASSWORD) -> None:
        self.username = username
        self.password = password
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, username, password), daemon=True)
        self.url = ""

    def __enter__(self) -> "SandboxProcess":
        self._process.start()
        if not self._connection.poll(30):
            raise RuntimeError("the sandbox did not start in 30 s")
        self.url = self._connection.recv()
        return self

    def _call(self, command: str, args: Any = None, timeout: float = 120) -> Any:
        self._connection.send((command, args))
        if not self._connection.poll(timeout):
            raise RuntimeError(f"the sandbox did not answer {command} in {timeout:.0f} s")
        answer = self._connection.recv()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def create_orders(self, count: int, **fields: Any) -> list[dict[str, Any]]:
        return self._call("create_orders", (count, fields))

    def clear_requests(self) -> None:
        self._call("clear_requests")

    def request_counts(self) -> dict[str, int]:
        return self._call("request_counts")

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(RuntimeError, OSError, EOFError):
            self._call("stop", timeout=10)
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
