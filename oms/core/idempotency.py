"""`Idempotency-Key` support: the same key again returns the first answer."""

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from oms.core.errors import ConflictError, DomainError, envelope
from oms.core.models import IdempotencyKey

HEADER = "HTTP_IDEMPOTENCY_KEY"


def request_fingerprint(*, scope: str, body: object) -> str:
    raw = json.dumps({"scope": scope, "body": body}, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def idempotent_call(*, request, scope: str, body: object, call: Callable[[], Response]) -> Response:
    """Run `call` once per (user, Idempotency-Key); replay its answer for the same key and body.

    The same key with a different request answers 409. Without the header, `call` just runs.
    """
    key = request.META.get(HEADER)
    if not key:
        return call()
    if len(key) > 255:
        raise DomainError("Idempotency-Key is at most 255 characters.", field="Idempotency-Key")
    fingerprint = request_fingerprint(scope=scope, body=body)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=request.user, key=key, scope=scope, request_hash=fingerprint
                )
        except IntegrityError:
            record = None
        if record is None:
            existing = IdempotencyKey.objects.get(user=request.user, key=key)
            if existing.request_hash != fingerprint:
                raise ConflictError(
                    f"Idempotency-Key '{key}' was already used for a different request. "
                    "Use a new key for a new request.",
                    field="Idempotency-Key",
                )
            if existing.response_status is None:
                raise ConflictError(
                    f"A request with Idempotency-Key '{key}' is still running; retry shortly.",
                    field="Idempotency-Key",
                )
            return Response(existing.response_body, status=existing.response_status)
        try:
            with transaction.atomic():
                response = call()
        except DomainError as exc:
            if exc.status_code >= 500:
                raise  # a passing outage is not an answer to replay: the key is released
            response = envelope(exc.errors, exc.status_code)
        record.response_status = response.status_code
        record.response_body = response.data
        record.save(update_fields=["response_status", "response_body"])
    return response
