"""A gunicorn sync worker keeps its database connection across requests (OMS_DB_CONN_MAX_AGE), on
SQLite as on PostgreSQL; with OMS_DB_CONN_MAX_AGE=0 it opens one per request and closes it after.

Each test runs `gunicorn oms.wsgi` with one worker on the test database and looks, from outside,
at the connections that worker holds between requests: the SQLite database file open in
/proc/<pid>/fd, or the worker's sessions in PostgreSQL's pg_stat_activity.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests.processes import child_env, children, free_port, read_log, start, stop, wait_for

ROOT = Path(__file__).resolve().parents[1]
API = "/api/v1/oms"
PASSWORD = "a-long-enough-password-1"


def _request(url: str, *, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.status, json.loads(response.read())


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
    except urllib.error.HTTPError:
        return True  # 401 without a token: it answers
    except OSError:
        return False
    return True


def _open_database_files(pid: int, database: Path) -> int:
    """How many descriptors of process `pid` point at the SQLite database file itself."""
    count = 0
    for entry in os.scandir(f"/proc/{pid}/fd"):
        try:
            if Path(os.readlink(entry.path)) == database:
                count += 1
        except OSError:
            continue
    return count


def _sessions(pid: int) -> list[int]:
    """The backend pids of PostgreSQL sessions whose client is process `pid` (by its TCP port)."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        inodes = set()
        for entry in os.scandir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(entry.path)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        with open(table) as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    if not ports:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND client_port = ANY(%s)",
            [list(ports)],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _held(pid: int) -> list:
    """What the worker holds open on the database between requests (one entry per connection)."""
    if connection.vendor == "sqlite":
        database = Path(connection.settings_dict["NAME"]).resolve()
        return [database] * _open_database_files(pid, database)
    return _sessions(pid)


def _settled(worker: int) -> list:
    """What the worker holds once it is done with the request it answered.

    A sync worker finishes a request (request_finished: where Django closes a connection) after the
    client has the answer, so what it holds is read until two readings 0.2 s apart agree.
    """
    deadline = time.monotonic() + 10
    last = _held(worker)
    while True:
        time.sleep(0.2)
        now = _held(worker)
        if now == last or time.monotonic() > deadline:
            return now
        last = now


def _serve_and_watch(tmp_path: Path, max_age: str | None) -> list[list]:
    """Start one gunicorn sync worker, send 4 authenticated requests; what it held after each.

    `max_age` is OMS_DB_CONN_MAX_AGE for the server; None leaves it unset (the default)."""
    # Hashed as the server's (production) settings check it; the test settings hash with MD5.
    password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    get_user_model().objects.create(username="ops", password=password, is_staff=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    env = child_env(tmp_path)
    env.pop("OMS_DB_CONN_MAX_AGE", None)
    if max_age is not None:
        env["OMS_DB_CONN_MAX_AGE"] = max_age
    argv = [sys.executable, "-m", "gunicorn", "oms.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"]
    process = start([*argv, "--no-control-socket"], env, log)
    try:
        wait_for(lambda: _answers(base + API + "/"), 60, "gunicorn answers", process, log)
        (worker,) = children(process.pid)
        status, body = _request(base + API + "/auth/login/", body={"username": "ops", "password": PASSWORD})
        assert status == 200, read_log(log)
        held = []
        for _ in range(4):
            status, _body = _request(base + API + "/", token=body["key"])
            assert status == 200
            held.append(_settled(worker))
        return held
    finally:
        stop(process)


@pytest.mark.django_db(transaction=True)
def test_a_web_worker_keeps_one_connection_across_requests_by_default(tmp_path):
    held = _serve_and_watch(tmp_path, max_age=None)

    assert len(held[0]) == 1
    assert held == [held[0]] * 4  # the same connection (on PostgreSQL: the same session) every time


@pytest.mark.django_db(transaction=True)
def test_with_max_age_zero_a_web_worker_closes_its_connection_after_each_request(tmp_path):
    held = _serve_and_watch(tmp_path, max_age="0")

    assert held == [[]] * 4
