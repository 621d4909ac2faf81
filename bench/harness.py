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

from bench.cpuwatch import CpuWatch, wait_for_quiet  # noqa: F401 (bench.resolution imports them from here)

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
# The bare floor: `GET /` of bench/floor (DRF, no database, no middleware, no authentication),
# served by the same gunicorn settings as OMS.
FLOOR_PATH = "/"
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
    """`gunicorn oms.wsgi` with 2 sync workers, as `oms serve` starts it, on a free port.

    `app` serves another WSGI module with the same settings (the bare floor: `bench.floor.wsgi`);
    `ready_path` is what must answer before the server counts as started.
    """

    def __init__(
        self, name: str, workers: int = 2, *, app: str = "oms.wsgi", ready_path: str = NOOP_PATH
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.app = app
        self.ready_path = ready_path
        LOGS_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS_DIR / f"{name}-gunicorn.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            self.app,
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
            with urllib.request.urlopen(self.url + self.ready_path, timeout=2):  # noqa: S310 (our server)
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


def floor_server(name: str) -> Gunicorn:
    """The bare floor (bench/floor), served as OMS is: same gunicorn, workers and options."""
    return Gunicorn(f"{name}-floor", app="bench.floor.wsgi", ready_path=FLOOR_PATH)


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
