"""Answers a new integrator meets first: unknown URLs and methods, a JSON body sent as a form."""

from rest_framework.test import APIClient

from tests.api.conftest import API


def test_an_unknown_api_url_answers_the_json_envelope(api):
    response = api.get(f"{API}/packagez/")

    assert response.status_code == 404
    body = response.json()
    assert body["status_code"] == 404
    assert "There is no API endpoint at /api/v1/oms/packagez/" in body["error"]["non_field_errors"][0]


def test_an_unknown_api_url_answers_json_without_a_token_too(db):
    response = APIClient().get("/api/v2/anything")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["status_code"] == 404


def test_a_wrong_method_answers_the_json_envelope(api):
    response = api.delete(f"{API}/packages/")

    assert response.status_code == 405
    assert response.json()["status_code"] == 405
    assert "DELETE" in response.json()["error"]["non_field_errors"][0]


def test_a_json_login_sent_without_content_type_says_to_send_it(db, django_user_model):
    django_user_model.objects.create_user("clerk", password="pw-1")

    response = APIClient().post(
        f"{API}/auth/login/",
        '{"username": "clerk", "password": "pw-1"}',
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    message = response.json()["error"]["non_field_errors"][0]
    assert "Content-Type: application/json" in message
    assert "Unknown field" not in message
