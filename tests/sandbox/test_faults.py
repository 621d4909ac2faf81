"""Injected faults: each kind, the `paths` filter, and that control endpoints are never faulted."""

import json
import time

import httpx
import pytest


def test_fail_next_answers_5xx_with_html_then_recovers(sandbox, authed):
    sandbox.set_faults(fail_next=2)

    answers = [authed.get("/api/v1/channels/") for _ in range(3)]

    assert [answer.status_code for answer in answers] == [503, 503, 200]
    assert answers[0].headers["content-type"].startswith("text/html")
    assert "<html>" in answers[0].text
    assert sandbox.faults()["fail_next"] == 0


def test_error_status_can_be_chosen(sandbox, authed):
    sandbox.set_faults(fail_next=1, error_status=502)

    assert authed.get("/api/v1/channels/").status_code == 502


def test_error_rate_one_fails_every_request_and_zero_none(sandbox, authed):
    sandbox.set_faults(error_rate=1.0)
    assert {authed.get("/api/v1/channels/").status_code for _ in range(3)} == {503}

    sandbox.set_faults(error_rate=0)
    assert authed.get("/api/v1/channels/").status_code == 200


def test_rate_limit_next_answers_429_with_retry_after(sandbox, authed):
    sandbox.set_faults(rate_limit_next=1, retry_after=7)

    limited = authed.get("/api/v1/channels/")

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert "detail" in limited.json()
    assert authed.get("/api/v1/channels/").status_code == 200


def test_retry_after_defaults_to_one_second(sandbox, authed):
    sandbox.set_faults(rate_limit_next=1)

    assert authed.get("/api/v1/channels/").headers["Retry-After"] == "1"


def test_drop_next_closes_the_connection_without_answer(sandbox, authed):
    sandbox.set_faults(drop_next=1)

    with pytest.raises(httpx.RemoteProtocolError):
        authed.get("/api/v1/channels/")
    assert authed.get("/api/v1/channels/").status_code == 200
    assert [entry["status"] for entry in sandbox.requests("/api/v1/channels/")] == [None, 200]


def test_malformed_next_garbles_the_next_200_body_only(sandbox, authed):
    sandbox.set_faults(malformed_next=1)

    assert authed.get("/api/v1/orders/999999/").status_code == 404  # not a 200: untouched
    garbled = authed.get("/api/v1/channels/")

    assert garbled.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(garbled.content)
    assert authed.get("/api/v1/channels/").json()["count"] == 4


def test_latency_delays_answers(sandbox, authed):
    sandbox.set_faults(latency_ms=300)

    started = time.monotonic()
    response = authed.get("/api/v1/channels/")

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.25


def test_expire_tokens_invalidates_tokens_now(sandbox, http, authed):
    response = http.post("/_sandbox/faults/", json={"expire_tokens": True})

    assert response.status_code == 200
    assert authed.get("/api/v1/channels/").status_code == 401


def test_paths_limit_faults_to_those_prefixes(sandbox, authed):
    sandbox.set_faults(fail_next=1, paths=["/api/v1/orders/"])

    assert authed.get("/api/v1/channels/").status_code == 200
    assert authed.get("/api/v1/orders/").status_code == 503
    assert authed.get("/api/v1/orders/").status_code == 200


def test_faults_apply_to_login_too(sandbox, http):
    sandbox.set_faults(fail_next=1)

    response = http.post(
        "/api/v1/auth/login/", json={"username": sandbox.username, "password": sandbox.password}
    )

    assert response.status_code == 503


def test_control_endpoints_are_never_faulted(sandbox, http):
    sandbox.set_faults(error_rate=1.0, drop_next=5, latency_ms=2000)

    assert http.get("/_sandbox/health/").status_code == 200
    assert http.get("/_sandbox/faults/").json()["drop_next"] == 5


def test_faults_over_http_set_show_and_clear(http):
    set_answer = http.post("/_sandbox/faults/", json={"fail_next": 2, "paths": ["/api/v1/orders/"]})
    merged = http.post("/_sandbox/faults/", json={"latency_ms": 10})

    assert set_answer.status_code == 200
    assert merged.json()["fail_next"] == 2
    assert http.get("/_sandbox/faults/").json() == {
        "latency_ms": 10,
        "error_rate": 0.0,
        "error_status": 503,
        "fail_next": 2,
        "rate_limit_next": 0,
        "retry_after": 1,
        "drop_next": 0,
        "malformed_next": 0,
        "paths": ["/api/v1/orders/"],
    }
    cleared = http.delete("/_sandbox/faults/")
    assert cleared.json()["fail_next"] == 0
    assert cleared.json()["paths"] == []


@pytest.mark.parametrize(
    "body",
    [{"fail_next": -1}, {"error_rate": 2}, {"error_status": 404}, {"paths": "/api"}, {"explode": True}],
)
def test_invalid_faults_are_refused(http, body):
    assert http.post("/_sandbox/faults/", json=body).status_code == 400
