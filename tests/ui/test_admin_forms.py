"""Configuration edited in the admin is validated exactly as the API validates it."""

import json

import pytest
from django.utils.html import escape

from oms.configuration.keys import MASK
from oms.configuration.models import ApplicationSetting
from oms.configuration.services import application_setting_set
from oms.core.statuses import PackageStatus
from oms.shipments.models import CargoCompanyCondition
from oms.transitions.models import StateTransition
from tests.factories import seed_condition_body
from tests.ui.builders import make_cargo_company, make_channel, make_package

CONDITIONS = "/admin/shipments/cargocompanycondition/"
TRANSITIONS = "/admin/transitions/statetransition/"
SETTINGS = "/admin/configuration/applicationsetting/"
OMNITRON = {"url": "https://omnitron.example/", "username": "oms", "password": "s3cret-pass"}


def form_errors(response, field: str) -> list[str]:
    assert response.status_code == 200, "the form was accepted"
    return list(response.context["adminform"].form.errors.get(field, []))


def condition_post(client, rules, cargo_company_id: int, url: str = f"{CONDITIONS}add/"):
    text = rules if isinstance(rules, str) else json.dumps(rules)
    return client.post(url, {"cargo_company": cargo_company_id, "rules_configuration": text})


def test_a_condition_naming_an_unregistered_class_is_refused_on_the_field(superuser_client):
    company = make_cargo_company()
    rules = {"rules": [{"klass": "os.system", "params": {"command": "rm -rf /"}}]}

    response = condition_post(superuser_client, rules, company.pk)

    [error] = form_errors(response, "rules_configuration")
    assert error.startswith("rules[0].klass: 'os.system' is not a registered condition class. Valid values: ")
    assert escape(error) in response.content.decode()
    assert not CargoCompanyCondition.objects.exists()


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ("", 'Must be a JSON object {"rules": [...]}, not null.'),
        ('{"rules": [], "extra": 1}', "Unknown key(s) extra: rules_configuration holds only 'rules'."),
        ("[1, 2", "Enter a valid JSON."),
    ],
    ids=["empty", "unknown key", "not JSON"],
)
def test_malformed_rules_are_refused_with_the_apis_message(superuser_client, rules, expected):
    response = condition_post(superuser_client, rules, make_cargo_company().pk)

    [error] = form_errors(response, "rules_configuration")
    assert error.startswith(expected)
    assert not CargoCompanyCondition.objects.exists()


def test_a_valid_condition_is_stored_as_the_api_normalises_it(superuser_client):
    company, channel = make_cargo_company(), make_channel()
    body = seed_condition_body(cargo_company_id=company.pk, channel_id=channel.pk)

    response = condition_post(superuser_client, body["rules_configuration"], company.pk)

    assert response.status_code == 302
    condition = CargoCompanyCondition.objects.get()
    assert condition.rules_configuration == body["rules_configuration"]
    listing = superuser_client.get(CONDITIONS).content.decode()
    assert f"ChannelBasedOrdersCondition: channels [{channel.pk}] → OmnitronShipmentClient" in listing


def transition_post(client, url: str = f"{TRANSITIONS}add/", **fields):
    data = {
        "model": "package",
        "command": "CHANNEL_BASED_COMPLETE_PACKAGING",
        "slug": "CHANNEL_BASED_COMPLETE_PACKAGING",
        "name": "",
        "source_state": PackageStatus.WAITING,
        "destination_state": PackageStatus.PACKED,
    } | fields
    return client.post(url, data)


def test_a_transition_is_made_from_a_registry_command_and_state_names(superuser_client):
    form = superuser_client.get(f"{TRANSITIONS}add/").content.decode()
    assert '<option value="100">waiting</option>' in form
    assert '<option value="READY_TO_PACK">READY_TO_PACK</option>' in form

    response = transition_post(superuser_client)

    assert response.status_code == 302
    transition = StateTransition.objects.get()
    assert (transition.source_state, transition.destination_state) == (100, 500)
    listing = superuser_client.get(TRANSITIONS).content.decode()
    assert '<td class="field-source">waiting</td>' in listing


