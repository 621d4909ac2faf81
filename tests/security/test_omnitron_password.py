"""The Omnitron password (OMNITRON_CLIENT_SETTINGS.password) is never shown and never logged.

It is set through the API, then used: the Omnitron client logs in to the sandbox with a wrong password
(order ingestion by pk, a shipment status resolution cycle, the report outbox, and a direct client
call) and then with the right one. Throughout, every log record at DEBUG (root, `oms.*`, `httpx`,
`httpcore`) is captured, and afterwards every readable URL of the URL conf (API with a staff token,
as JSON and as the browsable HTML; admin and ops pages with a staff session) is read. The password
must appear in none of them, nor in any exception message the client raised.

(tests/api/test_application_settings.py checks the mask on the settings endpoints themselves;
tests/omnitron/test_client_auth.py checks the bare client's logs. This module checks the whole
service end to end.)
"""

import logging
import traceback

import pytest
from django.utils import timezone

from oms.omnitron.client import OmnitronClient, omnitron_client_get
from oms.omnitron.errors import OmnitronAuthenticationFailed
from oms.omnitron.models import OmnitronReport, ReportKind, ReportState
from oms.omnitron.reports import reports_deliver_due
from oms.shipments.resolution import shipments_resolve
from tests.security.urlconf import concrete_path, url_routes

SETTINGS_URL = "/api/v1/oms/settings/application_settings/"
WRONG = "Wr0ng-omnitron-pw-4d1f9e27"
ROUTES = url_routes()
LOGGERS = [None, "oms", "httpx", "httpcore", "django.request", "celery", "kombu"]


@pytest.fixture
def captured(caplog):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def staff_session(client, db):
    """A superuser's session: the admin shows a superuser every model, so every page is read."""
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", password="root-password-123"))
    return client


@pytest.fixture
def sandbox(rows, omnitron_sandbox_settings):
    """The sandbox, with the packed order of `rows` present in it (so resolution reads it)."""
    return omnitron_sandbox_settings


def _in_logs(secret: str, caplog) -> list[str]:
    found = []
    formatter = logging.Formatter()
    for record in caplog.records:
        texts = [record.getMessage(), repr(record.args), str(record.__dict__)]
        if record.exc_info:
            texts.append(formatter.formatException(record.exc_info))
        if any(secret in text for text in texts):
            found.append(f"{record.name}: {record.getMessage()[:200]}")
    return found


def _in_exception(secret: str, exc: BaseException) -> bool:
    chain = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    texts = ["".join(traceback.format_exception(exc))]
    for item in chain:
        texts += [str(item), repr(item), repr(item.args), repr(getattr(item, "body", None))]
    return any(secret in text for text in texts)


def _reads_showing(secret: str, api, staff_session) -> list[str]:
    """Every GET-able URL of the URL conf whose answer contains `secret`.

    Also checks the sweep read something: most URLs answer 200 (the rest redirect, e.g. the admin's
    `<id>/` URLs to `<id>/change/`, or refuse a method the page does not offer).
    """
    shown, answered, reads = [], 0, 0
    for route in ROUTES:
        if route.name in ("admin:logout",) or "get" not in route.offered_methods():
            continue
        path = concrete_path(route, ROUTES)
        if route.is_drf:
            answers = [api.get(path), api.get(path, HTTP_ACCEPT="text/html")]
        else:
            answers = [staff_session.get(path)]
        for response in answers:
            reads += 1
            answered += response.status_code == 200
            if secret.encode() in response.content:
                shown.append(f"{path} ({response.status_code}, {response.get('Content-Type')})")
    assert answered >= 0.6 * reads, f"only {answered} of {reads} reads answered 200"
    return shown


def _set_credentials(api, sandbox, password: str) -> dict:
    value = {"url": sandbox.url, "username": sandbox.username, "password": password}
    existing = api.get(SETTINGS_URL, {"key": "OMNITRON_CLIENT_SETTINGS"}).json()["results"]
    if existing:
        response = api.patch(f"{SETTINGS_URL}{existing[0]['id']}/", {"json_value": value}, format="json")
        assert response.status_code == 200, response.json()
    else:
        response = api.post(
            SETTINGS_URL, {"key": "OMNITRON_CLIENT_SETTINGS", "json_value": value}, format="json"
        )
        assert response.status_code == 201, response.json()
    assert password.encode() not in response.content
    OmnitronClient.token_cache_clear()
    return response.json()


