"""API tokens: a random key handed out once, a SHA-256 digest of it stored.

A key is 32 random bytes (256 bits) in URL-safe base64; a leaked database gives digests, which no
one can turn back into keys. Looking a key up is one indexed query by digest, whatever the key.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser

from oms.core.models import ApiToken

PREFIX_LENGTH = 8
# `last_used_at` is written at most this often per token: a read request stays a read.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def key_digest(key: str) -> str:
    """The hex SHA-256 digest stored for `key`."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A token just created, with its key: the only moment the key is known."""

    token: ApiToken
    key: str


def api_token_create(*, user: AbstractBaseUser, now: datetime) -> IssuedToken:
    """Create a new token for `user` and return it with its key (not stored anywhere)."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, digest=key_digest(key), prefix=key[:PREFIX_LENGTH], created_at=now, last_used_at=now
    )
    return IssuedToken(token=token, key=key)


def api_token_find(*, key: str) -> ApiToken | None:
    """The token whose key is `key`, with its user; None when there is none."""
    return ApiToken.objects.select_related("user").filter(digest=key_digest(key)).first()


def api_token_mark_used(*, token: ApiToken, now: datetime) -> None:
    """Record that `token` was used, at most once per LAST_USED_RESOLUTION."""
    if now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk, last_used_at__lt=now - LAST_USED_RESOLUTION).update(last_used_at=now)
    token.last_used_at = now


def api_token_revoke(*, token_ids: list[int]) -> int:
    """Delete the tokens `token_ids`; requests with their keys are refused from now on."""
    deleted, _ = ApiToken.objects.filter(pk__in=token_ids).delete()
    return deleted
