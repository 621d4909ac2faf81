"""Who may do what with a token: the permission model, checked over every URL of the URL conf.

The permission model (README "Permissions", `oms.core.permissions.IsStaffOrReadOnly`):

- No token, or a bad one: 401 everywhere except the login endpoint (test_anonymous_access.py).
- Any active user's token (a warehouse clerk, Omnitron's webhook user):
  - reads every API resource (GET list and detail, and the other GET endpoints);
  - ingests orders (`POST /omnitron/orders/`) and cancellation plans (`POST /cancellation_plan/`),
    runs package commands (`POST /packages/{id}/command/`): the daily work, which needs no staff rights;
  - changes no configuration: POST/PUT/PATCH/DELETE on channels, cargo companies, cargo company
    conditions, state transitions and application settings answer 403 in the error envelope and
    change nothing;
  - does not get into the admin or the ops pages (a session of a non-staff user is sent to the
    admin login page).
- A staff user's token: everything the endpoints offer.

The write checks are not a hand list: every API route from `get_resolver()` that offers a write method
is refused to the clerk, except the two daily-work endpoints above (and login). A new writable
endpoint is therefore staff-only unless it is added to `CLERK_MAY_WRITE` here, on purpose.
(tests/api/test_permissions.py checks the five configuration lists with fixed URLs; this module
derives the URLs, covers the format-suffixed variants and new endpoints, and checks the positive side.)
"""

from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.urls import reverse

from oms.core.statuses import PackageStatus
from oms.transitions.models import StateTransitionLog
from tests.factories import omnitron_order_json
from tests.security.urlconf import concrete_path, url_routes

ROUTES = url_routes()
API_ROUTES = [route for route in ROUTES if route.is_api and route.is_drf]
# The daily work a non-staff token does (and the login, which needs no token at all).
CLERK_MAY_WRITE = {
    "login",
    "omnitron-order-ingest",
    "package-command",
    "package-bulk-command",
    "cancellation-plan",
}
# Webhook subscriptions say where OMS sends its data, with their secrets: staff only, reads too.
STAFF_ONLY_READS = {
    "webhook-subscription-list",
    "webhook-subscription-detail",
    "webhook-subscription-deliveries",
}
WRITE_METHODS = ["post", "put", "patch", "delete"]
STAFF_ONLY = "Only staff users may change configuration. Ask an administrator to make the change."
PACKAGING = {"slug": "CHANNEL_BASED_COMPLETE_PACKAGING", "input_parameters": {}}


