"""Packaging: commands/s of `POST /api/v1/oms/packages/{id}/command/` (CHANNEL_BASED_COMPLETE_PACKAGING)
on distinct waiting packages, against two floors measured in the same run: OMS's authenticated no-op
(same server) and the bare DRF endpoint of bench/floor.

Set-up: the marketplace channel and cargo company, `oms setup_marketplace --channel X
--cargo-company Y`, one order ingested by the real ingestion code, and the waiting packages copied
from it (see bench/fixtures.py). Each command writes a shipment, moves items and orders, logs the
transition and queues the "preparing" report in the outbox; no worker runs, so delivering the
reports to Omnitron is not part of the figure.
`python -m bench.packaging --db sqlite|postgres [--pg-url URL] [--quick]`.
"""

import io
import tempfile
import time

from bench.fixtures import OrderSpec, copy_order, template_load
from bench.harness import (
    FLOOR_PATH,
    NOOP_PATH,
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

CLIENTS = 8
TARGET_RATIO = 0.3  # of the no-op
TARGET_FLOOR_RATIO = 0.12  # of the bare DRF floor
COMMAND_BODY = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}


def waiting_ids() -> list[int]:
    from oms.core.statuses import PackageStatus
    from oms.packages.models import Package

    return list(
        Package.objects.filter(status=PackageStatus.WAITING).order_by("id").values_list("id", flat=True)
    )


def ids_file(ids: list[int]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".ids", delete=False) as handle:
        handle.write("\n".join(map(str, ids)) + "\n")
        return handle.name


class Pool:
    """Waiting packages: copies of one ingested order, with fresh Omnitron pks."""

    def __init__(self, template_order_id: int) -> None:
        self.template = template_load(template_order_id)  # as ingested: waiting, no shipment
        self.next_pk = 2

    def add(self, count: int) -> None:
        specs = []
        for pk in range(self.next_pk, self.next_pk + count):
            data = omnitron_order_json(pk, items=3)
            specs.append(OrderSpec.from_omnitron(data))
        self.next_pk += count
        copy_order(self.template, specs)


def measure_wakeup(calls: int = 40) -> dict[str, float]:
    """What the after-commit wake-up of the report delivery costs, alone: `deliver_reports.delay()`."""
    from oms.omnitron.tasks import deliver_reports

    deliver_reports.delay()  # connect first
    began = time.perf_counter()
    for _ in range(calls):
        deliver_reports.delay()
    return {"calls": calls, "ms_per_call": (time.perf_counter() - began) / calls * 1000}


