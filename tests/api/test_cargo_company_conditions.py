"""Cargo company conditions: the seed's body, and the closed allowlist of classes."""

import json
import sys

import pytest

from oms.channels.models import Channel
from oms.shipments.models import CargoCompany, CargoCompanyCondition
from tests.api.conftest import API, CLIENT_KLASS, CONDITION_KLASS, SEED_CONDITION, seed_condition

URL = f"{API}/cargo-company-conditions/"
VALID_CONDITIONS = f"Valid values: {CONDITION_KLASS}."
VALID_CLIENTS = f"Valid values: {CLIENT_KLASS}."


def _errors(response) -> list[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status_code"] == 400
    return body["error"]["rules_configuration"]


def _with_rule(**changes) -> dict:
    body = seed_condition()
    body["rules_configuration"]["rules"][0].update(changes)
    return body


def _with_params(**changes) -> dict:
    body = seed_condition()
    body["rules_configuration"]["rules"][0]["params"].update(changes)
    return body


def test_the_seeds_condition_is_created_and_stored_as_sent(api, seed_setup):
    response = api.post(URL, SEED_CONDITION, format="json")

    assert response.status_code == 201
    condition = CargoCompanyCondition.objects.get()
    assert condition.cargo_company_id == 1
    assert condition.rules_configuration == SEED_CONDITION["rules_configuration"]
    body = response.json()
    assert body["id"] == condition.pk
    assert (body["cargo_company"], body["rules_configuration"]) == (1, SEED_CONDITION["rules_configuration"])


def test_a_condition_is_read_back_as_stored(api, seed_setup):
    condition = CargoCompanyCondition.objects.create(
        cargo_company_id=1, rules_configuration=SEED_CONDITION["rules_configuration"]
    )

    response = api.get(f"{URL}{condition.pk}/")

    assert response.status_code == 200
    assert response.json()["rules_configuration"] == SEED_CONDITION["rules_configuration"]


def test_conditions_are_filtered_by_cargo_company(api, seed_setup):
    other = CargoCompany.objects.create(name="Other")
    mine = CargoCompanyCondition.objects.create(cargo_company_id=1, rules_configuration={"rules": []})
    CargoCompanyCondition.objects.create(cargo_company=other, rules_configuration={"rules": []})

    response = api.get(URL, {"cargo_company": 1})

    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


@pytest.mark.parametrize(
    "klass",
    [
        "os.system",
        "oms.shipments.shipment_conditions.ChannelBasedOrderCondition",  # a typo of the real path
        CLIENT_KLASS,  # a real class, but a shipment client, not a condition
        "django.contrib.auth.models.User",
        "oms.shipments.shipment_conditions.ShipmentCondition",  # the abstract base
    ],
)
def test_a_klass_outside_the_registry_is_refused_naming_it_and_the_valid_ones(api, seed_setup, klass):
    response = api.post(URL, _with_rule(klass=klass), format="json")

    assert _errors(response) == [
        f"rules[0].klass: '{klass}' is not a registered condition class. {VALID_CONDITIONS}"
    ]
    assert CargoCompanyCondition.objects.count() == 0


@pytest.mark.parametrize(("klass", "shown"), [(123, "123"), (["os.system"], '["os.system"]'), (None, "null")])
def test_a_non_string_klass_is_refused_naming_it_and_the_valid_ones(api, seed_setup, klass, shown):
    response = api.post(URL, _with_rule(klass=klass), format="json")

    assert _errors(response) == [
        f"rules[0].klass: {shown} is not a registered condition class: it must be a dotted path "
        f"(a string). {VALID_CONDITIONS}"
    ]
    assert CargoCompanyCondition.objects.count() == 0


@pytest.mark.parametrize("klass", ["os.system", CONDITION_KLASS, "oms.shipments.clients.base.ShipmentClient"])
def test_an_unregistered_conf_klass_is_refused_naming_it_and_the_valid_ones(api, seed_setup, klass):
    response = api.post(URL, _with_params(conf={"klass": klass}), format="json")

    assert _errors(response) == [
        f"rules[0].params.conf.klass: '{klass}' is not a registered shipment client class. {VALID_CLIENTS}"
    ]
    assert CargoCompanyCondition.objects.count() == 0


def test_a_non_string_conf_klass_is_refused_naming_it_and_the_valid_ones(api, seed_setup):
    response = api.post(URL, _with_params(conf={"klass": {"path": "os.system"}}), format="json")

    assert _errors(response) == [
        'rules[0].params.conf.klass: {"path": "os.system"} is not a registered shipment client class: '
        f"it must be a dotted path (a string). {VALID_CLIENTS}"
    ]


LONG_PATH = "oms." + "a" * 100_000 + ".Condition"


def test_a_very_long_klass_is_echoed_cut_to_200_characters(api, seed_setup):
    response = api.post(URL, _with_rule(klass=LONG_PATH), format="json")

    assert _errors(response) == [
        f"rules[0].klass: '{LONG_PATH[:200]}…' ({len(LONG_PATH)} characters) is not a registered "
        f"condition class. {VALID_CONDITIONS}"
    ]
    assert CargoCompanyCondition.objects.count() == 0


def test_a_very_long_conf_klass_is_echoed_cut_to_200_characters(api, seed_setup):
    response = api.post(URL, _with_params(conf={"klass": LONG_PATH}), format="json")

    [error] = _errors(response)
    assert error == (
        f"rules[0].params.conf.klass: '{LONG_PATH[:200]}…' ({len(LONG_PATH)} characters) is not a "
        f"registered shipment client class. {VALID_CLIENTS}"
    )
    assert len(error) < 500


def test_a_very_long_non_string_klass_is_echoed_cut_to_200_characters(api, seed_setup):
    klass = ["os.system"] * 20_000
    shown = json.dumps(klass)

    response = api.post(URL, _with_rule(klass=klass), format="json")

    assert _errors(response) == [
        f"rules[0].klass: {shown[:200]}… ({len(shown)} characters) is not a registered condition class: "
        f"it must be a dotted path (a string). {VALID_CONDITIONS}"
    ]


def test_a_klass_of_exactly_200_characters_is_echoed_whole(api, seed_setup):
    klass = "oms." + "b" * 196

    response = api.post(URL, _with_rule(klass=klass), format="json")

    assert _errors(response) == [
        f"rules[0].klass: '{klass}' is not a registered condition class. {VALID_CONDITIONS}"
    ]


def test_no_module_named_by_a_request_is_imported(api, seed_setup):
    condition_module, client_module = "oms_probe_condition_module", "oms_probe_client_module"
    assert condition_module not in sys.modules and client_module not in sys.modules
    body = seed_condition()
    body["rules_configuration"]["rules"] = [
        {"klass": f"{condition_module}.Evil", "params": {}},
        {
            "klass": CONDITION_KLASS,
            "params": {
                "condition_type": "sales_channel",
                "channels": [42],
                "conf": {"klass": f"{client_module}.Evil"},
            },
        },
    ]

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert condition_module not in sys.modules
    assert client_module not in sys.modules
    assert CargoCompanyCondition.objects.count() == 0


def test_unknown_channel_ids_are_refused_as_oms_channel_ids(api, seed_setup):
    response = api.post(URL, _with_params(channels=[42, 7, 8]), format="json")

    assert _errors(response) == [
        "rules[0].params.channels: Unknown OMS channel id(s): 7, 8. Use the id of a channel from "
        "GET /api/v1/oms/channels/ (OMS channel ids, not Omnitron ids)."
    ]
    assert CargoCompanyCondition.objects.count() == 0


def test_an_omnitron_channel_id_is_not_an_oms_channel_id(api, seed_setup):
    # Channel 42 has Omnitron id 4200: the condition names OMS ids only.
    response = api.post(URL, _with_params(channels=[4200]), format="json")

    assert "Unknown OMS channel id(s): 4200" in _errors(response)[0]


def test_repeated_channel_ids_are_refused(api, seed_setup):
    response = api.post(URL, _with_params(channels=[42, 42]), format="json")

    assert _errors(response) == [
        "rules[0].params.channels: Channel id(s) 42 are listed more than once: list each once."
    ]


def test_an_empty_channel_list_means_every_channel_of_the_type(api, seed_setup):
    response = api.post(URL, _with_params(channels=[]), format="json")

    assert response.status_code == 201
    assert response.json()["rules_configuration"]["rules"][0]["params"]["channels"] == []


def test_channels_must_be_a_list(api, seed_setup):
    response = api.post(URL, _with_params(channels=42), format="json")

    assert _errors(response) == [
        'rules[0].params.channels: Must be a list of OMS channel ids, e.g. [42]; got "int".'
    ]
    assert CargoCompanyCondition.objects.count() == 0


def test_a_channel_id_must_be_an_integer(api, seed_setup):
    response = api.post(URL, _with_params(channels=["Trendyol"]), format="json")

    assert _errors(response) == [
        "rules[0].params.channels[0]: Each channel is an OMS channel id (an integer), e.g. 42."
    ]


@pytest.mark.parametrize("channel", [2**63, 10**30])
def test_a_channel_id_no_database_can_hold_is_refused(api, seed_setup, channel):
    response = api.post(URL, _with_params(channels=[42, channel]), format="json")

    assert _errors(response) == [
        "rules[0].params.channels[1]: Each channel is an OMS channel id (an integer up to 2**63-1), e.g. 42."
    ]
    assert CargoCompanyCondition.objects.count() == 0


def test_a_rule_lists_at_most_a_thousand_channels(api, seed_setup):
    response = api.post(URL, _with_params(channels=list(range(1, 1002))), format="json")

    assert _errors(response) == [
        "rules[0].params.channels: At most 1000 channels per rule; split them over several rules."
    ]
    assert CargoCompanyCondition.objects.count() == 0


def test_conf_is_required(api, seed_setup):
    body = seed_condition()
    del body["rules_configuration"]["rules"][0]["params"]["conf"]

    response = api.post(URL, body, format="json")

    assert _errors(response) == [
        'rules[0].params.conf: Required: {"klass": "<dotted path of a registered shipment client class>"}.'
    ]
    assert CargoCompanyCondition.objects.count() == 0


def test_conf_must_be_an_object(api, seed_setup):
    response = api.post(URL, _with_params(conf=CLIENT_KLASS), format="json")

    assert _errors(response) == [
        "rules[0].params.conf: Expected a JSON object, but got a string. "
        "Send an object with the fields: klass."
    ]


def test_an_unknown_params_key_is_refused_by_name(api, seed_setup):
    response = api.post(URL, _with_params(priority=1), format="json")

    assert _errors(response) == [
        "rules[0].params.priority: Unknown field 'priority'. "
        "Writable fields are: channels, condition_type, conf."
    ]
    assert CargoCompanyCondition.objects.count() == 0


def test_an_unknown_conf_key_is_refused_by_name(api, seed_setup):
    response = api.post(URL, _with_params(conf={"klass": CLIENT_KLASS, "api_key": "x"}), format="json")

    assert _errors(response) == [
        "rules[0].params.conf.api_key: Unknown field 'api_key'. Writable fields are: klass."
    ]


def test_an_unknown_rule_key_is_refused(api, seed_setup):
    response = api.post(URL, _with_rule(order=1), format="json")

    assert _errors(response) == [
        "rules[0]: unknown key(s) order; a rule has only klass and params. Remove them."
    ]


def test_a_rule_without_klass_is_refused(api, seed_setup):
    body = seed_condition()
    del body["rules_configuration"]["rules"][0]["klass"]

    response = api.post(URL, body, format="json")

    assert _errors(response) == [
        f"rules[0].klass: Required: the dotted path of a registered condition class. {VALID_CONDITIONS}"
    ]


def test_rules_must_be_a_list(api, seed_setup):
    body = seed_condition()
    body["rules_configuration"]["rules"] = body["rules_configuration"]["rules"][0]

    response = api.post(URL, body, format="json")

    assert _errors(response)[0].startswith('"rules" is required and must be a list of rules (got an object')
    assert CargoCompanyCondition.objects.count() == 0


def test_rules_configuration_must_be_an_object(api, seed_setup):
    body = seed_condition()
    body["rules_configuration"] = body["rules_configuration"]["rules"]

    response = api.post(URL, body, format="json")

    assert _errors(response)[0].startswith('Must be a JSON object {"rules": [...]}, not a list.')
    assert CargoCompanyCondition.objects.count() == 0


def test_rules_configuration_holds_only_rules(api, seed_setup):
    body = seed_condition()
    body["rules_configuration"]["default"] = CLIENT_KLASS

    response = api.post(URL, body, format="json")

    assert _errors(response) == [
        "Unknown key(s) default: rules_configuration holds only 'rules'. Remove them."
    ]


def test_every_bad_rule_is_reported_at_once(api, seed_setup):
    body = seed_condition()
    body["rules_configuration"]["rules"].append({"klass": "os.system", "params": {}})
    body["rules_configuration"]["rules"].append("not a rule")

    response = api.post(URL, body, format="json")

    errors = _errors(response)
    assert errors[0] == f"rules[1].klass: 'os.system' is not a registered condition class. {VALID_CONDITIONS}"
    assert errors[1].startswith("rules[2]: must be an object, not a string")


def test_an_unknown_cargo_company_is_refused_saying_where_to_find_ids(api, channel_42):
    response = api.post(URL, SEED_CONDITION, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "cargo_company": [
            'No cargo company with id "1". Use the id of a cargo company from GET '
            "/api/v1/oms/cargo-companies/ (OMS ids, not Omnitron ids)."
        ]
    }
    assert CargoCompanyCondition.objects.count() == 0


def test_an_unknown_top_level_field_is_refused(api, seed_setup):
    response = api.post(URL, {**SEED_CONDITION, "priority": 1}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]) == ["priority"]


