"""Token login, and the error envelope on every kind of refusal."""

import pytest

from oms.channels.models import Channel
from oms.core.tokens import key_digest
from tests.api.conftest import API

ENDPOINTS = [
    "/channels/",
    "/channels/1/",
    "/cargo-companies/",
    "/cargo-companies/1/",
    "/cargo-company-conditions/",
    "/cargo-company-conditions/1/",
    "/state-transitions/",
    "/state-transitions/1/",
    "/settings/application_settings/",
    "/settings/application_settings/1/",
    "/orders/",
    "/orders/1/",
    "/packages/",
    "/packages/1/",
    "/shipments/",
    "/shipments/1/",
]


def test_login_answers_a_new_key_stored_only_as_its_digest(staff_user, anon):
    response = anon.post(
        f"{API}/auth/login/", {"username": "staff", "password": "staff-password-123"}, format="json"
    )

    assert response.status_code == 200
    assert list(response.json()) == ["key"]
    key = response.json()["key"]
    token = staff_user.api_tokens.get()
    assert token.digest == key_digest(key) and token.prefix == key[:8]
    anon.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert anon.get(f"{API}/channels/").status_code == 200


def test_login_with_a_wrong_password_is_refused_in_the_envelope(staff_user, anon):
    response = anon.post(f"{API}/auth/login/", {"username": "staff", "password": "nope"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "non_field_errors": [
                "Wrong username or password. Check both and retry; an administrator can "
                "reset a password with `oms changepassword <username>`."
            ]
        },
        "status_code": 400,
    }


def test_login_without_a_password_names_the_missing_field(staff_user, anon):
    response = anon.post(f"{API}/auth/login/", {"username": "staff"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]) == ["password"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_every_endpoint_answers_401_without_a_token(anon, db, path, method):
    response = getattr(anon, method)(f"{API}{path}", {}, format="json")

    assert response.status_code == 401
    body = response.json()
    assert body["status_code"] == 401
    assert "POST /api/v1/oms/auth/login/" in body["error"]["non_field_errors"][0]


def test_a_wrong_token_answers_401_saying_how_to_log_in(anon, db):
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = anon.get(f"{API}/channels/")

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "non_field_errors": [
                "Invalid token. Log in with POST /api/v1/oms/auth/login/ and send "
                "'Authorization: Token <key>'."
            ]
        },
        "status_code": 401,
    }


def test_malformed_json_answers_400_not_500_and_creates_nothing(api):
    response = api.post(f"{API}/channels/", '{"name": "Trendyol",', content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["status_code"] == 400
    message = body["error"]["non_field_errors"][0]
    assert message.startswith("JSON parse error")
    assert "Send a valid JSON object" in message
    assert Channel.objects.count() == 0


def test_a_body_that_is_not_a_json_object_is_refused_naming_the_writable_fields(api):
    response = api.post(f"{API}/channels/", [{"name": "x"}], format="json")

    assert response.status_code == 400
    message = response.json()["error"]["non_field_errors"][0]
    assert message.startswith("Expected a JSON object, but got a list.")
    assert "channel_type" in message
    assert Channel.objects.count() == 0


def test_a_non_json_content_type_answers_415_in_the_envelope(api):
    response = api.post(f"{API}/channels/", "name=x", content_type="text/plain")

    assert response.status_code == 415
    body = response.json()
    assert body["status_code"] == 415
    assert "Content-Type: application/json" in body["error"]["non_field_errors"][0]


def test_an_unknown_id_answers_404_in_the_envelope(api):
    response = api.get(f"{API}/channels/999/")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"non_field_errors": ["Not found: no such object. Check the id in the URL."]},
        "status_code": 404,
    }


def test_a_non_numeric_id_answers_404_not_500(api):
    response = api.get(f"{API}/packages/abc/")

    assert response.status_code == 404
    assert response.json()["status_code"] == 404


def test_a_method_the_endpoint_does_not_offer_answers_405_naming_the_allowed_ones(api, channel_42):
    response = api.delete(f"{API}/channels/42/")

    assert response.status_code == 405
    assert response.json() == {
        "error": {"non_field_errors": ['Method "DELETE" not allowed. This URL accepts: GET, PATCH.']},
        "status_code": 405,
    }
    assert Channel.objects.filter(pk=42).exists()


def test_post_on_a_read_only_list_answers_405(api):
    response = api.post(f"{API}/orders/", {}, format="json")

    assert response.status_code == 405
    assert response.json()["status_code"] == 405


def test_a_null_body_is_refused_as_not_an_object(api):
    response = api.post(f"{API}/channels/", "null", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["non_field_errors"][0].startswith("Expected a JSON object, but got null.")
    assert Channel.objects.count() == 0
