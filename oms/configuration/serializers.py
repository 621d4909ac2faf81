from typing import Any

from rest_framework import serializers

from oms.configuration.models import ApplicationSetting
from oms.configuration.services import (
    setting_key_spec,
    setting_value_masked,
    setting_value_validate,
)
from oms.core.serializers import StrictFieldsMixin


class ApplicationSettingSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    json_value = serializers.JSONField()

    class Meta:
        model = ApplicationSetting
        fields = ["id", "key", "json_value"]
        # Uniqueness of `key` is answered below with a message that says what to do instead.
        extra_kwargs = {"key": {"validators": []}}

    def validate_key(self, value: str) -> str:
        setting_key_spec(value)
        if self.instance is not None and value != self.instance.key:
            raise serializers.ValidationError(
                "The key of a setting cannot change. Create a setting with the new key instead."
            )
        if self.instance is None:
            existing = ApplicationSetting.objects.filter(key=value).values_list("pk", flat=True)
            if existing:
                raise serializers.ValidationError(
                    f"{value} is already set (id {existing[0]}). Change it with "
                    f"PATCH /api/v1/oms/settings/application_settings/{existing[0]}/."
                )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        key = attrs.get("key") or (self.instance.key if self.instance else None)
        if "json_value" not in attrs:
            if self.instance is None:
                raise serializers.ValidationError({"json_value": ["This field is required."]})
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