def test_put_replaces_a_condition(api, seed_setup):
    condition = CargoCompanyCondition.objects.create(cargo_company_id=1, rules_configuration={"rules": []})
    other_channel = Channel.objects.create(name="Hepsiburada", channel_type="sales_channel")
    body = _with_params(channels=[other_channel.pk])

    response = api.put(f"{URL}{condition.pk}/", body, format="json")

    assert response.status_code == 200
    condition.refresh_from_db()
    assert condition.rules_configuration == body["rules_configuration"]


def test_a_refused_put_changes_nothing(api, seed_setup):
    condition = CargoCompanyCondition.objects.create(
        cargo_company_id=1, rules_configuration=SEED_CONDITION["rules_configuration"]
    )

    response = api.put(f"{URL}{condition.pk}/", _with_rule(klass="os.system"), format="json")

    assert response.status_code == 400
    condition.refresh_from_db()
    assert condition.rules_configuration == SEED_CONDITION["rules_configuration"]


def test_put_needs_every_field(api, seed_setup):
    condition = CargoCompanyCondition.objects.create(cargo_company_id=1, rules_configuration={"rules": []})

    response = api.put(f"{URL}{condition.pk}/", {"cargo_company": 1}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]) == ["rules_configuration"]


def test_patch_changes_the_rules(api, seed_setup):
    condition = CargoCompanyCondition.objects.create(cargo_company_id=1, rules_configuration={"rules": []})

    response = api.patch(
        f"{URL}{condition.pk}/", {"rules_configuration": SEED_CONDITION["rules_configuration"]}, format="json"
    )

    assert response.status_code == 200
    condition.refresh_from_db()
    assert condition.rules_configuration == SEED_CONDITION["rules_configuration"]


def test_delete_a_condition(api, seed_setup):
    condition = CargoCompanyCondition.objects.create(
        cargo_company_id=1, rules_configuration=SEED_CONDITION["rules_configuration"]
    )

    response = api.delete(f"{URL}{condition.pk}/")

    assert response.status_code == 204
    assert not CargoCompanyCondition.objects.exists()
    assert CargoCompany.objects.filter(pk=1).exists()


def test_a_cargo_company_id_beyond_64_bits_is_refused_not_a_server_error(api):
    response = api.post(
        "/api/v1/oms/cargo-company-conditions/",
        {"cargo_company": 10**20, "rules_configuration": {"rules": []}},
        format="json",
    )

    assert response.status_code == 400
    assert "cargo_company" in response.json()["error"]
