"""Ingestion: orders/s of `POST /api/v1/oms/omnitron/orders/` against two floors measured in the same
run: OMS's authenticated no-op (same server) and the bare DRF endpoint of bench/floor.

Full Omnitron order bodies with 3 items, a new order pk (and new item pks) on every request. The
channel (Omnitron 42) and cargo company (Omnitron 7) exist beforehand, so no request calls Omnitron.
`python -m bench.ingest --db sqlite|postgres [--pg-url URL] [--quick]`; bench/ingest runs both.
"""

import json

from bench.harness import (
    FLOOR_PATH,
    NOOP_PATH,
    SETTINGS_NOOP_PATH,
    Backend,
    Gunicorn,
    arguments,
    floor_server,
    http_json,
    marketplace_rows,
    omnitron_order_json,
    say,
    staff_token,
    wait_for_quiet,
    write_result,
)
from bench.loadgen import (
    NOOP_FLOOR_TARGET,
    ROUND_SECONDS,
    ROUNDS,
    floor_ratios,
    load,
    load_line,
    ratio_line,
    side_by_side,
)

INGEST_PATH = "/api/v1/oms/omnitron/orders/"
CLIENTS = 8
SENTINEL_PK = 987654321  # replaced by @PK@ in the template; item pks become @PK@1, @PK@2, @PK@3
TARGET_RATIO = 0.4  # of the no-op
TARGET_FLOOR_RATIO = 0.15  # of the bare DRF floor


def order_template() -> str:
    text = json.dumps(omnitron_order_json(SENTINEL_PK, items=3))
    return text.replace(str(SENTINEL_PK), "@PK@")


def main() -> None:
    options = arguments("ingest")
    rounds, seconds, warmup = (2, 1, 1) if options.quick else (ROUNDS, ROUND_SECONDS, 3)
    db = options.db
    backend = Backend("ingest", db, options.pg_url)
    try:
        token = staff_token()
        marketplace_rows()
        template = backend.data_dir / "order-template.json"
        template.write_text(order_template())

        with Gunicorn(f"ingest-{db}") as server, floor_server(f"ingest-{db}") as floor:
            status, body = http_json("POST", server.url + INGEST_PATH, token, omnitron_order_json(1, items=3))
            if status != 201 or len(body["items"]) != 3:
                raise SystemExit(f"ingestion check failed: {status} {body}")
            status, body = http_json("GET", server.url + NOOP_PATH, token)
            if status != 200:
                raise SystemExit(f"no-op check failed: {status} {body}")

            say(f"[ingest/{db}] warm-up {warmup} s each ({CLIENTS} clients)")
            load(
                kind="ingest",
                url=server.url,
                token=token,
                duration=warmup,
                connections=CLIENTS,
                params={"template": str(template), "first_pk": 1_000_000},
            )
            load(kind="noop", url=server.url, token=token, duration=warmup, connections=CLIENTS)
            floor_load = {
                "url": floor.url,
                "token": token,
                "connections": CLIENTS,
                "params": {"path": FLOOR_PATH},
            }
            load(kind="noop", duration=warmup, **floor_load)

            quiet_before = wait_for_quiet("ingestion")

            def ingest_run(index: int, seconds: float) -> dict:
                return load(
                    kind="ingest",
                    url=server.url,
                    token=token,
                    duration=seconds,
                    connections=CLIENTS,
                    params={"template": str(template), "first_pk": 10_000_000 + index * 1_000_000},
                )

            def noop_run(index: int, seconds: float) -> dict:
                return load(kind="noop", url=server.url, token=token, duration=seconds, connections=CLIENTS)

            def floor_run(index: int, seconds: float) -> dict:
                return load(kind="noop", duration=seconds, **floor_load)

            say(
                f"[ingest/{db}] measuring: {rounds} rounds of {seconds} s each of ingestion, no-op and "
                "bare floor, alternated"
            )
            pooled, runs = side_by_side(
                {"ingest": ingest_run, "noop": noop_run, "floor": floor_run}, rounds=rounds, seconds=seconds
            )
            ingest, noop, bare = pooled["ingest"], pooled["noop"], pooled["floor"]
            ratios = floor_ratios(runs, "ingest")
            ratio = ratios["to_noop"]
            ingest["others_before_cores"] = quiet_before
            say("  " + load_line(f"[ingest/{db}] ingestion", ingest))
            say("  " + load_line(f"[ingest/{db}] no-op GET {NOOP_PATH}", noop))
            say("  " + load_line(f"[ingest/{db}] bare floor GET {FLOOR_PATH} (bench/floor)", bare))

            settings_list = load(
                kind="noop",
                url=server.url,
                token=token,
                duration=seconds,
                connections=CLIENTS,
                params={"path": SETTINGS_NOOP_PATH},
            )
            say("  " + load_line(f"[ingest/{db}] (reference) GET {SETTINGS_NOOP_PATH}", settings_list))

        from oms.orders.models import Order, OrderItem
        from oms.packages.models import Package

        measured = Order.objects.filter(omnitron_id__gte=10_000_000)
        stored = {
            "orders": measured.count(),
            "items": OrderItem.objects.filter(order__in=measured).count(),
            "packages": Package.objects.filter(order__in=measured).count(),
        }
        consistent = stored["orders"] >= ingest["ok"] and stored["items"] == 3 * stored["orders"]
        for name, key, target in (
            ("ingestion / no-op", "to_noop", TARGET_RATIO),
            ("ingestion / bare floor", "to_floor", TARGET_FLOOR_RATIO),
            ("no-op / bare floor", "noop_to_floor", NOOP_FLOOR_TARGET),
        ):
            say(f"[ingest/{db}] {name}: " + ratio_line(ratios[key], target))
        say(
            f"[ingest/{db}] stored by the measured run: {stored} "
            f"({'consistent' if consistent else 'INCONSISTENT'})"
        )
        write_result(
            "ingest",
            db,
            {
                "database": backend.describe(),
                "broker": backend.broker,
                "clients": CLIENTS,
                "rounds": rounds,
                "round_seconds": seconds,
                "warmup_s": warmup,
                "noop_path": NOOP_PATH,
                "ingest": ingest,
                "noop": noop,
                "floor": bare,
                "floor_path": FLOOR_PATH,
                "ratios": ratios,
                "target_floor_ratio": TARGET_FLOOR_RATIO,
                "target_noop_floor_ratio": NOOP_FLOOR_TARGET,
                "settings_list": {"path": SETTINGS_NOOP_PATH, **settings_list},
                "ratio": ratio["median"],
                "ratio_detail": ratio,
                "target_ratio": TARGET_RATIO,
                "stored": stored,
                "consistent": consistent,
            },
        )
    finally:
        backend.close()


if __name__ == "__main__":
    main()
