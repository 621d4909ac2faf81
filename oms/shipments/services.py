"""Routing a package to its shipment client, and creating its shipment."""

from oms.core.errors import DomainError
from oms.orders.models import Order
from oms.shipments.clients.base import ShipmentClient
from oms.shipments.models import CargoCompany, CargoCompanyCondition
from oms.shipments.registry import CONDITION_CLASSES, SHIPMENT_CLIENTS

CONDITIONS_URL = "/api/v1/oms/cargo-company-conditions/"


class NoRouteError(DomainError):
    pass


def shipment_client_route(*, order: Order) -> type[ShipmentClient]:
    """The shipment client the order's cargo company conditions choose for this order.

    Conditions are evaluated in id order, rules in list order; the first rule that matches wins.
    """
    if order.cargo_company_id is None:
        known = (
            f"Omnitron cargo company {order.omnitron_cargo_company_id}"
            if order.omnitron_cargo_company_id is not None
            else "no cargo company"
        )
        raise NoRouteError(
            f"Order {order.number} has {known} known to OMS, so no shipment client can be chosen. "
            "Run `oms sync_cargo_companies` or create the cargo company with POST "
            "/api/v1/oms/cargo-companies/ (omnitron_id set), then add its condition."
        )
    cargo_company: CargoCompany = order.cargo_company
    conditions = CargoCompanyCondition.objects.filter(cargo_company_id=cargo_company.pk).order_by("id")
    for condition in conditions:
        for rule in condition.rules_configuration.get("rules", []):
            condition_cls = CONDITION_CLASSES.get(rule.get("klass"))
            if condition_cls is None:
                continue
            rule_instance = condition_cls(rule.get("params", {}))
            if rule_instance.matches(order=order):
                client_cls = SHIPMENT_CLIENTS.get(rule_instance.client_path)
                if client_cls is not None:
                    return client_cls
    channel = order.channel
    raise NoRouteError(
        f"No condition of cargo company '{cargo_company.name}' (id {cargo_company.pk}) matches "
        f"channel '{channel.name}' (id {channel.pk}, type {channel.channel_type}). Add one with "
        f'POST {CONDITIONS_URL} {{"cargo_company": {cargo_company.pk}, "rules_configuration": '
        '{"rules": [{"klass": "oms.shipments.shipment_conditions.ChannelBasedOrdersCondition", '
        f'"params": {{"condition_type": "{channel.channel_type}", "channels": [{channel.pk}], '
        '"conf": {"klass": "oms.shipments.clients.omnitron_shipment_client.OmnitronShipmentClient"}}}]}}'
        ", or run `oms setup_marketplace --channel "
        f"{channel.pk} --cargo-company {cargo_company.pk}`."
    )
