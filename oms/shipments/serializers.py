from typing import Any

from rest_framework import serializers

from oms.core.serializers import StatusField, StrictFieldsMixin
from oms.core.statuses import ShipmentStatus
from oms.shipments.models import CargoCompany, CargoCompanyCondition, Shipment
from oms.shipments.registry import condition_class


class CargoCompanySerializer(StrictFieldsMixin, serializers.ModelSerializer):
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


def _flatten(detail: Any, prefix: str) -> list[str]:
    """Nested serializer errors as "path: message" lines."""
    if isinstance(detail, dict):
        lines: list[str] = []
        for key, value in detail.items():
            path = f"{prefix}.{key}" if key != "non_field_errors" else prefix
            lines.extend(_flatten(value, path))
        return lines
    if isinstance(detail, list):
        lines = []
        for value in detail:
            lines.extend(_flatten(value, prefix))
        return lines
    return [f"{prefix}: {detail}"]


def rules_configuration_validate(value: Any) -> dict[str, Any]:
    """A validated `rules_configuration`: `{"rules": [{"klass": ..., "params": {...}}, ...]}`.

    Each rule's `klass` must be a registered condition class, and that class validates its
    own `params`. Nothing is imported by name.
    """
    if not isinstance(value, dict):
        raise serializers.ValidationError('Must be a JSON object: {"rules": [...]}.')
    unknown = sorted(set(value) - {"rules"})
    if unknown:
        raise serializers.ValidationError(
            f"Unknown key(s) {', '.join(unknown)}: rules_configuration holds only 'rules'."
        )
    rules = value.get("rules")
    if not isinstance(rules, list):
        raise serializers.ValidationError('"rules" is required and must be a list of rules.')
    errors: list[str] = []
    validated_rules = []
    for index, rule in enumerate(rules):
        path = f"rules[{index}]"
        if not isinstance(rule, dict):
            errors.append(f'{path}: must be an object {{"klass": ..., "params": {{...}}}}.')
            continue
        unknown = sorted(set(rule) - {"klass", "params"})
        if unknown:
            errors.append(f"{path}: unknown key(s) {', '.join(unknown)}; a rule has klass, params.")
            continue
        try:
            klass = condition_class(rule.get("klass"))
        except serializers.ValidationError as exc:
            errors.extend(_flatten(exc.detail, f"{path}.klass"))
            continue
        try:
            params = klass.validate_params(rule.get("params", {}))
        except serializers.ValidationError as exc:
            errors.extend(_flatten(exc.detail, f"{path}.params"))
            continue
        validated_rules.append({"klass": klass.path, "params": _plain(params)})
    if errors:
        raise serializers.ValidationError(errors)
    return {"rules": validated_rules}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class CargoCompanyConditionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    rules_configuration = serializers.JSONField()

    class Meta:
        model = CargoCompanyCondition
        fields = ["id", "cargo_company", "rules_configuration", "created_at", "modified_at"]
        read_only_fields = ["created_at", "modified_at"]

    def validate_rules_configuration(self, value: Any) -> dict[str, Any]:
        return rules_configuration_validate(value)


class ShipmentSerializer(serializers.ModelSerializer):
    status = StatusField(ShipmentStatus)
    status_code = serializers.IntegerField(source="status", read_only=True)

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
            "created_at",
            "modified_at",
        ]
