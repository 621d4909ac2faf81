"""Application settings: validation on write, one read path (`application_setting_get`)."""

from typing import Any

from django.db import transaction
from rest_framework import serializers

from oms.configuration.keys import KEYS, MASK, SettingKey
from oms.configuration.models import ApplicationSetting
from oms.core.errors import DomainError
from oms.omnitron.connection import OmnitronConnection


def setting_key_error(key: object) -> str:
    """The message for a key outside the closed list."""
    return f"'{key}' is not a known setting key. Valid keys: {', '.join(sorted(KEYS))}."


def setting_key_spec(key: object) -> SettingKey:
    if isinstance(key, str) and key in KEYS:
        return KEYS[key]
    raise serializers.ValidationError({"key": [setting_key_error(key)]})


def setting_value_validate(*, key: str, value: Any, current: Any = None) -> Any:
    """The validated value for `key`; a masked secret sent back unchanged keeps the stored one."""
    spec = setting_key_spec(key)
    if spec.secret_fields and isinstance(value, dict):
        value = dict(value)
        for name in spec.secret_fields:
            if value.get(name) != MASK:
                continue
            if isinstance(current, dict) and current.get(name):
                value[name] = current[name]
            else:
                raise serializers.ValidationError(
                    {
                        "json_value": {
                            name: [
                                f"'{MASK}' is the mask shown in place of the stored {name}, and no "
                                f"{name} is stored yet. Send the real {name}."
                            ]
                        }
                    }
                )
    field = spec.field()
    # Booleans must be JSON booleans: BooleanField alone would accept "yes" or 1.
    if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
        raise serializers.ValidationError(
            {"json_value": [f"{key} takes a JSON boolean (true or false), not {value!r}."]}
        )
    try:
        if isinstance(field, serializers.Serializer):
            if not isinstance(value, dict):
                raise serializers.ValidationError(
                    f"{key} takes a JSON object with the fields: {', '.join(field.fields)}; got {value!r}."
                )
            serializer = spec.field(data=value)
            serializer.is_valid(raise_exception=True)
            return dict(serializer.validated_data)
        return field.run_validation(value)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({"json_value": exc.detail}) from None


def setting_value_masked(*, key: str, value: Any) -> Any:
    """The value as the API shows it: secret fields replaced by the mask."""
    spec = KEYS.get(key)
    if spec is None or not spec.secret_fields or not isinstance(value, dict):
        return value
    return {name: (MASK if name in spec.secret_fields and v else v) for name, v in value.items()}


def application_setting_get(key: str) -> Any:
    """The value of a setting, or its default when it has not been set."""
    spec = setting_key_spec(key)
    row = ApplicationSetting.objects.filter(key=key).values_list("json_value", flat=True).first()
    if row is None:
        return spec.default
    return row


@transaction.atomic
def application_setting_set(*, key: str, value: Any) -> ApplicationSetting:
    """Create or update a setting (used by `oms setup_marketplace` and tests); a bad value is a 400."""
    existing = ApplicationSetting.objects.select_for_update().filter(key=key).first()
    try:
        validated = setting_value_validate(
            key=key, value=value, current=existing.json_value if existing else None
        )
    except serializers.ValidationError as exc:
        raise DomainError(
            exc.detail if isinstance(exc.detail, dict) else {"json_value": exc.detail}
        ) from None
    if existing is None:
        return ApplicationSetting.objects.create(key=key, json_value=validated)
    existing.json_value = validated
    existing.save(update_fields=["json_value", "modified_at"])
    return existing


def omnitron_connection_configured() -> OmnitronConnection | None:
    """Omnitron's URL and credentials from the OMNITRON_CLIENT_SETTINGS setting; None when not set."""
    configured = application_setting_get("OMNITRON_CLIENT_SETTINGS")
    if not configured:
        return None
    return OmnitronConnection(
        url=configured.get("url") or "",
        username=configured.get("username") or "",
        password=configured.get("password") or "",
        source="the OMNITRON_CLIENT_SETTINGS application setting",
    )
