"""The dashboard's sections, each number checked against the rows the test made."""

import sys
import types
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oms.configuration.services import application_setting_set
from oms.core.statuses import PackageStatus, ShipmentStatus
from oms.omnitron.models import ReportState
from oms.shipments.models import ResolutionHealth
from tests.ui.builders import (
    make_cargo_company,
    make_channel,
    make_log,
    make_package,
    make_report,
    make_shipment,
)

P = PackageStatus


def dashboard(client, **params):
    response = client.get("/ops/", params)
    assert response.status_code == 200
    return response


def test_packages_are_counted_by_channel_and_status(staff_client):
    trendyol, hepsiburada = make_channel("Trendyol"), make_channel("Hepsiburada")
    for channel, status, n in [
        (trendyol, P.WAITING, 3),
        (trendyol, P.PACKED, 2),
        (trendyol, P.DELIVERED, 1),
        (hepsiburada, P.WAITING, 1),
        (hepsiburada, P.SHIPPED, 4),
    ]:
        for _ in range(n):
            make_package(channel=channel, status=status)

    table = dashboard(staff_client).context["table"]

    assert table.statuses == [(100, "waiting"), (500, "packed"), (700, "shipped"), (800, "delivered")]
    assert [(row["channel"].name, row["cells"], row["total"]) for row in table.rows] == [
        ("Hepsiburada", [(100, 1), (500, 0), (700, 4), (800, 0)], 5),
        ("Trendyol", [(100, 3), (500, 2), (700, 0), (800, 1)], 6),
    ]
    assert table.totals == [(100, 4), (500, 2), (700, 4), (800, 1)] and table.total == 11


def test_the_table_links_each_count_to_the_filtered_package_list(staff_client, superuser_client):
    channel = make_channel("Trendyol")
    for _ in range(2):
        make_package(channel=channel, status=P.PACKED)
    make_package(channel=make_channel("n11"), status=P.PACKED)
    link = f"/admin/packages/package/?status__exact=500&amp;order__channel__id__exact={channel.pk}"

    html = dashboard(staff_client).content.decode()

    assert f'<a href="{link}">2</a>' in html
    listed = superuser_client.get(link.replace("&amp;", "&"))
    assert listed.context["cl"].result_count == 2


def test_packed_not_shipped_counts_packages_packed_longer_than_the_threshold(staff_client):
    channel, now = make_channel(), timezone.now()
    old = make_package(channel=channel, status=P.PACKED)
    make_log(old, old=P.WAITING, new=P.PACKED, at=now - timedelta(hours=30))
    recent = make_package(channel=channel, status=P.PACKED)
    make_log(recent, old=P.WAITING, new=P.PACKED, at=now - timedelta(hours=3))
    shipped = make_package(channel=channel, status=P.SHIPPED)
    make_log(shipped, old=P.WAITING, new=P.PACKED, at=now - timedelta(hours=50))
    make_package(channel=channel, status=P.WAITING)

    default = dashboard(staff_client).context
    two_hours = dashboard(staff_client, packed_hours=2).context

    assert default["packed_hours"] == 24
    assert default["packed"].count == 1 and [p.pk for p in default["packed"].rows] == [old.pk]
    assert two_hours["packed"].count == 2 and [p.pk for p in two_hours["packed"].rows] == [old.pk, recent.pk]


def test_shipped_not_delivered_counts_from_the_first_move_to_shipped(staff_client):
    channel, now = make_channel(), timezone.now()
    late = make_package(channel=channel, status=P.ATTEMPTED_DELIVERY)
    make_log(late, old=P.PACKED, new=P.SHIPPED, at=now - timedelta(days=9))
    make_log(late, old=P.SHIPPED, new=P.ATTEMPTED_DELIVERY, at=now - timedelta(days=1))
    recent = make_package(channel=channel, status=P.SHIPPED)
    make_log(recent, old=P.PACKED, new=P.SHIPPED, at=now - timedelta(days=3))
    delivered = make_package(channel=channel, status=P.DELIVERED)
    make_log(delivered, old=P.PACKED, new=P.SHIPPED, at=now - timedelta(days=20))

    default = dashboard(staff_client).context
    two_days = dashboard(staff_client, shipped_days=2).context

    assert default["shipped_days"] == 7
    assert default["shipped"].count == 1 and [p.pk for p in default["shipped"].rows] == [late.pk]
    assert two_days["shipped"].count == 2


def test_invalid_thresholds_fall_back_to_the_defaults_and_say_so(staff_client):
    response = dashboard(staff_client, packed_hours="0", shipped_days="soon")

    assert (response.context["packed_hours"], response.context["shipped_days"]) == (24, 7)
    html = response.content.decode()
    assert "Give a whole number of hours, 1 or more. The default is used." in html
    assert "Enter a whole number. The default is used." in html


def test_stale_shipments_are_listed(staff_client):
    channel = make_channel()
    stale = [make_shipment(make_package(channel=channel, status=P.SHIPPED)) for _ in range(2)]
    for shipment in stale:
        shipment.stale_at = timezone.now()
        shipment.save(update_fields=["stale_at"])
    make_shipment(make_package(channel=channel, status=P.PACKED))

    context = dashboard(staff_client).context

    assert context["stale"].count == 2
    assert {s.pk for s in context["stale"].rows} == {s.pk for s in stale}


