"""Outbound events: (1) packaging commands/s with one dead webhook receiver subscribed against none
subscribed, alternated in the same run on the same server; (2) events/s delivered to a loopback
receiver by the delivery code the Celery workers run.

(1) The dead receiver accepts connections and never answers (the worst case: every POST waits for
the 10 s timeout), and a delivery loop runs in this process during both halves, as a worker would.
Subscribed, every packaging writes four outbox rows (shipment.created, package.status.transitioned,
package.status.packed, and serialises the package once); not subscribed, it reads the (empty) list
of subscriptions. (2) A threaded HTTP server on loopback answers 204; N events over N/10 packages
are recorded, then `events_deliver_due` runs (1 and 3 concurrent runs) until none is open.
`python -m bench.events --db sqlite|postgres [--pg-url URL] [--quick]`.
"""

import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.harness import (
    ROUND_SECONDS,
    ROUNDS,
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
    write_result,
)
from bench.packaging import CLIENTS, COMMAND_BODY, Pool, ids_file, waiting_ids


class DeadReceiver:
    """Listens, accepts, never answers: every delivery attempt waits for its timeout."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/dead"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


class FastReceiver:
    def __init__(self) -> None:
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.count += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class DeliveryLoop:
    """What a Celery worker does with the periodic task and the wake-ups: deliver, again and again."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.runs = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from django.db import connection
        from django.utils import timezone

        from oms.events.delivery import events_deliver_due

        while not self.stop.is_set():
            events_deliver_due(now_fn=timezone.now, max_rounds=1)
            self.runs += 1
            self.stop.wait(0.5)
        connection.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def packaging_with_and_without(*, db: str, token: str, rounds: int, seconds: float, initial: int) -> dict:
    from django.utils import timezone

    from oms.events.models import EventDelivery, WebhookSubscription
    from oms.omnitron.client import omnitron_client_get
    from oms.omnitron.mapping import order_from_json
    from oms.orders.services import order_ingest

    template = order_ingest(
        data=order_from_json(omnitron_order_json(1, items=3)),
        client_factory=omnitron_client_get,
        now=timezone.now(),
    ).order
    pool = Pool(template.pk)
    pool.add(initial)
    dead = DeadReceiver()
    # Made with the ORM: the API refuses loopback targets unless the setting allows them.
    subscription = WebhookSubscription.objects.create(
        event_type="*",
        target_url=dead.url,
        secret_key="bench",
        retry_countdown_config={"type": "fixed", "countdown": 60, "max_retries": 3},
        is_active=False,
    )
    loop = DeliveryLoop() if not os.environ.get("BENCH_NO_LOOP") else None
    try:
        with Gunicorn(f"events-{db}") as server:
            per_round = initial // (2 * rounds + 2)
            ids = waiting_ids()[1:]
            slices = iter(range(2 * rounds + 2))

            def packaging(active: bool, seconds: float) -> dict:
                WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=active)
                index = next(slices)
                return load(
                    kind="packaging",
                    url=server.url,
                    token=token,
                    duration=seconds,
                    connections=CLIENTS,
                    params={"ids_file": ids_file(ids[index * per_round : (index + 1) * per_round])},
                )

            first = waiting_ids()[0]
            began = time.perf_counter()
            status, body = http_json(
                "POST", f"{server.url}/api/v1/oms/packages/{first}/command/", token, COMMAND_BODY
            )
            say(
                f"[events/{db}] check: packaging package {first} answered {status} "
                f"in {time.perf_counter() - began:.2f} s"
            )
            if status != 204:
                raise SystemExit(f"packaging check failed: {status} {body}")
            packaging(False, 1)  # warm-up
            say(
                f"[events/{db}] packaging, {rounds} rounds of {seconds} s "
                "subscribed / not subscribed, alternated"
            )
            subscribed, unsubscribed, ratio = interleaved(
                measured=lambda index, s: packaging(True, s),
                noop=lambda s: packaging(False, s),
                rounds=rounds,
                seconds=seconds,
            )
        say("  " + load_line(f"[events/{db}] packaging, dead receiver subscribed", subscribed))
        say("  " + load_line(f"[events/{db}] packaging, nothing subscribed", unsubscribed))
        subscription.refresh_from_db()
        written = EventDelivery.objects.filter(subscription=subscription).count()
        say(
            f"[events/{db}] subscribed / not subscribed: {ratio['median']:.2f} (median of {rounds} rounds, "
            f"{ratio['min']:.2f}-{ratio['max']:.2f}); {written} event rows written; the delivery loop ran "
            f"{loop.runs if loop else 0} times; breaker open until {subscription.breaker_open_until}"
        )
    finally:
        if loop:
            loop.close()
        dead.close()
    return {"subscribed": subscribed, "unsubscribed": unsubscribed, "ratio": ratio, "rows_written": written}


def delivery_throughput(*, db: str, events: int) -> list[dict]:
    from django.db import connection, transaction
    from django.utils import timezone

    from oms.events.catalogue import PACKAGE_TRANSITIONED, package_key
    from oms.events.delivery import events_deliver_due
    from oms.events.models import OPEN_STATES, EventDelivery, WebhookSubscription
    from oms.events.services import event_record

    WebhookSubscription.objects.update(is_active=False)
    receiver = FastReceiver()
    rows = []
    try:
        subscription = WebhookSubscription.objects.create(
            event_type="*", target_url=receiver.url, secret_key="b"
        )
        for runs in (1, 3):
            now = timezone.now()
            with transaction.atomic():
                for n in range(events):
                    event_record(
                        type=PACKAGE_TRANSITIONED, key=package_key(n % (events // 10)), data={"n": n}, now=now
                    )
            before = receiver.count

            def run() -> None:
                try:
                    while EventDelivery.objects.filter(
                        subscription=subscription, state__in=OPEN_STATES
                    ).exists():
                        events_deliver_due(now_fn=timezone.now, batch_size=100)
                finally:
                    connection.close()

            began = time.perf_counter()
            threads = [threading.Thread(target=run) for _ in range(runs)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
            delivered = receiver.count - before
            rows.append(
                {
                    "concurrent_runs": runs,
                    "events": events,
                    "delivered": delivered,
                    "seconds": elapsed,
                    "rate": delivered / elapsed,
                }
            )
            say(
                f"[events/{db}] delivery, {runs} concurrent run(s): {delivered} events in {elapsed:.1f} s = "
                f"{delivered / elapsed:.0f} events/s"
            )
    finally:
        receiver.close()
    return rows


def main() -> None:
    options = arguments("events")
    quick = options.quick
    rounds, seconds, initial, events = (2, 1, 1200, 300) if quick else (ROUNDS, ROUND_SECONDS, 7200, 3000)
    backend = Backend(
        "events", options.db, options.pg_url, extra_env={"OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1"}
    )
    try:
        from django.core.management import call_command

        token = staff_token()
        channel, company = marketplace_rows()
        call_command("setup_marketplace", channel=channel.pk, cargo_company=company.pk, verbosity=0)
        packaging = packaging_with_and_without(
            db=options.db, token=token, rounds=rounds, seconds=seconds, initial=initial
        )
        delivery = delivery_throughput(db=options.db, events=events)
        write_result(
            "events",
            options.db,
            {
                "database": backend.describe(),
                "clients": CLIENTS,
                "rounds": rounds,
                "round_seconds": seconds,
                **packaging,
                "delivery": delivery,
            },
        )
    finally:
        backend.close()


if __name__ == "__main__":
    main()
