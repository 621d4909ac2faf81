"""Duplicates that slip past serializer validation (two requests racing) answer 400, never 500.

The race is reproduced by switching off the serializer's own uniqueness check, so the database
constraint is what refuses the second row.
"""

from oms.channels.models import Channel
from oms.channels.serializers import ChannelSerializer
from oms.configuration.models import ApplicationSetting
from oms.configuration.serializers import ApplicationSettingSerializer
from oms.shipments.models import CargoCompany
from oms.shipments.serializers import CargoCompanySerializer
from oms.transitions.models import StateTransition
from oms.transitions.serializers import StateTransitionSerializer
from tests.api.conftest import API


def test_a_racing_duplicate_channel_answers_400_naming_the_winner(api, channel_42, monkeypatch):
    monkeypatch.setattr(ChannelSerializer, "validate_omnitron_id", lambda self, value: value)

    response = api.post(
        f"{API}/channels/",
        {"name": "Copy", "channel_type": "sales_channel", "omnitron_id": 4200},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "omnitron_id": [
            "A channel with omnitron_id 4200 already exists (id 42). Change it with "
            "PATCH /api/v1/oms/channels/42/ instead of creating another."
        ]
    }
    assert Channel.objects.count() == 1


def test_a_racing_duplicate_cargo_company_answers_400(api, cargo_company_1, monkeypatch):
    monkeypatch.setattr(CargoCompanySerializer, "validate_omnitron_id", lambda self, value: value)

    response = api.post(f"{API}/cargo-companies/", {"name": "Copy", "omnitron_id": 7}, format="json")

    assert response.status_code == 400
    assert "already exists (id 1)" in response.json()["error"]["omnitron_id"][0]
    assert CargoCompany.objects.count() == 1


def test_a_racing_duplicate_setting_answers_400(api, monkeypatch):
    existing = ApplicationSetting.objects.create(key="AUTO_RUN_SHIP_THE_PACKAGE_COMMAND", json_value=False)
    monkeypatch.setattr(ApplicationSettingSerializer, "validate_key", lambda self, value: value)

    response = api.post(
        f"{API}/settings/application_settings/",
        {"key": "AUTO_RUN_SHIP_THE_PACKAGE_COMMAND", "json_value": True},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"] == {
        "key": [
            f"AUTO_RUN_SHIP_THE_PACKAGE_COMMAND is already set (id {existing.pk}). Change it with PATCH "
            f"/api/v1/oms/settings/application_settings/{existing.pk}/."
        ]
    }
    existing.refresh_from_db()
    assert existing.json_value is False


def test_a_racing_duplicate_transition_answers_400(api, monkeypatch):
    existing = StateTransition.objects.create(
        model="package", command="PREPARE_PACKAGE", slug="prepare", source_state=100, destination_state=200
    )
    clashing_id = StateTransitionSerializer._clashing_id
    calls = []

    def racing_check(self, merged):
        # The first look (validation) sees no clash, as if the other request had not committed yet.
        calls.append(merged)
        return None if len(calls) == 1 else clashing_id(self, merged)

    monkeypatch.setattr(StateTransitionSerializer, "_clashing_id", racing_check)

    response = api.post(
        f"{API}/state-transitions/",
        {
            "command": "PREPARE_PACKAGE",
            "slug": "prepare",
            "source_state": "waiting",
            "destination_state": "preparing",
        },
        format="json",
    )

    assert response.status_code == 400
    assert f"already exists (id {existing.pk})" in response.json()["error"]["slug"][0]
    assert StateTransition.objects.count() == 1


def test_after_a_refused_racing_write_the_request_can_still_use_the_database(api, channel_42, monkeypatch):
    monkeypatch.setattr(ChannelSerializer, "validate_omnitron_id", lambda self, value: value)
    api.post(f"{API}/channels/", {"name": "Copy", "channel_type": "x", "omnitron_id": 4200}, format="json")

    response = api.post(
        f"{API}/channels/", {"name": "New", "channel_type": "x", "omnitron_id": 1}, format="json"
    )

    assert response.status_code == 201
    assert Channel.objects.count() == 2
