"""Webhook subscriptions and the event outbox (one row per event and subscription)."""

import uuid

from django.db import models

from oms.core.models import TimeStampedModel


class WebhookSubscription(TimeStampedModel):
    """Someone outside OMS who wants events of one type (or `*`) POSTed to `target_url`."""

    event_type = models.CharField(max_length=64, db_index=True)
    target_url = models.CharField(max_length=2000)
    secret_key = models.CharField(max_length=512, blank=True, default="")
    additional_headers = models.JSONField(default=dict, blank=True)
    retry_countdown_config = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    # The circuit breaker: failed attempts in a row, and until when no delivery is tried.
    consecutive_failures = models.PositiveIntegerField(default=0)
    breaker_open_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.target_url}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    FAILED = "failed", "Failed, will retry"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead-lettered"


OPEN_STATES = (DeliveryState.PENDING, DeliveryState.FAILED)


class EventDelivery(models.Model):
    """One event for one subscription: written with the change, delivered after commit.

    `event_id` is the event's id (the same for every subscription and every retry); a replay is a
    new row with the same event id. Per subscription and `key`, rows are delivered in id order.
    """

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    event_type = models.CharField(max_length=64)
    key = models.CharField(max_length=128)
    data = models.JSONField()
    occurred_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["subscription", "key", "id"],
                name="event_delivery_open_idx",
                condition=models.Q(state__in=["pending", "failed"]),
            ),
            models.Index(fields=["key", "occurred_at"], name="event_delivery_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.state})"


class EventDeliveryAttempt(models.Model):
    """One POST of an event to a subscription's target, and what came back."""

    delivery = models.ForeignKey(EventDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=DeliveryState.choices)
    answer = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Attempt at {self.attempted_at:%Y-%m-%d %H:%M:%S}: {self.outcome}"
