"""`omnitron_client_get()`: the application setting wins over Django settings."""

import pytest

from oms.configuration.services import application_setting_set
from oms.omnitron.client import omnitron_client_get
from oms.omnitron.errors import OmnitronNotConfigured


@pytest.mark.django_db
def test_django_settings_configure_the_client(omnitron_sandbox_settings):
    sandbox = omnitron_sandbox_settings

    with omnitron_client_get() as client:
        assert client.base_url == sandbox.url
        assert client.channel_get(42).name == "Trendyol"


@pytest.mark.django_db
def test_the_application_setting_wins(sandbox, settings):
    settings.OMNITRON_URL = "http://127.0.0.1:9"
    settings.OMNITRON_USERNAME = "other"
    settings.OMNITRON_PASSWORD = "other"
    application_setting_set(
        key="OMNITRON_CLIENT_SETTINGS",
        value={"url": sandbox.url + "/", "username": sandbox.username, "password": sandbox.password},
    )

    with omnitron_client_get(max_attempts=1) as client:
        assert client.base_url == sandbox.url
        assert client.username == sandbox.username
        assert client.max_attempts == 1
        assert client.cargo_company_get(7).pk == 7


@pytest.mark.django_db
def test_not_configured_says_how_to_configure(settings):
    settings.OMNITRON_URL = ""
    settings.OMNITRON_USERNAME = ""
    settings.OMNITRON_PASSWORD = ""

    with pytest.raises(OmnitronNotConfigured) as raised:
        omnitron_client_get()

    message = str(raised.value)
    assert "OMNITRON_CLIENT_SETTINGS" in message
    assert "OMNITRON_URL" in message and "OMNITRON_PASSWORD" in message


@pytest.mark.django_db
def test_a_missing_password_is_named(settings):
    settings.OMNITRON_URL = "http://127.0.0.1:9"
    settings.OMNITRON_USERNAME = "u"
    settings.OMNITRON_PASSWORD = ""

    with pytest.raises(OmnitronNotConfigured, match="password missing"):
        omnitron_client_get()
