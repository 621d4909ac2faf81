from rest_framework import serializers

from oms.channels.models import Channel
from oms.core.serializers import StrictFieldsMixin


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

    def validate_configuration(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("configuration must be a JSON object.")
        return value
