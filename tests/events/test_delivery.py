import threading
import time
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from oms.events.catalogue import PACKAGE_TRANSITIONED, package_key
from oms.events.delivery import events_deliver_due
from oms.events.models import DeliveryState, EventDelivery, WebhookSubscription
from oms.events.services import event_record
from tests.events.conftest import SECRET, subscribe
from tests.events.helpers import assert_in_order_per_package, deliver_until_done, readme_verify, record_events

pytestmark = pytest.mark.django_db


def test_the_readme_snippet_verifies_what_oms_sends(private_targets, receiver):
    subscribe(receiver.url, additional_headers={"X-Api-Key": "k-123"})
    with transaction.atomic():
        event_record(type=PACKAGE_TRANSITIONED, key="package:7", data={"id": 7}, now=timezone.now())

    counts = events_deliver_due(now_fn=timezone.now)

    assert counts == {"delivered": 1}
    [request] = receiver.requests
    verify = readme_verify()
    assert verify(SECRET, request.headers, request.body) is True
    assert verify("another-secret", request.headers, request.body) is False
    assert verify(SECRET, request.headers, request.body.replace(b'"id":7', b'"id":8')) is False
    event = request.event
    assert set(event) == {"id", "type", "occurred_at", "data"}
    assert event["type"] == "package.status.transitioned" and event["data"] == {"id": 7}
    assert request.headers["X-OMS-Event-Id"] == event["id"] == str(EventDelivery.objects.get().event_id)
    assert request.headers["X-OMS-Event-Type"] == "package.status.transitioned"
    assert request.headers["X-Api-Key"] == "k-123"
    assert request.headers["X-OMS-Signature"].startswith("sha256=")


def test_with_no_subscription_nothing_is_written_or_built(db):
    def build():
        raise AssertionError("the data must not be built when no one subscribes")

    rows = event_record(type=PACKAGE_TRANSITIONED, key="package:1", data=build, now=timezone.now())

    assert rows == [] and not EventDelivery.objects.exists()


def test_only_matching_active_subscriptions_get_a_row(private_targets, receiver):
    every = subscribe(receiver.url)
    packed = subscribe(receiver.url, event_type="package.status.packed")
    subscribe(receiver.url, event_type="package.status.transitioned", is_active=False)

    rows = event_record(type=PACKAGE_TRANSITIONED, key="package:1", data={}, now=timezone.now())

    assert [row.subscription_id for row in rows] == [every.pk]
    assert not EventDelivery.objects.filter(subscription=packed).exists()


