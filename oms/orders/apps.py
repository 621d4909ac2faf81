from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "oms.orders"
    label = "orders"

    def ready(self) -> None:
        # Lower apps let orders react to cancellations they see (see oms.orders.cancellation_hooks).
        from oms.orders.cancellation_hooks import cancellation_hooks_register

        cancellation_hooks_register()
