import pytest

from oms.events.models import WebhookSubscription
from tests.events.conftest import HOOKS

PUBLIC_URL = "https://93.184.215.14/hooks/oms"


def body(**overrides) -> dict:
    return {
        "event_type": "package.status.packed",
        "target_url": PUBLIC_URL,
        "secret_key": "s3cret-value",
        "additional_headers": {"X-Api-Key": "abc123"},
        "retry_countdown_config": {"type": "linear", "countdown": 30, "max_retries": 5, "jitter": True},
        **overrides,
    }


def test_staff_create_a_subscription_and_read_it_back_masked(api):
    response = api.post(HOOKS, body(), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["secret_key"] == "********" and data["has_secret_key"] is True
    assert data["additional_headers"] == {"X-Api-Key": "********"}
    stored = WebhookSubscription.objects.get()
    assert stored.secret_key == "s3cret-value" and stored.additional_headers == {"X-Api-Key": "abc123"}
    listed = api.get(HOOKS).json()["results"]
    assert [row["id"] for row in listed] == [data["id"]]
    assert "abc123" not in str(listed) and "s3cret" not in str(listed)


def test_update_and_delete(api):
    hook_id = api.post(HOOKS, body(), format="json").json()["id"]

    patched = api.patch(f"{HOOKS}{hook_id}/", {"is_active": False, "event_type": "*"}, format="json")
    deleted = api.delete(f"{HOOKS}{hook_id}/")

    assert patched.status_code == 200 and patched.json()["event_type"] == "*"
    assert deleted.status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_only_staff_see_or_change_subscriptions(clerk_api, anon):
    assert clerk_api.get(HOOKS).status_code == 403
    assert clerk_api.post(HOOKS, body(), format="json").status_code == 403
    assert anon.get(HOOKS).status_code == 401
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event_type", "package.exploded"),
        ("retry_countdown_config", {"type": "random"}),
        ("retry_countdown_config", {"type": "fixed", "countdown": 0}),
        ("retry_countdown_config", {"type": "fixed", "max_retries": -1}),
        ("retry_countdown_config", {"type": "fixed", "jitter": "yes"}),
        ("retry_countdown_config", {"type": "fixed", "every": 3}),
        ("retry_countdown_config", [1, 2]),
        ("additional_headers", {"X-OMS-Signature": "forged"}),
        ("additional_headers", {"X-Bad": "two\r\nlines"}),
        ("additional_headers", {"bad name": "x"}),
        ("additional_headers", "X-Api-Key: 1"),
    ],
)
def test_bad_fields_answer_400_naming_the_field(api, field, value):
    response = api.post(HOOKS, body(**{field: value}), format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]) == {field}
    assert not WebhookSubscription.objects.exists()


REFUSED_TARGETS = [
    "http://93.184.215.14/hooks",  # plain HTTP
    "https://127.0.0.1/hooks",  # loopback
    "https://localhost:8443/hooks",  # a name resolving to loopback
    "https://[::1]/hooks",
    "https://10.1.2.3/hooks",  # private
    "https://192.168.0.10/hooks",
    "https://172.16.5.4/hooks",
    "https://169.254.10.20/hooks",  # link-local
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://[fd00:ec2::254]/latest/meta-data/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://[::ffff:127.0.0.1]/hooks",  # loopback written as IPv6
    "https://0.0.0.0/hooks",
    "https://224.0.0.1/hooks",  # multicast
    "https://240.0.0.1/hooks",  # reserved
    "https://2130706433/hooks",  # 127.0.0.1 as one number
    "ftp://93.184.215.14/hooks",
    "https://user:pw@93.184.215.14/hooks",
]


@pytest.mark.parametrize("url", REFUSED_TARGETS)
def test_internal_targets_are_refused_with_400_naming_target_url(api, url):
    response = api.post(HOOKS, body(target_url=url), format="json")

    assert response.status_code == 400, response.json()
    assert list(response.json()["error"]) == ["target_url"]
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/hooks", "https://10.1.2.3/hooks", "https://169.254.169.254/latest/"]
)
def test_the_setting_allows_private_targets_for_local_development(api, private_targets, url):
    response = api.post(HOOKS, body(target_url=url), format="json")

    assert response.status_code == 201, response.json()


def test_an_update_to_an_internal_target_is_refused_and_changes_nothing(api):
    hook_id = api.post(HOOKS, body(), format="json").json()["id"]

    response = api.patch(f"{HOOKS}{hook_id}/", {"target_url": "https://127.0.0.1/x"}, format="json")

    assert response.status_code == 400 and list(response.json()["error"]) == ["target_url"]
    assert WebhookSubscription.objects.get().target_url == PUBLIC_URL


def test_a_put_of_what_a_get_showed_keeps_the_secret_and_header_values(api):
    hook_id = api.post(HOOKS, body(), format="json").json()["id"]
    shown = api.get(f"{HOOKS}{hook_id}/").json()
    assert shown["secret_key"] == "********" and shown["additional_headers"] == {"X-Api-Key": "********"}
    writable = [
        "event_type",
        "target_url",
        "secret_key",
        "additional_headers",
        "retry_countdown_config",
        "is_active",
    ]

    response = api.put(
        f"{HOOKS}{hook_id}/", {name: shown[name] for name in writable} | {"is_active": False}, format="json"
    )

    assert response.status_code == 200, response.json()
    stored = WebhookSubscription.objects.get()
    assert stored.secret_key == "s3cret-value" and stored.additional_headers == {"X-Api-Key": "abc123"}
    assert stored.is_active is False
