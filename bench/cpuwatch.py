"""Other load on the machine, measured: the CPU the benchmark's own processes use and what the rest
of the machine uses meanwhile (from /proc), and a short wait for quiet before a measurement."""

import os
import time


def say(message: str) -> None:
    print(message, flush=True)


# Other load on the machine: the two cores are shared with whatever else runs (other engineers' test
# suites, a demo server...). Each measurement records how much CPU others used meanwhile, and waits
# a little for quiet before it starts.

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float:
    with open("/proc/stat") as handle:
        fields = [int(value) for value in handle.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def _process_table() -> tuple[dict[int, int], dict[int, float]]:
    """Every live process: its parent, and the CPU seconds it has used."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                raw = handle.read()
        except OSError:
            continue
        rest = raw[raw.rfind(")") + 2 :].split()
        pid = int(entry)
        parents[pid] = int(rest[1])
        times[pid] = (int(rest[11]) + int(rest[12])) / CLOCK_TICKS
    return parents, times


def _tree_seconds(root: int, *, with_root: bool) -> float:
    """CPU seconds of the live descendants of `root` (and of `root` itself when `with_root`)."""
    parents, times = _process_table()
    total = times.get(root, 0.0) if with_root else 0.0
    for pid, seconds in times.items():
        ancestor = parents.get(pid)
        while ancestor and ancestor != root:
            ancestor = parents.get(ancestor)
        if ancestor == root:
            total += seconds
    return total


def _service_pids() -> list[int]:
    """The benchmark's own database and broker servers (bench/run starts them as daemons, so they
    are not its descendants): the first line of each pid file in BENCH_SERVICE_PIDFILES."""
    pids = []
    for path in filter(None, os.environ.get("BENCH_SERVICE_PIDFILES", "").split(":")):
        try:
            with open(path) as handle:
                pids.append(int(handle.readline().strip()))
        except (OSError, ValueError):
            continue
    return pids


def _our_seconds() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    services = sum(_tree_seconds(pid, with_root=True) for pid in _service_pids())
    return (
        own.ru_utime
        + own.ru_stime
        + waited.ru_utime
        + waited.ru_stime
        + _tree_seconds(os.getpid(), with_root=False)
        + services
    )


class CpuWatch:
    """CPU used during a measurement, in cores: by this benchmark's processes, and by the others."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.busy = _machine_busy_seconds()
        self.ours = _our_seconds()

    def stop(self) -> dict[str, float]:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        busy = _machine_busy_seconds() - self.busy
        ours = _our_seconds() - self.ours
        return {
            "cpu_ours_cores": round(ours / elapsed, 2),
            "cpu_others_cores": round(max(0.0, busy - ours) / elapsed, 2),
        }


QUIET_CORES = 0.25
# Waiting for quiet helps with a short burst of other work, not with a long one: at most this many
# seconds of waiting in all, per benchmark process.
_quiet_budget = [15.0]


def wait_for_quiet(label: str, max_wait: float = 10.0) -> float:
    """Wait (at most `max_wait` s) until other processes use less than QUIET_CORES; returns their load."""
    max_wait = min(max_wait, _quiet_budget[0])
    began = time.monotonic()
    deadline = began + max_wait
    others = 0.0
    told = False
    while True:
        watch = CpuWatch()
        time.sleep(0.5)
        others = watch.stop()["cpu_others_cores"]
        if others < QUIET_CORES or time.monotonic() > deadline:
            _quiet_budget[0] = max(0.0, _quiet_budget[0] - (time.monotonic() - began - 0.5))
            if told:
                say(f"  ({label}: other processes use {others:.2f} cores; going on)")
            return others
        if not told:
            say(
                f"  ({label}: other processes use {others:.2f} cores; "
                f"waiting up to {max_wait:.0f} s for quiet)"
            )
            told = True
