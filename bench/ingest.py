"""Ingestion: orders/s of `POST /api/v1/oms/omnitron/orders/` against the no-op endpoint, same server.

Full Omnitron order bodies with 3 items, a new order pk (and new item pks) on every request. The
channel (Omnitron 42) and cargo company (Omnitron 7) exist beforehand, so no request calls Omnitron.
`python -m bench.ingest --db sqlite|postgres [--pg-url URL] [--quick]`; bench/ingest runs both.
"""

import json

from bench.harness import (
    NOOP_PATH,
    ROUND_SECONDS,
    ROUNDS,
    SETTINGS_NOOP_PATH,
    Backend,
    Gunicorn,
    arguments,
    http_json,
    interleaved,
    load,
    load_line,
    marketplace_rows,
    omnitron_order_json,
    say,
    staff_token,
    wait_for_quiet,
    write_result,
)

INGEST_PATH = "/api/v1/oms/omnitron/orders/"
CLIENTS = 8
SENTINEL_PK = 987654321  # replaced by @PK@ in the template; item pks become @PK@1, @PK@2, @PK@3
TARGET_RATIO = 0.4


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

        with Gunicorn(f"ingest-{db}") as server:
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

            def noop_run(seconds: float) -> dict:
                return load(kind="noop", url=server.url, token=token, duration=seconds, connections=CLIENTS)

            say(
                f"[ingest/{db}] measuring: {rounds} rounds of {seconds} s ingestion / {seconds} s no-op, "
                "alternated"
            )
            ingest, noop, ratio = interleaved(
                measured=ingest_run, noop=noop_run, rounds=rounds, seconds=seconds
            )
            ingest["others_before_cores"] = quiet_before
            say("  " + load_line(f"[ingest/{db}] ingestion", ingest))
            say("  " + load_line(f"[ingest/{db}] no-op GET {NOOP_PATH}", noop))

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
        met = "MET" if ratio["median"] >= TARGET_RATIO else "MISSED"
        say(
            f"[ingest/{db}] ingestion {ingest['rate']:.0f} orders/s, no-op {noop['rate']:.0f} req/s: "
            f"ratio {ratio['median']:.2f} (median of {rounds} rounds, {ratio['min']:.2f}-{ratio['max']:.2f}; "
            f"target >= {TARGET_RATIO}) {met}"
        )
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