def test_a_transition_the_command_cannot_make_is_refused_per_field(superuser_client):
    response = transition_post(
        superuser_client,
        command="READY_TO_PACK",
        slug="READY_TO_PACK",
        source_state=PackageStatus.WAITING,
        destination_state=PackageStatus.DELIVERED,
    )

    assert form_errors(response, "source_state") == [
        "READY_TO_PACK cannot run from 'waiting'. Use a source state it runs from: preparing."
    ]
    assert form_errors(response, "destination_state") == [
        "READY_TO_PACK leads to ready_to_pack, not 'delivered'. Use that destination state."
    ]
    assert not StateTransition.objects.exists()


def test_a_duplicate_transition_names_the_existing_one(superuser_client):
    transition_post(superuser_client)
    existing = StateTransition.objects.get()

    response = transition_post(superuser_client)

    [error] = form_errors(response, "slug")
    assert error.startswith(
        f"A transition 'CHANNEL_BASED_COMPLETE_PACKAGING' from 'waiting' already exists (id {existing.pk})"
    )
    assert StateTransition.objects.count() == 1


def test_a_command_outside_the_registry_is_refused(superuser_client):
    response = transition_post(superuser_client, command="os.system")

    [error] = form_errors(response, "command")
    assert "os.system is not one of the available choices" in error


def test_a_secret_setting_is_masked_in_the_list_and_the_form(superuser_client):
    setting = application_setting_set(key="OMNITRON_CLIENT_SETTINGS", value=OMNITRON)

    listing = superuser_client.get(SETTINGS).content.decode()
    form = superuser_client.get(f"{SETTINGS}{setting.pk}/change/").content.decode()

    for html in (listing, form):
        assert "s3cret-pass" not in html
        assert MASK in html


def test_sending_the_mask_back_keeps_the_stored_secret(superuser_client):
    setting = application_setting_set(key="OMNITRON_CLIENT_SETTINGS", value=OMNITRON)
    value = {"url": "https://other.example", "username": "oms2", "password": MASK}

    response = superuser_client.post(f"{SETTINGS}{setting.pk}/change/", {"json_value": json.dumps(value)})

    assert response.status_code == 302
    setting.refresh_from_db()
    assert setting.json_value == {**value, "password": "s3cret-pass"}


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("AUTO_RUN_SHIP_THE_PACKAGE_COMMAND", '"yes"', "takes a JSON boolean (true or false), not 'yes'."),
        ("OMNITRON_CLIENT_SETTINGS", '{"url": "https://x.example"}', "password: This field is required."),
    ],
    ids=["boolean", "object"],
)
def test_a_setting_is_validated_for_its_key(superuser_client, key, value, expected):
    response = superuser_client.post(f"{SETTINGS}add/", {"key": key, "json_value": value})

    assert any(expected in error for error in form_errors(response, "json_value"))
    assert not ApplicationSetting.objects.exists()


def test_a_boolean_setting_can_be_false(superuser_client):
    response = superuser_client.post(
        f"{SETTINGS}add/", {"key": "AUTO_RUN_SHIP_THE_PACKAGE_COMMAND", "json_value": "false"}
    )

    assert response.status_code == 302
    assert ApplicationSetting.objects.get().json_value is False


@pytest.mark.parametrize(
    "model", ["orders/order", "packages/package", "shipments/shipment", "omnitron/omnitronreport"]
)
def test_records_from_omnitron_and_the_engine_are_read_only(superuser_client, model):
    make_package(channel=make_channel())

    assert superuser_client.get(f"/admin/{model}/add/").status_code == 403


def test_a_package_cannot_be_changed_in_the_admin(superuser_client):
    package = make_package(channel=make_channel())

    response = superuser_client.post(
        f"/admin/packages/package/{package.pk}/change/", {"status": PackageStatus.DELIVERED}
    )

    assert response.status_code == 403
    package.refresh_from_db()
    assert package.status == PackageStatus.WAITING
