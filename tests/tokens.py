"""API keys for test users: one per user per test, kept on the user object (keys are stored hashed)."""

from django.utils import timezone

from oms.core.tokens import api_token_create


def token_for(user) -> str:
    """The test's API key for `user`: created on first call, the same key afterwards."""
    key = getattr(user, "_test_api_key", None)
    if key is None:
        key = api_token_create(user=user, now=timezone.now()).key
        user._test_api_key = key
    return key
