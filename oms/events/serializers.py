from typing import Any

from rest_framework import serializers

from oms.core.serializers import FieldsBuiltOnceMixin, StrictFieldsMixin
from oms.events.addresses import TargetRefused, target_check
from oms.events.catalogue import ALL_TYPES, EVENT_TYPES
from oms.events.models import EventDelivery, EventDeliveryAttempt, WebhookSubscription
from oms.events.schedule import MAX_COUNTDOWN_SECONDS, MAX_RETRIES, SCHEDULE_TYPES

MASK = "********"
MAX_HEADERS = 20
SCHEDULE_KEYS = ("type", "countdown", "max_retries", "jitter")
# Header names a subscription may not set (OMS sets them, or they change how HTTP works).
RESERVED_HEADERS = frozenset(
    {"host", "content-type", "content-length", "transfer-encoding", "connection", "user-agent"}
)


class WebhookSubscriptionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A subscription. `secret_key` and the values of `additional_headers` are only ever shown masked;
    sending a masked value back keeps what is stored."""

    event_type = serializers.ChoiceField(
        choices=[ALL_TYPES, *EVENT_TYPES],
        help_text="One event type of the catalogue, or '*' for every event.",
    )
    target_url = serializers.CharField(max_length=2000, help_text="An https:// URL on a public address.")
    secret_key = serializers.CharField(
        max_length=512,
        required=False,
        allow_blank=True,
        help_text="Signs each event (X-OMS-Signature). Shown masked; send a new value to change it.",
    )
    has_secret_key = serializers.SerializerMethodField()
    breaker_open_until = serializers.DateTimeField(read_only=True, allow_null=True)
    consecutive_failures = serializers.IntegerField(read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "event_type",
            "target_url",
            "secret_key",
            "has_secret_key",
            "additional_headers",
            "retry_countdown_config",
            "is_active",
            "consecutive_failures",
            "breaker_open_until",
            "created_at",
            "modified_at",
        ]
        read_only_fields = ["created_at", "modified_at"]

    def get_has_secret_key(self, subscription: WebhookSubscription) -> bool:
        return bool(subscription.secret_key)

    def to_representation(self, instance: WebhookSubscription) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["secret_key"] = MASK if instance.secret_key else ""
        data["additional_headers"] = {name: MASK for name in (instance.additional_headers or {})}
        return data

    def validate_secret_key(self, value: str) -> str:
        # What a read gave back, sent again unchanged (a PUT of a GET): the secret stays as it is.
        if value == MASK and self.instance is not None:
            return self.instance.secret_key
        return value

    def validate_target_url(self, value: str) -> str:
        value = value.strip()
        try:
            target_check(value)
        except TargetRefused as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value

    def validate_additional_headers(self, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise serializers.ValidationError(
                'Send an object of header names to values, e.g. {"X-Api-Key": "..."}.'
            )
        if len(value) > MAX_HEADERS:
            raise serializers.ValidationError(f"At most {MAX_HEADERS} headers.")
        for name, header in value.items():
            if not name or not all(33 <= ord(c) < 127 and c not in '()<>@,;:\\"/[]?={}' for c in name):
                raise serializers.ValidationError(f"'{name}' is not a valid header name.")
            if name.lower() in RESERVED_HEADERS or name.lower().startswith("x-oms-"):
                raise serializers.ValidationError(f"'{name}' is set by OMS; choose another header.")
            if not isinstance(header, str) or len(header) > 4096 or any(c in header for c in "\r\n\0"):
                raise serializers.ValidationError(
                    f"The value of '{name}' must be text on one line (≤ 4096 characters)."
                )
        # A masked value sent back unchanged keeps the stored one (a PUT of what a GET showed).
        stored = (self.instance.additional_headers or {}) if self.instance is not None else {}
        return {
            name: stored[name] if header == MASK and name in stored else header
            for name, header in value.items()
        }

    def validate_retry_countdown_config(self, value: Any) -> dict[str, Any]:
        example = '{"type": "exponential", "countdown": 10, "max_retries": 8, "jitter": true}'
        if not isinstance(value, dict):
            raise serializers.ValidationError(f"Send an object such as {example}.")
        unknown = sorted(set(value) - set(SCHEDULE_KEYS))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown key(s) {', '.join(unknown)}; use {', '.join(SCHEDULE_KEYS)}."
            )
        if "type" in value and value["type"] not in SCHEDULE_TYPES:
            raise serializers.ValidationError(f"'type' must be one of {', '.join(SCHEDULE_TYPES)}.")
        countdown = value.get("countdown", 1)
        if (
            isinstance(countdown, bool)
            or not isinstance(countdown, int | float)
            or not 1 <= countdown <= MAX_COUNTDOWN_SECONDS
        ):
            raise serializers.ValidationError(
                f"'countdown' is seconds: a number from 1 to {MAX_COUNTDOWN_SECONDS}."
            )
        retries = value.get("max_retries", 0)
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
            raise serializers.ValidationError(
                f"'max_retries' must be a whole number from 0 to {MAX_RETRIES}."
            )
        if "jitter" in value and not isinstance(value["jitter"], bool):
            raise serializers.ValidationError("'jitter' must be true or false.")
        return value


class EventDeliveryAttemptSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    class Meta:
        model = EventDeliveryAttempt
        fields = ["attempted_at", "status_code", "outcome", "answer", "error", "duration_ms"]


class EventDeliverySerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    attempt_log = EventDeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = EventDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "key",
            "occurred_at",
            "state",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "replay_of",
            "data",
            "attempt_log",
        ]


class ReplaySerializer(StrictFieldsMixin, serializers.Serializer):
    event = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="A dead-lettered delivery's id."
    )
    since = serializers.DateTimeField(
        required=False, help_text="Replay events that occurred from this time ..."
    )
    until = serializers.DateTimeField(required=False, help_text="... to this time (excluded).")

    def validate(self, attrs: dict) -> dict:
        if "event" in attrs and ({"since", "until"} & set(attrs)):
            raise serializers.ValidationError("Send either 'event', or 'since' and 'until', not both.")
        if "event" not in attrs:
            if "since" not in attrs or "until" not in attrs:
                raise serializers.ValidationError(
                    "Send 'event' (a delivery id), or both 'since' and 'until'."
                )
            if attrs["since"] >= attrs["until"]:
                raise serializers.ValidationError({"until": ["'until' must be after 'since'."]})
        return attrs
