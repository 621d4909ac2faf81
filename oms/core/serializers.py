from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class StrictFieldsMixin:
    """Refuse fields the serializer does not know, instead of silently ignoring them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                known = ", ".join(sorted(writable)) or "none"
                raise serializers.ValidationError(
                    {name: [f"Unknown field '{name}'. Writable fields are: {known}."] for name in unknown}
                )
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.STR)
class StatusField(serializers.Field):
    """A status shown by its machine name, e.g. "packed", from an IntegerChoices code."""

    def __init__(self, choices, **kwargs):
        self.status_choices = choices
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        try:
            return self.status_choices(value).name.lower()
        except ValueError:
            return str(value)
