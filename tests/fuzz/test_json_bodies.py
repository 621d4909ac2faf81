"""Bodies no schema describes: deeply nested JSON sent to every API URL that takes a body.

The URLs come from `get_resolver()` (tests/security/urlconf.py), with real rows' ids in them. A JSON
document nested a few thousand levels deep is valid JSON that Python's `json` module cannot read
(RecursionError). It must be refused like any unreadable body: 400 in the error envelope, never
500 — and the login endpoint reads bodies from anyone, without a token.
"""

import pytest

from tests.security.urlconf import concrete_path, url_routes

ROUTES = url_routes()
BODY_METHODS = ["post", "put", "patch"]
DEPTH = 5000
DEEP = '{"x": ' + "[" * DEPTH + "]" * DEPTH + "}"
ROUTES_WITH_BODIES = [
    pytest.param(route, method, id=f"{method.upper()} {route}")
    for route in ROUTES
    if route.is_api and route.is_drf
    for method in BODY_METHODS
    if method in route.offered_methods()
]


def test_there_are_routes_with_bodies():
    assert len(ROUTES_WITH_BODIES) >= 10


@pytest.mark.parametrize("route, method", ROUTES_WITH_BODIES)
def test_deeply_nested_json_is_refused_as_unreadable(api, anon, rows, route, method):
    client = anon if route.name == "login" else api

    response = getattr(client, method)(concrete_path(route, ROUTES), DEEP, content_type="application/json")

    assert response.status_code == 400, response.content[:200]
    assert response.json()["status_code"] == 400


@pytest.fixture
def rows(db, staff_user):
    from tests.security.rows import every_row

    return every_row()
