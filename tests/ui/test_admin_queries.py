"""Every admin list page runs the same number of queries for 1 row as for 20 (no N+1)."""

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oms.configuration.models import ApplicationSetting
from oms.configuration.services import application_setting_set
from oms.core.statuses import PackageStatus, ShipmentStatus
from oms.omnitron.models import ReportState
from oms.shipments.models import CargoCompanyCondition, ObservationOutcome, ShipmentObservation
from oms.transitions.models import RefusedCommand, StateTransition
from tests.factories import seed_condition_body
from tests.ui.builders import (
    make_cargo_company,
    make_channel,
    make_log,
    make_package,
    make_report,
    make_shipment,
)


def _packaged(n: int) -> None:
    """n packed packages, each with a shipment, an observation, a log and a report with attempts."""
    channel = make_channel()
    company = make_cargo_company()
    for _ in range(n):
        package = make_package(channel=channel, cargo_company=company, status=PackageStatus.PACKED, items=2)
        shipment = make_shipment(package)
        ShipmentObservation.objects.create(
            shipment=shipment,
            omnitron_status=400,
            outcome=ObservationOutcome.UNKNOWN,
            shipment_status_before=ShipmentStatus.CREATED,
            observed_at=timezone.now(),
        )
        make_log(package, old=PackageStatus.WAITING, new=PackageStatus.PACKED)
        make_report(package, state=ReportState.FAILED, attempts=2, last_error="Omnitron answered 503")


def _refusals(n: int) -> None:
    channel = make_channel()
    for _ in range(n):
        package = make_package(channel=channel)
        RefusedCommand.objects.create(
            package=package,
            slug="READY_TO_PACK",
            package_state=package.status,
            reason="'READY_TO_PACK' cannot run on this package.",
            created_at=timezone.now(),
        )


def _channels(n: int) -> None:
    for _ in range(n):
        make_channel()


def _cargo_companies(n: int) -> None:
    for _ in range(n):
        make_cargo_company()


def _conditions(n: int) -> None:
    channel = make_channel()
    for _ in range(n):
        body = seed_condition_body(cargo_company_id=make_cargo_company().pk, channel_id=channel.pk)
        CargoCompanyCondition.objects.create(
            cargo_company_id=body["cargo_company"], rules_configuration=body["rules_configuration"]
        )


def _transitions(n: int) -> None:
    for _ in range(n):
        i = StateTransition.objects.count()
        StateTransition.objects.create(
            model="package",
            command="PREPARE_PACKAGE",
            slug=f"PREPARE_{i}",
            source_state=PackageStatus.WAITING,
            destination_state=PackageStatus.PREPARING,
        )


def _settings(n: int) -> None:
    values = [
        ("AUTO_RUN_SHIP_THE_PACKAGE_COMMAND", True),
        ("OMNITRON_CLIENT_SETTINGS", {"url": "https://omnitron.example", "username": "u", "password": "p"}),
    ]
    done = ApplicationSetting.objects.count()
    for key, value in values[done : done + n]:
        application_setting_set(key=key, value=value)


PAGES = [
    ("orders/order", _packaged, 20),
    ("packages/package", _packaged, 20),
    ("shipments/shipment", _packaged, 20),
    ("shipments/shipmentobservation", _packaged, 20),
    ("omnitron/omnitronreport", _packaged, 20),
    ("transitions/statetransitionlog", _packaged, 20),
    ("transitions/refusedcommand", _refusals, 20),
    ("channels/channel", _channels, 20),
    ("shipments/cargocompany", _cargo_companies, 20),
    ("shipments/cargocompanycondition", _conditions, 20),
    ("transitions/statetransition", _transitions, 20),
    # The key list is closed: two settings at most.
    ("configuration/applicationsetting", _settings, 2),
]


def _queries(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.context["cl"].result_count


@pytest.mark.parametrize(("page", "build", "many"), PAGES, ids=[p[0] for p in PAGES])
def test_changelist_queries_do_not_grow_with_rows(superuser_client, page, build, many):
    url = f"/admin/{page}/"
    build(1)
    one, rows = _queries(superuser_client, url)
    assert rows == 1
    build(many - 1)

    queries, rows = _queries(superuser_client, url)

    assert rows == many
    assert queries == one


@pytest.mark.parametrize(
    "query",
    ["TRK-", "TY-", "PKG-"],
    ids=["tracking number", "order number", "package number"],
)
def test_package_search_by_numbers_keeps_the_query_count(superuser_client, query):
    _packaged(1)
    one, _ = _queries(superuser_client, f"/admin/packages/package/?q={query}")
    _packaged(19)

    queries, rows = _queries(superuser_client, f"/admin/packages/package/?q={query}")

    assert rows == 20
    assert queries == one


@pytest.mark.parametrize(
    "model",
    [
        "orders.Order",
        "packages.Package",
        "shipments.Shipment",
        "shipments.ShipmentObservation",
        "omnitron.OmnitronReport",
        "transitions.StateTransitionLog",
        "channels.Channel",
        "shipments.CargoCompany",
    ],
)
def test_every_change_page_renders(superuser_client, model):
    _packaged(2)
    obj = apps.get_model(model).objects.order_by("id").first()
    app_label, model_name = model.lower().split(".")

    response = superuser_client.get(f"/admin/{app_label}/{model_name}/{obj.pk}/change/")

    assert response.status_code == 200
