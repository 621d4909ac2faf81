"""Events recorded by ingestion, packaging and resolution, delivered to a real receiver."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oms.events.delivery import events_deliver_due
from oms.events.models import EventDelivery
from oms.omnitron.client import omnitron_client_get
from oms.shipments.resolution import shipments_resolve
from tests.events.conftest import subscribe
from tests.factories import omnitron_order_json
from tests.flow.conftest import INGEST_URL

SEED_BODY = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}


def received(receiver) -> list[tuple[str, dict]]:
    return [(r.event["type"], r.event["data"]) for r in receiver.accepted()]


def test_ingestion_and_packaging_send_what_the_api_shows(api, marketplace, ingest, private_targets, receiver):
    subscribe(receiver.url)
    package_id = ingest(pk=3001, items=2, tracking_number="TRK-3001")["packages"][0]["id"]
    assert (
        api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json").status_code == 204
    )

    events_deliver_due(now_fn=timezone.now)

    events = received(receiver)
    assert [event_type for event_type, _ in events] == [
        "package.created",
        "shipment.created",
        "package.status.transitioned",
        "package.status.packed",
    ]
    created, shipment, transitioned, packed = (data for _, data in events)
    assert created["id"] == package_id and created["status"] == "waiting"
    assert shipment["tracking_number"] == "TRK-3001" and shipment["package"] == package_id
    assert packed == transitioned
    assert packed == api.get(f"/api/v1/oms/packages/{package_id}/").json() | {
        "modified_at": packed["modified_at"]
    }
    assert packed["status"] == "packed" and packed["shipment"]["id"] == shipment["id"]
    assert {r.headers["X-OMS-Event-Type"] for r in receiver.accepted()} == {t for t, _ in events}
    assert EventDelivery.objects.filter(key=f"package:{package_id}").count() == 4


def test_a_subscription_to_one_type_gets_only_that_type(api, marketplace, ingest, private_targets, receiver):
    subscribe(receiver.url, event_type="package.status.packed")
    package_id = ingest(pk=3002)["packages"][0]["id"]
    api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json")

    events_deliver_due(now_fn=timezone.now)

    assert [t for t, _ in received(receiver)] == ["package.status.packed"]


def test_a_refused_command_records_no_event(api, marketplace, ingest, private_targets, receiver):
    package_id = ingest(pk=3003)["packages"][0]["id"]
    subscribe(receiver.url)

    response = api.post(
        f"/api/v1/oms/packages/{package_id}/command/", {"slug": "READY_TO_PACK"}, format="json"
    )

    assert response.status_code == 400
    assert not EventDelivery.objects.exists()


def test_resolution_sends_shipment_and_package_moves(api, marketplace, omnitron, private_targets, receiver):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-9", item_count=1)
    response = api.post("/api/v1/oms/omnitron/orders/", {"pk": order["pk"]}, format="json")
    package_id = response.json()["packages"][0]["id"]
    api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json")
    subscribe(receiver.url)

    omnitron.set_status(order["pk"], "500")
    shipments_resolve(client_factory=omnitron_client_get, now_fn=timezone.now, due_only=False)
    omnitron.set_status(order["pk"], "550")
    shipments_resolve(client_factory=omnitron_client_get, now_fn=timezone.now, due_only=False)
    events_deliver_due(now_fn=timezone.now)

    events = received(receiver)
    assert [t for t, _ in events] == [
        "shipment.status.updated",
        "package.status.transitioned",
        "package.status.shipped",
        "shipment.status.updated",
        "package.status.transitioned",
    ]
    assert [d["status"] for _, d in events] == ["shipped", "shipped", "shipped", "delivered", "delivered"]
    assert {d["id"] for t, d in events if t.startswith("package.")} == {package_id}


def test_a_subscription_costs_packaging_few_statements(api, marketplace, ingest, private_targets, receiver):
    """Subscribed, packaging adds the package's reads and one insert for all its events; nothing
    per event (one subscription look-up either way, and the shipment is shown from the row in hand)."""
    unsubscribed, subscribed = (ingest(pk=pk, items=2)["packages"][0]["id"] for pk in (3101, 3102))
    with CaptureQueriesContext(connection) as without:
        api.post(f"/api/v1/oms/packages/{unsubscribed}/command/", SEED_BODY, format="json")
    subscribe(receiver.url)
    with CaptureQueriesContext(connection) as with_one:
        api.post(f"/api/v1/oms/packages/{subscribed}/command/", SEED_BODY, format="json")

    inserts = [q["sql"] for q in with_one.captured_queries if q["sql"].startswith('INSERT INTO "events_')]
    assert len(inserts) == 1
    assert EventDelivery.objects.filter(key=f"package:{subscribed}").count() == 3
    assert len(with_one) - len(without) <= 5


def test_resolution_events_cost_the_same_statements_for_two_shipments_or_six(
    api, marketplace, omnitron, private_targets, receiver
):
    def packed(count: int) -> list[tuple[int, int]]:
        made = []
        for n in range(count):
            order = omnitron.create_order(
                channel=42, cargo_company=7, tracking_number=f"TRK-E{n}", item_count=1
            )
            response = api.post("/api/v1/oms/omnitron/orders/", {"pk": order["pk"]}, format="json")
            package_id = response.json()["packages"][0]["id"]
            api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json")
            made.append((order["pk"], package_id))
        return made

    def resolve_counting(made) -> int:
        for pk, _ in made:
            omnitron.set_status(pk, "500")
        with CaptureQueriesContext(connection) as queries:
            shipments_resolve(client_factory=omnitron_client_get, now_fn=timezone.now, due_only=False)
        return len(queries)

    few, many = packed(2), packed(6)
    subscribe(receiver.url)
    # A first cycle with no news, as a running OMS has had (it creates the resolution's health row).
    shipments_resolve(client_factory=omnitron_client_get, now_fn=timezone.now, due_only=False)

    few_count = resolve_counting(few)
    many_count = resolve_counting(many)

    assert few_count == many_count
    for _, package_id in few + many:
        rows = EventDelivery.objects.filter(key=f"package:{package_id}").order_by("id")
        assert [row.event_type for row in rows] == [
            "shipment.status.updated",
            "package.status.transitioned",
            "package.status.shipped",
        ]
        assert {row.data["status"] for row in rows} == {"shipped"}
        assert rows[1].data["id"] == package_id and rows[0].data["package"] == package_id


def test_a_marketplace_cancellation_before_packing_sends_package_cancelled(
    api, marketplace, ingest, private_targets, receiver
):
    subscribe(receiver.url, event_type="package.status.cancelled")
    package_id = ingest(pk=3010, items=1)["packages"][0]["id"]

    again = api.post(INGEST_URL, omnitron_order_json(pk=3010, items=1, status="100"), format="json")
    events_deliver_due(now_fn=timezone.now)

    assert again.status_code == 200
    events = received(receiver)
    assert [t for t, _ in events] == ["package.status.cancelled"]
    assert (events[0][1]["id"], events[0][1]["status"]) == (package_id, "cancelled")


def test_a_partial_cancellation_before_packing_announces_the_cancelled_package(
    api, marketplace, ingest, private_targets, receiver
):
    subscribe(receiver.url)
    order = ingest(pk=3011, items=2)
    package_id = order["packages"][0]["id"]
    body = omnitron_order_json(pk=3011, items=2)
    body["orderitem_set"][0]["status"] = "100"

    assert api.post(INGEST_URL, body, format="json").status_code == 200
    events_deliver_due(now_fn=timezone.now)

    events = [(t, data["id"], data["status"]) for t, data in received(receiver)]
    split_off = [e for e in events if e[1] != package_id]
    assert [t for t, _, _ in split_off] == [
        "package.created",
        "package.status.transitioned",
        "package.status.cancelled",
    ]
    assert {status for _, _, status in split_off} == {"cancelled"}
