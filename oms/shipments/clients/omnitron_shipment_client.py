from oms.shipments.clients.base import ShipmentClient


class OmnitronShipmentClient(ShipmentClient):
    """Shipments of marketplace orders: the marketplace's carrier moves the parcel.

    The tracking number is the one the marketplace gave, as Omnitron sent it on the order; no
    cargo API is called. The shipment is followed by reading the order status in Omnitron.
    """

    path = "oms.shipments.clients.omnitron_shipment_client.OmnitronShipmentClient"
    follows_omnitron_status = True

    def tracking_number_for(self, *, order) -> str:
        return order.tracking_number
