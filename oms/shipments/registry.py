"""The closed registries of condition and shipment client classes.

Dotted paths stored in cargo company conditions resolve only through these literal maps: no module
named by a request or a database row is ever imported.
"""

import json

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
    """The registered condition class named by `path`, or a `ValidationError` naming the valid ones."""
    return _lookup(CONDITION_CLASSES, path, "condition class")


def shipment_client_class(path: object) -> type[ShipmentClient]:
    """The registered shipment client named by `path`, or a `ValidationError` naming the valid ones."""
    return _lookup(SHIPMENT_CLIENTS, path, "shipment client class")


def _lookup(registry: dict, path: object, what: str):
    if isinstance(path, str) and path in registry:
        return registry[path]
    valid = ", ".join(sorted(registry))
    if isinstance(path, str):
        problem = f"'{path}' is not a registered {what}."
    else:
        try:
            shown = json.dumps(path)
        except (TypeError, ValueError):
            shown = repr(path)
        problem = f"{shown} is not a registered {what}: it must be a dotted path (a string)."
    raise serializers.ValidationError(f"{problem} Valid values: {valid}.")
