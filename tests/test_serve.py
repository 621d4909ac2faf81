"""`oms serve`, run for real (SLOW: each start takes several seconds; part of the normal suite).

The server runs in a subprocess with its own data directory and embedded defaults (its own SQLite
database and broker, not the test database), as a user would run it.
"""

import contextlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import get_commands

from oms.operations.local import ensure_local_admin, ensure_omnitron_push_user, sandbox_credentials
from tests.processes import (
    alive,
    children,
    clean_env,
    descendants,
    free_port,
    in_sessions,
    start,
    stop,
    wait_for,
)

pytestmark = pytest.mark.slow

BANNER_END = "Press Ctrl-C to stop."
START_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 15


@dataclass
class Served:
    """A running `oms serve` and what the test learnt about it."""

    process: subprocess.Popen
    data_dir: Path
    log_file: Path
    port: int
    sandbox_port: int
    children: set[int] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_file.read_text(errors="replace")

    def banner(self) -> str:
        text = self.output()
        return text[text.rindex("OMS is running.") :]

    def leftovers(self) -> set[int]:
        """Processes started by this server that still run."""
        return alive(self.children) | in_sessions(self.children)

    def stop(self) -> None:
        """Stop the server if it still runs, and kill anything it left behind."""
        stop(self.process)
        for pid in self.leftovers():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def serve(data_dir: Path, log_name: str) -> Served:
    """Start `oms serve` on free ports and wait for its banner."""
    port = sandbox_port = free_port()
    while sandbox_port == port:
        sandbox_port = free_port()
    log_file = data_dir.parent / log_name
    argv = [sys.executable, "-m", "oms", "serve", "--port", str(port), "--sandbox-port", str(sandbox_port)]
    process = start(argv, clean_env(data_dir), log_file)
    served = Served(process, data_dir, log_file, port, sandbox_port)
    wait_for(lambda: BANNER_END in served.output(), START_TIMEOUT_SECONDS, "No banner", process, log_file)
    served.children = descendants(process.pid)
    return served


def request(
    url: str, data: dict[str, Any] | None = None, token: str | None = None
) -> tuple[int, bytes, dict[str, str]]:
    """GET (or POST `data` as JSON) and return status, body and headers, whatever the status."""
    headers = {"Content-Type": "application/json"} if data is not None else {}
    if token:
        headers["Authorization"] = f"Token {token}"
    body = json.dumps(data).encode() if data is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=30) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve") / "data"


@pytest.fixture(scope="module")
def served(data_dir: Path) -> Iterator[Served]:
    """One `oms serve` for the tests of this module; the last test stops it."""
    served = serve(data_dir, "first-start.log")
    yield served
    served.stop()


def test_serve_prints_where_everything_is_and_the_admin_password_once(served: Served) -> None:
    banner = served.banner()
    password = (served.data_dir / "admin-password.txt").read_text().strip()

    for path in ("/api/v1/oms/", "/admin/", "/api/docs/", "/api/v1/oms/auth/login/"):
        assert f"{served.base_url}{path}" in banner
    assert f"user admin, password {password}" in banner
    assert str(served.data_dir / "admin-password.txt") in banner


def test_serve_admin_password_file_gives_a_token_that_opens_the_api(served: Served) -> None:
    password_file = served.data_dir / "admin-password.txt"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600

    status, body, _ = request(
        f"{served.base_url}/api/v1/oms/auth/login/",
        {"username": "admin", "password": password_file.read_text().strip()},
    )
    assert status == 200, body
    token = json.loads(body)["key"]

    status, body, _ = request(f"{served.base_url}/api/v1/oms/channels/", token=token)
    assert status == 200, body
    assert "results" in json.loads(body)
    assert request(f"{served.base_url}/api/v1/oms/channels/")[0] == 401


def test_serve_admin_login_page_comes_with_its_css(served: Served) -> None:
    status, body, _ = request(f"{served.base_url}/admin/login/")
    assert status == 200
    stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', body.decode())
    assert stylesheets, "the admin login page links no stylesheet"

    status, css, headers = request(f"{served.base_url}{stylesheets[0]}")
    assert status == 200
    assert headers.get("Content-Type", "").startswith("text/css")
    assert css


def test_serve_runs_the_omnitron_sandbox_and_points_oms_at_it(served: Served) -> None:
    if "sandbox" not in get_commands():
        pytest.skip("`oms sandbox` does not exist yet: `oms serve` runs without an Omnitron")
    sandbox_url = f"http://127.0.0.1:{served.sandbox_port}/"
    assert sandbox_url in served.banner()
    assert (served.data_dir / "sandbox-credentials.json").exists()
    status, _, _ = request(sandbox_url)
    assert 200 <= status < 500


def test_serve_stops_every_child_on_sigterm_and_exits_0(served: Served) -> None:
    assert served.children, "oms serve started no child process"
    started = time.monotonic()

    served.process.send_signal(signal.SIGTERM)

    returncode = served.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    assert returncode == 0, served.output()[-5000:]
    assert time.monotonic() - started < STOP_TIMEOUT_SECONDS
    wait_for(lambda: not served.leftovers(), 5, "oms serve left processes behind")
    assert "Stopped in" in served.output()


def test_serve_on_a_later_start_shows_the_password_file_and_fails_when_a_child_dies(
    served: Served, data_dir: Path
) -> None:
    served.stop()  # the first start, if the test above did not stop it
    again = serve(data_dir, "second-start.log")
    try:
        banner = again.banner()
        password = (data_dir / "admin-password.txt").read_text().strip()
        assert password not in banner
        assert f"user admin, password in {data_dir / 'admin-password.txt'}" in banner
        assert "oms changepassword admin" in banner

        worker = next(
            pid
            for pid in children(again.process.pid)
            if b"celery" in Path(f"/proc/{pid}/cmdline").read_bytes()
        )
        os.kill(worker, signal.SIGKILL)

        returncode = again.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        assert returncode != 0
        assert re.search(r"Celery worker and beat \(pid \d+\) was killed by signal 9", again.output())
        wait_for(lambda: not again.leftovers(), 5, "oms serve left processes behind")
    finally:
        again.stop()


@pytest.mark.django_db
def test_the_local_admin_is_created_once_with_a_random_password(tmp_path: Path) -> None:
    first = ensure_local_admin(tmp_path)
    second = ensure_local_admin(tmp_path)

    assert first.created and first.password
    assert len(first.password) >= 20
    assert (tmp_path / "admin-password.txt").read_text().strip() == first.password
    assert not second.created and second.password is None and second.password_file_valid
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.is_staff and user.check_password(first.password)

    user.set_password("changed-by-the-operator")
    user.save()
    assert not ensure_local_admin(tmp_path).password_file_valid


@pytest.mark.django_db
def test_the_omnitron_push_user_has_a_token_and_no_password() -> None:
    from oms.core.tokens import api_token_find

    first = ensure_omnitron_push_user()
    second = ensure_omnitron_push_user()

    # Keys are stored hashed: each start issues a new one and revokes the previous start's.
    assert api_token_find(key=first) is None
    assert api_token_find(key=second).user.username == "omnitron"
    user = get_user_model().objects.get(username="omnitron")
    assert not user.has_usable_password()
    assert not user.is_staff


def test_the_sandbox_credentials_are_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = sandbox_credentials(tmp_path)

    assert sandbox_credentials(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "sandbox-credentials.json").stat().st_mode) == 0o600
