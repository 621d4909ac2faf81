from typing import Any

from rest_framework import serializers

from oms.channels.models import Channel
from oms.core.errors import NON_FIELD
from oms.core.serializers import StrictFieldsMixin

CHANNELS_URL = "/api/v1/oms/channels/"


class ChannelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = [
            "id",
            "name",
            "channel_type",
            "omnitron_id",
            "is_active",
            "configuration",
            "created_at",
            "modified_at",
        ]
        read_only_fields = ["created_at", "modified_at"]
        # Uniqueness of `omnitron_id` is answered below with a message that names the existing row.
        extra_kwargs = {
            "omnitron_id": {
                "validators": [],
                "error_messages": {
                    "invalid": "omnitron_id is the channel's id in Omnitron: a whole number, or null."
                },
            }
        }

    def validate_omnitron_id(self, value: int | None) -> int | None:
        if value is None:
            return value
        clash = Channel.objects.filter(omnitron_id=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        existing = clash.values_list("pk", flat=True).first()
        if existing is not None:
            raise serializers.ValidationError(_omnitron_id_taken(value, existing))
        return value

    def validate_configuration(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError(
                'configuration must be a JSON object, e.g. {} or {"key": "value"}.'
            )
        return value

    def integrity_error_detail(self) -> dict[str, list[str]]:
        """The message for a duplicate that slipped past validation (two requests racing)."""
        value = self.validated_data.get("omnitron_id")
        existing = Channel.objects.filter(omnitron_id=value).values_list("pk", flat=True).first()
        if value is not None and existing is not None:
            return {"omnitron_id": [_omnitron_id_taken(value, existing)]}
        return {NON_FIELD: ["The channel could not be saved: it conflicts with another. Reload and retry."]}


def _omnitron_id_taken(omnitron_id: int, existing: int) -> str:
    return (
        f"A channel with omnitron_id {omnitron_id} already exists (id {existing}). Change it with "
        f"PATCH {CHANNELS_URL}{existing}/ instead of creating another."
    )
