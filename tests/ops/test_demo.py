"""`oms demo` against a real `oms serve` (SLOW: the server takes seconds to start; part of the suite).

The server runs in a subprocess with its own data directory and embedded defaults, with resolution
every 2 s so that the demo finishes in seconds. The demo is a separate process too: a pure HTTP client.
"""

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.processes import clean_env, free_port, read_log, start, stop, wait_for

BANNER_END = "Press Ctrl-C to stop."
START_TIMEOUT_SECONDS = 120
DEMO_TIMEOUT_SECONDS = 120
QUICK_RESOLUTION = {
    "OMS_SHIPMENT_STATUS_POLL_SECONDS": "2",
    "OMS_TRACKING_MIN_INTERVAL_SECONDS": "1",
    "OMS_TRACKING_MAX_INTERVAL_SECONDS": "2",
}


@dataclass
class Served:
    process: subprocess.Popen
    data_dir: Path
    log_file: Path
    port: int
    sandbox_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    def token(self) -> str:
        password = (self.data_dir / "admin-password.txt").read_text().strip()
        response = httpx.post(
            f"{self.url}/api/v1/oms/auth/login/", json={"username": "admin", "password": password}
        )
        assert response.status_code == 200, response.text
        return response.json()["key"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`oms serve` on free ports, with quick shipment status resolution."""
    root = tmp_path_factory.mktemp("demo")
    data_dir = root / "data"
    port = sandbox_port = free_port()
    while sandbox_port == port:
        sandbox_port = free_port()
    log_file = root / "serve.log"
    argv = [sys.executable, "-m", "oms", "serve", "--port", str(port), "--sandbox-port", str(sandbox_port)]
    process = start(argv, clean_env(data_dir, **QUICK_RESOLUTION), log_file)
    try:
        wait_for(
            lambda: BANNER_END in log_file.read_text(errors="replace"),
            START_TIMEOUT_SECONDS,
            "oms serve printed no banner",
            process,
            log_file,
        )
        yield Served(process, data_dir, log_file, port, sandbox_port)
    finally:
        stop(process)


def demo(served: Served, *options: str) -> subprocess.CompletedProcess:
    """Run `oms demo` as a separate process, as a user would (the password file is the default one)."""
    argv = [sys.executable, "-m", "oms", "demo", "--url", served.url, "--sandbox-url", served.sandbox_url]
    return subprocess.run(
        [*argv, *options],
        env=clean_env(served.data_dir),
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_SECONDS + 60,
    )


def test_the_demo_takes_every_order_to_delivered_and_says_where_to_look(served: Served) -> None:
    result = demo(served, "--orders", "3", "--timeout", str(DEMO_TIMEOUT_SECONDS))

    output = result.stdout
    assert result.returncode == 0, f"{output}\n{result.stderr}\n--- serve ---\n{read_log(served.log_file)}"
    assert "All 3 order(s) delivered" in output
    assert "is cancelled (950) with its items" in output and "refused  packing it: 400" in output
    for created in (
        "created  cargo company Yurtici Kargo",
        "created  channel Trendyol",
        "created  transition CHANNEL_BASED_COMPLETE_PACKAGING: waiting -> packed",
        "created  transition CHANNEL_BASED_COMPLETE_PACKAGING: preparing -> packed",
        "created  transition CHANNEL_BASED_COMPLETE_PACKAGING: ready_to_pack -> packed",
        "created  setting AUTO_RUN_SHIP_THE_PACKAGE_COMMAND = true",
        "created  condition routing Trendyol",
        "ok       the sandbox pushes new orders to",
    ):
        assert created in output, created
    assert "sent it to OMS by pk" not in output  # every order came by push
    for status in ("status packed", "status shipped", "status attempted_delivery", "status delivered"):
        assert status in output, status  # the progressive lines (stdout is not a terminal)
    assert "\x1b[" not in output
    for path in ("/ops/", "/admin/", "/api/docs/"):
        assert f"{served.url}{path}" in output
    package_ids = re.findall(rf"{re.escape(served.url)}/ops/packages/(\d+)/", output)  # the package pages
    assert len(package_ids) == 3

    headers = {"Authorization": f"Token {served.token()}"}
    for package_id in package_ids:
        package = httpx.get(f"{served.url}/api/v1/oms/packages/{package_id}/", headers=headers).json()
        assert package["status"] == "delivered", package
        assert package["shipment"]["status"] == "delivered"
        assert package["order"]["number"] in output
        assert [report["state"] for report in package["reports"]] == ["sent"]
    final_table = output[output.rindex("Order    Omnitron") :]
    assert len(re.findall(r"^SB-\d+ .* delivered ", final_table, re.MULTILINE)) == 3


def test_the_demo_again_finds_the_setup_in_place(served: Served) -> None:
    result = demo(served, "--orders", "1", "--timeout", str(DEMO_TIMEOUT_SECONDS))

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "created  " not in result.stdout.replace("created  Omnitron order", "")
    assert result.stdout.count("  ok       ") == 9  # login, 2 rows, 3 transitions, setting, condition, push


def test_the_demo_exits_1_when_an_order_is_not_delivered_in_time(served: Served) -> None:
    result = demo(served, "--orders", "1", "--timeout", "1")

    assert result.returncode == 1, result.stdout
    assert re.search(r"Timed out after 1 s: 1 order\(s\) did not ", result.stdout)
    assert "Not every order reached delivered within 1 s" in result.stderr
    assert f"{served.url}/ops/" in result.stdout


def test_the_demo_says_how_to_start_oms_when_it_does_not_answer(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(CommandError) as raised:
        call_command("demo", "--url", url, "--password", "x", stdout=StringIO())

    message = str(raised.value)
    assert f"POST {url}/api/v1/oms/auth/login/ failed" in message
    assert "Start it with `oms serve`" in message


def test_the_demo_needs_a_password(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"

    with pytest.raises(CommandError) as raised:
        call_command("demo", "--password-file", str(missing), stdout=StringIO())

    assert f"Cannot read the password from {missing}" in str(raised.value)
