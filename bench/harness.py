"""Plumbing shared by the benchmarks: a fresh database per (benchmark, backend), Django set up in this
process, a real gunicorn server, load generation (wrk, or a Python fallback) and result files.

Each benchmark runs as its own process for one backend (`python -m bench.ingest --db sqlite`), so
that Django reads DATABASE_URL once, as in production.
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
LOGS_DIR = RESULTS_DIR / "logs"
WRK_DIR = BENCH_DIR / "wrk"

# The no-op endpoint: the API root (DRF's DefaultRouter view). It authenticates the token (one
# query), checks IsAuthenticated, and renders a small JSON object of links; it touches no table of
# OMS. It is the cheapest authenticated GET the API has (cheaper than a filtered list, which adds a
# COUNT and a SELECT): see README "What is measured".
NOOP_PATH = "/api/v1/oms/"
# Also measured, for reference: a filtered list that matches nothing.
SETTINGS_NOOP_PATH = "/api/v1/oms/settings/application_settings/?key=NONE"


def say(message: str) -> None:
    print(message, flush=True)


# Command line

QUICK = False


def arguments(
    part: str, extra: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m bench.{part}")
    parser.add_argument("--db", choices=["sqlite", "postgres"], required=True)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", ""),
        help="postgres://… of a server where the role may CREATE DATABASE (bench/run starts one)",
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run: small sizes, short loads")
    if extra:
        extra(parser)
    options = parser.parse_args()
    global QUICK
    QUICK = options.quick
    if options.db == "postgres" and not options.pg_url:
        parser.error("--db postgres needs --pg-url (or BENCH_PG_URL); bench/run starts a PostgreSQL for you")
    return options


# Database and Django


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url(pg_url: str, name: str) -> str:
    parts = urlsplit(pg_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _postgres_fresh_database(pg_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return _database_url(pg_url, name)


class Backend:
    """A fresh OMS_DATA_DIR and database for one benchmark on one backend; Django set up on it."""

    def __init__(self, part: str, db: str, pg_url: str, extra_env: dict[str, str] | None = None) -> None:
        self.part = part
        self.db = db
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"oms-bench-{part}-{db}-"))
        env = {
            "OMS_DATA_DIR": str(self.data_dir),
            "OMS_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_SETTINGS_MODULE": "oms.settings.base",
            "OMS_DEBUG": "false",
            "PYTHONUNBUFFERED": "1",
        }
        # The embedded defaults unless this backend says otherwise: no stray configuration.
        for name in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "OMNITRON_URL",
            "OMNITRON_USERNAME",
            "OMNITRON_PASSWORD",
        ):
            os.environ.pop(name, None)
        # The broker the wake-ups after commit go to: the embedded SQLite one (kombu's SQLAlchemy
        # transport, a file in OMS_DATA_DIR), or, on PostgreSQL, Redis when bench/run could start it
        # (the project's "PostgreSQL + Redis" configuration, as in CI).
        self.broker = "embedded SQLite"
        if db == "postgres":
            env["DATABASE_URL"] = _postgres_fresh_database(pg_url, f"bench_{part}")
            if os.environ.get("BENCH_PG_BROKER_URL"):
                env["CELERY_BROKER_URL"] = os.environ["BENCH_PG_BROKER_URL"]
                env["OMS_CELERY_QUEUE"] = f"bench-{part}-{secrets.token_hex(4)}"
                self.broker = "Redis"
        env.update(extra_env or {})
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        started = time.monotonic()
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        from oms.celery import prepare_broker

        prepare_broker()  # as `oms serve` does before it starts the web server
        import logging

        # This process's own INFO lines (set-up) would interleave with the figures; the servers it
        # starts keep the default logging.
        logging.getLogger("oms").setLevel(logging.WARNING)
        say(f"[{part}/{db}] database migrated in {time.monotonic() - started:.1f} s ({self.describe()})")

    def describe(self) -> str:
        from django.db import connection

        if self.db == "sqlite":
            return (
                f"SQLite {connection.Database.sqlite_version} (WAL, synchronous=NORMAL), file in a temp dir"
            )
        return f"PostgreSQL {self.server_version()}, database bench_{self.part}"

    def server_version(self) -> str:
        from django.db import connection

        if self.db != "postgres":
            return ""
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]

    def analyze(self) -> None:
        """Refresh planner statistics (autovacuum would, given time)."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def close(self) -> None:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def staff_token() -> str:
    """A staff user `bench` and its API token."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from oms.core.tokens import api_token_create

    user = get_user_model().objects.create_user(
        username="bench", password=secrets.token_urlsafe(16), is_staff=True
    )
    return api_token_create(user=user, now=timezone.now()).key


def marketplace_rows():
    """The marketplace channel (Omnitron 42) and cargo company (Omnitron 7), as OMS rows."""
    from oms.channels.models import Channel
    from oms.shipments.models import CargoCompany

    channel = Channel.objects.create(name="Trendyol", channel_type="sales_channel", omnitron_id=42)
    company = CargoCompany.objects.create(
        name="Yurtici Kargo", erp_code="yurtici-kargo", shipping_company="yurtici", omnitron_id=7
    )
    return channel, company


def omnitron_order_json(pk: int, *, items: int = 3, status: str = "400") -> dict[str, Any]:
    """A full Omnitron order (the shape `GET /api/v1/orders/{pk}/` returns), item pks pk*10+n."""
    return {
        "pk": pk,
        "number": f"TY-{pk}",
        "channel": 42,
        "status": status,
        "date_placed": "2026-11-20T09:30:00Z",
        "modified_date": "2026-11-20T09:31:12Z",
        "currency": "try",
        "amount": f"{174.90 * items:.2f}",
        "shipping_amount": "0.00",
        "cargo_company": 7,
        "tracking_number": f"7330{pk:012d}",
        "delivery_type": "standard",
        "shipping_option_slug": "standard",
        "extra_field": {"id": f"TY-PKG-{pk}"},
        "orderitem_set": [
            {
                "pk": pk * 10 + n,
                "product": {
                    "pk": 77 + n,
                    "sku": f"SKU-{n}",
                    "barcode": f"869000000{n:04d}",
                    "name": "T-shirt",
                },
                "status": status,
                "price": "174.90",
                "price_currency": "try",
                "tracking_number": "",
                "extra_field": {},
            }
            for n in range(1, items + 1)
        ],
    }


# The web server


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the benchmark process dies (Linux), so no server outlives it."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Gunicorn:
    """`gunicorn oms.wsgi` with 2 sync workers, as `oms serve` starts it, on a free port."""

    def __init__(self, name: str, workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        LOGS_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS_DIR / f"{name}-gunicorn.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "oms.wsgi",
            *("-b", f"127.0.0.1:{self.port}", "-w", str(self.workers)),
            *("--timeout", "60", "--graceful-timeout", "5", "--no-control-socket"),
        ]
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=dict(os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # no threads run in this process
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            if self._answers():
                break
            if time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"gunicorn did not answer in 60 s; see {self.log_path}")
            time.sleep(0.2)
        return self

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + NOOP_PATH, timeout=2):  # noqa: S310 (our server)
                return True
        except urllib.error.HTTPError:
            return True  # 401: it answers
        except OSError:
            return False

    def __exit__(self, *exc: object) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # our own child's process group
            process.wait()


def http_json(method: str, url: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (our server)
    request.add_header("Authorization", f"Token {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw)
        except ValueError:
            return exc.code, raw.decode(errors="replace")


# Load generation


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


def interleaved(
    *,
    measured: Callable[[int, float], dict[str, Any]],
    noop: Callable[[float], dict[str, Any]],
    rounds: int = ROUNDS,
    seconds: float = ROUND_SECONDS,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Measure an endpoint against the no-op in alternating short runs (A B, B A, A B, ...).

    Other work on the machine comes and goes; alternating every few seconds exposes both endpoints
    to the same conditions, which one long run each does not. Returns the two pooled results and
    the ratio: the median of the per-round ratios (robust to a burst of other load in one round),
    with their range and the ratio of the pooled rates.
    """
    measured_runs: list[dict[str, Any]] = []
    noop_runs: list[dict[str, Any]] = []
    for index in range(rounds):
        if index % 2 == 0:
            measured_runs.append(measured(index, seconds))
            noop_runs.append(noop(seconds))
        else:
            noop_runs.append(noop(seconds))
            measured_runs.append(measured(index, seconds))
    ratios = [
        m["rate"] / n["rate"] if n["rate"] else 0.0 for m, n in zip(measured_runs, noop_runs, strict=True)
    ]
    pooled_measured, pooled_noop = _pool(measured_runs), _pool(noop_runs)
    ratio = {
        "median": statistics.median(ratios),
        "min": min(ratios),
        "max": max(ratios),
        "rounds": ratios,
        "pooled": pooled_measured["rate"] / pooled_noop["rate"] if pooled_noop["rate"] else 0.0,
    }
    return pooled_measured, pooled_noop, ratio


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


# Results


def measured_at() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_result(part: str, db: str, data: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{part}-{db}.json"
    data = {
        "part": part,
        "db": db,
        "measured_at": measured_at(),
        "quick": QUICK,
        "python": platform.python_version(),
        **data,
    }
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    say(f"[{part}/{db}] results written to {path.relative_to(ROOT)}")
    return path


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
