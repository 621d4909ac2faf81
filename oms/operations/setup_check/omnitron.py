"""Checking that Omnitron answers with the configured credentials."""

from django.conf import settings

from oms.configuration.keys import OMNITRON_CLIENT_SETTINGS as OMNITRON_SETTINGS_KEY
from oms.configuration.services import application_setting_get
from oms.omnitron.client import omnitron_client_get
from oms.omnitron.errors import (
    OmnitronAuthenticationFailed,
    OmnitronError,
    OmnitronNotConfigured,
    OmnitronUnavailable,
)
from oms.operations.setup_check.configuration import setting_ids_get
from oms.operations.setup_check.items import (
    OMNITRON_CHECK_OPTIONS,
    SETTINGS_URL,
    CheckItem,
    json_body,
    plural,
)


def omnitron_connection_check(setting_ids: dict[str, int] | None = None) -> CheckItem:
    """Log in to the configured Omnitron and read its channels, once, with short timeouts.

    Not configured, wrong credentials and unreachable are told apart. The client shares one token
    per (URL, username) within a process, so the login is really made only when this process has
    none cached yet (always so for `oms check_setup`).
    """
    title = "Omnitron connection"
    setting_ids = setting_ids_get() if setting_ids is None else setting_ids
    configured = application_setting_get(OMNITRON_SETTINGS_KEY)
    row_id = setting_ids.get(OMNITRON_SETTINGS_KEY)
    example = {"url": "https://<omnitron host>", "username": "<user>", "password": "<password>"}
    if configured:
        source = f"the {OMNITRON_SETTINGS_KEY} application setting (id {row_id})"
        change = f"PATCH {SETTINGS_URL}{row_id}/ " + json_body({"json_value": example})
    else:
        source = "the OMNITRON_URL, OMNITRON_USERNAME and OMNITRON_PASSWORD environment variables"
        change = (
            "set OMNITRON_URL, OMNITRON_USERNAME and OMNITRON_PASSWORD and restart OMS  or  "
            f"POST {SETTINGS_URL} " + json_body({"key": OMNITRON_SETTINGS_KEY, "json_value": example})
        )
    try:
        client = omnitron_client_get(**OMNITRON_CHECK_OPTIONS)
    except OmnitronNotConfigured:
        values = configured or {
            "url": settings.OMNITRON_URL,
            "username": settings.OMNITRON_USERNAME,
            "password": settings.OMNITRON_PASSWORD,
        }
        missing = ", ".join(name for name in ("url", "username", "password") if not values.get(name))
        return CheckItem(
            False,
            title,
            f"not configured: {missing} missing in {source}, so OMS cannot read orders from Omnitron nor "
            "report to it. (`oms serve` with no OMNITRON_URL starts the sandbox and sets them.)",
            change,
        )
    where = f"{client.base_url} as {client.username!r} (from {source})"
    try:
        with client:
            channels = client.channels_list()
    except OmnitronAuthenticationFailed as exc:
        return CheckItem(
            False,
            title,
            f"wrong credentials: Omnitron at {where} refused them: {exc}",
            f"correct the username and password: {change}",
        )
    except OmnitronUnavailable as exc:
        return CheckItem(
            False,
            title,
            f"unreachable: Omnitron at {where} did not answer: {exc}",
            "check that the URL is Omnitron's and reachable from this machine (address, network, "
            f"firewall), and that Omnitron is up; to change it: {change}",
        )
    except OmnitronError as exc:
        return CheckItem(
            False,
            title,
            f"Omnitron at {where} answered unexpectedly: {exc}",
            f"check that the URL is Omnitron's base URL (no /api/ path); to change it: {change}",
        )
    return CheckItem(True, title, f"logged in to {where} and read {plural(len(channels), 'channel')}.")
