"""API keys are stored as digests: the database and the admin never hold or show a key."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oms.core.models import ApiToken
from oms.core.tokens import api_token_create, key_digest

API = "/api/v1/oms"


def _login(client, username: str = "staff", password: str = "staff-password-123"):
    return client.post(f"{API}/auth/login/", {"username": username, "password": password}, format="json")


def _every_text_value_in_the_database() -> str:
    """Every column of every row of every table, as one text: where a leaked key would show."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(parts)


def test_a_key_from_login_is_nowhere_in_the_database(staff_user, anon):
    key = _login(anon).json()["key"]

    assert len(key) >= 43
    assert key not in _every_text_value_in_the_database()
    assert ApiToken.objects.get(user=staff_user).digest == key_digest(key)


def test_each_login_issues_a_new_working_key(staff_user, anon):
    first = _login(anon).json()["key"]
    second = _login(anon).json()["key"]

    assert first != second
    assert ApiToken.objects.filter(user=staff_user).count() == 2
    for key in (first, second):
        anon.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert anon.get(f"{API}/channels/").status_code == 200


def test_a_key_is_looked_up_with_one_query(staff_user, anon):
    key = api_token_create(user=staff_user, now=timezone.now()).key
    anon.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    with CaptureQueriesContext(connection) as captured:
        response = anon.get(f"{API}/shipment-status-resolution/")

    token_queries = [q["sql"] for q in captured if "core_apitoken" in q["sql"]]
    assert response.status_code == 200, response.content[:300]
    assert len(token_queries) == 1, token_queries
    assert "digest" in token_queries[0]


@pytest.mark.parametrize("wrong", ["x", "a" * 43, "Ä" * 3, "a b"])
def test_a_wrong_key_is_refused_in_the_envelope(db, anon, wrong):
    anon.credentials(HTTP_AUTHORIZATION=f"Token {wrong}")

    response = anon.get(f"{API}/channels/")

    assert response.status_code == 401
    assert response.json()["status_code"] == 401


def test_a_revoked_key_stops_working(staff_user, anon, client):
    key = _login(anon).json()["key"]
    superuser = get_user_model().objects.create_superuser(username="boss", password="boss-password-123")
    client.force_login(superuser)

    answer = client.post(
        "/admin/core/apitoken/",
        {"action": "revoke", "_selected_action": list(ApiToken.objects.values_list("pk", flat=True))},
    )

    assert answer.status_code == 302
    assert not ApiToken.objects.exists()
    anon.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert anon.get(f"{API}/channels/").status_code == 401


def test_the_token_admin_shows_user_prefix_and_dates_but_no_key(staff_user, anon, client):
    key = _login(anon).json()["key"]
    superuser = get_user_model().objects.create_superuser(username="boss", password="boss-password-123")
    client.force_login(superuser)
    token = ApiToken.objects.get()

    listing = client.get("/admin/core/apitoken/").content.decode()
    detail = client.get(f"/admin/core/apitoken/{token.pk}/change/").content.decode()

    assert key[:8] in listing and "staff" in listing
    for page in (listing, detail):
        assert key not in page and key[8:16] not in page
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404
    assert client.get("/admin/core/apitoken/add/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_existing_clear_authtoken_keys_are_hashed_and_the_clear_table_dropped(django_user_model):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("oms.core.migrations.0003_hash_authtoken_keys")
    user = django_user_model.objects.create_user(username="old-client", password="old-client-password")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp with time zone"
            " NOT NULL, user_id integer NOT NULL)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created datetime NOT NULL,"
            " user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [old_key, timezone.now(), user.pk],
        )

    with connection.schema_editor() as editor:
        migration.authtoken_keys_hash(apps, editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=user)
    assert (token.digest, token.prefix) == (key_digest(old_key), old_key[:8])
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old_key}")
    assert client.get(f"{API}/orders/").status_code == 200
