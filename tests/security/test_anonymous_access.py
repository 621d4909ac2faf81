"""Without credentials, every URL of the URL conf is refused.

The URLs come from `get_resolver()` (see `urlconf.py`), with the ids of real rows in them, so a
pattern added later is covered without touching this file, and a refusal is never a 404 in disguise.

- DRF views (the API under /api/v1/oms/ and any other DRF view): 401 for every method, in the error
  envelope, saying how to log in, with a `WWW-Authenticate: Token` challenge.
- Other pages (the admin, ops pages): a redirect that ends on the admin login page, for GET and POST;
  a method the page does not offer may answer 405 instead (it says nothing about any data).

Allowed without credentials, on purpose:
- `login` (POST /api/v1/oms/auth/login/): it is how a token is obtained.
- `admin:login`: the page where the admin session is obtained.
- `admin:logout`: for an anonymous visitor it only redirects to the admin index, which itself
  redirects to the login page (checked by following redirects like every other admin page).
- Static files are served by WhiteNoise's middleware, not by the URL conf, so no pattern for them
  appears here; they hold no data.
"""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.security.urlconf import Route, concrete_path, url_routes

ROUTES = url_routes()
# Answer without credentials on purpose (see the module docstring).
PUBLIC = {"login", "admin:login"}
# Reported as a product finding: the OpenAPI schema and the Swagger UI are served to anyone.
PUBLIC_BY_MISTAKE: dict[str, str] = {}
SCHEMA_ROUTES = {"schema", "api-docs"}
API_METHODS = ["get", "head", "options", "post", "put", "patch", "delete"]
PAGE_METHODS = ["get", "post"]


def _param(route: Route):
    if route.name in PUBLIC_BY_MISTAKE:
        return pytest.param(
            route, id=str(route), marks=pytest.mark.xfail(strict=True, reason=PUBLIC_BY_MISTAKE[route.name])
        )
    return pytest.param(route, id=str(route))


def test_the_url_conf_has_api_and_admin_routes():
    # Guards the enumeration itself: an empty or partial walk would make the tests below vacuous.
    names = {route.name for route in ROUTES}
    assert {"login", "package-command", "channel-detail", "admin:index", "admin:login"} <= names
    assert len([route for route in ROUTES if route.is_api]) >= 40


@pytest.mark.parametrize("route", [_param(r) for r in ROUTES if r.name not in PUBLIC])
def test_every_url_refuses_anonymous_requests(anon, rows, route):
    path = concrete_path(route, ROUTES)
    problems = []

    if route.is_drf:
        for method in API_METHODS:
            response = getattr(anon, method)(path, {}, format="json")
            if response.status_code != 401:
                problems.append(f"{method.upper()} {path} answered {response.status_code}, not 401")
                continue
            if not response.get("WWW-Authenticate", "").startswith("Token"):
                problems.append(f"{method.upper()} {path}: no 'WWW-Authenticate: Token' challenge")
            if method == "head" or route.name in SCHEMA_ROUTES:
                # The schema and its docs render errors as OpenAPI/HTML: the 401 itself is the check.
                continue
            body = response.json()
            if body.get("status_code") != 401 or "POST /api/v1/oms/auth/login/" not in str(body.get("error")):
                problems.append(f"{method.upper()} {path}: 401 outside the envelope: {body}")
    else:
        login = reverse("admin:login")
        for method in PAGE_METHODS:
            response = getattr(anon, method)(path, follow=True)
            if response.status_code == 405 and not response.redirect_chain:
                continue
            first = response.redirect_chain[0] if response.redirect_chain else None
            if first is None or first[1] not in (301, 302):
                problems.append(f"{method.upper()} {path} answered {response.status_code} without a redirect")
                continue
            landed = urlsplit(response.redirect_chain[-1][0]).path
            if landed != login or response.status_code != 200:
                problems.append(
                    f"{method.upper()} {path} ended on {landed} ({response.status_code}), not {login}"
                )

    assert problems == []


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_the_public_urls_are_the_ones_meant_to_be(anon, rows, name):
    # The allowlist names patterns that exist; a renamed pattern must not leave a stale exemption.
    route = next(route for route in ROUTES if route.name == name)
    path = concrete_path(route, ROUTES)

    if name == "login":
        response = anon.post(path, {"username": "staff", "password": "wrong"}, format="json")
        assert response.status_code == 400  # answered (and refused), not 401
    else:
        assert anon.get(path).status_code == 200


def test_a_refused_api_request_changes_nothing(anon, rows):
    from oms.channels.models import Channel

    before = list(Channel.objects.values())

    anon.patch(f"/api/v1/oms/channels/{rows.channel.pk}/", {"name": "anonymous"}, format="json")
    anon.delete(f"/api/v1/oms/cargo-company-conditions/{rows.condition.pk}/")
    anon.post(f"/api/v1/oms/packages/{rows.waiting_package.pk}/command/", {"slug": "X"}, format="json")

    assert list(Channel.objects.values()) == before
    rows.condition.refresh_from_db()
    rows.waiting_package.refresh_from_db()
    assert rows.waiting_package.status == 100
