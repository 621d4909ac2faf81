from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "oms.shipments"
    label = "shipments"

    def ready(self) -> None:
        # Registers the cargo company sync task with Celery (autodiscovery imports only tasks.py).
        from oms.shipments import cargo_companies  # noqa: F401
