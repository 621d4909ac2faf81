"""Secrets at rest: the data directory is 0700 and every file OMS writes in it 0600, from the first start."""

import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from oms.settings.env import data_dir
from tests.test_serve import Served, request, serve

pytestmark = pytest.mark.slow


def _loose(root: Path) -> list[str]:
    """Every path under `root` (itself included) that anyone but the owner may use."""
    found = []
    for here, dirs, files in os.walk(root):
        for path in [Path(here)] + [Path(here, f) for f in files]:
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            wanted = 0o700 if path.is_dir() else 0o600
            if mode & 0o077 or (path.is_dir() and mode != wanted):
                found.append(f"{path.relative_to(root.parent)} {oct(mode)}")
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve(tmp_path_factory.mktemp("at-rest") / "data", "at-rest.log")
    yield served
    served.stop()


def test_a_first_start_from_an_empty_directory_writes_only_private_files(served: Served) -> None:
    password = (served.data_dir / "admin-password.txt").read_text().strip()
    login = {"username": "admin", "password": password}
    status, body, _ = request(f"{served.base_url}/api/v1/oms/auth/login/", login)
    assert status == 200, body
    token = json.loads(body)["key"]
    # A write through the API and a few seconds of the worker and beat writing theirs.
    status, body, _ = request(
        f"{served.base_url}/api/v1/oms/channels/", {"name": "At rest", "channel_type": "sales_channel"}, token
    )
    assert status == 201, body
    time.sleep(3)

    names = {path.name for path in served.data_dir.iterdir()}

    # `oms serve` runs here on its embedded defaults (SQLite database and broker) on both CI runs.
    expected = {"secret_key", "admin-password.txt", "sandbox-credentials.json", "broker.sqlite3"}
    expected |= {"oms.sqlite3", "oms.sqlite3-wal", "oms.sqlite3-shm"}
    assert expected <= names, names
    assert _loose(served.data_dir) == []


def test_a_directory_an_earlier_version_left_readable_is_made_private(tmp_path: Path, monkeypatch) -> None:
    old = tmp_path / "var"
    (old / "static" / "admin").mkdir(parents=True)
    for name in ("oms.sqlite3", "oms.sqlite3-wal", "secret_key", "static/admin/base.css"):
        (old / name).write_text("x")
        (old / name).chmod(0o644)
    for directory in (old, old / "static", old / "static" / "admin"):
        directory.chmod(0o755)
    monkeypatch.setenv("OMS_DATA_DIR", str(old))

    assert data_dir() == old

    assert _loose(old) == []
    assert stat.S_IMODE((old / "secret_key").stat().st_mode) == 0o600
    (old / "new-file").write_text("written after")
    assert stat.S_IMODE((old / "new-file").stat().st_mode) == 0o600
