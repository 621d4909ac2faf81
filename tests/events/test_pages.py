"""/ops/events/ and the package timeline show subscriptions, deliveries, attempts and answers."""

from django.utils import timezone

from oms.dashboard.package_page import package_timeline
from oms.events.delivery import events_deliver_due
from tests.events.conftest import subscribe
from tests.events.helpers import record_events


def test_the_events_page_lists_subscriptions_and_recent_deliveries(
    client, staff_user, private_targets, receiver, clock
):
    receiver.answer = lambda body: 500 if len(receiver.requests) == 0 else 200
    hook = subscribe(receiver.url)
    idle = subscribe(receiver.url, event_type="package.status.cancelled")
    record_events(packages=[21], per_package=2, now=clock())
    events_deliver_due(now_fn=clock)
    client.force_login(staff_user)

    response = client.get("/ops/events/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f"subscription-{hook.pk}" in html and f"subscription-{idle.pk}" in html
    assert "HTTP 500" in html and "package:21" in html and "No events yet." in html
    [(first, deliveries), (second, none)] = response.context["subscriptions"]
    assert (first, second, none) == (hook, idle, [])
    assert [d.state for d in deliveries] == ["pending", "failed"]  # newest first: the second waits


def test_the_events_page_is_for_staff(client, plain_user):
    client.force_login(plain_user)

    assert client.get("/ops/events/").status_code == 302


def test_the_package_timeline_shows_its_events(api, marketplace, ingest, private_targets, receiver):
    subscribe(receiver.url)
    package_id = ingest(pk=5001)["packages"][0]["id"]
    events_deliver_due(now_fn=timezone.now)

    entries = [entry for entry in package_timeline(package_id) if entry.kind == "event"]

    [entry] = entries
    assert entry.title.startswith("Event package.created to subscription")
    assert entry.summary == "Delivered" and entry.tone == "ok"
    assert ("attempts", "1") in entry.details
