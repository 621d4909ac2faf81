import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import Model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from oms.core.errors import NON_FIELD
from oms.core.statuses import status_name

# The mixins below are mixed into DRF serializers; mypy checks them as the serializers they extend.
if TYPE_CHECKING:
    _SerializerBase = serializers.Serializer
    _ModelSerializerBase = serializers.ModelSerializer[Any]
else:
    _SerializerBase = _ModelSerializerBase = object


class FieldsBuiltOnceMixin(_ModelSerializerBase):
    """Build a ModelSerializer's fields from the model once per class, not once per instance.

    DRF's `ModelSerializer.get_fields()` inspects the model and builds every field on each new
    serializer (for a list, once per nested serializer too); that is most of the cost of answering
    an order. The fields it builds depend only on the class (its Meta, its declared fields and the
    model), so they are built once and each serializer gets fresh copies: the same deep copy DRF
    makes of declared fields. For read serializers only: a class whose fields depend on its
    context or instance must not use this.
    """

    # Set on each serializer class by its first get_fields() (declared only: no class attribute).
    _fields_built_once: ClassVar[dict[str, serializers.Field]]

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return copy.deepcopy(built)


class StrictFieldsMixin(_SerializerBase):
    """Refuse fields the serializer does not know, instead of silently ignoring them.

    Read-only fields (`id`, timestamps) are refused too, with a message saying to leave them out;
    a body that is not a JSON object is refused with the list of writable fields.
    """

    def validate_empty_values(self, data):
        # A whole request body of `null` is a body that is not an object, not a null field.
        if data is None and self.parent is None:
            self._refuse_non_object(data)
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            self._refuse_non_object(data)
        writable = self._writable_names()
        known = ", ".join(writable) or "none"
        unknown = set(data) - set(writable)
        if any(str(name).lstrip().startswith(("{", "[")) for name in unknown):
            # A JSON text sent without `Content-Type: application/json` is read as a form whose one
            # field name is the whole text: say what happened rather than "unknown field '{...}'".
            raise serializers.ValidationError(
                {
                    NON_FIELD: [
                        "The body was read as a form, not as JSON: send the header "
                        "'Content-Type: application/json' with a JSON body."
                    ]
                }
            )
        errors = {}
        for name in sorted(unknown):
            if name in self.fields:
                errors[name] = [f"'{name}' is read-only: leave it out. Writable fields are: {known}."]
            else:
                errors[name] = [f"Unknown field '{name}'. Writable fields are: {known}."]
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def _writable_names(self) -> list[str]:
        return sorted(name for name, field in self.fields.items() if not field.read_only)

    def _refuse_non_object(self, data: Any) -> None:
        known = ", ".join(self._writable_names()) or "none"
        raise serializers.ValidationError(
            {
                api_settings.NON_FIELD_ERRORS_KEY: [
                    f"Expected a JSON object, but got {json_type_name(data)}. "
                    f"Send an object with the fields: {known}."
                ]
            },
            code="invalid",
        )


def json_type_name(value: Any) -> str:
    """The JSON name of a parsed value's type ("a list", "a string", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


@extend_schema_field(OpenApiTypes.STR)
class StatusField(serializers.Field):
    """A status shown by its machine name, e.g. "packed", from an IntegerChoices code."""

    def __init__(self, choices, **kwargs):
        self.status_choices = choices
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return status_name(self.status_choices, value)


class UniqueOmnitronIdMixin(_ModelSerializerBase):
    """`omnitron_id` unique among the model's rows, refused with a message naming the existing row.

    Set `resource_label` ("channel") and `resource_url` ("/api/v1/oms/channels/") on the serializer,
    and `"validators": []` on the `omnitron_id` field so this check answers instead of DRF's.
    """

    resource_label: str
    resource_url: str

    def _omnitron_id_taken(self, omnitron_id: int, existing: int) -> str:
        return (
            f"A {self.resource_label} with omnitron_id {omnitron_id} already exists (id {existing}). "
            f"Change it with PATCH {self.resource_url}{existing}/ instead of creating another."
        )

    def _omnitron_id_owner(self, value: int) -> int | None:
        model: type[Model] = self.Meta.model
        clash = model._default_manager.filter(omnitron_id=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        return clash.values_list("pk", flat=True).first()

    def validate_omnitron_id(self, value: int | None) -> int | None:
        if value is not None:
            existing = self._omnitron_id_owner(value)
            if existing is not None:
                raise serializers.ValidationError(self._omnitron_id_taken(value, existing))
        return value

    def integrity_error_detail(self) -> dict[str, list[str]]:
        """The message for a duplicate that slipped past validation (two requests racing)."""
        value = self.validated_data.get("omnitron_id")
        existing = self._omnitron_id_owner(value) if value is not None else None
        if existing is not None:
            return {"omnitron_id": [self._omnitron_id_taken(value, existing)]}
        return {
            "non_field_errors": [
                f"The {self.resource_label} could not be saved: it conflicts with another. Reload and retry."
            ]
        }


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key reference that refuses ids no database column can hold (a 400, not a 500)."""

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool) and not 0 < data < 2**63:
            self.fail("does_not_exist", pk_value=data)
        if isinstance(data, str) and data.strip().lstrip("-").isdigit() and not 0 < int(data) < 2**63:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)
