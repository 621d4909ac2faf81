from typing import Any

from rest_framework import serializers

from oms.channels.models import Channel
from oms.core.serializers import StrictFieldsMixin, UniqueOmnitronIdMixin

CHANNELS_URL = "/api/v1/oms/channels/"


class ChannelSerializer(UniqueOmnitronIdMixin, StrictFieldsMixin, serializers.ModelSerializer):
    resource_label = "channel"
    resource_url = CHANNELS_URL

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
        # Uniqueness of `omnitron_id` is answered by UniqueOmnitronIdMixin, naming the existing row.
        extra_kwargs = {
            "omnitron_id": {
                "validators": [],
                "error_messages": {
                    "invalid": "omnitron_id is the channel's id in Omnitron: a whole number, or null."
                },
            }
        }

    def validate_configuration(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError(
                'configuration must be a JSON object, e.g. {} or {"key": "value"}.'
            )
        return value
