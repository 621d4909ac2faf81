"""Test data: Omnitron order JSON as the contract shapes it, and OMS rows."""

import itertools

from oms.channels.models import Channel
from oms.shipments.models import CargoCompany

_ids = itertools.count(10_000)


def omnitron_order_json(
    *,
    pk: int | None = None,
    channel: int = 42,
    cargo_company: int | None = 7,
    tracking_number: str | None = "7330012345678",
    items: int = 1,
    status: str = "400",
    item_tracking_number: str = "",
) -> dict:
    """An Order exactly as Omnitron's `GET /api/v1/orders/{pk}/` returns it."""
    pk = pk if pk is not None else next(_ids)
    return {
        "pk": pk,
        "number": f"TY-2026-{pk:06d}",
        "channel": channel,
        "status": status,
        "date_placed": "2026-11-20T09:30:00Z",
        "modified_date": "2026-11-20T09:31:12Z",
        "currency": "try",
        "amount": "349.80",
        "shipping_amount": "0.00",
        "cargo_company": cargo_company,
        "tracking_number": tracking_number,
        "delivery_type": "standard",
        "shipping_option_slug": "standard",
        "extra_field": {"id": f"TY-PKG-{pk}"},
        "orderitem_set": [
            {
                "pk": pk * 100 + n,
                "product": {
                    "pk": 77 + n,
                    "sku": f"SKU-{n}",
                    "barcode": f"869000000{n:04d}",
                    "name": "T-shirt",
                },
                "status": status,
                "price": "174.90",
                "price_currency": "try",
                "tracking_number": item_tracking_number,
                "extra_field": {},
            }
            for n in range(1, items + 1)
        ],
    }


def marketplace_channel(omnitron_id: int = 42, channel_type: str = "sales_channel") -> Channel:
    return Channel.objects.create(name="Trendyol", channel_type=channel_type, omnitron_id=omnitron_id)


def cargo_company(omnitron_id: int = 7) -> CargoCompany:
    return CargoCompany.objects.create(
        name="Yurtici Kargo", erp_code="yurtici-kargo", shipping_company="yurtici", omnitron_id=omnitron_id
    )


def seed_condition_body(*, cargo_company_id: int, channel_id: int) -> dict:
    """The seed page's `POST /cargo-company-conditions/` body, for the given ids."""
    return {
        "cargo_company": cargo_company_id,
        "rules_configuration": {
            "rules": [
                {
                    "klass": "oms.shipments.shipment_conditions.ChannelBasedOrdersCondition",
                    "params": {
                        "condition_type": "sales_channel",
                        "channels": [channel_id],
                        "conf": {
                            "klass": "oms.shipments.clients.omnitron_shipment_client.OmnitronShipmentClient"
                        },
                    },
                }
            ]
        },
    }
