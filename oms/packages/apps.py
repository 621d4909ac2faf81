from django.apps import AppConfig


class PackagesConfig(AppConfig):
    name = "oms.packages"
    label = "packages"

    def ready(self) -> None:
        from oms.packages.shipment_moves import packages_follow_shipments
        from oms.shipments import shipment_moves

        shipment_moves.register(packages_follow_shipments, rank=shipment_moves.PACKAGES_RANK)
