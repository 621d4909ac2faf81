"""The package page: items, shipment, one timeline in time order, and commands run through the engine."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from oms.core.statuses import PackageStatus
from oms.dashboard.package_page import package_timeline
from oms.omnitron.models import OmnitronReport, ReportState
from oms.packages.models import Package
from oms.shipments.models import Shipment
from oms.transitions.models import StateTransitionLog
from tests.ui.builders import make_channel, make_package, make_report

PACKAGING = "CHANNEL_BASED_COMPLETE_PACKAGING"


def page_url(package_id: int) -> str:
    return f"/ops/packages/{package_id}/"


def command_url(package_id: int) -> str:
    return f"/ops/packages/{package_id}/command/"


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def waiting_package(marketplace, ingest) -> Package:
    """A marketplace order ingested through the API: one waiting package with two items."""
    order = ingest(pk=3001, items=2, tracking_number="TRK-3001")
    return Package.objects.get(pk=order["packages"][0]["id"])


def test_the_timeline_merges_everything_in_time_order(walked):
    package_id, at = walked

    timeline = package_timeline(package_id)

    report = OmnitronReport.objects.get(package_id=package_id)
    assert [(e.kind, e.title, e.summary) for e in timeline] == [
        ("refused", "READY_TO_PACK", "refused, nothing changed"),
        ("command", PACKAGING, "waiting → packed"),
        ("report", f"Report #{report.pk} to Omnitron: order item statuses", "Sent"),
        ("attempt", f"Report #{report.pk} delivery attempt", "Sent (HTTP 200)"),
        ("tracking", "Tracking number changed", "TRK-OLD → TRK-NEW"),
        ("resolution", "Shipment status resolution", "packed → shipped"),
        ("resolution", "Shipment status resolution", "shipped → attempted delivery"),
        ("observation", "Omnitron: status 500", "Behind the current status: not applied"),
    ]
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)
    assert timeline[0].at == at["refused"] and timeline[1].at == at["packed"]
    assert timeline[-1].at == at["late"]


def test_the_timeline_shows_actor_parameters_and_the_observation_behind_a_change(walked):
    package_id, _ = walked

    refused, command, *_, shipped, attempted, _late = package_timeline(package_id)

    assert refused.actor == "staff"
    assert refused.details[0][1].startswith("'READY_TO_PACK' cannot run on package")
    assert ("package was", "waiting") in refused.details
    assert command.actor == "staff"
    assert ("input parameters", "{}") in command.details
    assert ("tracking number", "TRK-OLD") in command.details
    assert ("Omnitron status", "500") in shipped.details
    label, text = shipped.details[1]
    log = StateTransitionLog.objects.get(package_id=package_id, new_state=PackageStatus.SHIPPED)
    assert label == f"observation #{log.attributes['observation']}"
    assert text.startswith("Applied; shipment was created")
    assert ("Omnitron status", "540") in attempted.details


def test_the_timeline_takes_seven_queries_however_long_it_is(walked, waiting_package):
    long_id, _ = walked

    with CaptureQueriesContext(connection) as long_run:
        long_timeline = package_timeline(long_id)
    with CaptureQueriesContext(connection) as empty_run:
        empty_timeline = package_timeline(waiting_package.pk)

    assert len(long_timeline) == 8 and empty_timeline == []
    # Six sources, and the outbound events (a seventh; their attempts an eighth when there are any).
    assert len(long_run) == len(empty_run) == 7


def test_the_page_shows_items_shipment_history_and_timeline(staff_client, walked):
    package_id, _ = walked

    response = staff_client.get(page_url(package_id))

    assert response.status_code == 200
    html = response.content.decode()
    page = response.context["page"]
    assert len(page.items) == 2
    assert page.shipment.tracking_number == "TRK-NEW"
    assert [(c.old_tracking_number, c.new_tracking_number) for c in page.tracking_changes] == [
        ("TRK-OLD", "TRK-NEW")
    ]
    assert page.commands == []
    assert "No command runs from attempted delivery" in html
    assert html.count('data-kind="resolution"') == 2
    assert html.count('data-kind="observation"') == 1


def test_the_page_offers_the_commands_runnable_from_the_package_status(staff_client, waiting_package):
    response = staff_client.get(page_url(waiting_package.pk))

    assert response.context["page"].commands == ["CANCEL_PACKAGE", PACKAGING, "PREPARE_PACKAGE"]
    html = response.content.decode()
    assert f'data-slug="{PACKAGING}"' in html and 'data-slug="PREPARE_PACKAGE"' in html
    assert 'data-slug="READY_TO_PACK"' not in html
    assert "csrfmiddlewaretoken" in html


def test_a_command_button_runs_the_engine_and_logs_the_user(staff_client, staff_user, waiting_package):
    response = staff_client.post(command_url(waiting_package.pk), {"slug": PACKAGING})

    assert response.status_code == 302 and response["Location"] == page_url(waiting_package.pk)
    assert messages_of(response) == [("success", f"{PACKAGING} ran: waiting → packed.")]
    waiting_package.refresh_from_db()
    assert waiting_package.status == PackageStatus.PACKED
    assert Shipment.objects.get(package=waiting_package).tracking_number == "TRK-3001"
    log = StateTransitionLog.objects.get(package=waiting_package)
    assert (log.command, log.actor, log.input_parameters) == (PACKAGING, staff_user, {})
    page = staff_client.get(page_url(waiting_package.pk))
    first = page.context["timeline"][0]
    assert (first.kind, first.title, first.summary) == ("command", PACKAGING, "waiting → packed")


def test_a_refused_command_shows_the_engines_message_and_changes_nothing(staff_client, waiting_package):
    response = staff_client.post(command_url(waiting_package.pk), {"slug": "READY_TO_PACK"}, follow=True)

    assert response.redirect_chain == [(page_url(waiting_package.pk), 302)]
    [(level, message)] = [(m.level_tag, m.message) for m in response.context["messages"]]
    assert level == "error"
    assert message == (
        f"READY_TO_PACK refused: 'READY_TO_PACK' cannot run on package {waiting_package.number}: it is "
        "'waiting' and no 'READY_TO_PACK' transition starts there. Commands allowed from 'waiting': "
        f"CANCEL_PACKAGE, {PACKAGING}, PREPARE_PACKAGE."
    )
    assert escape(message) in response.content.decode()
    assert Package.objects.get(pk=waiting_package.pk).status == PackageStatus.WAITING
    assert not StateTransitionLog.objects.exists() and not Shipment.objects.exists()
    [refused] = response.context["timeline"]
    assert (refused.kind, refused.title, refused.actor) == ("refused", "READY_TO_PACK", "staff")


def test_an_unknown_slug_is_refused_by_the_engine(staff_client, waiting_package):
    response = staff_client.post(command_url(waiting_package.pk), {"slug": "SHIP_IT"})

    [(level, message)] = messages_of(response)
    assert level == "error" and message.startswith("SHIP_IT refused: Unknown command 'SHIP_IT'")


def test_running_a_command_needs_post(staff_client, waiting_package):
    assert staff_client.get(command_url(waiting_package.pk)).status_code == 405


def test_an_unknown_package_is_404(staff_client, db):
    assert staff_client.get(page_url(999_999)).status_code == 404
    assert staff_client.post(command_url(999_999), {"slug": PACKAGING}).status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "not staff"])
def test_the_operator_pages_need_a_staff_login(client, plain_user, db, who):
    package = make_package(channel=make_channel())
    if who == "not staff":
        client.force_login(plain_user)

    for url in ["/ops/", page_url(package.pk)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/admin/login/?next={url}"
    response = client.post(command_url(package.pk), {"slug": PACKAGING})
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert not StateTransitionLog.objects.exists()


def test_the_package_admin_page_links_to_the_package_page(superuser_client, waiting_package):
    response = superuser_client.get(f"/admin/packages/package/{waiting_package.pk}/change/")

    assert response.status_code == 200
    assert f'href="{page_url(waiting_package.pk)}"' in response.content.decode()


def test_a_superseded_report_shows_why_it_was_not_sent(db):
    package = make_package(channel=make_channel(), status=PackageStatus.SHIPPED)
    reason = f"Superseded, not sent: package {package.pk} is already shipped (700)"
    make_report(package, state=ReportState.SUPERSEDED, last_error=reason)

    [entry] = package_timeline(package.pk)

    assert (entry.kind, entry.summary, entry.tone) == ("report", "Superseded, not sent", "info")
    assert ("why not sent", reason) in entry.details
    assert "last error" not in dict(entry.details)
