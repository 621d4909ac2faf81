from django.apps import AppConfig


class ShipmentsConfig(AppConfig):
    name = "oms.shipments"
    label = "shipments"
