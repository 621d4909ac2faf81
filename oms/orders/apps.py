from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "oms.orders"
    label = "orders"

    def ready(self) -> None:
        from oms.orders.cargo_companies import cargo_company_orders_link
        from oms.shipments.listeners import cargo_company_saved_listen

        # Orders that arrived before their cargo company was known become routable once it is saved.
        cargo_company_saved_listen(cargo_company_orders_link)
