"""`oms serve` leaves no orphans, and a start next to a previous run's survivors names them.

`bin/serve` execs `uv run oms serve`: killing the wrapper, even with SIGKILL, must stop `oms serve`
and everything it started. A stand-in wrapper plays `uv run` here (it starts the command and waits).
"""

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import clean_env, descendants, free_port, start, wait_for
from tests.test_serve import BANNER_END, START_TIMEOUT_SECONDS, Served, serve

pytestmark = pytest.mark.slow

GONE_WITHIN_SECONDS = 10
WRAPPER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def _ports() -> tuple[int, int]:
    port = sandbox_port = free_port()
    while sandbox_port == port:
        sandbox_port = free_port()
    return port, sandbox_port


def _names(pids: set[int]) -> list[bytes]:
    names = []
    for pid in pids:
        try:
            names.append(Path(f"/proc/{pid}/cmdline").read_bytes())
        except OSError:
            continue
    return names


def _served_under_a_wrapper(data_dir: Path, log_name: str) -> Served:
    port, sandbox_port = _ports()
    log_file = data_dir.parent / log_name
    command = [sys.executable, "-m", "oms", "serve", "--port", str(port), "--sandbox-port", str(sandbox_port)]
    wrapper = start([sys.executable, "-c", WRAPPER, *command], clean_env(data_dir), log_file)
    served = Served(wrapper, data_dir, log_file, port, sandbox_port)
    wait_for(lambda: BANNER_END in served.output(), START_TIMEOUT_SECONDS, "No banner", wrapper, log_file)
    served.children = descendants(wrapper.pid)
    return served


def _assert_everything_is_gone_after_sigkill(served: Served) -> None:
    names = _names(served.children)
    for part in (b"gunicorn", b"celery", b"sandbox"):
        assert any(part in name for name in names), (part, names)
    started = time.monotonic()

    served.process.send_signal(signal.SIGKILL)
    served.process.wait(timeout=5)

    deadline = started + GONE_WITHIN_SECONDS
    while served.leftovers() and time.monotonic() < deadline:
        time.sleep(0.1)
    left = served.leftovers()
    assert not left, (_names(left), served.output()[-3000:])
    assert time.monotonic() - started < GONE_WITHIN_SECONDS


def test_sigkill_of_the_wrapper_stops_oms_serve_and_all_its_children(tmp_path: Path) -> None:
    served = _served_under_a_wrapper(tmp_path / "data", "wrapped.log")
    try:
        _assert_everything_is_gone_after_sigkill(served)
    finally:
        served.stop()


def test_sigkill_of_oms_serve_itself_stops_all_its_children(tmp_path: Path) -> None:
    served = serve(tmp_path / "data", "killed.log")
    try:
        _assert_everything_is_gone_after_sigkill(served)
    finally:
        served.stop()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve(tmp_path_factory.mktemp("running") / "data", "running.log")
    yield served
    served.stop()


def _second_start(data_dir: Path, port: int, sandbox_port: int) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "oms", "serve", "--port", str(port), "--sandbox-port", str(sandbox_port)]
    return subprocess.run(
        argv, env=clean_env(data_dir), capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )


def test_a_second_start_on_the_same_data_directory_names_the_running_pids(running: Served) -> None:
    port, sandbox_port = _ports()

    second = _second_start(running.data_dir, port, sandbox_port)

    assert second.returncode != 0
    assert f"A previous `oms serve` with the data directory {running.data_dir} still runs" in second.stderr
    assert f"pid {running.process.pid} (" in second.stderr, second.stderr
    assert running.process.poll() is None  # the running one is left alone


def test_a_start_on_a_taken_port_names_the_process_holding_it(running: Served, tmp_path: Path) -> None:
    _, sandbox_port = _ports()

    second = _second_start(tmp_path / "other-data", running.port, sandbox_port)

    assert second.returncode != 0
    assert f"Port {running.port} on 127.0.0.1 is in use by pid " in second.stderr, second.stderr
    assert "gunicorn" in second.stderr
    assert running.process.poll() is None