def main() -> None:
    options = arguments("packaging")
    rounds, seconds, warmup, initial = (2, 1, 1, 600) if options.quick else (ROUNDS, ROUND_SECONDS, 2, 3000)
    db = options.db
    backend = Backend("packaging", db, options.pg_url)
    try:
        from django.core.management import call_command
        from django.utils import timezone

        from oms.core.statuses import PackageStatus
        from oms.omnitron.client import omnitron_client_get
        from oms.omnitron.mapping import order_from_json
        from oms.omnitron.models import OmnitronReport
        from oms.orders.services import order_ingest
        from oms.packages.models import Package
        from oms.shipments.models import Shipment

        token = staff_token()
        channel, company = marketplace_rows()
        out = io.StringIO()
        call_command("setup_marketplace", channel=channel.pk, cargo_company=company.pk, stdout=out)
        say(
            f"[packaging/{db}] oms setup_marketplace --channel {channel.pk} --cargo-company {company.pk}: "
            + "; ".join(line.removeprefix("set up: ") for line in out.getvalue().splitlines())
        )
        template = order_ingest(
            data=order_from_json(omnitron_order_json(1, items=3)),
            client_factory=omnitron_client_get,
            now=timezone.now(),
        ).order
        pool = Pool(template.pk)
        pool.add(initial)
        say(f"[packaging/{db}] {len(waiting_ids())} waiting packages")

        with Gunicorn(f"packaging-{db}") as server, floor_server(f"packaging-{db}") as floor:
            first = Package.objects.get(order=template)
            status, body = http_json(
                "POST", f"{server.url}/api/v1/oms/packages/{first.pk}/command/", token, COMMAND_BODY
            )
            first.refresh_from_db()
            if (
                status != 204
                or first.status != PackageStatus.PACKED
                or not Shipment.objects.filter(package=first).exists()
            ):
                raise SystemExit(f"packaging check failed: {status} {body}; package status {first.status}")

            say(f"[packaging/{db}] warm-up {warmup} s each ({CLIENTS} clients)")
            path = ids_file(waiting_ids()[:2000])
            warm = load(
                kind="packaging",
                url=server.url,
                token=token,
                duration=warmup,
                connections=CLIENTS,
                params={"ids_file": path},
            )
            load(kind="noop", url=server.url, token=token, duration=warmup, connections=CLIENTS)
            floor_load = {
                "url": floor.url,
                "token": token,
                "connections": CLIENTS,
                "params": {"path": FLOOR_PATH},
            }
            load(kind="noop", duration=warmup, **floor_load)
            # Each round gets its own slice of waiting packages, three times what the warm-up rate
            # would use: no package is ever sent twice, whatever is still in flight between rounds.
            per_round = max(300, int(warm["rate"] * seconds * 3))
            needed = per_round * rounds + 2 * CLIENTS
            available = len(waiting_ids())
            if available < needed:
                pool.add(needed - available)
            # Not the first ids: requests of the warm-up may still have been in flight on them.
            ids = waiting_ids()[2 * CLIENTS :]
            packed_before = Package.objects.filter(status=PackageStatus.PACKED).count()
            reports_before = OmnitronReport.objects.count()

            quiet_before = wait_for_quiet("packaging")

            def packaging_run(index: int, seconds: float) -> dict:
                return load(
                    kind="packaging",
                    url=server.url,
                    token=token,
                    duration=seconds,
                    connections=CLIENTS,
                    params={"ids_file": ids_file(ids[index * per_round : (index + 1) * per_round])},
                )

            def noop_run(index: int, seconds: float) -> dict:
                return load(kind="noop", url=server.url, token=token, duration=seconds, connections=CLIENTS)

            def floor_run(index: int, seconds: float) -> dict:
                return load(kind="noop", duration=seconds, **floor_load)

            say(
                f"[packaging/{db}] measuring: {rounds} rounds of {seconds} s each of packaging, no-op and "
                "bare floor, alternated"
            )
            pooled, runs = side_by_side(
                {"packaging": packaging_run, "noop": noop_run, "floor": floor_run},
                rounds=rounds,
                seconds=seconds,
            )
            packaging, noop, bare = pooled["packaging"], pooled["noop"], pooled["floor"]
            ratios = floor_ratios(runs, "packaging")
            ratio = ratios["to_noop"]
            packaging["others_before_cores"] = quiet_before
            packaging["pool"] = len(ids)
            say("  " + load_line(f"[packaging/{db}] packaging", packaging))
            say("  " + load_line(f"[packaging/{db}] no-op GET {NOOP_PATH}", noop))
            say("  " + load_line(f"[packaging/{db}] bare floor GET {FLOOR_PATH} (bench/floor)", bare))
            exhausted = packaging["errors_status"] > 0

        wakeup = measure_wakeup()
        say(
            f"[packaging/{db}] one wake-up of the report delivery (deliver_reports.delay(), broker: "
            f"{backend.broker}) takes {wakeup['ms_per_call']:.1f} ms in this process"
        )
        written = {
            "packed": Package.objects.filter(status=PackageStatus.PACKED).count() - packed_before,
            "reports_queued": OmnitronReport.objects.count() - reports_before,
            "reports_pending_total": OmnitronReport.objects.filter(state="pending").count(),
        }
        consistent = written["packed"] >= packaging["ok"] and written["reports_queued"] == written["packed"]
        for name, key, target in (
            ("packaging / no-op", "to_noop", TARGET_RATIO),
            ("packaging / bare floor", "to_floor", TARGET_FLOOR_RATIO),
            ("no-op / bare floor", "noop_to_floor", NOOP_FLOOR_TARGET),
        ):
            say(f"[packaging/{db}] {name}: " + ratio_line(ratios[key], target))
        say(
            f"[packaging/{db}] written by the measured run: {written} "
            f"({'consistent' if consistent else 'INCONSISTENT'}; reports stay in the outbox: no worker runs)"
        )
        if exhausted:
            say(f"[packaging/{db}] WARNING: {packaging['errors_status']} requests failed (pool exhausted?)")
        write_result(
            "packaging",
            db,
            {
                "database": backend.describe(),
                "broker": backend.broker,
                "wakeup": wakeup,
                "clients": CLIENTS,
                "rounds": rounds,
                "round_seconds": seconds,
                "warmup_s": warmup,
                "noop_path": NOOP_PATH,
                "packaging": packaging,
                "noop": noop,
                "floor": bare,
                "floor_path": FLOOR_PATH,
                "ratios": ratios,
                "target_floor_ratio": TARGET_FLOOR_RATIO,
                "target_noop_floor_ratio": NOOP_FLOOR_TARGET,
                "ratio": ratio["median"],
                "ratio_detail": ratio,
                "target_ratio": TARGET_RATIO,
                "written": written,
                "consistent": consistent,
            },
        )
    finally:
        backend.close()


if __name__ == "__main__":
    main()
