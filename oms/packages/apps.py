from django.apps import AppConfig


class PackagesConfig(AppConfig):
    name = "oms.packages"
    label = "packages"
