"""Delivering the event outbox: claim due rows per subscription, POST them signed, record the answer.

At least once: a row is delivered until its target answers 2xx, or dead-lettered after its
subscription's schedule. Per subscription and key, a row is claimed only when every earlier open
row of its key is due as well (and then sits before it in the same batch); a row that fails stops
the rest of its key in the batch. So a later event never overtakes an earlier one that is still
being retried. Subscriptions are claimed and delivered one after another, each for a bounded time
per round, and skipped while their circuit breaker is open: a slow or dead receiver costs the
others at most one request timeout per round.
"""

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q

from oms.core.db import lock_rows
from oms.events.addresses import TargetRefused, target_check
from oms.events.models import (
    OPEN_STATES,
    DeliveryState,
    EventDelivery,
    EventDeliveryAttempt,
    WebhookSubscription,
)
from oms.events.schedule import breaker_cool_down, breaker_threshold, max_attempts, retry_delay

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 3.0
TOTAL_TIMEOUT_SECONDS = 10.0
ANSWER_KEEP_CHARS = 2000
USER_AGENT = "OMS-Webhooks/1"
# The headers OMS sets; a subscription's additional headers cannot replace them.
OWN_HEADERS = frozenset(
    {"content-type", "user-agent", "host", "content-length", "x-oms-event-id", "x-oms-event-type"}
    | {"x-oms-timestamp", "x-oms-signature"}
)


def claim_lease() -> timedelta:
    """How long claimed rows are hidden from other workers (OMS_WEBHOOK_CLAIM_LEASE_SECONDS)."""
    return timedelta(seconds=settings.OMS_WEBHOOK_CLAIM_LEASE_SECONDS)


def event_body(delivery: EventDelivery) -> bytes:
    """The JSON body POSTed for a delivery: the same bytes for every retry of the event."""
    envelope = {
        "id": str(delivery.event_id),
        "type": delivery.event_type,
        "occurred_at": delivery.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": delivery.data,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def event_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def event_headers(
    *, delivery: EventDelivery, subscription: WebhookSubscription, body: bytes, now: datetime
) -> dict:
    timestamp = str(int(now.timestamp()))
    headers = {
        name: str(value)
        for name, value in (subscription.additional_headers or {}).items()
        if name.lower() not in OWN_HEADERS
    }
    headers.update(
        {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-OMS-Event-Id": str(delivery.event_id),
            "X-OMS-Event-Type": delivery.event_type,
            "X-OMS-Timestamp": timestamp,
            "X-OMS-Signature": event_signature(
                secret=subscription.secret_key, timestamp=timestamp, body=body
            ),
        }
    )
    return headers


@dataclass
class Answer:
    ok: bool
    status_code: int | None = None
    text: str = ""
    error: str = ""
    # The receiver could not be reached or was too slow: stop its batch.
    unreachable: bool = False


def _pinned_url(url: str, *, address: str) -> httpx.URL:
    """The URL with its host replaced by the checked address (the connection goes there)."""
    return httpx.URL(url).copy_with(host=address.split("%")[0])


def http_post(*, client: httpx.Client, url: str, headers: dict, body: bytes) -> Answer:
    """POST to the target, connecting to an address checked just now; at most 10 s in all."""
    try:
        target = target_check(url)
    except TargetRefused as exc:
        return Answer(ok=False, error=f"Target refused: {exc}")
    address = target.addresses[0]
    default_port = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host  # an IPv6 literal
    headers = {**headers, "Host": host if target.port == default_port else f"{host}:{target.port}"}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    deadline = time.monotonic() + TOTAL_TIMEOUT_SECONDS
    try:
        with client.stream(
            "POST",
            _pinned_url(url, address=address),
            headers=headers,
            content=body,
            extensions=extensions,
        ) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("the answer took longer than 10 s")
                if size < ANSWER_KEEP_CHARS:
                    chunks.append(chunk)
                    size += len(chunk)
            text = b"".join(chunks)[:ANSWER_KEEP_CHARS].decode("utf-8", "replace")
            ok = 200 <= response.status_code < 300
            error = "" if ok else f"HTTP {response.status_code}"
            return Answer(ok=ok, status_code=response.status_code, text=text, error=error)
    except httpx.TimeoutException as exc:
        return Answer(ok=False, error=f"Timed out: {exc or type(exc).__name__}", unreachable=True)
    except httpx.HTTPError as exc:
        return Answer(ok=False, error=f"{type(exc).__name__}: {exc}", unreachable=True)


def http_client() -> httpx.Client:
    timeout = httpx.Timeout(TOTAL_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)


def deliveries_claim(*, subscription_id: int, now: datetime, limit: int) -> list[EventDelivery]:
    """Claim up to `limit` due rows of one subscription whose earlier rows of the same key are due too.

    Claims of one subscription are serialised by locking its row, so two workers never take rows
    of one key at once; other subscriptions are claimed independently.
    """
    earlier_waiting = EventDelivery.objects.filter(
        subscription_id=OuterRef("subscription_id"),
        key=OuterRef("key"),
        state__in=OPEN_STATES,
        id__lt=OuterRef("id"),
        next_attempt_at__gt=now,
    )
    with transaction.atomic():
        locked = list(
            lock_rows(WebhookSubscription.objects.filter(pk=subscription_id)).values_list("pk", flat=True)
        )
        if not locked:
            return []
        rows = list(
            EventDelivery.objects.filter(
                subscription_id=subscription_id, state__in=OPEN_STATES, next_attempt_at__lte=now
            )
            .exclude(Exists(earlier_waiting))
            .order_by("id")[:limit]
        )
        if rows:
            until = now + claim_lease()
            EventDelivery.objects.filter(pk__in=[row.pk for row in rows]).update(next_attempt_at=until)
            for row in rows:
                row.next_attempt_at = until
    return rows


