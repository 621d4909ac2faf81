"""Where a request's time goes: the authenticated no-op, ingestion and packaging under cProfile.

Each request goes through OMS's real WSGI application (`get_wsgi_application()`: middleware, the
request_started / request_finished signals that open and close database connections, DRF, the
service), called in this process with a WSGI environ, with no HTTP server in front. Per path: the
time per request unprofiled, the SQL statements and new connections per request, and the functions
that cost most (own time and cumulative time, per request).
`python -m bench.profile --db sqlite|postgres [--label NAME] [--quick]`; bench/profile runs it.
Writes bench/results/profile-<label>-<db>.json; bench/report shows them after the committed baseline
(bench/baseline/profile-before-<db>.json, measured on the code this work started from).
"""

import contextlib
import cProfile
import io
import json
import logging
import pstats
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.harness import (
    LOGS_DIR,
    NOOP_PATH,
    ROOT,
    Backend,
    arguments,
    marketplace_rows,
    omnitron_order_json,
    say,
    staff_token,
    write_result,
)

INGEST_PATH = "/api/v1/oms/omnitron/orders/"
COMMAND_BODY = b'{"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}'
TOP = 15


def _environ(method: str, path: str, token: str, body: bytes = b"") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Token {token}",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def _call(app: Callable, environ: dict[str, Any], expected: int) -> None:
    """One request through the WSGI application, as a server calls it (close() included)."""
    statuses: list[str] = []
    result = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        for _chunk in result:
            pass
    finally:
        result.close()  # request_finished: where Django closes (or keeps) the connection
    if int(statuses[0].split()[0]) != expected:
        raise SystemExit(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} answered {statuses[0]}")


