"""The supervisor of `oms serve`: starts children in their own process groups, watches them, and
stops them in order (the Omnitron sandbox last)."""

import os
import shlex
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

from django.core.management.base import CommandError

from oms.operations.serve_processes import child_preexec

STOP_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.2
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class ChildDied(Exception):
    """A child process exited while it was supposed to run."""

    def __init__(self, name: str, pid: int, returncode: int) -> None:
        self.name, self.pid, self.returncode = name, pid, returncode
        how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited with code {returncode}"
        super().__init__(f"{name} (pid {pid}) {how}")


class StopRequested(Exception):
    """Ctrl-C or SIGTERM arrived."""


@dataclass
class Child:
    """One supervised process; it leads its own process group (and session)."""

    name: str
    argv: list[str]
    process: subprocess.Popen
    stop_last: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid


@dataclass
class Supervisor:
    """Starts children in their own process groups, watches them, and stops them all."""

    env: dict[str, str]
    log: Callable[[str], None]
    children: list[Child] = field(default_factory=list)
    stop_signal: int | None = None

    def install_signal_handlers(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only set a flag: the main loop notices it within POLL_SECONDS (no I/O in a signal handler).
        if self.stop_signal is None:
            self.stop_signal = signum

    def start(
        self, name: str, argv: list[str], env: dict[str, str] | None = None, *, stop_last: bool = False
    ) -> Child:
        """Start a child with the shared environment, plus `env` for this child only (e.g. secrets).

        A `stop_last` child (the Omnitron sandbox) is stopped only once the others have stopped.
        """
        process = subprocess.Popen(
            argv,
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: Ctrl-C reaches only us; we stop it in order
            preexec_fn=child_preexec(os.getpid()),  # safe: no threads are running yet
        )
        child = Child(name=name, argv=argv, process=process, stop_last=stop_last)
        self.children.append(child)
        self.log(f"Started {name} (pid {process.pid}): {shlex.join(_redacted(argv))}")
        return child

    def check(self) -> None:
        """Raise StopRequested after a stop signal, ChildDied when any child has exited."""
        if self.stop_signal is not None:
            raise StopRequested
        for child in self.children:
            returncode = child.process.poll()
            if returncode is not None:
                raise ChildDied(child.name, child.pid, returncode)

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float) -> None:
        """Poll `ready()` until true, while watching the children and the stop signal."""
        deadline = time.monotonic() + timeout
        while True:
            self.check()
            if ready():
                return
            if time.monotonic() > deadline:
                raise CommandError(f"{what} did not answer within {timeout:.0f} s; see the output above.")
            time.sleep(POLL_SECONDS)

    def run_forever(self) -> None:
        while True:
            self.check()
            time.sleep(POLL_SECONDS)

    def stop_all(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """SIGTERM the children (newest first), wait up to `timeout`, then SIGKILL what is left.

        The `stop_last` children go last: the web server and the worker finish what they are doing
        against the Omnitron sandbox before it goes away, so no batch fails because of the stop.
        Every child's process group is killed at the end, so no grandchild (gunicorn and Celery
        worker processes, Celery beat) outlives us.
        """
        deadline = time.monotonic() + timeout
        for last in (False, True):
            phase = [child for child in reversed(self.children) if child.stop_last is last]
            for child in phase:
                if child.process.poll() is None:
                    _signal_pid(child.pid, signal.SIGTERM)
            for child in phase:
                try:
                    child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self.log(f"{child.name} (pid {child.pid}) did not stop in {timeout:.0f} s: killing it.")
                    _signal_group(child.pid, signal.SIGKILL)
        for child in self.children:
            _signal_group(child.pid, signal.SIGKILL)
            child.process.wait()


def _signal_pid(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        return


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return


SECRET_OPTIONS = {"--password", "--push-token"}


def _redacted(argv: list[str]) -> list[str]:
    """argv with the values of secret options replaced, for logging."""
    shown: list[str] = []
    for index, arg in enumerate(argv):
        shown.append("***" if index and argv[index - 1] in SECRET_OPTIONS else arg)
    return shown
