"""Cargo company condition classes: each rule of a condition names one of these by dotted path."""

from typing import Any, ClassVar

from rest_framework import serializers

from oms.core.serializers import StrictFieldsMixin


class ShipmentCondition:
    """Base of condition classes. A rule matches an order, and names the shipment client to use."""

    path: ClassVar[str]
    params_serializer: ClassVar[type[serializers.Serializer]]

    def __init__(self, params: dict[str, Any]):
        self.params = params

    @classmethod
    def validate_params(cls, params: Any) -> dict[str, Any]:
        """Validated params, or a `serializers.ValidationError` that says what is wrong."""
        serializer = cls.params_serializer(data=params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @property
    def client_path(self) -> str:
        return self.params["conf"]["klass"]

    def matches(self, *, order) -> bool:
        raise NotImplementedError


class ClientConfSerializer(StrictFieldsMixin, serializers.Serializer):
    klass = serializers.CharField(help_text="Dotted path of a registered shipment client class.")

    def validate_klass(self, value: str) -> str:
        from oms.shipments.registry import shipment_client_class

        shipment_client_class(value)
        return value


class ChannelBasedOrdersParamsSerializer(StrictFieldsMixin, serializers.Serializer):
    condition_type = serializers.CharField(max_length=64)
    channels = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=True)
    conf = ClientConfSerializer()

    def validate_channels(self, value: list[int]) -> list[int]:
        from oms.channels.models import Channel

        if len(set(value)) != len(value):
            raise serializers.ValidationError("Channel ids must not repeat.")
        found = set(Channel.objects.filter(pk__in=value).values_list("pk", flat=True))
        missing = [pk for pk in value if pk not in found]
        if missing:
            raise serializers.ValidationError(
                f"Unknown OMS channel id(s): {', '.join(map(str, missing))}. Use the id of a "
                "channel from GET /api/v1/oms/channels/ (not its Omnitron id)."
            )
        return value


class ChannelBasedOrdersCondition(ShipmentCondition):
    """Matches orders of the listed OMS channels; with `channels` empty, orders of every channel
    whose type is `condition_type`."""

    path = "oms.shipments.shipment_conditions.ChannelBasedOrdersCondition"
    params_serializer = ChannelBasedOrdersParamsSerializer

    def matches(self, *, order) -> bool:
        channels = self.params.get("channels") or []
        if channels:
            return order.channel_id in channels
        return order.channel.channel_type == self.params.get("condition_type")
