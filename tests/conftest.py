import os

import pytest
from django.contrib.auth import get_user_model
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from tests.tokens import token_for

pytest_plugins = ["tests.fixtures_sandbox"]

# Property and fuzz tests: in CI the same examples every run (a red CI is reproducible and never a
# roll of the dice); elsewhere new random examples each run, to keep finding what CI would not.
# OMS_HYPOTHESIS_PROFILE=ci or =explore chooses either anywhere.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("explore", print_blob=True)
hypothesis_settings.load_profile(
    os.environ.get("OMS_HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "explore")
)


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_user(
        username="staff", password="staff-password-123", is_staff=True
    )


@pytest.fixture
def plain_user(db):
    return get_user_model().objects.create_user(username="clerk", password="clerk-password-123")


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@pytest.fixture
def api(staff_user) -> APIClient:
    """An API client authenticated with a staff user's token."""
    return _token_client(staff_user)


@pytest.fixture
def clerk_api(plain_user) -> APIClient:
    """An API client authenticated with a non-staff user's token."""
    return _token_client(plain_user)


@pytest.fixture
def anon() -> APIClient:
    return APIClient()
