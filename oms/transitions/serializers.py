from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from oms.core.errors import NON_FIELD
from oms.core.serializers import StrictFieldsMixin
from oms.core.statuses import PackageStatus, status_from_name, status_names
from oms.transitions.commands import command_codes, command_get
from oms.transitions.models import StateTransition, TransitionModel

TRANSITIONS_URL = "/api/v1/oms/state-transitions/"
STATES_BY_MODEL = {TransitionModel.PACKAGE: PackageStatus}


def _state_name(code: int) -> str:
    """Name of a package status code; a code outside the list (an old row) shows as its number."""
    try:
        return PackageStatus(code).name.lower()
    except ValueError:
        return str(code)


def _state_names(codes) -> str:
    return ", ".join(_state_name(code) for code in sorted(codes))


@extend_schema_field(
    {
        "type": "string",
        "description": "A package status name: " + ", ".join(status_names(PackageStatus)) + ".",
        "example": "waiting",
    }
)
class StateNameField(serializers.Field):
    """A state written and shown by name ("waiting"); stored as its status code."""

    def to_internal_value(self, data: Any) -> int:
        valid = ", ".join(status_names(PackageStatus))
        if not isinstance(data, str | int) or isinstance(data, bool):
            raise serializers.ValidationError(
                f"A state is a package status name such as 'waiting', not {data!r}. Valid states: {valid}."
            )
        try:
            return status_from_name(PackageStatus, data)
        except ValueError:
            raise serializers.ValidationError(f"Unknown state '{data}'. Valid states: {valid}.") from None

    def to_representation(self, value: int) -> str:
        return _state_name(value)


class StateTransitionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    source_state = StateNameField()
    destination_state = StateNameField()
    # The codes are filled in per instance: apps register their commands when Django is ready.
    command = serializers.ChoiceField(choices=[], help_text="A command code of the closed registry.")

    class Meta:
        model = StateTransition
        fields = [
            "id",
            "model",
            "command",
            "slug",
            "name",
            "source_state",
            "destination_state",
            "created_at",
            "modified_at",
        ]
        read_only_fields = ["created_at", "modified_at"]
        # Uniqueness is checked in validate() with a message that names the existing row.
        validators: list = []
        extra_kwargs = {
            "model": {
                "default": TransitionModel.PACKAGE,
                "error_messages": {
                    "invalid_choice": "'{input}' is not a model with transitions. Valid models: "
                    + ", ".join(TransitionModel.values)
                    + "."
                },
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        command = self.fields["command"]
        command.choices = command_codes()
        command.error_messages["invalid_choice"] = (
            "'{input}' is not a known command code. Valid codes: " + ", ".join(command_codes()) + "."
        )

    def validate_slug(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(
                "The slug must not be blank: it is what clients send to run the command, e.g. "
                "CHANNEL_BASED_COMPLETE_PACKAGING."
            )
        return value.strip()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        merged = self._merged(attrs)
        spec = command_get(merged["command"])
        if spec is None:
            # Only an old row can name a command that is no longer in the registry.
            raise serializers.ValidationError(
                {
                    "command": [
                        f"'{merged['command']}' is not a known command code. Set one of: "
                        f"{', '.join(command_codes())}."
                    ]
                }
            )
        errors: dict[str, list[str]] = {}
        if merged["source_state"] not in spec.sources:
            errors["source_state"] = [
                f"{spec.code} cannot run from '{_state_name(merged['source_state'])}'. "
                f"Use a source state it runs from: {_state_names(spec.sources)}."
            ]
        if merged["destination_state"] not in spec.destinations:
            errors["destination_state"] = [
                f"{spec.code} leads to {_state_names(spec.destinations)}, not "
                f"'{_state_name(merged['destination_state'])}'. Use that destination state."
            ]
        if errors:
            raise serializers.ValidationError(errors)
        existing = self._clashing_id(merged)
        if existing is not None:
            raise serializers.ValidationError({"slug": [_duplicate_message(merged, existing)]})
        return attrs

    def integrity_error_detail(self) -> dict[str, list[str]]:
        """The message for a duplicate that slipped past validation (two requests racing)."""
        merged = self._merged(self.validated_data)
        existing = self._clashing_id(merged)
        if existing is not None:
            return {"slug": [_duplicate_message(merged, existing)]}
        return {
            NON_FIELD: ["The transition could not be saved: it conflicts with another. Reload and retry."]
        }

    def _merged(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {
            name: attrs.get(name, getattr(self.instance, name, None))
            for name in ("model", "command", "slug", "source_state", "destination_state")
        }

    def _clashing_id(self, merged: dict[str, Any]) -> int | None:
        """The id of another transition with the same (model, slug, source_state), if any."""
        clash = StateTransition.objects.filter(
            model=merged["model"], slug=merged["slug"], source_state=merged["source_state"]
        )
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        return clash.values_list("pk", flat=True).first()


def _duplicate_message(merged: dict[str, Any], existing: int) -> str:
    return (
        f"A transition '{merged['slug']}' from '{_state_name(merged['source_state'])}' already exists "
        f"(id {existing}); (model, slug, source_state) is unique. Change it with PATCH "
        f"{TRANSITIONS_URL}{existing}/, or use another slug or source_state."
    )
