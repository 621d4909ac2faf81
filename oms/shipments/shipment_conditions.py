"""Cargo company condition classes: each rule of a condition names one of these by dotted path."""

from collections import Counter
from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from oms.core.db import BIGINT_MAX
from oms.core.serializers import StrictFieldsMixin
from oms.shipments.clients.omnitron_shipment_client import OmnitronShipmentClient


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

    def matches(self, *, channel_id: int, channel_type: str) -> bool:
        """Whether the rule applies to orders of this channel."""
        raise NotImplementedError


@extend_schema_field(OpenApiTypes.STR)
class ShipmentClientPathField(serializers.Field):
    """The dotted path of a registered shipment client class; anything else is refused by name."""

    def to_internal_value(self, data: Any) -> str:
        from oms.shipments.registry import shipment_client_class

        return shipment_client_class(data).path

    def to_representation(self, value: str) -> str:
        return value


class ClientConfSerializer(StrictFieldsMixin, serializers.Serializer):
    klass = ShipmentClientPathField(
        help_text="Dotted path of a registered shipment client class.",
        error_messages={
            "required": "Required: the dotted path of a registered shipment client "
            f"class, e.g. {OmnitronShipmentClient.path}.",
            "null": "Must be the dotted path of a registered shipment client class.",
        },
    )


# Channels one rule may list (a longer list would exceed the databases' parameter limits).
MAX_CHANNELS = 1000


class ChannelBasedOrdersParamsSerializer(StrictFieldsMixin, serializers.Serializer):
    condition_type = serializers.CharField(
        max_length=64,
        help_text="The channel type this rule is for, e.g. sales_channel or trendyol.",
        error_messages={"required": 'Required: the channel type, e.g. "sales_channel".'},
    )
    channels = serializers.ListField(
        child=serializers.IntegerField(
            min_value=1,
            max_value=BIGINT_MAX,
            error_messages={
                "invalid": "Each channel is an OMS channel id (an integer), e.g. 42.",
                "min_value": "Each channel is an OMS channel id (an integer from 1), e.g. 42.",
                "max_value": "Each channel is an OMS channel id (an integer up to 2**63-1), e.g. 42.",
            },
        ),
        allow_empty=True,
        max_length=MAX_CHANNELS,
        help_text="OMS channel ids (the id of /channels/, not the Omnitron id); empty for every "
        "channel of condition_type.",
        error_messages={
            "required": "Required: a list of OMS channel ids, e.g. [42] (or [] for every channel "
            "of condition_type).",
            "not_a_list": 'Must be a list of OMS channel ids, e.g. [42]; got "{input_type}".',
            "max_length": f"At most {MAX_CHANNELS} channels per rule; split them over several rules.",
        },
    )
    conf = ClientConfSerializer(
        error_messages={
            # DRF formats these messages: literal braces are doubled.
            "required": 'Required: {{"klass": "<dotted path of a registered shipment client class>"}}.',
            "null": 'Must be {{"klass": "<dotted path of a registered shipment client class>"}}.',
        }
    )

    def validate_channels(self, value: list[int]) -> list[int]:
        from oms.channels.models import Channel

        repeated = sorted(pk for pk, n in Counter(value).items() if n > 1)
        if repeated:
            raise serializers.ValidationError(
                f"Channel id(s) {', '.join(map(str, repeated))} are listed more than once: list each once."
            )
        found = set(Channel.objects.filter(pk__in=value).values_list("pk", flat=True))
        missing = [pk for pk in value if pk not in found]
        if missing:
            raise serializers.ValidationError(
                f"Unknown OMS channel id(s): {', '.join(map(str, missing))}. Use the id of a "
                "channel from GET /api/v1/oms/channels/ (OMS channel ids, not Omnitron ids)."
            )
        return value


class ChannelBasedOrdersCondition(ShipmentCondition):
    """Matches orders of the listed OMS channels; with `channels` empty, orders of every channel
    whose type is `condition_type`."""

    path = "oms.shipments.shipment_conditions.ChannelBasedOrdersCondition"
    params_serializer = ChannelBasedOrdersParamsSerializer

    def matches(self, *, channel_id: int, channel_type: str) -> bool:
        return channel_selected(self.params, channel_id=channel_id, channel_type=channel_type)


def channel_selected(params: dict[str, Any], *, channel_id: int, channel_type: str) -> bool:
    """Whether `ChannelBasedOrdersCondition` params select the channel: listed by id, or, with no
    channel listed, of the `condition_type`."""
    channels = params.get("channels") or []
    if channels:
        return channel_id in channels
    return channel_type == params.get("condition_type")
