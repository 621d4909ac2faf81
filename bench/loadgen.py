"""Load generation: wrk (or the Python fallback) against one endpoint, several endpoints measured side
by side in alternating rounds, and the ratios between them."""

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

from bench.cpuwatch import CpuWatch
from bench.harness import NOOP_PATH, WRK_DIR


def wrk_available() -> bool:
    return shutil.which("wrk") is not None and os.environ.get("BENCH_LOADGEN", "") != "python"


def load(
    *,
    kind: str,
    url: str,
    token: str,
    duration: float,
    connections: int,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Drive `kind` requests ("noop", "ingest", "packaging") at the server for `duration` seconds.

    Returns counts, the rate of successful (2xx) answers and latency percentiles.
    """
    params = params or {}
    watch = CpuWatch()
    if wrk_available():
        result = _wrk(
            kind=kind, url=url, token=token, duration=duration, connections=connections, params=params
        )
    else:
        from bench.pyload import pyload

        result = pyload(
            kind=kind, url=url, token=token, duration=duration, connections=connections, params=params
        )
    result.update(watch.stop())
    time.sleep(0.5)  # let the requests still in flight when the load stopped finish before what follows
    result["ok"] = result["requests"] - result["errors_status"]
    result["rate"] = result["ok"] / (result["duration_us"] / 1e6)
    result["connections"] = connections
    return result


def _wrk(*, kind: str, url: str, token: str, duration: float, connections: int, params: dict) -> dict:
    script = (WRK_DIR / "report.lua").read_text() + "\n" + (WRK_DIR / f"{kind}.lua").read_text()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        script_path = handle.name
    threads = 1
    args = [token]
    if kind == "noop":
        target = url + params.get("path", NOOP_PATH)
    elif kind == "ingest":
        target = url + "/api/v1/oms/omnitron/orders/"
        args += [params["template"], str(params["first_pk"]), str(threads)]
    elif kind == "packaging":
        target = url + "/api/v1/oms/packages/"
        args += [params["ids_file"], str(threads)]
    else:
        raise ValueError(kind)
    argv = [
        "wrk",
        *(
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{max(1, round(duration))}s",
            "--timeout",
            "30s",
        ),
        *("-s", script_path, target, "--", *args),
    ]
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=False)
    finally:
        os.unlink(script_path)
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            result = json.loads(line.removeprefix("BENCH_JSON "))
            result["loadgen"] = "wrk"
            return result
    raise RuntimeError(
        f"wrk gave no result (exit {completed.returncode}): {completed.stdout}{completed.stderr}"
    )


ROUNDS = 5
ROUND_SECONDS = 2


def side_by_side(
    runners: dict[str, Callable[[int, float], dict[str, Any]]],
    *,
    rounds: int = ROUNDS,
    seconds: float = ROUND_SECONDS,
) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Measure several endpoints in alternating short runs: A B C, C B A, A B C, ...

    Other work on the machine comes and goes; alternating every few seconds exposes every endpoint
    to the same conditions, which one long run each does not. `runners` maps a name to a function
    of (round index, seconds) that runs one load. Returns each endpoint's pooled result and its
    runs round by round (for `ratio`).
    """
    names = list(runners)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            runs[name].append(runners[name](index, seconds))
    return {name: _pool(results) for name, results in runs.items()}, runs


def ratio(runs: dict[str, list[dict[str, Any]]], numerator: str, denominator: str) -> dict[str, Any]:
    """`numerator`'s rate over `denominator`'s: the median of the per-round ratios (robust to a burst
    of other load in one round), their range, and the ratio of the pooled rates."""
    ratios = [
        a["rate"] / b["rate"] if b["rate"] else 0.0
        for a, b in zip(runs[numerator], runs[denominator], strict=True)
    ]
    top, bottom = (
        sum(run["ok"] for run in runs[name]) / sum(run["duration_us"] for run in runs[name])
        for name in (numerator, denominator)
    )
    return {
        "median": statistics.median(ratios),
        "min": min(ratios),
        "max": max(ratios),
        "rounds": ratios,
        "pooled": top / bottom if bottom else 0.0,
    }


def _pool(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several runs of one endpoint as one: counts added, latency percentiles the median of the runs'."""
    pooled: dict[str, Any] = {
        "rounds": len(runs),
        "loadgen": runs[0]["loadgen"],
        "connections": runs[0]["connections"],
    }
    for key in ("requests", "duration_us", "bytes", "ok", *(k for k in runs[0] if k.startswith("errors_"))):
        pooled[key] = sum(run[key] for run in runs)
    for key in ("latency_mean_us", "latency_p50_us", "latency_p90_us", "latency_p99_us"):
        pooled[key] = statistics.median(run[key] for run in runs)
    pooled["latency_max_us"] = max(run["latency_max_us"] for run in runs)
    seconds = [run["duration_us"] for run in runs]
    for key in ("cpu_ours_cores", "cpu_others_cores"):
        pooled[key] = round(sum(run[key] * d for run, d in zip(runs, seconds, strict=True)) / sum(seconds), 2)
    pooled["rate"] = pooled["ok"] / (pooled["duration_us"] / 1e6)
    pooled["round_rates"] = [run["rate"] for run in runs]
    return pooled


def load_line(label: str, result: dict[str, Any]) -> str:
    errors = (
        result["errors_status"] + result["errors_connect"] + result["errors_read"] + result["errors_timeout"]
    )
    return (
        f"{label}: {result['rate']:.0f}/s ({result['ok']} ok in {result['duration_us'] / 1e6:.1f} s, "
        f"{result['connections']} clients, p50 {result['latency_p50_us'] / 1000:.1f} ms, "
        f"p99 {result['latency_p99_us'] / 1000:.1f} ms"
        + (f", {errors} errors" if errors else "")
        + (
            f"; other processes used {result['cpu_others_cores']:.2f} cores"
            if result["cpu_others_cores"] >= 0.1
            else ""
        )
        + ")"
    )


def floor_ratios(runs: dict[str, list[dict[str, Any]]], measured: str) -> dict[str, dict[str, Any]]:
    """The two floors of a figure: `measured` against OMS's no-op and against the bare DRF floor, and
    the no-op against the bare floor (runs named `measured`, "noop" and "floor", one run)."""
    return {
        "to_noop": ratio(runs, measured, "noop"),
        "to_floor": ratio(runs, measured, "floor"),
        "noop_to_floor": ratio(runs, "noop", "floor"),
    }


# OMS's authenticated no-op against the bare floor: the cost of Django, OMS's settings, token
# authentication and its database connection on the cheapest request.
NOOP_FLOOR_TARGET = 0.5


def ratio_line(detail: dict[str, Any], target: float) -> str:
    met = "MET" if detail["median"] >= target else "MISSED"
    return (
        f"{detail['median']:.2f} (median of {len(detail['rounds'])} rounds, "
        f"{detail['min']:.2f}-{detail['max']:.2f}; aim >= {target}) {met}"
    )
