"""`Idempotency-Key` support: the same key again returns the first answer.

The key is taken in a short transaction of its own (the row has no answer yet: "running"), the call
runs outside any transaction opened here (so a slow Omnitron read in it holds no database lock), and
the answer is stored in another short write. A call that ends in an outage (5xx) or an unexpected
error releases the key, so the client may simply retry. A process that dies mid-call leaves a
running key behind: after `RUNNING_EXPIRES_AFTER` the next request with that key takes it over and
runs again (the command engine's own compare-and-set makes a second run of a finished command a
clear refusal, never a second shipment).
"""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response

from oms.core.errors import ConflictError, DomainError, envelope
from oms.core.models import IdempotencyKey

HEADER = "HTTP_IDEMPOTENCY_KEY"
# Longer than the slowest call can take (Omnitron's read timeout times its attempts, with backoff).
RUNNING_EXPIRES_AFTER = timedelta(minutes=5)
# A key released by another request between our insert and our read is taken again, a few times.
CLAIM_ATTEMPTS = 3


def request_fingerprint(*, scope: str, body: object) -> str:
    raw = json.dumps({"scope": scope, "body": body}, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _key_claim(
    *, user: Any, key: str, scope: str, fingerprint: str, now: datetime
) -> IdempotencyKey | Response:
    """Take the key for this request (a running row), or the answer to replay, or a 409."""
    for _ in range(CLAIM_ATTEMPTS):
        try:
            with transaction.atomic():
                # created_at (set on insert) is when the key was taken.
                return IdempotencyKey.objects.create(
                    user=user, key=key, scope=scope, request_hash=fingerprint
                )
        except IntegrityError:
            pass
        existing = IdempotencyKey.objects.filter(user=user, key=key).first()
        if existing is None:
            continue  # released meanwhile: take it
        if existing.request_hash != fingerprint:
            raise ConflictError(
                f"Idempotency-Key '{key}' was already used for a different request. "
                "Use a new key for a new request.",
                field="Idempotency-Key",
            )
        if existing.response_status is not None:
            return Response(existing.response_body, status=existing.response_status)
        if existing.created_at > now - RUNNING_EXPIRES_AFTER:
            raise ConflictError(
                f"A request with Idempotency-Key '{key}' is still running; retry shortly.",
                field="Idempotency-Key",
            )
        # Left running by a request that never finished: take it over, once, by compare and set.
        taken = IdempotencyKey.objects.filter(
            pk=existing.pk, created_at=existing.created_at, response_status__isnull=True
        ).update(created_at=now)
        if taken:
            existing.created_at = now
            return existing
    raise ConflictError(
        f"A request with Idempotency-Key '{key}' is still running; retry shortly.", field="Idempotency-Key"
    )


def _mine(record: IdempotencyKey) -> Any:
    # The running row this request took (not one taken over by a later request since).
    return IdempotencyKey.objects.filter(
        pk=record.pk, created_at=record.created_at, response_status__isnull=True
    )


def idempotent_call(*, request: Any, scope: str, body: object, call: Callable[[], Response]) -> Response:
    """Run `call` once per (user, Idempotency-Key); replay its answer for the same key and body.

    The same key with a different request answers 409, and so does the same key while its first
    request is still running. Without the header, `call` just runs. No transaction is open while
    `call` runs.
    """
    key = request.META.get(HEADER)
    if not key:
        return call()
    if len(key) > 255:
        raise DomainError("Idempotency-Key is at most 255 characters.", field="Idempotency-Key")
    fingerprint = request_fingerprint(scope=scope, body=body)
    claim = _key_claim(user=request.user, key=key, scope=scope, fingerprint=fingerprint, now=timezone.now())
    if isinstance(claim, Response):
        return claim
    try:
        response = call()
    except DomainError as exc:
        if exc.status_code >= 500:
            _mine(claim).delete()  # a passing outage is not an answer to replay: the key is released
            raise
        response = envelope(exc.errors, exc.status_code)
    except BaseException:
        _mine(claim).delete()
        raise
    _mine(claim).update(response_status=response.status_code, response_body=response.data)
    return response
