"""The Django admin checks a subscription as the API does, and never shows its secret."""

from oms.events.models import WebhookSubscription

ADD = "/admin/events/webhooksubscription/add/"


def form(**overrides) -> dict:
    return {
        "event_type": "*",
        "target_url": "https://93.184.215.14/hooks",
        "secret_key": "admin-secret",
        "additional_headers": '{"X-Api-Key": "k"}',
        "retry_countdown_config": '{"type": "fixed", "countdown": 10, "max_retries": 2}',
        "is_active": "on",
        **overrides,
    }


def test_a_superuser_adds_a_subscription_in_the_admin(admin_client):
    response = admin_client.post(ADD, form())

    assert response.status_code == 302, response.content[:500]
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret_key == "admin-secret"
    assert subscription.retry_countdown_config == {"type": "fixed", "countdown": 10, "max_retries": 2}
    page = admin_client.get(f"/admin/events/webhooksubscription/{subscription.pk}/change/")
    assert page.status_code == 200 and "admin-secret" not in page.content.decode()


def test_the_admin_refuses_an_internal_target(admin_client):
    response = admin_client.post(ADD, form(target_url="https://169.254.169.254/latest/meta-data/"))

    assert response.status_code == 200
    assert "target_url" in response.context["adminform"].form.errors
    assert not WebhookSubscription.objects.exists()


def test_an_empty_secret_keeps_the_current_one(admin_client):
    admin_client.post(ADD, form())
    subscription = WebhookSubscription.objects.get()

    response = admin_client.post(
        f"/admin/events/webhooksubscription/{subscription.pk}/change/",
        form(secret_key="", event_type="package.created"),
    )

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.secret_key == "admin-secret" and subscription.event_type == "package.created"
