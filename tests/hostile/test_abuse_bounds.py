"""Bounded abuse: bodies over the limit answer 413, password guessing is throttled (429)."""

import json

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings

from oms.channels.models import Channel

API = "/api/v1/oms"
LIMIT = 4096


@pytest.fixture
def throttle_cache():
    caches["throttle"].clear()
    yield
    caches["throttle"].clear()


def _rates(per_username: str, per_address: str):
    rest = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login-username": per_username, "login-address": per_address},
    }
    return override_settings(REST_FRAMEWORK=rest)


def _padded(body: dict, size: int) -> str:
    return json.dumps({**body, "padding": "x" * size})


@override_settings(OMS_MAX_BODY_BYTES=LIMIT)
@pytest.mark.parametrize(
    "path", ["/auth/login/", "/omnitron/orders/", "/channels/", "/packages/1/command/"], ids=str
)
def test_a_body_over_the_limit_answers_413_in_the_envelope(api, anon, path):
    body = _padded({"name": "Trendyol", "username": "a", "password": "b"}, LIMIT)
    client = anon if path == "/auth/login/" else api

    response = client.post(f"{API}{path}", body, content_type="application/json")

    assert response.status_code == 413, response.content[:300]
    assert response.json() == {
        "error": {
            "non_field_errors": [
                f"The body is {len(body)} bytes; the limit is {LIMIT} bytes (OMS_MAX_BODY_BYTES). "
                "Send a smaller body, e.g. one order per request."
            ]
        },
        "status_code": 413,
    }
    assert Channel.objects.count() == 0


def test_the_default_limit_is_django_s_form_limit_and_a_body_under_it_is_read(api):
    body = _padded({"name": "Trendyol"}, 2_000_000)

    response = api.post(f"{API}/channels/", body, content_type="application/json")

    assert settings.OMS_MAX_BODY_BYTES == settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert response.status_code == 400  # read and refused for the unknown field, not for its size
    assert "padding" in response.json()["error"]


def test_the_default_limit_refuses_a_3_mib_login_with_413(anon, db):
    body = _padded({"username": "a", "password": "b"}, 3 * 1024 * 1024)

    response = anon.post(f"{API}/auth/login/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["status_code"] == 413


def test_a_body_read_past_the_limit_by_a_form_parser_is_413_not_500(api):
    # A form body under the declared limit of the middleware, over Django's own form limit.
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=LIMIT):
        response = api.post(f"{API}/channels/", {"name": "x" * (2 * LIMIT)})

    assert response.status_code == 413, response.content[:300]
    assert response.json()["status_code"] == 413
    assert Channel.objects.count() == 0


def test_the_real_default_rates_throttle_the_11th_guess_at_one_user_name(staff_user, anon, throttle_cache):
    from oms.settings import base

    defaults = base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert defaults == {"login-username": "10/min", "login-address": "30/min"}
    with _rates(**{"per_username": defaults["login-username"], "per_address": defaults["login-address"]}):
        answers = [
            anon.post(f"{API}/auth/login/", {"username": "staff", "password": f"guess-{i}"}, format="json")
            for i in range(11)
        ]

    assert [a.status_code for a in answers] == [400] * 10 + [429]
    refused = answers[-1]
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["status_code"] == 429
    assert "Retry-After" in refused.json()["error"]["non_field_errors"][0]


def test_the_right_password_is_refused_too_once_the_user_name_is_throttled(staff_user, anon, throttle_cache):
    with _rates(per_username="3/min", per_address="100/min"):
        for i in range(3):
            anon.post(f"{API}/auth/login/", {"username": "staff", "password": f"guess-{i}"}, format="json")
        right = anon.post(
            f"{API}/auth/login/", {"username": "staff", "password": "staff-password-123"}, format="json"
        )
        other_user = anon.post(
            f"{API}/auth/login/", {"username": "clerk", "password": "whatever"}, format="json"
        )

    assert right.status_code == 429 and "key" not in right.json()
    assert other_user.status_code == 400


def test_one_address_is_throttled_across_user_names(db, anon, throttle_cache):
    with _rates(per_username="100/min", per_address="5/min"):
        answers = [
            anon.post(f"{API}/auth/login/", {"username": f"user-{i}", "password": "x"}, format="json")
            for i in range(6)
        ]
        # A client cannot pick its own address with X-Forwarded-For (no trusted proxy by default).
        spoofed = anon.post(
            f"{API}/auth/login/",
            {"username": "user-9", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )

    assert [a.status_code for a in answers] == [400] * 5 + [429]
    assert spoofed.status_code == 429
