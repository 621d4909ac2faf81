from django.apps import AppConfig


class PackagesConfig(AppConfig):
    name = "oms.packages"
    label = "packages"

    def ready(self) -> None:
        from oms.events.registry import representation_register
        from oms.packages.events import package_representation

        representation_register(kind="package", builder=package_representation)
