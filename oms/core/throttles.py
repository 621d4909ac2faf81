"""Throttles for the endpoints that take a password: per user name and per client address.

Rates are `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, read at each request (settings
OMS_LOGIN_RATE_PER_USERNAME, OMS_LOGIN_RATE_PER_ADDRESS); the counts live in the `throttle` cache,
shared by every web process on the machine. A refused request is answered 429 with Retry-After.
"""

import hashlib

from django.core.cache import caches
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

THROTTLE_CACHE = "throttle"


class _LoginThrottle(SimpleRateThrottle):
    @property
    def cache(self):
        return caches[THROTTLE_CACHE]

    def get_rate(self) -> str | None:
        # Read at call time (not frozen at import as DRF's class attribute is): settings may change.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def _key(self, ident: str) -> str:
        digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class LoginAddressThrottle(_LoginThrottle):
    """Login attempts from one client address (REMOTE_ADDR, or X-Forwarded-For past
    OMS_NUM_PROXIES trusted proxies)."""

    scope = "login-address"

    def get_cache_key(self, request, view) -> str:
        return self._key(self.get_ident(request) or "")


class LoginUsernameThrottle(_LoginThrottle):
    """Login attempts naming one user name, from any address."""

    scope = "login-username"

    def get_cache_key(self, request, view) -> str | None:
        data = request.data
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str):
            return None  # the serializer refuses the body; nothing to guess with
        return self._key(username)
