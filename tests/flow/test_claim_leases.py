"""Claim leases and resolution back-off come from settings (OMS_*_CLAIM_LEASE_SECONDS and friends).

A run claims due rows by pushing their due time past the lease, in the same transaction. A run
that dies after claiming (a SIGKILLed worker) leaves its rows hidden for exactly the configured
lease; then the next run takes them. Here the dying run raises SystemExit from its client factory,
after the claim is committed and before anything is sent.
"""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone

from oms.omnitron.client import omnitron_client_get
from oms.omnitron.errors import OmnitronUnavailable
from oms.omnitron.models import OmnitronReport, OmnitronReportAttempt
from oms.omnitron.reports import report_deliver, reports_claim_due, reports_deliver_due
from oms.settings.env import env_int
from oms.shipments.models import ResolutionHealth, Shipment
from oms.shipments.resolution import shipments_resolve

INGEST = "/api/v1/oms/omnitron/orders/"
SEED_BODY = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}
BULK_STATUS_PATH = "/api/i1/order_items/bulk_status_update/"
LEASE = 30
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def packed(api, marketplace, omnitron):
    """An order in Omnitron, ingested and packed: (omnitron pk, package id)."""
    order = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-LEASE", item_count=2)
    package_id = api.post(INGEST, {"pk": order["pk"]}, format="json").json()["packages"][0]["id"]
    assert (
        api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json").status_code == 204
    )
    return order["pk"], package_id


def dying_worker():
    raise SystemExit("SIGKILL")  # after the claim, before the first request


def at(moment):
    return lambda: moment


def test_shipments_claimed_by_a_run_that_died_are_taken_by_another_run_after_the_lease(packed, omnitron):
    pk, package_id = packed
    omnitron.set_status(pk, "500")
    shipment = Shipment.objects.get(package_id=package_id)
    claimed_at = timezone.now()

    with override_settings(OMS_TRACKING_CLAIM_LEASE_SECONDS=LEASE):
        with pytest.raises(SystemExit):
            shipments_resolve(client_factory=dying_worker, now_fn=at(claimed_at))
        shipment.refresh_from_db()
        assert shipment.next_check_at == claimed_at + timedelta(seconds=LEASE)
        assert shipment.last_checked_at is None

        within = shipments_resolve(
            client_factory=omnitron_client_get, now_fn=at(claimed_at + timedelta(seconds=LEASE - 1))
        )
        after = shipments_resolve(
            client_factory=omnitron_client_get, now_fn=at(claimed_at + timedelta(seconds=LEASE + 1))
        )

    assert within.checked == 0
    assert after.checked == 1 and len(after.applied) == 1, after.summary()
    shipment.refresh_from_db()
    assert shipment.status == 700


def test_a_report_claimed_by_a_run_that_died_is_sent_by_another_run_after_the_lease(packed, omnitron):
    report = OmnitronReport.objects.get()
    claimed_at = timezone.now()
    omnitron.clear_requests()

    with override_settings(OMS_REPORT_CLAIM_LEASE_SECONDS=LEASE):
        with pytest.raises(SystemExit):
            reports_deliver_due(now_fn=at(claimed_at), client_factory=dying_worker)
        report.refresh_from_db()
        assert (report.state, report.attempts) == ("pending", 0)
        assert report.next_attempt_at == claimed_at + timedelta(seconds=LEASE)

        within = reports_deliver_due(
            now_fn=at(claimed_at + timedelta(seconds=LEASE - 1)), client_factory=omnitron_client_get
        )
        after = reports_deliver_due(
            now_fn=at(claimed_at + timedelta(seconds=LEASE + 1)), client_factory=omnitron_client_get
        )

    assert within == {} and after == {"sent": 1}
    assert len([r for r in omnitron.requests() if r["path"] == BULK_STATUS_PATH]) == 1


def test_the_default_leases_are_five_minutes_for_shipments_and_reports(packed, settings):
    assert settings.OMS_TRACKING_CLAIM_LEASE_SECONDS == 300
    assert settings.OMS_REPORT_CLAIM_LEASE_SECONDS == 300
    now = timezone.now()

    [report] = reports_claim_due(now=now, limit=10)

    report.refresh_from_db()
    assert report.next_attempt_at == now + timedelta(seconds=300)


def test_a_worker_whose_lease_ran_out_does_not_overwrite_what_another_recorded(packed):
    class Down:
        def order_items_status_update(self, statuses):
            raise OmnitronUnavailable("Omnitron answered 503")

    claimed_at = timezone.now()
    with override_settings(OMS_REPORT_CLAIM_LEASE_SECONDS=LEASE):
        [slow] = reports_claim_due(now=claimed_at, limit=10)  # a worker stuck on Omnitron past its lease
        later = claimed_at + timedelta(seconds=LEASE + 1)
        assert reports_deliver_due(now_fn=at(later), client_factory=omnitron_client_get) == {"sent": 1}

        report_deliver(report=slow, client=Down(), now=later + timedelta(seconds=1))

    report = OmnitronReport.objects.get()
    assert (report.state, report.next_attempt_at) == ("sent", None)
    assert list(OmnitronReportAttempt.objects.order_by("id").values_list("outcome", flat=True)) == [
        "sent",
        "failed",
    ]


