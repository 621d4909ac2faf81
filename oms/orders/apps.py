from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "oms.orders"
    label = "orders"

    def ready(self) -> None:
        from oms.orders.cargo_companies import cargo_company_orders_link
        from oms.orders.shipment_moves import order_takes_tracking_number, orders_follow_shipments
        from oms.shipments import shipment_moves
        from oms.shipments.listeners import cargo_company_saved_listen

        shipment_moves.register(orders_follow_shipments, rank=shipment_moves.ORDERS_RANK)
        shipment_moves.register_tracking_number_listener(order_takes_tracking_number)
        # Orders that arrived before their cargo company was known become routable once it is saved.
        cargo_company_saved_listen(cargo_company_orders_link)

        from oms.orders.services import order_items_packed
        from oms.packages.listeners import package_packed_listener_register

        # Packing a package moves its order items (and the order) to preparing.
        package_packed_listener_register(order_items_packed)

        # Lower apps let orders react to cancellations they see (see oms.orders.cancellation_hooks).
        from oms.orders.cancellation_hooks import cancellation_hooks_register

        cancellation_hooks_register()