def test_resolution_health_shows_the_cycle_the_due_shipments_and_the_breaker(staff_client):
    now = timezone.now()
    channel, company = make_channel(), make_cargo_company()

    def shipment(**fields):
        return make_shipment(make_package(channel=channel, cargo_company=company, status=P.PACKED), **fields)

    shipment(next_check_at=now - timedelta(minutes=5))  # due
    shipment(next_check_at=None)  # due: never checked
    shipment(next_check_at=now + timedelta(hours=1))  # followed, not due
    shipment(next_check_at=now - timedelta(days=1), status=ShipmentStatus.DELIVERED)  # done
    shipment(next_check_at=now - timedelta(days=1), stale_at=now)  # stale: not followed
    ResolutionHealth.objects.create(
        pk=1,
        breaker=ResolutionHealth.BREAKER_OPEN,
        consecutive_failures=3,
        open_until=now + timedelta(minutes=1),
        last_cycle_at=now - timedelta(minutes=2),
        last_cycle_summary={"checked": 40, "applied": 7, "backward": 1, "unknown": 0},
        last_error="Omnitron unavailable: 503 Service Unavailable",
        last_error_at=now - timedelta(minutes=2),
        backward_seen=3,
        unknown_seen=2,
    )

    response = dashboard(staff_client)

    resolution = response.context["resolution"]
    assert (resolution.followed, resolution.due) == (3, 2)
    assert resolution.health.breaker == "open" and resolution.health.backward_seen == 3
    html = response.content.decode()
    assert "2 of 3 followed shipments" in html
    assert "breaker open" in html and "3 failed batches in a row" in html
    assert "Omnitron unavailable: 503 Service Unavailable" in html
    assert "checked: 40" in html and "applied: 7" in html and "unknown: 0" not in html
    assert "3 behind the current status, 2 unknown" in html


def test_resolution_health_before_any_cycle(staff_client):
    resolution = dashboard(staff_client).context["resolution"]

    assert not resolution.recorded and resolution.health.breaker == "closed"
    assert (resolution.followed, resolution.due) == (0, 0)


def test_the_outbox_counts_the_backlog_and_lists_the_failures(staff_client):
    package = make_package(channel=make_channel(), status=P.PACKED)
    for state in [ReportState.PENDING, ReportState.PENDING, ReportState.FAILED, ReportState.SENT]:
        make_report(package, state=state)
    rejected = make_report(
        package, state=ReportState.REJECTED, attempts=1, last_error="Order items do not exist: 12"
    )
    given_up = make_report(package, state=ReportState.GIVEN_UP, attempts=100, last_error="timed out")
    make_report(package, state=ReportState.SUPERSEDED, attempts=1, last_error="Superseded, not sent")

    response = dashboard(staff_client)

    outbox = response.context["outbox"]
    assert outbox.counts == {
        "pending": 2,
        "sent": 1,
        "failed": 1,
        "rejected": 1,
        "given_up": 1,
        "superseded": 1,
    }
    # A superseded report is neither backlog nor a failure: it was deliberately not sent.
    assert (outbox.backlog, outbox.failure_count) == (3, 2)
    assert {r.pk for r in outbox.failures} == {rejected.pk, given_up.pk}
    html = response.content.decode()
    assert "Order items do not exist: 12" in html and "timed out" in html
    assert '<td class="num" data-state="superseded"' in html


@dataclass
class Item:
    ok: bool
    title: str
    detail: str = ""
    fix: str = ""


@dataclass
class Report:
    items: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(item.ok for item in self.items)


@pytest.fixture
def setup_check_module(monkeypatch):
    """Stands in for `oms.operations.setup_check` with a report the test chooses."""

    def install(report):
        module = types.ModuleType("oms.operations.setup_check")
        module.setup_check = lambda: report
        monkeypatch.setitem(sys.modules, "oms.operations.setup_check", module)

    return install


def test_the_setup_check_lists_each_item_with_its_fix(staff_client, setup_check_module):
    setup_check_module(
        Report(
            [
                Item(True, "Channels synced", "3 channels"),
                Item(False, "Packaging transitions", "none defined", "oms setup_marketplace"),
            ]
        )
    )

    response = dashboard(staff_client)

    setup = response.context["setup"]
    assert setup.available and not setup.ok and len(setup.items) == 2
    html = response.content.decode()
    assert "needs attention" in html
    assert "Packaging transitions" in html
    assert 'Fix: <span class="mono">oms setup_marketplace</span>' in html


def test_without_the_setup_check_module_the_dashboard_still_works(staff_client, monkeypatch):
    monkeypatch.setitem(sys.modules, "oms.operations.setup_check", None)  # import fails

    response = dashboard(staff_client)

    assert not response.context["setup"].available
    assert "The setup check is not available" in response.content.decode()


def test_the_dashboard_query_count_does_not_grow_with_rows(staff_client, setup_check_module):
    setup_check_module(Report([]))
    application_setting_set(key="AUTO_RUN_SHIP_THE_PACKAGE_COMMAND", value=True)
    now = timezone.now()

    def world():
        channel = make_channel()
        for status in [P.PACKED, P.SHIPPED]:
            package = make_package(channel=channel, status=status)
            make_log(package, old=P.WAITING, new=status, at=now - timedelta(days=30))
            make_shipment(package, stale_at=now, next_check_at=now)
            make_report(package, state=ReportState.REJECTED, attempts=1, last_error="no")

    world()
    with CaptureQueriesContext(connection) as one:
        dashboard(staff_client)
    for _ in range(10):
        world()

    with CaptureQueriesContext(connection) as many:
        response = dashboard(staff_client)

    assert response.context["packed"].count == 11
    assert len(many) == len(one)


def test_the_admin_index_links_to_the_dashboard(superuser_client):
    html = superuser_client.get("/admin/").content.decode()

    assert '<a href="/ops/"><strong>Operations dashboard</strong></a>' in html
    assert 'href="/ops/">View site</a>' in html