def test_a_report_another_worker_claimed_while_a_slow_batch_ran_is_not_sent_twice(packed, api, omnitron):
    """Worker A claims two reports, then waits on Omnitron longer than the lease over its first.

    Meanwhile worker B finds the second report's lease run out, claims it and sends it. When A gets
    to it, A's renewal (a compare-and-set on the due time A wrote) fails, so A leaves it alone.
    """
    second = omnitron.create_order(channel=42, cargo_company=7, tracking_number="TRK-LEASE-2", item_count=1)
    package_id = api.post(INGEST, {"pk": second["pk"]}, format="json").json()["packages"][0]["id"]
    assert (
        api.post(f"/api/v1/oms/packages/{package_id}/command/", SEED_BODY, format="json").status_code == 204
    )
    assert OmnitronReport.objects.count() == 2
    omnitron.clear_requests()
    claimed_at = timezone.now()
    ticks = iter(claimed_at + timedelta(seconds=20 * n) for n in range(100))  # claim, 1st, 2nd, ...
    other_worker_runs = []

    class SlowOnTheFirstReport:
        def __init__(self):
            self.client = omnitron_client_get()

        def order_items_status_update(self, statuses):
            if not other_worker_runs:  # while A waits on Omnitron, B runs just past A's first lease
                other_worker_runs.append(
                    reports_deliver_due(
                        now_fn=at(claimed_at + timedelta(seconds=LEASE + 1)),
                        client_factory=omnitron_client_get,
                    )
                )
            return self.client.order_items_status_update(statuses)

        def close(self):
            self.client.close()

    with override_settings(OMS_REPORT_CLAIM_LEASE_SECONDS=LEASE):
        counts = reports_deliver_due(now_fn=lambda: next(ticks), client_factory=SlowOnTheFirstReport)

    # A renewed its first report at +20 s (lease to +50 s), so B took only the second one.
    assert other_worker_runs == [{"sent": 1}]
    assert counts == {"sent": 1, "claim_lost": 1}
    assert list(OmnitronReport.objects.values_list("state", flat=True)) == ["sent", "sent"]
    assert OmnitronReportAttempt.objects.count() == 2
    sent_items = [
        row["id"]
        for request in omnitron.requests()
        if request["path"] == BULK_STATUS_PATH
        for row in request["body"]["orderitem_set"]
    ]
    assert len(sent_items) == 3 and len(set(sent_items)) == 3  # 2 + 1 items, each reported once


def test_failed_batch_retry_and_breaker_cool_down_come_from_settings(packed, omnitron):
    _, package_id = packed
    omnitron.set_faults(fail_next=1000)
    now = timezone.now()

    with override_settings(
        OMS_TRACKING_FAILURE_RETRY_SECONDS=40,
        OMS_TRACKING_BREAKER_THRESHOLD=2,
        OMS_TRACKING_BREAKER_COOL_DOWN_SECONDS=7,
        OMS_TRACKING_BREAKER_COOL_DOWN_MAX_SECONDS=10,
    ):
        first = shipments_resolve(client_factory=omnitron_client_get, now_fn=at(now), due_only=False)
        shipment = Shipment.objects.get(package_id=package_id)
        retry = shipment.next_check_at - now
        assert ResolutionHealth.objects.get().breaker == "closed"
        shipments_resolve(client_factory=omnitron_client_get, now_fn=at(now), due_only=False)
        opened = ResolutionHealth.objects.get()
        shipments_resolve(
            client_factory=omnitron_client_get, now_fn=at(now + timedelta(seconds=8)), due_only=False
        )
        doubled_capped = ResolutionHealth.objects.get()

    assert first.failed_batches == 1
    assert timedelta(seconds=40) <= retry <= timedelta(seconds=60)
    assert (opened.breaker, opened.open_until) == ("open", now + timedelta(seconds=7))
    # The probe after the cool-down failed too: 14 s, capped at 10.
    assert doubled_capped.open_until == now + timedelta(seconds=8 + 10)


@pytest.mark.parametrize("value", ["0", "-5"])
def test_a_lease_below_one_second_is_refused(monkeypatch, value):
    monkeypatch.setenv("OMS_REPORT_CLAIM_LEASE_SECONDS", value)

    with pytest.raises(ImproperlyConfigured, match=r"OMS_REPORT_CLAIM_LEASE_SECONDS=.* at least 1"):
        env_int("OMS_REPORT_CLAIM_LEASE_SECONDS", 120, minimum=1)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("OMS_TRACKING_CLAIM_LEASE_SECONDS", "0", "OMS_TRACKING_CLAIM_LEASE_SECONDS='0' is too small"),
        ("OMS_REPORT_CLAIM_LEASE_SECONDS", "2m", "OMS_REPORT_CLAIM_LEASE_SECONDS='2m' is not an integer"),
    ],
)
def test_oms_does_not_start_with_a_bad_lease(tmp_path, name, value, message):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "OMS_DATA_DIR": str(tmp_path / "data"),
        "OMS_SECRET_KEY": "a-production-like-key-" + "x" * 40,
        "DJANGO_SETTINGS_MODULE": "oms.settings.base",
        name: value,
    }

    result = subprocess.run(
        [sys.executable, "-m", "oms", "check"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )

    assert result.returncode != 0
    assert message in result.stderr
