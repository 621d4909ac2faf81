"""Ingestion, reports and reconciliation against the Omnitron sandbox as a real HTTP server."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from oms.channels.models import Channel
from oms.channels.services import channels_sync
from oms.omnitron.client import omnitron_client_get
from oms.omnitron.models import OmnitronReport, OmnitronReportAttempt
from oms.omnitron.reports import reports_claim_due, reports_deliver_due
from oms.orders.models import Order
from oms.orders.reconciliation import orders_reconcile
from oms.packages.models import Package
from oms.shipments.cargo_companies import cargo_companies_sync
from oms.shipments.models import CargoCompany
from oms.shipments.resolution import shipments_resolve

INGEST = "/api/v1/oms/omnitron/orders/"
BULK_STATUS_PATH = "/api/i1/order_items/bulk_status_update/"
SEED_BODY = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}


def deliver(now=None):
    moment = now or timezone.now()
    return reports_deliver_due(now_fn=lambda: moment, client_factory=omnitron_client_get)


def bulk_updates(omnitron) -> list[dict]:
    return [r["body"] for r in omnitron.requests() if r["path"] == BULK_STATUS_PATH]


def test_an_order_sent_by_pk_is_read_from_omnitron(api, omnitron):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-9", item_count=2)

    response = api.post(INGEST, {"pk": order["pk"]}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["number"] == order["number"]
    assert len(response.json()["items"]) == 2


@pytest.mark.parametrize("pk", [0, -1, 2**63, 10**30, "12", 1.5, True, None])
def test_a_pk_omnitron_cannot_have_is_refused_without_asking_omnitron(api, omnitron, pk):
    omnitron.clear_requests()

    response = api.post(INGEST, {"pk": pk}, format="json")

    assert response.status_code == 400, response.json()
    assert "pk must be an integer from 1 to 9223372036854775807" in str(response.json())
    assert omnitron.requests() == []


def test_an_unknown_channel_is_created_from_omnitrons_record(api, omnitron):
    order = omnitron.create_order(channel=43, cargo_company=7, tracking_number="TRK-10", item_count=1)

    response = api.post(INGEST, order, format="json")

    assert response.status_code == 201
    channel = Channel.objects.get(omnitron_id=43)
    assert (channel.name, channel.channel_type) == ("Hepsiburada", "sales_channel")
    assert response.json()["channel"] == channel.pk


def test_a_channel_omnitron_does_not_know_is_refused(api, omnitron):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="T", item_count=1)
    order["channel"] = 999

    response = api.post(INGEST, order, format="json")

    assert response.status_code == 400
    assert "999" in response.json()["error"]["channel"][0]
    assert not Order.objects.exists()


def test_omnitron_down_while_needed_answers_503_and_stores_nothing(api, omnitron):
    order = omnitron.create_order(channel=44, cargo_company=7, tracking_number="T", item_count=1)
    omnitron.set_faults(fail_next=100)

    response = api.post(INGEST, order, format="json")

    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert not Order.objects.exists() and not Channel.objects.exists()


def test_the_preparing_report_reaches_omnitron_once(api, marketplace, omnitron):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-11", item_count=3)
    package_id = api.post(INGEST, {"pk": order["pk"]}, format="json").json()["packages"][0]["id"]
    api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json")
    omnitron.clear_requests()

    counts = deliver()
    again = deliver()

    assert counts == {"sent": 1} and again == {}
    item_pks = sorted(item["pk"] for item in order["orderitem_set"])
    assert bulk_updates(omnitron) == [{"orderitem_set": [{"id": pk, "status": "450"} for pk in item_pks]}]
    assert {item["status"] for item in omnitron.order(order["pk"])["orderitem_set"]} == {"450"}
    report = OmnitronReport.objects.get()
    assert (report.state, report.attempts) == ("sent", 1)
    package = api.get(f"/api/v1/oms/packages/{package_id}/").json()
    assert package["reports"][0]["state"] == "sent"


def test_an_omnitron_outage_delays_the_report_and_nothing_is_lost(api, marketplace, omnitron):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-12", item_count=1)
    package_id = api.post(INGEST, {"pk": order["pk"]}, format="json").json()["packages"][0]["id"]
    omnitron.set_faults(fail_next=1000)

    response = api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json")
    assert response.status_code == 204
    assert deliver() == {"failed": 1}
    report = OmnitronReport.objects.get()
    assert report.state == "failed" and report.next_attempt_at > timezone.now()
    assert "503" in report.last_error

    omnitron.clear_faults()
    omnitron.clear_requests()
    assert deliver() == {}  # not due yet
    assert deliver(now=report.next_attempt_at + timedelta(seconds=1)) == {"sent": 1}

    assert len(bulk_updates(omnitron)) == 1
    assert list(OmnitronReportAttempt.objects.order_by("id").values_list("outcome", flat=True)) == [
        "failed",
        "sent",
    ]


def test_a_report_omnitron_rejects_is_kept_with_its_answer_and_not_retried(api, marketplace, omnitron):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-13", item_count=1)
    package_id = api.post(INGEST, {"pk": order["pk"]}, format="json").json()["packages"][0]["id"]
    api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json")
    report = OmnitronReport.objects.get()
    report.payload = {"orderitem_set": [{"id": 987654321, "status": "450"}]}
    report.save()

    assert deliver() == {"rejected": 1}
    assert deliver(now=timezone.now() + timedelta(days=1)) == {}

    report.refresh_from_db()
    assert report.state == "rejected" and report.next_attempt_at is None
    assert "987654321" in str(report.response)


def test_packaging_reads_a_missing_tracking_number_from_omnitron_once(api, marketplace, omnitron):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-LATE", item_count=1)
    body = dict(order, tracking_number="")
    package_id = api.post(INGEST, body, format="json").json()["packages"][0]["id"]
    omnitron.clear_requests()

    response = api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json")

    assert response.status_code == 204
    assert Package.objects.get(pk=package_id).shipment.tracking_number == "TRK-LATE"
    reads = [r["path"] for r in omnitron.requests() if r["path"] != "/api/v1/auth/login/"]
    assert reads == [f"/api/v1/orders/{order['pk']}/"]


def test_no_tracking_number_anywhere_is_refused_and_nothing_changes(api, marketplace, omnitron):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="", item_count=1)
    package_id = api.post(INGEST, {"pk": order["pk"]}, format="json").json()["packages"][0]["id"]

    response = api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json")

    assert response.status_code == 400
    assert "no tracking number" in response.json()["error"]["tracking_number"][0]
    package = Package.objects.get(pk=package_id)
    assert package.status == 100 and not hasattr(package, "shipment")
    assert not OmnitronReport.objects.exists()


def test_reconciliation_ingests_orders_whose_push_was_lost(api, omnitron):
    orders = [
        omnitron.create_order(channel=42, cargo_company=7, tracking_number=f"R{n}", item_count=1)
        for n in range(3)
    ]
    api.post(INGEST, {"pk": orders[0]["pk"]}, format="json")  # one arrived by push

    result = orders_reconcile(client_factory=omnitron_client_get, now=timezone.now() + timedelta(seconds=5))

    assert sorted(result.ingested) == sorted(o["pk"] for o in orders[1:])
    assert sorted(Order.objects.values_list("omnitron_id", flat=True)) == sorted(o["pk"] for o in orders)
    assert Package.objects.count() == 3


def test_reconciliation_survives_a_failing_omnitron_and_catches_up(api, omnitron):
    orders = [
        omnitron.create_order(channel=42, cargo_company=7, tracking_number=f"S{n}", item_count=1)
        for n in range(3)
    ]
    omnitron.set_faults(fail_next=100)

    failed = orders_reconcile(client_factory=omnitron_client_get, now=timezone.now() + timedelta(seconds=5))
    assert failed.error and not Order.objects.exists()

    omnitron.clear_faults()
    result = orders_reconcile(client_factory=omnitron_client_get, now=timezone.now() + timedelta(seconds=10))

    assert sorted(result.ingested) == sorted(o["pk"] for o in orders)


def test_sync_orders_backfills_from_the_command_line(api, omnitron, capsys):
    orders = [
        omnitron.create_order(channel=42, cargo_company=7, tracking_number=f"B{n}", item_count=1)
        for n in range(2)
    ]

    call_command("sync_orders", "--since", "1d")

    assert sorted(Order.objects.values_list("omnitron_id", flat=True)) == sorted(o["pk"] for o in orders)
    assert "2 ingested" in capsys.readouterr().out


def test_channels_and_cargo_companies_sync_creates_and_updates_never_deletes(db, omnitron):
    Channel.objects.create(name="Old name", channel_type="web", omnitron_id=42)
    Channel.objects.create(name="Local only", channel_type="web", omnitron_id=None)
    client = omnitron_client_get()

    channels = channels_sync(client=client)
    again = channels_sync(client=client)
    cargo = cargo_companies_sync(client=client)

    assert Channel.objects.get(omnitron_id=42).name == "Trendyol"
    assert Channel.objects.filter(name="Local only").exists()
    assert channels.updated and channels.created
    assert not again.created and not again.updated
    assert CargoCompany.objects.filter(omnitron_id=7, erp_code="yurtici-kargo").exists()
    assert cargo.created


@pytest.mark.parametrize(
    "fault",
    [
        {"fail_next": 2},
        {"rate_limit_next": 2, "retry_after": 0},
        {"drop_next": 2},
        {"malformed_next": 2},
        "expire",
    ],
)
def test_ingestion_by_pk_survives_omnitron_faults(api, omnitron, fault):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="F", item_count=1)
    Channel.objects.create(name="Trendyol", channel_type="sales_channel", omnitron_id=42)
    api.post(
        INGEST,
        {"pk": omnitron.create_order(channel=42, cargo_company=7, tracking_number="W", item_count=1)["pk"]},
        format="json",
    )
    if fault == "expire":
        omnitron.expire_tokens()
    else:
        omnitron.set_faults(**fault)

    response = api.post(INGEST, {"pk": order["pk"]}, format="json")

    assert response.status_code == 201, response.json()
    assert Order.objects.filter(omnitron_id=order["pk"]).count() == 1


def test_the_sync_commands_print_what_they_did(db, omnitron, capsys):
    call_command("sync_channels")
    call_command("sync_cargo_companies")

    out = capsys.readouterr().out
    assert "created 42 Trendyol" in out
    assert "Channels: " in out and "Cargo companies: " in out
    assert CargoCompany.objects.filter(omnitron_id=7).exists()


@pytest.mark.parametrize(
    ("omnitron_status", "package_status", "package_status_name"),
    [("500", 700, "shipped"), ("540", 720, "attempted_delivery"), ("550", 800, "delivered")],
)
def test_a_preparing_report_retried_after_the_package_shipped_is_superseded_not_sent(
    api, marketplace, omnitron, omnitron_status, package_status, package_status_name
):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-14", item_count=2)
    package_id = api.post(INGEST, {"pk": order["pk"]}, format="json").json()["packages"][0]["id"]
    # Omnitron is down while the package is packed: the preparing report fails and waits.
    omnitron.set_faults(fail_next=1000)
    assert (
        api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json").status_code == 204
    )
    assert deliver() == {"failed": 1}
    report = OmnitronReport.objects.get()
    # Omnitron's reads come back first, its bulk status endpoint does not; the marketplace ships.
    omnitron.clear_faults()
    omnitron.set_faults(error_rate=1.0, paths=[BULK_STATUS_PATH])
    omnitron.set_status(order["pk"], omnitron_status)
    resolution = shipments_resolve(client_factory=omnitron_client_get, now_fn=timezone.now, due_only=False)
    assert len(resolution.applied) == 1, resolution.summary()
    assert Package.objects.get(pk=package_id).status == package_status
    # Omnitron comes back and the report is due again.
    omnitron.clear_faults()
    omnitron.clear_requests()

    counts = deliver(now=report.next_attempt_at + timedelta(seconds=1))

    assert counts == {"superseded": 1}
    assert bulk_updates(omnitron) == []
    assert omnitron.order(order["pk"])["status"] == omnitron_status
    assert {item["status"] for item in omnitron.order(order["pk"])["orderitem_set"]} == {omnitron_status}
    report.refresh_from_db()
    assert (report.state, report.attempts, report.next_attempt_at, report.sent_at) == (
        "superseded",
        1,
        None,
        None,
    )
    assert f"already {package_status_name} ({package_status})" in report.last_error
    assert list(OmnitronReportAttempt.objects.values_list("outcome", flat=True)) == ["failed"]
    # Final: never due, never claimed again.
    later = timezone.now() + timedelta(days=2)
    assert deliver(now=later) == {} and reports_claim_due(now=later, limit=10) == []
    shown = api.get(f"/api/v1/oms/packages/{package_id}/").json()["reports"]
    assert [(r["id"], r["state"], r["attempts"]) for r in shown] == [(report.pk, "superseded", 1)]
    assert "would have set them back" in shown[0]["last_error"]


def test_a_preparing_report_of_a_package_still_packed_is_sent_after_an_outage(api, marketplace, omnitron):
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-15", item_count=1)
    package_id = api.post(INGEST, {"pk": order["pk"]}, format="json").json()["packages"][0]["id"]
    omnitron.set_faults(fail_next=1000)
    api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json")
    assert deliver() == {"failed": 1}
    report = OmnitronReport.objects.get()
    # Omnitron still has the order approved: resolution changes nothing, the report is still news.
    omnitron.clear_faults()
    assert not shipments_resolve(
        client_factory=omnitron_client_get, now_fn=timezone.now, due_only=False
    ).applied

    assert deliver(now=report.next_attempt_at + timedelta(seconds=1)) == {"sent": 1}
    assert {item["status"] for item in omnitron.order(order["pk"])["orderitem_set"]} == {"450"}
