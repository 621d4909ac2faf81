"""The shipment as outbound events show it: what GET /api/v1/oms/shipments/{id}/ answers."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from oms.shipments.models import Shipment


def shipment_representation(shipment: int | Shipment) -> dict[str, Any]:
    """The shipment (an id, or the row in hand, which saves a read) as the API shows it."""
    from oms.shipments.serializers import ShipmentSerializer

    if not isinstance(shipment, Shipment):
        shipment = Shipment.objects.get(pk=shipment)
    return json.loads(json.dumps(ShipmentSerializer(shipment).data, cls=DjangoJSONEncoder))


def shipment_representations(shipment_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Several shipments as the API shows them, by id, in one query."""
    from oms.shipments.serializers import ShipmentSerializer

    shipments = Shipment.objects.filter(pk__in=shipment_ids)
    data = json.loads(json.dumps(ShipmentSerializer(shipments, many=True).data, cls=DjangoJSONEncoder))
    return {row["id"]: row for row in data}