def _label(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":
        return name  # a built-in
    path = Path(filename)
    found = re.search(r"/(site-packages|lib/python3\.\d+)/(.*)$", filename)
    if found:
        path = Path(found.group(2))
    else:
        with contextlib.suppress(ValueError):
            path = path.relative_to(ROOT)
    return f"{path}:{line} {name}"


def _top(stats: pstats.Stats, key: int, requests: int, limit: int = TOP) -> list[dict[str, Any]]:
    """The `limit` functions first by own time (key 2) or cumulative time (key 3), per request."""
    rows = sorted(stats.stats.items(), key=lambda item: item[1][key], reverse=True)[:limit]  # type: ignore[attr-defined]
    return [
        {
            "function": _label(func),
            "calls": round(calls / requests, 1),
            "own_ms": round(own / requests * 1000, 3),
            "cumulative_ms": round(cumulative / requests * 1000, 3),
        }
        for func, (_primitive, calls, own, cumulative, _callers) in rows
    ]


def profile_path(
    name: str, app: Callable, requests: Iterator[tuple[dict, int]], count: int, dump: Path
) -> dict:
    """Time `count` requests unprofiled, then `count` more under cProfile, counting statements.

    The raw profile is written to `dump` (for `python -m pstats` or snakeviz)."""
    from django.db import connection
    from django.db.backends.signals import connection_created

    for _ in range(min(20, count)):  # warm-up: imports, caches, the first connection
        _call(app, *next(requests))
    started = time.perf_counter()
    for _ in range(count):
        _call(app, *next(requests))
    seconds = time.perf_counter() - started

    statements = [0]
    opened = [0]

    def count_statement(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    def count_connection(**kwargs):
        opened[0] += 1

    connection_created.connect(count_connection)
    profiler = cProfile.Profile()
    try:
        with connection.execute_wrapper(count_statement):
            batch = [next(requests) for _ in range(count)]
            profiler.enable()
            for environ, expected in batch:
                _call(app, environ, expected)
            profiler.disable()
    finally:
        connection_created.disconnect(count_connection)
    profiler.dump_stats(dump)
    stats = pstats.Stats(profiler)
    result = {
        "path": name,
        "requests": count,
        "ms_per_request": round(seconds / count * 1000, 3),
        "profiled_ms_per_request": round(stats.total_tt / count * 1000, 3),  # type: ignore[attr-defined]
        "statements_per_request": round(statements[0] / count, 2),
        "connections_per_request": round(opened[0] / count, 2),
        "top_own": _top(stats, 2, count),
        "top_cumulative": _top(stats, 3, count, limit=40),  # the first ones are the request plumbing
    }
    say(
        f"  {name}: {result['ms_per_request']:.2f} ms per request unprofiled, "
        f"{result['statements_per_request']:g} statements, {result['connections_per_request']:g} new "
        "connections per request"
    )
    for row in result["top_own"][:8]:
        say(f"    {row['own_ms']:7.3f} ms own  {row['cumulative_ms']:7.3f} ms cum  {row['function']}")
    return result


def _commit() -> str:
    import subprocess

    argv = ["git", "-C", str(ROOT), "describe", "--always", "--dirty"]
    described = subprocess.run(argv, capture_output=True, text=True, check=False)
    return described.stdout.strip() or "-"


def main() -> None:
    options = arguments(
        "profile",
        lambda parser: parser.add_argument("--label", default="now", help="names this profile in the README"),
    )
    count = 100 if options.quick else 600
    db = options.db
    backend = Backend(f"profile-{options.label}", db, options.pg_url)
    try:
        from django.conf import settings
        from django.core.management import call_command
        from django.core.wsgi import get_wsgi_application
        from django.utils import timezone

        from bench.fixtures import OrderSpec, copy_order, template_load
        from oms.core.statuses import PackageStatus
        from oms.omnitron.client import omnitron_client_get
        from oms.omnitron.mapping import order_from_json
        from oms.orders.services import order_ingest
        from oms.packages.models import Package

        token = staff_token()
        channel, company = marketplace_rows()
        call_command("setup_marketplace", channel=channel.pk, cargo_company=company.pk, stdout=io.StringIO())
        template = order_ingest(
            data=order_from_json(omnitron_order_json(1, items=3)),
            client_factory=omnitron_client_get,
            now=timezone.now(),
        ).order
        needed = count * 2 + 40
        copy_order(
            template_load(template.pk),
            [OrderSpec.from_omnitron(omnitron_order_json(pk, items=3)) for pk in range(2, needed + 2)],
        )
        waiting = iter(
            Package.objects.filter(status=PackageStatus.WAITING).order_by("id").values_list("id", flat=True)
        )
        app = get_wsgi_application()  # sets Django up again: logging as configured, then redirected
        # Logging as the servers have it (the new configuration is at INFO again), to a file.
        oms_logger = logging.getLogger("oms")
        oms_logger.setLevel(logging.NOTSET)
        LOGS_DIR.mkdir(parents=True, exist_ok=True)
        log_file = (LOGS_DIR / f"profile-{options.label}-{db}.log").open("w")
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(log_file)

        max_age = settings.DATABASES["default"].get("CONN_MAX_AGE", 0)
        say(f"[profile/{db}] {options.label}: {count} requests per path (CONN_MAX_AGE={max_age})")

        def noops() -> Iterator[tuple[dict, int]]:
            while True:
                yield _environ("GET", NOOP_PATH, token), 200

        def ingestions() -> Iterator[tuple[dict, int]]:
            pk = 10_000_000
            while True:
                pk += 1
                yield _environ("POST", INGEST_PATH, token, json.dumps(omnitron_order_json(pk)).encode()), 201

        def commands() -> Iterator[tuple[dict, int]]:
            for package_id in waiting:
                path = f"/api/v1/oms/packages/{package_id}/command/"
                yield _environ("POST", path, token, COMMAND_BODY), 204

        def dump(kind: str) -> Path:
            return LOGS_DIR / f"profile-{options.label}-{db}-{kind}.prof"

        paths = [
            profile_path(f"GET {NOOP_PATH} (authenticated no-op)", app, noops(), count, dump("noop")),
            profile_path(f"POST {INGEST_PATH} (3 items)", app, ingestions(), count, dump("ingest")),
            profile_path(
                "POST /api/v1/oms/packages/{id}/command/", app, commands(), count, dump("packaging")
            ),
        ]
        write_result(
            f"profile-{options.label}",
            db,
            {
                "label": options.label,
                "code": _commit(),
                "database": backend.describe(),
                "conn_max_age": max_age,
                "paths": paths,
            },
        )
    finally:
        backend.close()


if __name__ == "__main__":
    main()
