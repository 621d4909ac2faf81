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


# How much of an unknown value an error message echoes back: enough to recognise it, and no more
# (the value comes from the request and may be anything, of any length).
SHOWN_MAX_CHARS = 200


def _shown(text: str, quote: str = "") -> str:
    """`text` in quotes, cut to SHOWN_MAX_CHARS characters with an ellipsis and its length if longer."""
    if len(text) <= SHOWN_MAX_CHARS:
        return f"{quote}{text}{quote}"
    return f"{quote}{text[:SHOWN_MAX_CHARS]}…{quote} ({len(text)} characters)"


def _lookup(registry: dict, path: object, what: str):
    if isinstance(path, str) and path in registry:
        return registry[path]
    valid = ", ".join(sorted(registry))
    if isinstance(path, str):
        shown = _shown(path, quote="'")
        problem = f"{shown} is not a registered {what}."
    else:
        try:
            shown = json.dumps(path)
        except (TypeError, ValueError, RecursionError):
            shown = repr(path)
        problem = f"{_shown(shown)} is not a registered {what}: it must be a dotted path (a string)."
    raise serializers.ValidationError(f"{problem} Valid values: {valid}.")