@pytest.mark.django_db(transaction=True)
def test_three_concurrent_runs_deliver_each_package_in_order(private_targets, receiver, clock):
    answers = iter([200, 500, 200, 200, 503, 200, 200, 200, 500] * 100)
    receiver.answer = lambda body: next(answers)
    subscribe(receiver.url, retry_countdown_config={"type": "fixed", "countdown": 60, "max_retries": 50})
    recorded = record_events(packages=[1, 2, 3, 4], per_package=6, now=clock())

    def run() -> None:
        try:
            events_deliver_due(now_fn=clock, batch_size=3)
        finally:
            connection.close()

    for _ in range(40):
        threads = [threading.Thread(target=run) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if not EventDelivery.objects.exclude(state=DeliveryState.DELIVERED).exists():
            break
        clock.advance(hours=1)

    assert_in_order_per_package(receiver.requests)
    accepted = [
        (f"package:{r.event['data']['package']}", r.event["data"]["seq"]) for r in receiver.accepted()
    ]
    assert sorted(accepted) == sorted(recorded)  # each exactly once here: nothing failed after a 2xx
    assert any(r.status >= 500 for r in receiver.requests)  # retries happened


@pytest.mark.django_db(transaction=True)
def test_a_receiver_down_for_a_while_gets_every_event_when_back(private_targets, receiver, clock):
    receiver.stop()  # the port stays reserved for its return
    subscribe(receiver.url, retry_countdown_config={"type": "exponential", "countdown": 5, "max_retries": 20})
    record_events(packages=[11, 12], per_package=5, now=clock())
    for _ in range(8):
        events_deliver_due(now_fn=clock)
        clock.advance(minutes=10)
    assert not EventDelivery.objects.filter(state=DeliveryState.DELIVERED).exists()
    assert WebhookSubscription.objects.get().consecutive_failures >= 1

    receiver.start()
    deliver_until_done(clock)

    ids = set(EventDelivery.objects.values_list("event_id", flat=True))
    assert {uuid.UUID(r.event["id"]) for r in receiver.accepted()} == ids and len(ids) == 10
    assert_in_order_per_package(receiver.requests)
    subscription = WebhookSubscription.objects.get()
    assert subscription.consecutive_failures == 0 and subscription.breaker_open_until is None


def test_a_receiver_that_always_fails_dead_letters_after_the_schedule(private_targets, receiver, clock):
    receiver.status = 500
    subscribe(receiver.url, retry_countdown_config={"type": "fixed", "countdown": 30, "max_retries": 2})
    record_events(packages=[5], per_package=2, now=clock())

    deliver_until_done(clock, step_minutes=1)

    first, second = EventDelivery.objects.order_by("id")
    assert (first.state, first.attempts, second.state, second.attempts) == ("dead", 3, "dead", 3)
    assert [a.status_code for a in first.attempt_log.order_by("id")] == [500, 500, 500]
    assert first.attempt_log.first().answer == '{"ok": false}'
    # All three tries of the first event came before any try of the second: order holds until dead.
    seqs = [r.event["data"]["seq"] for r in receiver.requests]
    assert seqs == [0, 0, 0, 1, 1, 1]
    assert len({r.headers["X-OMS-Event-Id"] for r in receiver.requests[:3]}) == 1


def test_the_breaker_stops_calling_a_failing_receiver_until_its_cool_down(
    private_targets, receiver, clock, settings
):
    settings.OMS_WEBHOOK_BREAKER_THRESHOLD = 2
    receiver.status = 502
    subscription = subscribe(
        receiver.url, retry_countdown_config={"type": "fixed", "countdown": 1, "max_retries": 20}
    )
    record_events(packages=[1, 2, 3], per_package=1, now=clock())

    events_deliver_due(now_fn=clock)
    clock.advance(seconds=5)
    events_deliver_due(now_fn=clock)
    subscription.refresh_from_db()
    calls = len(receiver.requests)
    clock.advance(seconds=5)
    events_deliver_due(now_fn=clock)  # within the cool-down: no call

    assert subscription.breaker_open_until is not None and calls == 2
    assert len(receiver.requests) == calls
    receiver.status = 200
    clock.advance(minutes=5)
    events_deliver_due(now_fn=clock)  # the probe succeeds and closes the breaker; the rest follow
    assert EventDelivery.objects.filter(state="delivered").count() == 3


def test_a_slow_receiver_does_not_hold_up_another_subscription(private_targets, receiver, clock, settings):
    from tests.events.receiver import Receiver

    settings.OMS_WEBHOOK_SUBSCRIPTION_BUDGET_SECONDS = 1
    slow = Receiver(delay=0.6).start()
    try:
        subscribe(slow.url)
        fast = subscribe(receiver.url)
        record_events(packages=list(range(1, 11)), per_package=1, now=clock())

        started = time.monotonic()
        events_deliver_due(now_fn=clock, max_rounds=1)
        elapsed = time.monotonic() - started
    finally:
        slow.stop()

    assert EventDelivery.objects.filter(subscription=fast, state="delivered").count() == 10
    assert len(slow.requests) <= 3 and elapsed < 5  # one budget, not ten slow answers
    assert EventDelivery.objects.exclude(subscription=fast).filter(state="pending").count() >= 7


def test_the_address_is_checked_again_at_delivery(private_targets, receiver, clock, settings):
    subscribe(receiver.url, retry_countdown_config={"type": "fixed", "countdown": 1, "max_retries": 0})
    record_events(packages=[1], per_package=1, now=clock())
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False  # as if the name now resolved to loopback

    events_deliver_due(now_fn=clock)

    assert receiver.requests == []
    delivery = EventDelivery.objects.get()
    assert delivery.state == "dead" and "Target refused" in delivery.last_error
    assert "plain http" in delivery.last_error.lower() or "loopback" in delivery.last_error


def test_replay_of_a_dead_event_and_of_a_time_range(api, private_targets, receiver, clock):
    receiver.status = 500
    hook = subscribe(receiver.url, retry_countdown_config={"type": "fixed", "countdown": 1, "max_retries": 0})
    record_events(packages=[9], per_package=1, now=clock())
    events_deliver_due(now_fn=clock)
    dead = EventDelivery.objects.get()
    assert dead.state == "dead"
    receiver.status = 200
    url = f"/api/v1/oms/whisperer/hooks/{hook.pk}/replay/"

    response = api.post(url, {"event": dead.pk}, format="json")
    events_deliver_due(now_fn=timezone.now)

    assert response.status_code == 202 and response.json()["replayed"] == 1
    replayed = EventDelivery.objects.get(replay_of=dead)
    assert replayed.state == "delivered" and replayed.event_id == dead.event_id
    assert receiver.accepted()[-1].headers["X-OMS-Event-Id"] == str(dead.event_id)
    # A delivered event is not replayed on its own (only within a time range).
    refused = api.post(url, {"event": replayed.pk}, format="json")
    assert refused.status_code == 400 and list(refused.json()["error"]) == ["event"]

    since = (clock() - timezone.timedelta(minutes=1)).isoformat()
    until = (clock() + timezone.timedelta(minutes=1)).isoformat()
    ranged = api.post(url, {"since": since, "until": until}, format="json")
    events_deliver_due(now_fn=timezone.now)
    assert ranged.status_code == 202 and ranged.json()["replayed"] == 1
    assert [r.headers["X-OMS-Event-Id"] for r in receiver.accepted()] == [str(dead.event_id)] * 2


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"since": "2026-11-29T12:00:00Z"},
        {"event": 1, "since": "2026-11-29T12:00:00Z"},
        {"event": "x"},
        {"since": "2026-11-29T13:00:00Z", "until": "2026-11-29T12:00:00Z"},
        {"whatever": 1},
    ],
)
def test_bad_replay_requests_answer_400(api, private_targets, receiver, body):
    hook = subscribe(receiver.url)

    response = api.post(f"/api/v1/oms/whisperer/hooks/{hook.pk}/replay/", body, format="json")

    assert response.status_code == 400 and response.json()["status_code"] == 400
    assert not EventDelivery.objects.exists()


