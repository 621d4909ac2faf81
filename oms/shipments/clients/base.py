from typing import ClassVar


class ShipmentClient:
    """Base of shipment clients. `path` is the dotted path operators write in conditions."""

    path: ClassVar[str]
    # True when the client calls no carrier API and follows the shipment through Omnitron.
    follows_omnitron_status: ClassVar[bool] = False

    def tracking_number_for(self, *, order) -> str:
        raise NotImplementedError
