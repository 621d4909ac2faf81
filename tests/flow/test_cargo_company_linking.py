"""Orders that arrived before OMS knew their cargo company are linked to it once it is saved.

Shipments announces saved cargo companies; orders listens (plugged in from OrdersConfig.ready()).
"""

from oms.orders.cargo_companies import cargo_company_orders_link
from oms.orders.models import Order
from oms.shipments.cargo_companies import cargo_companies_sync
from oms.shipments.listeners import _cargo_company_saved, cargo_company_saved_listen
from oms.shipments.models import CargoCompany
from tests.factories import marketplace_channel

CARGO_COMPANIES = "/api/v1/oms/cargo-companies/"


def _unlinked_order(ingest, *, pk: int, cargo_company: int) -> Order:
    data = ingest(pk=pk, cargo_company=cargo_company)
    assert data["cargo_company"] is None
    return Order.objects.get(pk=data["id"])


def test_creating_the_cargo_company_links_the_orders_that_named_it(api, ingest):
    marketplace_channel()
    waiting = _unlinked_order(ingest, pk=2001, cargo_company=7)
    other = _unlinked_order(ingest, pk=2002, cargo_company=8)

    response = api.post(CARGO_COMPANIES, {"name": "Yurtiçi", "omnitron_id": 7}, format="json")

    assert response.status_code == 201, response.json()
    waiting.refresh_from_db()
    other.refresh_from_db()
    assert waiting.cargo_company_id == response.json()["id"]
    assert other.cargo_company_id is None


def test_giving_a_cargo_company_its_omnitron_id_links_the_orders(api, ingest):
    marketplace_channel()
    order = _unlinked_order(ingest, pk=2003, cargo_company=9)
    company = CargoCompany.objects.create(name="Aras")

    response = api.patch(f"{CARGO_COMPANIES}{company.pk}/", {"omnitron_id": 9}, format="json")

    assert response.status_code == 200, response.json()
    order.refresh_from_db()
    assert order.cargo_company_id == company.pk


def test_the_sync_from_omnitron_links_the_orders(api, ingest, omnitron_sandbox_settings):
    from oms.omnitron.client import omnitron_client_get

    marketplace_channel()
    order = _unlinked_order(ingest, pk=2004, cargo_company=7)

    with omnitron_client_get() as client:
        cargo_companies_sync(client=client)

    order.refresh_from_db()
    assert order.cargo_company_id == CargoCompany.objects.get(omnitron_id=7).pk


def test_the_orders_listener_is_plugged_in_once():
    before = list(_cargo_company_saved)

    cargo_company_saved_listen(cargo_company_orders_link)

    assert _cargo_company_saved == before
    assert _cargo_company_saved.count(cargo_company_orders_link) == 1
