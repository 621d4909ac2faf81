"""The closed registries of condition and shipment client classes.

Dotted paths stored in cargo company conditions resolve only through these literal maps: no module
named by a request or a database row is ever imported.
"""

from rest_framework import serializers

from oms.shipments.clients.base import ShipmentClient
from oms.shipments.clients.omnitron_shipment_client import OmnitronShipmentClient
from oms.shipments.shipment_conditions import ChannelBasedOrdersCondition, ShipmentCondition

CONDITION_CLASSES: dict[str, type[ShipmentCondition]] = {
    ChannelBasedOrdersCondition.path: ChannelBasedOrdersCondition,
}

SHIPMENT_CLIENTS: dict[str, type[ShipmentClient]] = {
    OmnitronShipmentClient.path: OmnitronShipmentClient,
}


def condition_class(path: object) -> type[ShipmentCondition]:
    try:
        return CONDITION_CLASSES[path]  # type: ignore[index]
    except (KeyError, TypeError):
        raise serializers.ValidationError(
            f"'{path}' is not a registered condition class. "
            f"Valid values: {', '.join(sorted(CONDITION_CLASSES))}."
        ) from None


def shipment_client_class(path: object) -> type[ShipmentClient]:
    try:
        return SHIPMENT_CLIENTS[path]  # type: ignore[index]
    except (KeyError, TypeError):
        raise serializers.ValidationError(
            f"'{path}' is not a registered shipment client class. "
            f"Valid values: {', '.join(sorted(SHIPMENT_CLIENTS))}."
        ) from None
