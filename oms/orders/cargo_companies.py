"""Orders and the cargo companies they name."""

from oms.orders.models import Order
from oms.shipments.models import CargoCompany


def cargo_company_orders_link(*, cargo_company: CargoCompany) -> int:
    """Link orders that arrived before OMS knew their cargo company. Returns how many."""
    if cargo_company.omnitron_id is None:
        return 0
    return Order.objects.filter(
        cargo_company__isnull=True, omnitron_cargo_company_id=cargo_company.omnitron_id
    ).update(cargo_company_id=cargo_company.pk)
