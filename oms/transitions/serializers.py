from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from oms.core.serializers import StrictFieldsMixin
from oms.core.statuses import PackageStatus, status_from_name, status_name, status_names
from oms.packages.commands import PACKAGE_COMMANDS
from oms.transitions.models import StateTransition, TransitionModel

STATES_BY_MODEL = {TransitionModel.PACKAGE: PackageStatus}


@extend_schema_field(OpenApiTypes.STR)
class StateNameField(serializers.Field):
    """A state written and shown by name ("waiting"); stored as its status code."""

    def to_internal_value(self, data: Any) -> int:
        if not isinstance(data, str | int) or isinstance(data, bool):
            raise serializers.ValidationError("A state is a status name such as 'waiting'.")
        try:
            return status_from_name(PackageStatus, data)
        except ValueError:
            raise serializers.ValidationError(
                f"Unknown state '{data}'. Valid states: {', '.join(status_names(PackageStatus))}."
            ) from None

    def to_representation(self, value: int) -> str:
        return status_name(PackageStatus, value)


class StateTransitionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    source_state = StateNameField()
    destination_state = StateNameField()
    command = serializers.ChoiceField(
        choices=sorted(PACKAGE_COMMANDS),
        error_messages={
            "invalid_choice": "'{input}' is not a known command code. Valid codes: "
            + ", ".join(sorted(PACKAGE_COMMANDS))
            + "."
        },
    )

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
        extra_kwargs = {"model": {"default": TransitionModel.PACKAGE}}

    def validate_slug(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("The slug must not be blank.")
        return value.strip()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        merged = {
            name: attrs.get(name, getattr(self.instance, name, None))
            for name in ("model", "command", "slug", "source_state", "destination_state")
        }
        spec = PACKAGE_COMMANDS[merged["command"]]
        errors: dict[str, list[str]] = {}
        if merged["source_state"] not in spec.sources:
            errors["source_state"] = [
                f"{spec.code} cannot run from '{status_name(PackageStatus, merged['source_state'])}'."
                f" It runs from: {', '.join(status_name(PackageStatus, s) for s in sorted(spec.sources))}."
            ]
        if merged["destination_state"] not in spec.destinations:
            errors["destination_state"] = [
                f"{spec.code} leads to "
                f"{', '.join(status_name(PackageStatus, s) for s in sorted(spec.destinations))}, "
                f"not '{status_name(PackageStatus, merged['destination_state'])}'."
            ]
        if errors:
            raise serializers.ValidationError(errors)
        clash = StateTransition.objects.filter(
            model=merged["model"], slug=merged["slug"], source_state=merged["source_state"]
        )
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        existing = clash.values_list("pk", flat=True).first()
        if existing is not None:
            raise serializers.ValidationError(
                {
                    "slug": [
                        f"A transition '{merged['slug']}' from "
                        f"'{status_name(PackageStatus, merged['source_state'])}' already exists "
                        f"(id {existing}). Change it with PATCH "
                        f"/api/v1/oms/state-transitions/{existing}/."
                    ]
                }
            )
        return attrs