def _use_omnitron(api, sandbox, rows) -> dict:
    """Make the service log in to Omnitron every way it does; what each way answered."""
    ingested = sandbox.create_order(channel=42, cargo_company=7, item_count=1)
    followed = sandbox.create_order(
        channel=42, cargo_company=7, item_count=1, tracking_number=rows.shipment.tracking_number
    )
    rows.order.omnitron_id = followed["pk"]
    rows.order.save(update_fields=["omnitron_id"])
    ingest = api.post("/api/v1/oms/omnitron/orders/", {"pk": ingested["pk"]}, format="json")
    OmnitronClient.token_cache_clear()
    # The package's "preparing" report goes out while it is still packed (once resolution has
    # shipped it, the report would be superseded and never sent).
    OmnitronReport.objects.create(
        package=rows.package,
        kind=ReportKind.ORDER_ITEM_STATUSES,
        payload={"orderitem_set": [{"id": followed["orderitem_set"][0]["pk"], "status": "450"}]},
        state=ReportState.PENDING,
        next_attempt_at=timezone.now(),
    )
    delivery = reports_deliver_due(now_fn=timezone.now, client_factory=omnitron_client_get)
    OmnitronClient.token_cache_clear()
    sandbox.set_status(followed["pk"], "500")  # the marketplace shipped it (after the 450 arrived)
    resolution = shipments_resolve(client_factory=omnitron_client_get, now_fn=timezone.now, due_only=False)
    OmnitronClient.token_cache_clear()
    return {"ingest": ingest, "resolution": resolution, "delivery": delivery}


def test_a_wrong_password_is_neither_shown_nor_logged(api, staff_session, rows, sandbox, captured):
    _set_credentials(api, sandbox, WRONG)

    outcome = _use_omnitron(api, sandbox, rows)
    with pytest.raises(OmnitronAuthenticationFailed) as raised, omnitron_client_get() as client:
        client.channel_get(42)

    # The logins really were refused (so every failure path ran) ...
    assert outcome["ingest"].status_code == 400, outcome["ingest"].json()
    assert outcome["resolution"].failed_batches == 1
    assert outcome["delivery"] == {ReportState.FAILED: 1}
    # ... and the password shows nowhere.
    assert WRONG.encode() not in outcome["ingest"].content
    assert not _in_exception(WRONG, raised.value)
    assert _reads_showing(WRONG, api, staff_session) == []
    assert _in_logs(WRONG, captured) == []


def test_the_right_password_is_neither_shown_nor_logged(api, staff_session, rows, sandbox, captured):
    right = sandbox.password
    _set_credentials(api, sandbox, WRONG)
    _set_credentials(api, sandbox, right)

    outcome = _use_omnitron(api, sandbox, rows)
    with omnitron_client_get() as client:
        assert client.channel_get(42).pk == 42

    assert outcome["ingest"].status_code == 201, outcome["ingest"].json()
    assert outcome["resolution"].failed_batches == 0
    assert len(outcome["resolution"].applied) == 1
    assert outcome["delivery"] == {ReportState.SENT: 1}
    assert _reads_showing(right, api, staff_session) == []
    assert _in_logs(right, captured) == []


def test_a_password_sent_back_as_the_mask_is_kept_and_still_not_shown(
    api, staff_session, rows, sandbox, captured
):
    answer = _set_credentials(api, sandbox, sandbox.password)

    response = api.patch(
        f"{SETTINGS_URL}{answer['id']}/",
        {"json_value": {**answer["json_value"], "username": sandbox.username}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["json_value"]["password"] == "********"
    with omnitron_client_get() as client:
        assert client.channel_get(42).pk == 42  # the stored password was kept, not replaced by the mask
    assert _reads_showing(sandbox.password, api, staff_session) == []
    assert _in_logs(sandbox.password, captured) == []


def test_editing_the_setting_in_the_admin_does_not_show_the_password(staff_session, rows, sandbox):
    from oms.configuration.models import ApplicationSetting

    setting = ApplicationSetting.objects.create(
        key="OMNITRON_CLIENT_SETTINGS",
        json_value={"url": sandbox.url, "username": sandbox.username, "password": WRONG},
    )
    change = f"/admin/configuration/applicationsetting/{setting.pk}/change/"

    page = staff_session.get(change)
    refused = staff_session.post(change, {"json_value": '{"url": "not a url", "password": "********"}'})
    history = staff_session.get(f"/admin/configuration/applicationsetting/{setting.pk}/history/")

    assert page.status_code == 200 and WRONG.encode() not in page.content
    assert refused.status_code == 200 and WRONG.encode() not in refused.content  # the form, with errors
    assert WRONG.encode() not in history.content