def _snapshot() -> dict[str, list]:
    """Every row of every model: a refused request must change none of them."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.label not in ("sessions.Session",)
    }


def test_writable_api_routes_exist_beyond_the_clerks_ones():
    # Guards the enumeration: the configuration endpoints are among the routes checked below.
    writable = {route.name for route in API_ROUTES if route.offered_methods() & set(WRITE_METHODS)}
    assert {
        "channel-list",
        "channel-detail",
        "cargo-company-list",
        "cargo-company-condition-detail",
        "state-transition-detail",
        "application-setting-detail",
    } <= writable - CLERK_MAY_WRITE


@pytest.mark.parametrize(
    "route",
    [
        pytest.param(r, id=str(r))
        for r in API_ROUTES
        if "get" in r.offered_methods() and r.name not in STAFF_ONLY_READS
    ],
)
def test_a_clerk_can_read_every_api_url(clerk_api, rows, route):
    path = concrete_path(route, ROUTES)
    if route.name == "package-labels":  # many labels at once: the ids are a required query
        path += f"?ids={rows.package.pk}"

    response = clerk_api.get(path)

    assert response.status_code == 200, (path, response.content[:300])


@pytest.mark.parametrize(
    "route", [pytest.param(r, id=str(r)) for r in API_ROUTES if r.name in STAFF_ONLY_READS]
)
def test_staff_only_reads_are_refused_to_a_clerk_and_served_to_staff(clerk_api, api, rows, route):
    path = concrete_path(route, ROUTES)

    refused = clerk_api.get(path)

    assert refused.status_code == 403 and refused.json()["status_code"] == 403
    assert api.get(path).status_code == 200


@pytest.mark.parametrize(
    "route",
    [
        pytest.param(r, id=str(r))
        for r in API_ROUTES
        if r.name not in CLERK_MAY_WRITE and r.offered_methods() & set(WRITE_METHODS)
    ],
)
def test_a_clerk_cannot_change_configuration(clerk_api, rows, route):
    path = concrete_path(route, ROUTES)
    before = _snapshot()
    offered = route.offered_methods()
    problems = []

    for method in WRITE_METHODS:
        response = getattr(clerk_api, method)(path, {"name": "changed by a clerk"}, format="json")
        if method not in offered:
            if response.status_code not in (403, 405):
                problems.append(f"{method.upper()} {path} (not offered) answered {response.status_code}")
            continue
        if response.status_code != 403:
            problems.append(f"{method.upper()} {path} answered {response.status_code}, not 403")
        elif response.json() != {"error": {"non_field_errors": [STAFF_ONLY]}, "status_code": 403}:
            problems.append(f"{method.upper()} {path}: 403 outside the envelope: {response.json()}")

    assert problems == []
    assert _snapshot() == before


@pytest.mark.parametrize(
    "route",
    [
        pytest.param(r, id=str(r))
        for r in API_ROUTES
        if r.name not in CLERK_MAY_WRITE and "patch" in r.offered_methods()
    ],
)
def test_staff_may_make_the_change_a_clerk_may_not(api, rows, route):
    # The 403 above is about being staff: the same token-authenticated PATCH works for staff.
    response = api.patch(concrete_path(route, ROUTES), {}, format="json")

    assert response.status_code == 200, response.content[:300]


def test_a_clerk_can_ingest_an_order(clerk_api, rows):
    body = omnitron_order_json(channel=rows.channel.omnitron_id, cargo_company=rows.cargo_company.omnitron_id)

    response = clerk_api.post("/api/v1/oms/omnitron/orders/", body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["omnitron_id"] == body["pk"]


def test_a_clerk_can_ingest_an_order_by_pk(clerk_api, rows, omnitron_sandbox_settings):
    order = omnitron_sandbox_settings.create_order(channel=42, cargo_company=7, item_count=1)

    response = clerk_api.post("/api/v1/oms/omnitron/orders/", {"pk": order["pk"]}, format="json")

    assert response.status_code == 201, response.json()


def test_a_clerk_can_run_a_package_command(clerk_api, plain_user, rows, omnitron_sandbox_settings):
    package = rows.waiting_package

    response = clerk_api.post(f"/api/v1/oms/packages/{package.pk}/command/", PACKAGING, format="json")

    assert response.status_code == 204, response.content
    package.refresh_from_db()
    assert package.status == PackageStatus.PACKED
    log = StateTransitionLog.objects.filter(package=package).latest("id")
    assert log.actor == plain_user


def test_a_clerk_can_run_a_bulk_command(clerk_api, plain_user, rows, omnitron_sandbox_settings):
    package = rows.waiting_package

    response = clerk_api.post(
        "/api/v1/oms/packages/bulk-command/", {**PACKAGING, "packages": [package.pk]}, format="json"
    )

    assert response.json()["results"] == [{"package": package.pk, "status": "done"}], response.content
    log = StateTransitionLog.objects.filter(package=package).latest("id")
    assert (log.actor, log.source) == (plain_user, "bulk")


@pytest.mark.parametrize(
    "route",
    [
        pytest.param(r, id=str(r))
        for r in ROUTES
        if not r.is_drf and r.name not in ("admin:login", "admin:logout")
    ],
)
def test_a_non_staff_session_is_sent_to_the_login_page(client, plain_user, rows, route):
    client.force_login(plain_user)
    path = concrete_path(route, ROUTES)

    response = client.get(path, follow=True)

    if response.status_code == 405 and not response.redirect_chain:
        return  # a POST-only page: refused before anything is read
    assert response.redirect_chain, f"GET {path} answered {response.status_code} to a non-staff session"
    assert urlsplit(response.redirect_chain[-1][0]).path == reverse("admin:login")
