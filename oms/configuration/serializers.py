from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from oms.configuration.keys import KEYS, MASK
from oms.configuration.models import ApplicationSetting
from oms.configuration.services import (
    setting_key_error,
    setting_value_masked,
    setting_value_validate,
)
from oms.core.errors import NON_FIELD
from oms.core.serializers import StrictFieldsMixin

SETTINGS_URL = "/api/v1/oms/settings/application_settings/"


@extend_schema_field(OpenApiTypes.ANY)
class SettingValueField(serializers.JSONField):
    """The value of a setting; its shape depends on the key (validated in the serializer)."""


class ApplicationSettingSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    key = serializers.CharField(
        max_length=64,
        help_text="One of: " + ", ".join(sorted(KEYS)) + ".",
        error_messages={"required": "Required: one of " + ", ".join(sorted(KEYS)) + "."},
    )
    json_value = SettingValueField(
        help_text=f"The value; its shape depends on the key. Secrets read back as '{MASK}', and "
        "sending the mask back keeps the stored secret.",
        error_messages={"null": "Send the setting's value: null is not a value of any key."},
    )

    class Meta:
        model = ApplicationSetting
        fields = ["id", "key", "json_value"]

    def validate_key(self, value: str) -> str:
        if value not in KEYS:
            raise serializers.ValidationError(setting_key_error(value))
        if self.instance is not None and value != self.instance.key:
            raise serializers.ValidationError(
                "The key of a setting cannot change. Create a setting with the new key instead."
            )
        if self.instance is None:
            existing = ApplicationSetting.objects.filter(key=value).values_list("pk", flat=True).first()
            if existing is not None:
                raise serializers.ValidationError(_key_taken(value, existing))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        key = attrs.get("key") or (self.instance.key if self.instance else "")
        if "json_value" not in attrs:
            if self.instance is None:
                raise serializers.ValidationError({"json_value": ["Required: the setting's value."]})
            return attrs
        attrs["json_value"] = setting_value_validate(
            key=key,
            value=attrs["json_value"],
            current=self.instance.json_value if self.instance else None,
        )
        return attrs

    def to_representation(self, instance: ApplicationSetting) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["json_value"] = setting_value_masked(key=instance.key, value=instance.json_value)
        return data

    def integrity_error_detail(self) -> dict[str, list[str]]:
        """The message for a duplicate that slipped past validation (two requests racing)."""
        key = self.validated_data.get("key")
        existing = ApplicationSetting.objects.filter(key=key).values_list("pk", flat=True).first()
        if key and existing is not None:
            return {"key": [_key_taken(key, existing)]}
        return {NON_FIELD: ["The setting could not be saved: it conflicts with another. Reload and retry."]}


def _key_taken(key: str, existing: int) -> str:
    return f"{key} is already set (id {existing}). Change it with PATCH {SETTINGS_URL}{existing}/."
