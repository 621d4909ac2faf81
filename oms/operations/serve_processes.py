"""What `oms serve` needs to leave no orphans and to name a previous run's survivors (Linux /proc).

A run records its own process and its children, each as (pid, start time), in `serve.pid` in the
data directory; the start time tells a survivor from an unrelated process that got the same pid.
"""

import contextlib
import ctypes
import json
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1
PID_FILE = "serve.pid"
_LISTEN = "0A"


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Ask the kernel to send `signum` to this process when its parent exits (Linux; else nothing).

    `oms serve` runs in the foreground under a wrapper (`uv run` in bin/serve, a terminal, CI): when
    the wrapper is killed, even with SIGKILL, `oms serve` stops too, and its children with it.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signum)


def start_time(pid: int) -> int | None:
    """The start time of `pid` (clock ticks since boot), or None when no such process runs."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        return None  # a zombie runs nothing
    return int(fields[19])


def describe(pid: int) -> str:
    """`pid (command line)`, the command line shortened, for messages."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return str(pid)
    text = " ".join(part.decode(errors="replace") for part in argv if part)
    return f"{pid} ({text[:80]})" if text else str(pid)


def run_record(data: Path, pids: list[int]) -> None:
    """Write `serve.pid`: the processes of this run, so that a later start can find survivors."""
    entries = [[pid, start_time(pid)] for pid in pids]
    (data / PID_FILE).write_text(json.dumps([entry for entry in entries if entry[1] is not None]))


def run_forget(data: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (data / PID_FILE).unlink()


def survivors(data: Path) -> list[int]:
    """Processes a previous run recorded in `serve.pid` that still run (same pid, same start time)."""
    try:
        entries = json.loads((data / PID_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return []
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, list) and len(entry) == 2 and all(isinstance(v, int) for v in entry):
            pid, started = entry
            if pid != os.getpid() and start_time(pid) == started:
                found.append(pid)
    return found


def listening_pids(port: int) -> list[int]:
    """The processes with a TCP socket listening on `port` (any address), as far as /proc shows."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines, None)
            for line in lines:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == _LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{inode}]")
    pids = []
    if not inodes:
        return pids
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                pids.append(int(entry.name))
    return sorted(pids)


def child_preexec(parent_pid: int):
    """A `preexec_fn`: the child gets SIGTERM when `oms serve` exits, however it exits (Linux)."""

    def preexec() -> None:
        die_with_parent(signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def in_use_message(data: Path, host: str, port: int, option: str, *, port_free: bool) -> str | None:
    """Why this start cannot go on (a previous run still runs, or the port is taken), naming pids."""
    left = survivors(data)
    if left:
        shown = ", ".join(describe(pid) for pid in left)
        return (
            f"A previous `oms serve` with the data directory {data} still runs: pid {shown}. "
            f"Stop it (Ctrl-C in its terminal, or `kill {' '.join(map(str, left))}`), then start again."
        )
    if port_free:
        return None
    holders = listening_pids(port)
    shown = ", ".join(describe(pid) for pid in holders) or "a process this user cannot see"
    return f"Port {port} on {host} is in use by pid {shown}. Stop it, or choose another port with {option}."
