"""The sandbox as a server: lifecycle, control endpoints, thread safety, no Django, the CLI."""

import ast
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

import oms.sandbox
from oms.sandbox import SandboxServer


def test_health_and_reset(sandbox, http):
    sandbox.create_order()
    sandbox.set_faults(fail_next=3)
    http.get("/api/v1/channels/")

    assert http.get("/_sandbox/health/").json() == {"status": "ok"}
    assert http.post("/_sandbox/reset/").status_code == 200
    assert sandbox.orders() == []
    assert sandbox.faults()["fail_next"] == 0
    assert sandbox.requests() == []


def test_reset_keeps_tokens(sandbox, authed):
    sandbox.reset()

    assert authed.get("/api/v1/channels/").status_code == 200


def test_control_orders_listing_and_detail(sandbox, http):
    order = sandbox.create_order()

    assert http.get("/_sandbox/orders/").json() == [order]
    assert http.get(f"/_sandbox/orders/{order['pk']}/").json() == order
    assert http.get("/_sandbox/orders/999999/").status_code == 404


def test_a_second_server_is_independent_and_stops(sandbox):
    with SandboxServer(username="u", password="p") as other:
        assert other.url != sandbox.url
        other.create_order()
        assert len(other.orders()) == 1
        assert sandbox.orders() == []
        url = other.url

    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/_sandbox/health/", timeout=1)


def test_stop_closes_kept_alive_connections():
    server = SandboxServer().start()
    client = httpx.Client(base_url=server.url, timeout=2)
    assert client.get("/_sandbox/health/").status_code == 200

    server.stop()

    with pytest.raises(httpx.TransportError):
        client.get("/_sandbox/health/")
    client.close()


def test_concurrent_creates_and_updates_are_consistent(sandbox):
    errors: list[BaseException] = []

    def create() -> None:
        try:
            for _ in range(25):
                order = sandbox.create_order(item_count=2)
                sandbox.set_status(order["pk"], 500)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    orders = sandbox.orders()
    assert errors == []
    assert len(orders) == 200
    assert len({order["pk"] for order in orders}) == 200
    assert len({item["pk"] for order in orders for item in order["orderitem_set"]}) == 400
    assert {order["status"] for order in orders} == {"500"}


def test_concurrent_http_clients_are_served(sandbox, token):
    for _ in range(20):
        sandbox.create_order()
    results: list[int] = []

    def read() -> None:
        with httpx.Client(
            base_url=sandbox.url, headers={"Authorization": f"Token {token}"}, timeout=5
        ) as client:
            for _ in range(10):
                results.append(client.get("/api/v1/orders/", params={"limit": 5}).json()["count"])

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [20] * 60


def test_the_sandbox_imports_no_django_and_no_oms_apps():
    package = Path(oms.sandbox.__file__).parent
    imported: set[str] = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)

    assert not {name for name in imported if name.split(".")[0] == "django"}
    assert {name for name in imported if name.startswith("oms.")} <= {
        "oms.sandbox.cancellations",
        "oms.sandbox.cli",
        "oms.sandbox.faults",
        "oms.sandbox.push",
        "oms.sandbox.routes",
        "oms.sandbox.server",
        "oms.sandbox.store",
        "oms.sandbox.transport",
        "oms.sandbox.wire",
    }


def test_the_oms_sandbox_command_serves_and_stops_on_sigterm(tmp_path):
    env = {**os.environ, "OMNITRON_SANDBOX_USERNAME": "cli-user", "OMNITRON_SANDBOX_PASSWORD": "cli-pass"}
    process = subprocess.Popen(
        [sys.executable, "-m", "oms", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline()
        assert "Omnitron sandbox listening on http://127.0.0.1:" in line, process.stderr.read()
        url = line.split(" on ", 1)[1].split()[0]
        assert httpx.get(f"{url}/_sandbox/health/", timeout=5).status_code == 200
        login = httpx.post(
            f"{url}/api/v1/auth/login/", json={"username": "cli-user", "password": "cli-pass"}, timeout=5
        )
        assert login.status_code == 200

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
