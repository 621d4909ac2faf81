"""Helpers for tests that run real OMS processes (Celery workers, `oms serve`).

`child_env` builds a child's environment from the live test settings, so that a child process
uses the same database and broker as the test: the SQLite test database file, or a `DATABASE_URL`
naming PostgreSQL's test database. Tests sharing the database with a child must use
`@pytest.mark.django_db(transaction=True)`, so that what they write is committed and visible.
"""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import connection

#: Variables of the test process that must not leak into a child, which builds its own setup.
TEST_ONLY_VARIABLES = ("DATABASE_URL", "CELERY_BROKER_URL", "OMS_DATA_DIR", "OMS_SECRET_KEY", "OMNITRON_URL")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_for_children() -> str:
    """A `DATABASE_URL` for the database the tests run against (the test database, once set up)."""
    config = connection.settings_dict
    vendor = connection.vendor
    if vendor == "sqlite":
        options = {k: v for k, v in config.get("OPTIONS", {}).items() if isinstance(v, str | int)}
        query = f"?{urlencode(options)}" if options else ""
        return f"sqlite:///{Path(config['NAME']).resolve()}{query}"
    if vendor == "postgresql":
        user = quote(config.get("USER") or "", safe="")
        password = quote(config.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        port = f":{config['PORT']}" if config.get("PORT") else ""
        return f"postgres://{credentials}{config.get('HOST') or 'localhost'}{port}/{quote(config['NAME'])}"
    raise NotImplementedError(f"No DATABASE_URL for the {vendor} backend.")


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """An environment for a child that runs on its own: its own data directory, embedded defaults."""
    env = {key: value for key, value in os.environ.items() if key not in TEST_ONLY_VARIABLES}
    env.update(
        OMS_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="oms.settings.base",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """An environment for a child sharing the test's database, broker and secret key.

    The child keeps its own files (heartbeat, beat schedule) in `data_dir`.
    """
    env = clean_env(data_dir)
    env.update(
        DATABASE_URL=database_url_for_children(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        OMS_SECRET_KEY=settings.SECRET_KEY,
        **extra,
    )
    return env


def start(argv: list[str], env: dict[str, str], log_file: Path) -> subprocess.Popen:
    """Start a child in its own session (so its whole process group can be stopped), output to a file."""
    with log_file.open("ab") as log:
        return subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen, timeout: float = 15) -> int:
    """SIGTERM the child, wait up to `timeout`, then SIGKILL its process group; return its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(process.pid)
    kill_group(process.pid)  # whatever it left behind in its group
    return process.wait()


def kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return


def wait_for(
    condition: Callable[[], bool],
    timeout: float,
    what: str,
    process: subprocess.Popen | None = None,
    log_file: Path | None = None,
) -> None:
    """Poll `condition` until true; fail with `what` (and the child's log) on timeout or child exit."""
    deadline = time.monotonic() + timeout
    while not condition():
        exited = process is not None and process.poll() is not None
        if exited or time.monotonic() > deadline:
            reason = f"the process exited with {process.returncode}" if exited else f"{timeout:.0f} s passed"
            raise AssertionError(f"{what}: {reason}.\n--- log ---\n{read_log(log_file)}")
        time.sleep(0.1)


def read_log(log_file: Path | None) -> str:
    if log_file is None or not log_file.exists():
        return "(no log)"
    return log_file.read_text(errors="replace")[-20000:]


# Processes, read from /proc (Linux).


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, session, …"""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return raw[raw.rindex(")") + 2 :].split()


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def descendants(pid: int) -> set[int]:
    """Every living process below `pid`."""
    children: dict[int, list[int]] = {}
    for candidate in _pids():
        fields = _stat(candidate)
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(candidate)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def children(pid: int) -> set[int]:
    """The living direct children of `pid`."""
    return {candidate for candidate in _pids() if (fields := _stat(candidate)) and int(fields[1]) == pid}


def alive(pids: Iterable[int]) -> set[int]:
    """Those of `pids` that still run (zombies, which only wait to be reaped, do not count)."""
    running = set()
    for pid in pids:
        fields = _stat(pid)
        if fields is not None and fields[0] != "Z":
            running.add(pid)
    return running


def in_sessions(sessions: Iterable[int]) -> set[int]:
    """Living processes whose session is one of `sessions` (each child of `oms serve` leads one)."""
    wanted = set(sessions)
    found = set()
    for pid in _pids():
        fields = _stat(pid)
        if fields is not None and fields[0] != "Z" and int(fields[3]) in wanted:
            found.add(pid)
    return found
