"""The shipment as outbound events show it: what GET /api/v1/oms/shipments/{id}/ answers."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


def shipment_representation(shipment_id: int) -> dict[str, Any]:
    from oms.shipments.models import Shipment
    from oms.shipments.serializers import ShipmentSerializer

    shipment = Shipment.objects.get(pk=shipment_id)
    return json.loads(json.dumps(ShipmentSerializer(shipment).data, cls=DjangoJSONEncoder))
