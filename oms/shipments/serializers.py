import json
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from oms.configuration.keys import AUTO_RUN_SHIP_THE_PACKAGE_COMMAND
from oms.core.errors import NON_FIELD
from oms.core.serializers import (
    FieldsBuiltOnceMixin,
    IdRelatedField,
    StatusField,
    StrictFieldsMixin,
    UniqueOmnitronIdMixin,
    json_type_name,
)
from oms.core.statuses import ShipmentStatus
from oms.shipments.models import (
    CargoCompany,
    CargoCompanyCondition,
    ResolutionHealth,
    Shipment,
    ShipmentObservation,
    TrackingNumberChange,
)
from oms.shipments.next_check import shipment_next_check_shown
from oms.shipments.registry import CONDITION_CLASSES, condition_class
from oms.shipments.routes import DEFAULT_CHANNEL_TYPE, seed_route_rule
from oms.shipments.shipment_conditions import ChannelBasedOrdersParamsSerializer

CARGO_COMPANIES_URL = "/api/v1/oms/cargo-companies/"


class CargoCompanySerializer(UniqueOmnitronIdMixin, StrictFieldsMixin, serializers.ModelSerializer):
    resource_label = "cargo company"
    resource_url = CARGO_COMPANIES_URL

    class Meta:
        model = CargoCompany
        fields = [
            "id",
            "name",
            "erp_code",
            "shipping_company",
            "omnitron_id",
            "created_at",
            "modified_at",
        ]
        read_only_fields = ["created_at", "modified_at"]
        # Uniqueness of `omnitron_id` is answered by UniqueOmnitronIdMixin, naming the existing row.
        extra_kwargs = {
            "omnitron_id": {
                "validators": [],
                "error_messages": {
                    "invalid": "omnitron_id is the cargo company's id in Omnitron: a whole number, or null."
                },
            }
        }


def _flatten(detail: Any, prefix: str) -> list[str]:
    """Nested serializer errors as "path: message" lines."""
    if isinstance(detail, dict):
        lines: list[str] = []
        for key, value in detail.items():
            if key == NON_FIELD:
                path = prefix
            elif isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}"
            lines.extend(_flatten(value, path))
        return lines
    if isinstance(detail, list):
        lines = []
        for value in detail:
            lines.extend(_flatten(value, prefix))
        return lines
    return [f"{prefix}: {detail}"]


# The seed's rule, as error messages show it.
RULE_EXAMPLE = json.dumps(seed_route_rule(channel_id=42, channel_type=DEFAULT_CHANNEL_TYPE))


def rules_configuration_validate(value: Any) -> dict[str, Any]:
    """A validated `rules_configuration`: `{"rules": [{"klass": ..., "params": {...}}, ...]}`.

    Each rule's `klass` must be a registered condition class, and that class validates its
    own `params`. Nothing is imported by name.
    """
    if not isinstance(value, dict):
        raise serializers.ValidationError(
            f'Must be a JSON object {{"rules": [...]}}, not {json_type_name(value)}. A rule looks like: '
            f"{RULE_EXAMPLE}."
        )
    unknown = sorted(set(value) - {"rules"})
    if unknown:
        raise serializers.ValidationError(
            f"Unknown key(s) {', '.join(unknown)}: rules_configuration holds only 'rules'. Remove them."
        )
    rules = value.get("rules")
    if not isinstance(rules, list):
        got = "missing" if "rules" not in value else f"{json_type_name(rules)}"
        raise serializers.ValidationError(
            f'"rules" is required and must be a list of rules (got {got}). A rule looks like: {RULE_EXAMPLE}.'
        )
    errors: list[str] = []
    validated_rules = []
    for index, rule in enumerate(rules):
        path = f"rules[{index}]"
        if not isinstance(rule, dict):
            errors.append(f"{path}: must be an object, not {json_type_name(rule)}, e.g. {RULE_EXAMPLE}.")
            continue
        unknown = sorted(set(rule) - {"klass", "params"})
        if unknown:
            errors.append(
                f"{path}: unknown key(s) {', '.join(unknown)}; a rule has only klass and params. Remove them."
            )
            continue
        if "klass" not in rule:
            errors.append(
                f"{path}.klass: Required: the dotted path of a registered condition class. "
                f"Valid values: {', '.join(sorted(CONDITION_CLASSES))}."
            )
            continue
        try:
            klass = condition_class(rule["klass"])
        except serializers.ValidationError as exc:
            errors.extend(_flatten(exc.detail, f"{path}.klass"))
            continue
        if "params" not in rule:
            errors.append(f"{path}.params: Required: the params of {klass.path}, e.g. {RULE_EXAMPLE}.")
            continue
        try:
            params = klass.validate_params(rule["params"])
        except serializers.ValidationError as exc:
            errors.extend(_flatten(exc.detail, f"{path}.params"))
            continue
        validated_rules.append({"klass": klass.path, "params": _plain(params)})
    if errors:
        raise serializers.ValidationError(errors)
    return {"rules": validated_rules}


