import pytest

from oms.configuration.models import ApplicationSetting
from oms.configuration.services import application_setting_get
from tests.api.conftest import API

URL = f"{API}/settings/application_settings/"
AUTO_RUN = "AUTO_RUN_SHIP_THE_PACKAGE_COMMAND"
OMNITRON = "OMNITRON_CLIENT_SETTINGS"
CREDENTIALS = {"url": "https://acme.omnitron.example", "username": "oms", "password": "s3cret"}
MASKED = {**CREDENTIALS, "password": "********"}


def test_set_auto_run_ship_to_true(api):
    response = api.post(URL, {"key": AUTO_RUN, "json_value": True}, format="json")

    assert response.status_code == 201
    row = ApplicationSetting.objects.get()
    assert response.json() == {"id": row.pk, "key": AUTO_RUN, "json_value": True}
    assert application_setting_get(AUTO_RUN) is True


@pytest.mark.parametrize("value", ["true", 1, "yes", None, {"on": True}])
def test_auto_run_ship_takes_only_a_json_boolean(api, value):
    response = api.post(URL, {"key": AUTO_RUN, "json_value": value}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]) == ["json_value"]
    assert ApplicationSetting.objects.count() == 0


def test_a_string_for_auto_run_ship_says_to_send_a_boolean(api):
    response = api.post(URL, {"key": AUTO_RUN, "json_value": "true"}, format="json")

    assert response.json()["error"] == {
        "json_value": [f"{AUTO_RUN} takes a JSON boolean (true or false), not 'true'."]
    }


def test_an_unknown_key_is_refused_listing_the_valid_keys(api):
    response = api.post(URL, {"key": "AUTO_SHIP", "json_value": True}, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "key": [f"'AUTO_SHIP' is not a known setting key. Valid keys: {AUTO_RUN}, {OMNITRON}."]
    }
    assert ApplicationSetting.objects.count() == 0


def test_a_key_already_set_is_refused_pointing_at_the_existing_setting(api):
    existing = ApplicationSetting.objects.create(key=AUTO_RUN, json_value=False)

    response = api.post(URL, {"key": AUTO_RUN, "json_value": True}, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "key": [
            f"{AUTO_RUN} is already set (id {existing.pk}). Change it with PATCH "
            f"/api/v1/oms/settings/application_settings/{existing.pk}/."
        ]
    }
    existing.refresh_from_db()
    assert existing.json_value is False


def test_json_value_is_required(api):
    response = api.post(URL, {"key": AUTO_RUN}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]) == ["json_value"]


def test_patch_a_setting(api):
    setting = ApplicationSetting.objects.create(key=AUTO_RUN, json_value=False)

    response = api.patch(f"{URL}{setting.pk}/", {"json_value": True}, format="json")

    assert response.status_code == 200
    setting.refresh_from_db()
    assert setting.json_value is True


def test_patch_cannot_change_the_key(api):
    setting = ApplicationSetting.objects.create(key=AUTO_RUN, json_value=False)

    response = api.patch(f"{URL}{setting.pk}/", {"key": OMNITRON}, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "key": ["The key of a setting cannot change. Create a setting with the new key instead."]
    }
    setting.refresh_from_db()
    assert setting.key == AUTO_RUN


def test_a_refused_patch_keeps_the_stored_value(api):
    setting = ApplicationSetting.objects.create(key=AUTO_RUN, json_value=True)

    response = api.patch(f"{URL}{setting.pk}/", {"json_value": "no"}, format="json")

    assert response.status_code == 400
    setting.refresh_from_db()
    assert setting.json_value is True


def test_filter_settings_by_exact_key(api):
    wanted = ApplicationSetting.objects.create(key=AUTO_RUN, json_value=True)
    ApplicationSetting.objects.create(key=OMNITRON, json_value=CREDENTIALS)

    response = api.get(URL, {"key": AUTO_RUN})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


def test_omnitron_client_settings_are_stored_and_the_password_is_masked_in_the_answer(api):
    response = api.post(URL, {"key": OMNITRON, "json_value": CREDENTIALS}, format="json")

    assert response.status_code == 201
    assert response.json()["json_value"] == MASKED
    assert ApplicationSetting.objects.get().json_value == CREDENTIALS


def test_the_password_is_masked_on_list(api):
    ApplicationSetting.objects.create(key=OMNITRON, json_value=CREDENTIALS)

    response = api.get(URL)

    assert response.json()["results"][0]["json_value"] == MASKED


def test_the_password_is_masked_on_detail(api):
    setting = ApplicationSetting.objects.create(key=OMNITRON, json_value=CREDENTIALS)

    response = api.get(f"{URL}{setting.pk}/")

    assert response.json()["json_value"] == MASKED


def test_the_password_is_masked_in_a_patch_answer(api):
    setting = ApplicationSetting.objects.create(key=OMNITRON, json_value=CREDENTIALS)

    response = api.patch(
        f"{URL}{setting.pk}/", {"json_value": {**CREDENTIALS, "password": "new"}}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["json_value"] == MASKED
    setting.refresh_from_db()
    assert setting.json_value["password"] == "new"


def test_a_patch_that_sends_the_mask_back_keeps_the_stored_password(api):
    setting = ApplicationSetting.objects.create(key=OMNITRON, json_value=CREDENTIALS)

    response = api.patch(f"{URL}{setting.pk}/", {"json_value": {**MASKED, "username": "oms2"}}, format="json")

    assert response.status_code == 200
    setting.refresh_from_db()
    assert setting.json_value == {**CREDENTIALS, "username": "oms2"}


def test_the_mask_is_not_accepted_as_a_first_password(api):
    response = api.post(URL, {"key": OMNITRON, "json_value": MASKED}, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "json_value": {
            "password": [
                "'********' is the mask shown in place of the stored password, and no password is "
                "stored yet. Send the real password."
            ]
        }
    }
    assert ApplicationSetting.objects.count() == 0


def test_omnitron_client_settings_name_the_missing_fields(api):
    response = api.post(URL, {"key": OMNITRON, "json_value": {"url": "https://x.example"}}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["json_value"]) == {"username", "password"}
    assert ApplicationSetting.objects.count() == 0


def test_omnitron_client_settings_refuse_an_unknown_field(api):
    response = api.post(URL, {"key": OMNITRON, "json_value": {**CREDENTIALS, "token": "t"}}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["json_value"]) == ["token"]


def test_omnitron_client_settings_refuse_a_bad_url(api):
    response = api.post(
        URL, {"key": OMNITRON, "json_value": {**CREDENTIALS, "url": "not a url"}}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["json_value"]) == ["url"]


def test_omnitron_client_settings_must_be_an_object(api):
    response = api.post(URL, {"key": OMNITRON, "json_value": "https://x.example"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["json_value"][0].startswith(
        f"{OMNITRON} takes a JSON object with the fields: url, username, password"
    )


def test_settings_cannot_be_deleted(api):
    setting = ApplicationSetting.objects.create(key=AUTO_RUN, json_value=True)

    response = api.delete(f"{URL}{setting.pk}/")

    assert response.status_code == 405
    assert ApplicationSetting.objects.filter(pk=setting.pk).exists()
