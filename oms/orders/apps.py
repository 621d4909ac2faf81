from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "oms.orders"
    label = "orders"

    def ready(self) -> None:
        from oms.orders.services import order_items_packed
        from oms.packages.listeners import package_packed_listener_register

        # Packing a package moves its order items (and the order) to preparing.
        package_packed_listener_register(order_items_packed)
