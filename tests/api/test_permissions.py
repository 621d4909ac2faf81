"""A non-staff token reads configuration but cannot change it; staff can."""

import pytest

from oms.channels.models import Channel
from oms.configuration.models import ApplicationSetting
from oms.shipments.models import CargoCompany, CargoCompanyCondition
from oms.transitions.models import StateTransition
from tests.api.conftest import API, SEED_CONDITION

CONFIG_LISTS = [
    "/channels/",
    "/cargo-companies/",
    "/cargo-company-conditions/",
    "/state-transitions/",
    "/settings/application_settings/",
]
STAFF_ONLY = "Only staff users may change configuration. Ask an administrator to make the change."


@pytest.fixture
def config_rows(seed_setup):
    """One row of each configuration resource, and a snapshot of all of them."""
    rows = {
        "/channels/": Channel.objects.get(pk=42),
        "/cargo-companies/": CargoCompany.objects.get(pk=1),
        "/cargo-company-conditions/": CargoCompanyCondition.objects.create(
            cargo_company_id=1, rules_configuration=SEED_CONDITION["rules_configuration"]
        ),
        "/state-transitions/": StateTransition.objects.create(
            model="package",
            command="PREPARE_PACKAGE",
            slug="PREPARE_PACKAGE",
            source_state=100,
            destination_state=200,
        ),
        "/settings/application_settings/": ApplicationSetting.objects.create(
            key="AUTO_RUN_SHIP_THE_PACKAGE_COMMAND", json_value=False
        ),
    }
    return rows


def _snapshot() -> list:
    return [
        list(model.objects.order_by("id").values())
        for model in (Channel, CargoCompany, CargoCompanyCondition, StateTransition, ApplicationSetting)
    ]


@pytest.mark.parametrize("path", CONFIG_LISTS)
def test_a_clerk_can_list_configuration(clerk_api, config_rows, path):
    response = clerk_api.get(f"{API}{path}")

    assert response.status_code == 200
    assert response.json()["results"][0]["id"] == config_rows[path].pk


@pytest.mark.parametrize("path", CONFIG_LISTS)
def test_a_clerk_can_read_one_configuration_row(clerk_api, config_rows, path):
    response = clerk_api.get(f"{API}{path}{config_rows[path].pk}/")

    assert response.status_code == 200


@pytest.mark.parametrize("path", CONFIG_LISTS)
def test_a_clerk_cannot_create_configuration(clerk_api, config_rows, path):
    before = _snapshot()

    response = clerk_api.post(f"{API}{path}", {"name": "x"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"error": {"non_field_errors": [STAFF_ONLY]}, "status_code": 403}
    assert _snapshot() == before


@pytest.mark.parametrize("path", CONFIG_LISTS)
@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_a_clerk_cannot_change_or_delete_configuration(clerk_api, config_rows, path, method):
    before = _snapshot()

    response = getattr(clerk_api, method)(f"{API}{path}{config_rows[path].pk}/", {"name": "x"}, format="json")

    assert response.status_code == 403
    assert response.json()["error"] == {"non_field_errors": [STAFF_ONLY]}
    assert _snapshot() == before


def test_staff_can_change_a_channel(api, config_rows):
    response = api.patch(f"{API}/channels/42/", {"name": "Trendyol TR"}, format="json")

    assert response.status_code == 200
    assert Channel.objects.get(pk=42).name == "Trendyol TR"


def test_staff_can_delete_a_transition(api, config_rows):
    transition = config_rows["/state-transitions/"]

    response = api.delete(f"{API}/state-transitions/{transition.pk}/")

    assert response.status_code == 204
    assert not StateTransition.objects.exists()


def test_staff_can_create_the_seeds_condition(api, config_rows):
    response = api.post(f"{API}/cargo-company-conditions/", SEED_CONDITION, format="json")

    assert response.status_code == 201
    assert CargoCompanyCondition.objects.count() == 2
