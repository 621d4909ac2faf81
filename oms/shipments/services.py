"""Routing a package to its shipment client, and creating its shipment."""

import json

from oms.channels.models import Channel
from oms.core.errors import DomainError
from oms.shipments.clients.base import ShipmentClient
from oms.shipments.models import CargoCompany, CargoCompanyCondition
from oms.shipments.registry import CONDITION_CLASSES, SHIPMENT_CLIENTS
from oms.shipments.routes import seed_route_configuration

CONDITIONS_URL = "/api/v1/oms/cargo-company-conditions/"


class NoRouteError(DomainError):
    pass


def shipment_client_route(
    *,
    channel_id: int,
    channel_type: str,
    cargo_company_id: int | None,
    order_number: str = "",
    omnitron_cargo_company_id: int | None = None,
) -> type[ShipmentClient]:
    """The shipment client the cargo company's conditions choose for orders of the channel.

    Conditions are evaluated in id order, rules in list order; the first rule that matches wins.
    `order_number` and `omnitron_cargo_company_id` only make the refusal's message precise.
    """
    if cargo_company_id is None:
        known = (
            f"names Omnitron cargo company {omnitron_cargo_company_id}, which OMS does not know"
            if omnitron_cargo_company_id is not None
            else "has no cargo company"
        )
        whose = f"Order {order_number}" if order_number else "The order"
        raise NoRouteError(
            f"{whose} {known}, so no shipment client can be chosen. "
            "Run `oms sync_cargo_companies` or create the cargo company with POST "
            "/api/v1/oms/cargo-companies/ (omnitron_id set), then add its condition."
        )
    conditions = CargoCompanyCondition.objects.filter(cargo_company_id=cargo_company_id).order_by("id")
    for condition in conditions:
        for rule in condition.rules_configuration.get("rules", []):
            condition_cls = CONDITION_CLASSES.get(rule.get("klass"))
            if condition_cls is None:
                continue
            rule_instance = condition_cls(rule.get("params", {}))
            if rule_instance.matches(channel_id=channel_id, channel_type=channel_type):
                client_cls = SHIPMENT_CLIENTS.get(rule_instance.client_path)
                if client_cls is not None:
                    return client_cls
    row = Channel.objects.only("pk", "name", "channel_type").get(pk=channel_id)
    cargo_company = CargoCompany.objects.only("pk", "name").get(pk=cargo_company_id)
    body = {
        "cargo_company": cargo_company.pk,
        "rules_configuration": seed_route_configuration(channel_id=row.pk, channel_type=row.channel_type),
    }
    raise NoRouteError(
        f"No condition of cargo company '{cargo_company.name}' (id {cargo_company.pk}) matches "
        f"channel '{row.name}' (id {row.pk}, type {row.channel_type}). Add one with "
        f"POST {CONDITIONS_URL} {json.dumps(body)}, or run `oms setup_marketplace --channel "
        f"{row.pk} --cargo-company {cargo_company.pk}`."
    )