def test_deliveries_show_attempts_and_answers(api, private_targets, receiver, clock):
    receiver.answer = lambda body: 500 if len(receiver.requests) == 0 else 200
    hook = subscribe(receiver.url)
    record_events(packages=[3], per_package=1, now=clock())
    deliver_until_done(clock)

    response = api.get(f"/api/v1/oms/whisperer/hooks/{hook.pk}/deliveries/")

    assert response.status_code == 200
    [delivery] = response.json()["results"]
    assert delivery["state"] == "delivered" and delivery["attempts"] == 2
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 200]
    assert delivery["attempt_log"][1]["answer"] == '{"ok": true}'
    assert delivery["key"] == package_key(3)


def test_deliveries_filter_by_state_and_refuse_an_unknown_one(api, private_targets, receiver, clock):
    hook = subscribe(receiver.url)
    record_events(packages=[3, 4], per_package=1, now=clock())
    url = f"/api/v1/oms/whisperer/hooks/{hook.pk}/deliveries/"

    pending = api.get(url, {"state": "pending"})
    unknown = api.get(url, {"state": "lost"})

    assert pending.status_code == 200 and pending.json()["count"] == 2
    assert unknown.status_code == 400 and list(unknown.json()["error"]) == ["state"]


def test_an_ipv6_loopback_receiver_gets_a_valid_host_header(private_targets, clock):
    import socket
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    hosts = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hosts.append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    class Server6(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    try:
        server = Server6(("::1", 0), Handler)
    except OSError:
        pytest.skip("cannot listen on ::1 here")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        subscribe(f"http://[::1]:{server.server_address[1]}/hooks")
        record_events(packages=[1], per_package=1, now=clock())

        counts = events_deliver_due(now_fn=clock)
    finally:
        server.shutdown()
        server.server_close()

    assert counts == {"delivered": 1}
    assert hosts == [f"[::1]:{server.server_address[1]}"]


def test_a_name_resolving_to_loopback_at_delivery_is_not_called(private_targets, receiver, clock, settings):
    # Saved while allowed; by delivery the name resolves (still) to loopback and private targets are off.
    subscribe(
        f"https://localhost:{receiver.port}/hooks",
        retry_countdown_config={"type": "fixed", "countdown": 1, "max_retries": 0},
    )
    record_events(packages=[1], per_package=1, now=clock())
    settings.OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False

    events_deliver_due(now_fn=clock)

    delivery = EventDelivery.objects.get()
    assert receiver.requests == []
    assert delivery.state == "dead" and "resolves to 127.0.0.1, a loopback address" in delivery.last_error
