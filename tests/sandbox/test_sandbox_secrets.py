"""The sandbox's password and push token stay off command lines (where `ps` shows them to anyone).

`python -m oms.sandbox` / `oms sandbox` read them from OMNITRON_SANDBOX_PASSWORD and
OMNITRON_SANDBOX_PUSH_TOKEN, and `oms serve` hands them to its sandbox child that way.
"""

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from oms.operations.management.commands.serve import Command
from tests.processes import free_port

PASSWORD = "sandbox-password-from-the-environment"
PUSH_TOKEN = "push-token-from-the-environment"


class _Receiver(BaseHTTPRequestHandler):
    """Records each pushed order and its Authorization header."""

    received: list[tuple[str, dict[str, Any]]]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((self.headers.get("Authorization", ""), body))  # type: ignore[attr-defined]
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_the_sandbox_process_takes_its_password_and_push_token_from_the_environment(tmp_path: Path) -> None:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    receiver.received = []  # type: ignore[attr-defined]
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    push_url = f"http://127.0.0.1:{receiver.server_port}/api/v1/oms/omnitron/orders/"
    env = {
        "PATH": "/usr/bin:/bin",
        "OMNITRON_SANDBOX_USERNAME": "oms",
        "OMNITRON_SANDBOX_PASSWORD": PASSWORD,
        "OMNITRON_SANDBOX_PUSH_TOKEN": PUSH_TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "oms.sandbox", "--port", "0", "--push-url", push_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert "Omnitron sandbox listening on " in line, process.stderr.read()
        url = line.split(" on ", 1)[1].split()[0]
        command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode()
        assert PASSWORD not in command_line and PUSH_TOKEN not in command_line

        login = httpx.post(
            f"{url}/api/v1/auth/login/", json={"username": "oms", "password": PASSWORD}, timeout=5
        )
        assert login.status_code == 200
        order = httpx.post(f"{url}/_sandbox/orders/", json={"channel": 42}, timeout=5).json()
        push = httpx.get(f"{url}/_sandbox/push/", timeout=5).json()
        for _ in range(50):
            if push["sent"] or push["failed"]:
                break
            time.sleep(0.1)
            push = httpx.get(f"{url}/_sandbox/push/", timeout=5).json()
        assert push["sent"] == 1, push
        assert receiver.received == [(f"Token {PUSH_TOKEN}", order)]
    finally:
        process.terminate()
        process.wait(timeout=10)
        receiver.shutdown()
        receiver.server_close()


class _RecordingSupervisor:
    """Stands in for `oms serve`'s supervisor: records what it is asked to start."""

    def __init__(self) -> None:
        self.started: list[tuple[str, list[str], dict[str, str]]] = []

    def start(
        self, name: str, argv: list[str], env: dict[str, str] | None = None, *, stop_last: bool = False
    ) -> None:
        self.started.append((name, argv, env or {}))

    def wait_until(self, ready: Any, what: str, timeout: float) -> None:
        pass


@pytest.mark.django_db  # the sandbox numbers its orders past those OMS holds
def test_oms_serve_hands_the_sandbox_its_credentials_in_its_environment(
    tmp_path: Path, settings: Any
) -> None:
    settings.OMNITRON_URL = ""
    supervisor = _RecordingSupervisor()

    omnitron = Command()._start_omnitron(
        supervisor, tmp_path, "http://127.0.0.1:8000", "the-push-token", free_port()
    )

    [(name, argv, env)] = supervisor.started
    password = omnitron.env["OMNITRON_PASSWORD"]
    assert name == "Omnitron sandbox"
    assert password not in argv and "the-push-token" not in argv
    assert "--password" not in argv and "--push-token" not in argv
    assert env == {
        "OMNITRON_SANDBOX_USERNAME": omnitron.env["OMNITRON_USERNAME"],
        "OMNITRON_SANDBOX_PASSWORD": password,
        "OMNITRON_SANDBOX_PUSH_TOKEN": "the-push-token",
    }
    assert "--push-url" in argv


@pytest.mark.parametrize("argv_token", ["", "from-the-command-line"])
def test_a_push_token_on_the_command_line_still_wins(
    argv_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oms.sandbox import cli

    monkeypatch.setenv("OMNITRON_SANDBOX_PUSH_TOKEN", "from-the-environment")
    seen: dict[str, str] = {}

    class _Server:
        def __init__(self, **options: Any) -> None:
            seen["token"] = options["push_token"]
            raise SystemExit(0)

    monkeypatch.setattr(cli, "SandboxServer", _Server)
    with pytest.raises(SystemExit):
        cli.main(["--port", "0", "--push-token", argv_token] if argv_token else ["--port", "0"])

    assert seen["token"] == (argv_token or "from-the-environment")
