"""The closed list of application setting keys, with each key's validation and default."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rest_framework import serializers

from oms.core.serializers import StrictFieldsMixin

MASK = "********"

# The setting keys, for code that reads or writes them: import these, never retype the text.
AUTO_RUN_SHIP_THE_PACKAGE_COMMAND = "AUTO_RUN_SHIP_THE_PACKAGE_COMMAND"
OMNITRON_CLIENT_SETTINGS = "OMNITRON_CLIENT_SETTINGS"


class OmnitronClientSettingsSerializer(StrictFieldsMixin, serializers.Serializer):
    url = serializers.URLField(help_text="Omnitron base URL, e.g. https://acme.omnitron.example")
    username = serializers.CharField(max_length=255)
    password = serializers.CharField(max_length=255, trim_whitespace=False)

    def validate_url(self, value: str) -> str:
        return value.rstrip("/")


@dataclass(frozen=True)
class SettingKey:
    key: str
    description: str
    default: Any
    # Makes the DRF field (for scalars) or serializer (for objects) that validates the value.
    field: Callable[[], serializers.Field]
    secret_fields: tuple[str, ...] = field(default=())


KEYS: dict[str, SettingKey] = {
    spec.key: spec
    for spec in [
        SettingKey(
            key=AUTO_RUN_SHIP_THE_PACKAGE_COMMAND,
            description="When true, OMS follows packed marketplace shipments in Omnitron and "
            "moves them to shipped, attempted delivery and delivered.",
            default=False,
            field=serializers.BooleanField,
        ),
        SettingKey(
            key=OMNITRON_CLIENT_SETTINGS,
            description="Omnitron URL and credentials OMS uses; wins over OMNITRON_* variables.",
            default=None,
            field=OmnitronClientSettingsSerializer,
            secret_fields=("password",),
        ),
    ]
}