def _literal(message: str) -> str:
    """A message DRF's `Field.fail()` will `.format()`: its braces kept as written."""
    return message.replace("{", "{{").replace("}", "}}")


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class ConditionRuleSerializer(serializers.Serializer):
    """One rule of `rules_configuration` (describes the schema; validation is
    `rules_configuration_validate`)."""

    klass = serializers.ChoiceField(
        choices=sorted(CONDITION_CLASSES), help_text="Dotted path of a registered condition class."
    )
    params = ChannelBasedOrdersParamsSerializer()


class RulesConfigurationSerializer(serializers.Serializer):
    rules = ConditionRuleSerializer(many=True)


@extend_schema_field(RulesConfigurationSerializer)
class RulesConfigurationField(serializers.JSONField):
    """`{"rules": [{"klass", "params"}]}`, validated by `rules_configuration_validate`."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        return rules_configuration_validate(super().to_internal_value(data))


class CargoCompanyConditionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    serializer_related_field = IdRelatedField

    rules_configuration = RulesConfigurationField(
        # DRF formats these messages: literal braces are doubled.
        error_messages={
            "required": _literal(f'Required: {{"rules": [...]}}, a rule looking like {RULE_EXAMPLE}.'),
            "null": _literal(
                f'Must be a JSON object {{"rules": [...]}}, a rule looking like {RULE_EXAMPLE}.'
            ),
        }
    )

    class Meta:
        model = CargoCompanyCondition
        fields = ["id", "cargo_company", "rules_configuration", "created_at", "modified_at"]
        read_only_fields = ["created_at", "modified_at"]
        extra_kwargs = {
            "cargo_company": {
                "error_messages": {
                    "does_not_exist": 'No cargo company with id "{pk_value}". Use the id of a cargo '
                    f"company from GET {CARGO_COMPANIES_URL} (OMS ids, not Omnitron ids).",
                    "incorrect_type": "cargo_company is the OMS id of a cargo company (an integer), "
                    f"not {{data_type}}. See GET {CARGO_COMPANIES_URL}.",
                }
            }
        }


class ShipmentSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    status = StatusField(ShipmentStatus)
    status_code = serializers.IntegerField(source="status", read_only=True)
    next_check_at = serializers.SerializerMethodField(
        help_text="When OMS next reads this shipment's status in Omnitron; null once it no longer "
        "follows it (delivered, stale, or a client that does not follow Omnitron)."
    )

    class Meta:
        model = Shipment
        fields = [
            "id",
            "package",
            "tracking_number",
            "cargo_company",
            "status",
            "status_code",
            "client",
            "omnitron_status",
            "last_checked_at",
            "next_check_at",
            "stale_at",
            "created_at",
            "modified_at",
        ]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_check_at(self, shipment: Shipment) -> str | None:
        shown = shipment_next_check_shown(shipment=shipment)
        return serializers.DateTimeField().to_representation(shown) if shown is not None else None


class ShipmentObservationSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    class Meta:
        model = ShipmentObservation
        fields = [
            "id",
            "shipment",
            "omnitron_status",
            "tracking_number",
            "outcome",
            "shipment_status_before",
            "observed_at",
        ]


class TrackingNumberChangeSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    class Meta:
        model = TrackingNumberChange
        fields = ["id", "shipment", "old_tracking_number", "new_tracking_number", "changed_at"]


class ResolutionHealthSerializer(FieldsBuiltOnceMixin, serializers.ModelSerializer):
    followed = serializers.IntegerField(help_text="Shipments OMS follows in Omnitron now.")
    due = serializers.IntegerField(help_text="Followed shipments whose check is due now.")
    stale = serializers.IntegerField(help_text="Shipments not delivered in time, no longer polled.")
    enabled = serializers.BooleanField(help_text=f"{AUTO_RUN_SHIP_THE_PACKAGE_COMMAND}.")

    class Meta:
        model = ResolutionHealth
        fields = [
            "enabled",
            "breaker",
            "consecutive_failures",
            "open_until",
            "last_cycle_at",
            "last_success_at",
            "last_cycle_summary",
            "last_error",
            "last_error_at",
            "backward_seen",
            "unknown_seen",
            "followed",
            "due",
            "stale",
        ]

    # Read from the report itself; every other field from its health row.
    REPORT_FIELDS = frozenset({"enabled", "followed", "due", "stale"})

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """`instance` is resolution's `ResolutionHealthReport`: its health row's fields, with the
        report's live counts and the setting."""
        data: dict[str, Any] = {}
        for name, field in self.fields.items():
            value = getattr(instance if name in self.REPORT_FIELDS else instance.health, field.source or name)
            data[name] = None if value is None else field.to_representation(value)
        return data
