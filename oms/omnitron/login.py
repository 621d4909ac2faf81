"""The Omnitron client's logins: one token per (Omnitron, user, password), shared by the process."""

import hashlib
import logging
import threading
from collections.abc import Mapping
from typing import Any

import httpx

from oms.omnitron.http import RetryableFailure, login_token

# The client's logger: operators filter Omnitron traffic by this one name.
logger = logging.getLogger("oms.omnitron.client")

LOGIN_PATH = "/api/v1/auth/login/"


class TokenCache:
    """Login and token caching for `OmnitronClient` (a mixin: it needs `_send`, `base_url`,
    `username` and `_password`)."""

    _token_cache: dict[tuple[str, str, str], str] = {}
    _token_locks: dict[tuple[str, str, str], threading.Lock] = {}
    _token_cache_lock = threading.Lock()

    base_url: str
    username: str
    _password: str

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        token: str | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        raise NotImplementedError

    @classmethod
    def token_cache_clear(cls) -> None:
        """Forget every cached token (tests use it to start from a fresh login)."""
        with cls._token_cache_lock:
            cls._token_cache.clear()

    def _cache_key(self) -> tuple[str, str, str]:
        # The password's digest is part of the key: changed credentials never reuse an old token.
        return (self.base_url, self.username, hashlib.sha256(self._password.encode()).hexdigest())

    def _token(self, timeout: httpx.Timeout | None = None) -> str:
        key = self._cache_key()
        token = self._token_cache.get(key)
        if token:
            return token
        with self._token_cache_lock:
            lock = self._token_locks.setdefault(key, threading.Lock())
        # One login per (Omnitron, user) at a time: concurrent callers wait and share its token.
        with lock:
            token = self._token_cache.get(key)
            if token:
                return token
            token = self._login(timeout)
            with self._token_cache_lock:
                self._token_cache[key] = token
            return token

    def _token_forget(self, token: str) -> None:
        key = self._cache_key()
        with self._token_cache_lock:
            if self._token_cache.get(key) == token:
                del self._token_cache[key]

    def _login(self, timeout: httpx.Timeout | None = None) -> str:
        call = f"POST {LOGIN_PATH}"
        try:
            response = self._send(
                "POST",
                LOGIN_PATH,
                json_body={"username": self.username, "password": self._password},
                timeout=timeout,
            )
        except RetryableFailure as failure:
            # A login that failed changed nothing in Omnitron: never an ambiguous outcome.
            raise RetryableFailure(f"logging in ({call}): {failure.reason}") from failure
        key = login_token(
            response, call=call, path=LOGIN_PATH, base_url=self.base_url, username=self.username
        )
        logger.debug("Logged in to Omnitron at %s as %s", self.base_url, self.username)
        return key
