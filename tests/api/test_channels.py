from oms.channels.models import Channel
from tests.api.conftest import API

URL = f"{API}/channels/"


def test_create_a_channel(api):
    response = api.post(
        URL, {"name": "Trendyol", "channel_type": "sales_channel", "omnitron_id": 42}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    channel = Channel.objects.get()
    assert body["id"] == channel.pk
    assert {k: body[k] for k in ("name", "channel_type", "omnitron_id", "is_active", "configuration")} == {
        "name": "Trendyol",
        "channel_type": "sales_channel",
        "omnitron_id": 42,
        "is_active": True,
        "configuration": {},
    }
    assert (channel.name, channel.channel_type, channel.omnitron_id) == ("Trendyol", "sales_channel", 42)


def test_list_channels_is_paginated(api, channel_42):
    response = api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    assert [row["id"] for row in body["results"]] == [42]


def test_filter_channels_by_omnitron_id(api, channel_42):
    Channel.objects.create(name="Other", channel_type="web", omnitron_id=1)

    response = api.get(URL, {"omnitron_id": 4200})

    assert [row["id"] for row in response.json()["results"]] == [42]


def test_get_a_channel(api, channel_42):
    response = api.get(f"{URL}42/")

    assert response.status_code == 200
    assert response.json()["name"] == "Trendyol"


def test_patch_a_channel(api, channel_42):
    response = api.patch(f"{URL}42/", {"is_active": False}, format="json")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    channel_42.refresh_from_db()
    assert channel_42.is_active is False


def test_a_duplicate_omnitron_id_is_refused_naming_the_existing_channel(api, channel_42):
    response = api.post(
        URL, {"name": "Copy", "channel_type": "sales_channel", "omnitron_id": 4200}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "omnitron_id": [
                "A channel with omnitron_id 4200 already exists (id 42). Change it with "
                "PATCH /api/v1/oms/channels/42/ instead of creating another."
            ]
        },
        "status_code": 400,
    }
    assert Channel.objects.count() == 1


def test_patching_to_another_channels_omnitron_id_is_refused(api, channel_42):
    other = Channel.objects.create(name="Other", channel_type="web", omnitron_id=1)

    response = api.patch(f"{URL}{other.pk}/", {"omnitron_id": 4200}, format="json")

    assert response.status_code == 400
    assert "already exists (id 42)" in response.json()["error"]["omnitron_id"][0]
    other.refresh_from_db()
    assert other.omnitron_id == 1


def test_patching_a_channel_with_its_own_omnitron_id_is_fine(api, channel_42):
    response = api.patch(f"{URL}42/", {"omnitron_id": 4200, "name": "Trendyol TR"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "Trendyol TR"


def test_an_unknown_field_is_refused_by_name(api):
    response = api.post(URL, {"name": "T", "channel_type": "x", "colour": "red"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "colour": [
            "Unknown field 'colour'. Writable fields are: channel_type, configuration, is_active, name, "
            "omnitron_id."
        ]
    }
    assert Channel.objects.count() == 0


def test_a_read_only_field_is_refused_saying_to_leave_it_out(api, channel_42):
    response = api.patch(f"{URL}42/", {"created_at": "2020-01-01T00:00:00Z"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["created_at"][0].startswith("'created_at' is read-only: leave it out.")


def test_a_wrong_type_is_refused_naming_the_field(api):
    response = api.post(URL, {"name": "T", "channel_type": "x", "omnitron_id": "forty-two"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "omnitron_id": ["omnitron_id is the channel's id in Omnitron: a whole number, or null."]
    }
    assert Channel.objects.count() == 0


def test_configuration_must_be_an_object(api):
    response = api.post(URL, {"name": "T", "channel_type": "x", "configuration": [1]}, format="json")

    assert response.status_code == 400
    assert "configuration must be a JSON object" in response.json()["error"]["configuration"][0]


def test_missing_required_fields_are_named(api):
    response = api.post(URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]) == {"name", "channel_type"}


def test_put_is_not_offered_on_a_channel(api, channel_42):
    response = api.put(f"{URL}42/", {"name": "X", "channel_type": "y"}, format="json")

    assert response.status_code == 405
    channel_42.refresh_from_db()
    assert channel_42.name == "Trendyol"