def _release(rows: list[EventDelivery], now: datetime) -> None:
    """Give back claimed rows not tried in this run; they stay behind any earlier row of their key."""
    for row in rows:
        EventDelivery.objects.filter(
            pk=row.pk, state__in=OPEN_STATES, next_attempt_at=row.next_attempt_at
        ).update(next_attempt_at=now)


def delivery_attempt(
    *, delivery: EventDelivery, subscription: WebhookSubscription, client: httpx.Client, now: datetime
) -> tuple[str, Answer]:
    """POST one claimed delivery, record the attempt and the outcome; returns (state, answer)."""
    body = event_body(delivery)
    headers = event_headers(delivery=delivery, subscription=subscription, body=body, now=now)
    started = time.monotonic()
    answer = http_post(client=client, url=subscription.target_url, headers=headers, body=body)
    duration_ms = int((time.monotonic() - started) * 1000)
    attempts = delivery.attempts + 1
    fields: dict = {
        "attempts": attempts,
        "last_status_code": answer.status_code,
        "last_error": answer.error,
        "modified_at": now,
    }
    if answer.ok:
        state = DeliveryState.DELIVERED
        fields.update(state=state, delivered_at=now, next_attempt_at=None)
    elif attempts >= max_attempts(subscription.retry_countdown_config):
        state = DeliveryState.DEAD
        fields.update(state=state, next_attempt_at=None)
        logger.error(
            "Event %s to subscription %s dead-lettered: %s", delivery.event_id, subscription.pk, answer.error
        )
    else:
        state = DeliveryState.FAILED
        fields.update(
            state=state, next_attempt_at=now + retry_delay(subscription.retry_countdown_config, attempts)
        )
    with transaction.atomic():
        EventDelivery.objects.filter(pk=delivery.pk, state__in=OPEN_STATES).update(**fields)
        EventDeliveryAttempt.objects.create(
            delivery_id=delivery.pk,
            attempted_at=now,
            status_code=answer.status_code,
            outcome=state,
            answer=answer.text,
            error=answer.error[:2000],
            duration_ms=duration_ms,
        )
        _breaker_record(subscription=subscription, ok=answer.ok, now=now)
    delivery.state, delivery.attempts = state, attempts
    return state, answer


def _breaker_record(*, subscription: WebhookSubscription, ok: bool, now: datetime) -> None:
    subs = WebhookSubscription.objects.filter(pk=subscription.pk)
    if ok:
        if subscription.consecutive_failures or subscription.breaker_open_until:
            subs.update(consecutive_failures=0, breaker_open_until=None)
        subscription.consecutive_failures, subscription.breaker_open_until = 0, None
        return
    subs.update(consecutive_failures=F("consecutive_failures") + 1)
    failures = subs.values_list("consecutive_failures", flat=True).first() or 0
    subscription.consecutive_failures = failures
    if failures >= breaker_threshold():
        until = now + breaker_cool_down(failures)
        subs.update(breaker_open_until=until)
        subscription.breaker_open_until = until
        logger.warning(
            "Webhook subscription %s: breaker open until %s (%s failures)", subscription.pk, until, failures
        )


def _subscriptions_due(now: datetime) -> list[WebhookSubscription]:
    due = EventDelivery.objects.filter(
        subscription_id=OuterRef("pk"), state__in=OPEN_STATES, next_attempt_at__lte=now
    )
    return list(
        WebhookSubscription.objects.filter(is_active=True)
        .filter(Q(breaker_open_until__isnull=True) | Q(breaker_open_until__lte=now))
        .filter(Exists(due))
        .order_by("id")
    )


def _deliver_batch(
    *,
    subscription: WebhookSubscription,
    client: httpx.Client,
    now_fn: Callable[[], datetime],
    limit: int,
    counts: dict,
) -> int:
    """Claim and deliver one batch of a subscription, for a bounded time. Returns rows claimed."""
    if subscription.consecutive_failures >= breaker_threshold():
        limit = 1  # the breaker's cool-down is over: one probe decides whether it closes
    rows = deliveries_claim(subscription_id=subscription.pk, now=now_fn(), limit=limit)
    budget_ends = time.monotonic() + settings.OMS_WEBHOOK_SUBSCRIPTION_BUDGET_SECONDS
    failed_keys: set[str] = set()
    skipped: list[EventDelivery] = []
    for index, row in enumerate(rows):
        if row.key in failed_keys:
            skipped.append(row)  # it waits behind the earlier event of its key
            continue
        if time.monotonic() > budget_ends:
            skipped.extend(rows[index:])
            counts["deferred"] = counts.get("deferred", 0) + len(rows) - index
            break
        state, answer = delivery_attempt(delivery=row, subscription=subscription, client=client, now=now_fn())
        counts[state] = counts.get(state, 0) + 1
        if state != DeliveryState.DELIVERED:
            failed_keys.add(row.key)
            if answer.unreachable or subscription.breaker_open_until:
                skipped.extend(rows[index + 1 :])
                break
    _release(skipped, now_fn())
    return len(rows)


def events_deliver_due(
    *, now_fn: Callable[[], datetime], batch_size: int = 50, max_rounds: int = 20
) -> dict[str, int]:
    """Deliver due events, one batch per subscription per round, until none is due. Counts by outcome."""
    counts: dict[str, int] = {}
    with http_client() as client:
        for _ in range(max_rounds):
            claimed = 0
            for subscription in _subscriptions_due(now_fn()):
                claimed += _deliver_batch(
                    subscription=subscription, client=client, now_fn=now_fn, limit=batch_size, counts=counts
                )
            if not claimed:
                break
    return counts
