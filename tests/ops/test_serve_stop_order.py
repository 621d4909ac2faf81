"""On Ctrl-C `oms serve` stops the web server and the worker first and the Omnitron sandbox last, so
work in flight against the sandbox finishes instead of failing (and being recorded as a failure)."""

import sys
import time
from pathlib import Path

import pytest

from oms.operations.serve_supervisor import Supervisor
from tests.processes import clean_env

pytestmark = pytest.mark.slow

# A child that, on SIGTERM, takes `delay` seconds to finish, then writes when it stopped.
CHILD = """
import signal, sys, time
out, delay = sys.argv[1], float(sys.argv[2])
def stop(signum, frame):
    time.sleep(delay)
    open(out, "w").write(repr(time.time()))
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
open(out + ".ready", "w").close()
while True:
    time.sleep(0.05)
"""


def test_the_sandbox_stops_only_after_the_web_server_and_the_worker(tmp_path: Path) -> None:
    supervisor = Supervisor(env=clean_env(tmp_path / "var"), log=lambda line: None)
    sandbox = tmp_path / "sandbox"
    web = tmp_path / "web"
    worker = tmp_path / "worker"
    supervisor.start("sandbox", [sys.executable, "-c", CHILD, str(sandbox), "0"], stop_last=True)
    supervisor.start("web", [sys.executable, "-c", CHILD, str(web), "0.5"])
    supervisor.start("worker", [sys.executable, "-c", CHILD, str(worker), "1.0"])
    deadline = time.monotonic() + 30
    while not all(Path(f"{path}.ready").exists() for path in (sandbox, web, worker)):
        assert time.monotonic() < deadline, "the children did not start"
        time.sleep(0.05)

    supervisor.stop_all(timeout=10)

    stopped = {path.name: float(path.read_text()) for path in (sandbox, web, worker)}
    assert stopped["sandbox"] > stopped["worker"] > stopped["web"]
    assert all(child.process.returncode == 0 for child in supervisor.children)
