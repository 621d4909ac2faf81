"""Login: lazy, cached per (Omnitron, user) across instances and threads, again once on 401."""

import logging
import threading

import pytest

from oms.omnitron.client import OmnitronClient
from oms.omnitron.errors import OmnitronAuthenticationFailed, OmnitronRejected
from tests.omnitron.stubs import StubOmnitron

LOGIN = "/api/v1/auth/login/"


def logins(sandbox) -> int:
    return len(sandbox.requests(LOGIN))


def test_login_is_lazy_and_the_token_is_reused(sandbox, client):
    order = sandbox.create_order()
    assert sandbox.requests() == []

    client.order_get(order["pk"])
    client.order_get(order["pk"])
    client.channels_list()

    assert [(entry["method"], entry["path"]) for entry in sandbox.requests()][:2] == [
        ("POST", LOGIN),
        ("GET", f"/api/v1/orders/{order['pk']}/"),
    ]
    assert logins(sandbox) == 1
    assert {entry["user"] for entry in sandbox.requests()[1:]} == {sandbox.username}


def test_client_instances_share_the_cached_token(sandbox, make_client):
    make_client().channels_list()
    make_client().channels_list()

    assert logins(sandbox) == 1


def test_concurrent_first_calls_log_in_once(sandbox, make_client):
    client = make_client()
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.channel_get(42)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert logins(sandbox) == 1


def test_an_expired_token_makes_the_client_log_in_again_once(sandbox, client, sleeps):
    client.channel_get(42)
    sandbox.expire_tokens()
    sandbox.clear_requests()

    assert client.channel_get(42).name == "Trendyol"

    assert [(entry["path"], entry["status"]) for entry in sandbox.requests()] == [
        ("/api/v1/channels/42/", 401),
        (LOGIN, 200),
        ("/api/v1/channels/42/", 200),
    ]
    assert sleeps == []


def test_a_401_after_logging_in_again_is_not_repeated_again():
    def respond(method, path, query, body):
        if path == LOGIN:
            return 200, {"key": "issued-but-never-accepted"}
        return 401, {"detail": "Invalid token."}

    with StubOmnitron(respond) as stub:
        OmnitronClient.token_cache_clear()
        client = OmnitronClient(stub.url, "u", "p", backoff_base=0.001, sleep=lambda s: None)
        with client, pytest.raises(OmnitronAuthenticationFailed) as raised:
            client.channel_get(42)

    assert stub.calls == [("POST", LOGIN), ("GET", "/api/v1/channels/42/")] * 2
    assert raised.value.status_code == 401
    assert "GET /api/v1/channels/42/" in str(raised.value)
    assert "Invalid token." in str(raised.value)
    OmnitronClient.token_cache_clear()


def test_wrong_credentials_fail_at_once_without_showing_the_password(sandbox, make_client, sleeps, caplog):
    client = make_client()
    client._password = "the-wrong-secret"

    with caplog.at_level(logging.DEBUG), pytest.raises(OmnitronAuthenticationFailed) as raised:
        client.channel_get(42)

    assert raised.value.status_code == 400
    assert not isinstance(raised.value, OmnitronRejected)  # fixable by an operator: keep work for later
    assert raised.value.body == {"non_field_errors": ["Unable to log in with provided credentials."]}
    assert f"POST {LOGIN}" in str(raised.value)
    assert "the-wrong-secret" not in str(raised.value)
    assert "the-wrong-secret" not in caplog.text
    assert "the-wrong-secret" not in repr(client)
    assert logins(sandbox) == 1
    assert sleeps == []


def test_a_failing_login_is_retried_like_any_call(sandbox, client, sleeps):
    sandbox.set_faults(fail_next=1, paths=[LOGIN])

    assert client.channel_get(42).pk == 42

    assert [entry["status"] for entry in sandbox.requests(LOGIN)] == [503, 200]
    assert len(sleeps) == 1


def test_the_password_is_never_logged(sandbox, client, caplog):
    sandbox.set_faults(fail_next=2)

    with caplog.at_level(logging.DEBUG, logger="oms"):
        client.channel_get(42)

    assert sandbox.password not in caplog.text
    assert "retrying" in caplog.text
