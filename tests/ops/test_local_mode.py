"""`oms` commands in a second terminal: one data directory, one world; set-up mistakes in one line.

Each command runs as a subprocess, as a user types it, against its own data directory.
"""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from oms.operations.local_env import LOCAL_MODE_FILE, LocalMode, local_mode_record
from oms.sandbox.server import SandboxServer
from tests.processes import clean_env, free_port

pytestmark = pytest.mark.slow

KEY = "a-test-key-that-is-long-enough-for-django-0123456789"


def oms(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "oms", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def said_in_one_or_two_lines(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with a migrated database, as `oms serve` leaves it."""
    data = tmp_path_factory.mktemp("local") / "var"
    result = oms("migrate", "--verbosity", "0", cwd=data.parent, env=clean_env(data, OMS_SECRET_KEY=KEY))
    assert result.returncode == 0, result.stderr
    return data


@pytest.fixture
def sandbox_running() -> Iterator[SandboxServer]:
    server = SandboxServer(port=0, username="oms", password="sandbox-secret")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_command_on_a_new_data_directory_without_a_key_says_how_to_get_one(tmp_path: Path) -> None:
    for command in ("check_setup", "migrate", "sync_channels"):
        result = oms(command, cwd=tmp_path, env=clean_env(tmp_path / "var"))

        message = said_in_one_or_two_lines(result)
        assert "OMS_SECRET_KEY is not set" in message
        assert "run `oms serve` once" in message


def test_a_command_on_an_unmigrated_database_says_to_migrate_first(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "var", OMS_SECRET_KEY=KEY)
    for command in ("check_setup", "sync_channels", "resolve_shipment_statuses", "changepassword"):
        result = oms(command, cwd=tmp_path, env=env)

        message = said_in_one_or_two_lines(result)
        assert "run `oms migrate` or `bin/serve` first" in message
        assert "no such table" not in message


def test_oms_finds_the_checkouts_data_directory_from_a_subdirectory(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    deep = checkout / "oms" / "orders"
    deep.mkdir(parents=True)
    (checkout / "pyproject.toml").write_text('[project]\nname = "oms"\n')
    env = clean_env(tmp_path, OMS_SECRET_KEY=KEY)
    del env["OMS_DATA_DIR"]

    result = oms("check_setup", cwd=deep, env=env)

    assert f"({checkout / 'var' / 'oms.sqlite3'})" in said_in_one_or_two_lines(result)
    assert (checkout / "var").is_dir()
    assert not (deep / "var").exists()


def test_commands_use_the_sandbox_oms_serve_recorded(migrated: Path, sandbox_running: SandboxServer) -> None:
    local_mode_record(
        migrated,
        LocalMode(
            oms_url="http://127.0.0.1:8000",
            omnitron_url=sandbox_running.url,
            omnitron_username="oms",
            omnitron_password="sandbox-secret",
        ),
    )
    assert (migrated / LOCAL_MODE_FILE).stat().st_mode & 0o777 == 0o600
    env = clean_env(migrated, OMS_SECRET_KEY=KEY)

    channels = oms("sync_channels", cwd=migrated.parent, env=env)
    cargo = oms("sync_cargo_companies", cwd=migrated.parent, env=env)
    check = oms("check_setup", cwd=migrated.parent, env=env)

    assert channels.returncode == 0, channels.stderr
    assert "Channels: 4 created" in channels.stdout
    assert cargo.returncode == 0, cargo.stderr
    assert "Cargo companies: 3 created" in cargo.stdout
    assert f"logged in to {sandbox_running.url.rstrip('/')} as 'oms'" in " ".join(check.stdout.split())


def test_an_explicit_omnitron_url_wins_over_the_recorded_sandbox(
    migrated: Path, sandbox_running: SandboxServer
) -> None:
    local_mode_record(
        migrated, LocalMode("http://127.0.0.1:8000", sandbox_running.url, "oms", "sandbox-secret")
    )
    elsewhere = f"http://127.0.0.1:{free_port()}"
    env = clean_env(migrated, OMS_SECRET_KEY=KEY, OMNITRON_URL=elsewhere, OMNITRON_MAX_ATTEMPTS="1")

    alone = oms("sync_channels", cwd=migrated.parent, env=env)
    env.update(OMNITRON_USERNAME="someone", OMNITRON_PASSWORD="their-password")
    complete = oms("sync_channels", cwd=migrated.parent, env=env)

    # The recorded sandbox's credentials are never sent to another Omnitron, nor is it asked.
    assert alone.returncode != 0
    assert "Omnitron is not configured: username, password missing" in alone.stderr
    assert complete.returncode != 0
    assert "Connection refused" in complete.stderr, complete.stderr  # not the running sandbox
    assert sandbox_running.url.split("//")[1].rstrip("/") not in complete.stderr + alone.stderr


def test_with_oms_serve_stopped_commands_say_so_in_one_line(migrated: Path) -> None:
    stopped = f"http://127.0.0.1:{free_port()}"
    local_mode_record(migrated, LocalMode("http://127.0.0.1:8000", stopped, "oms", "sandbox-secret"))
    env = clean_env(migrated, OMS_SECRET_KEY=KEY)

    for command in ("sync_channels", "sync_cargo_companies", "resolve_shipment_statuses", "sync_orders"):
        result = oms(command, cwd=migrated.parent, env=env)

        message = said_in_one_or_two_lines(result)
        assert f"The local Omnitron sandbox ({stopped}) does not answer" in message
        assert "`oms serve` is not running" in message
