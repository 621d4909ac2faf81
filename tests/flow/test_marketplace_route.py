"""One marketplace route: the rule the set-up writes is the seed's, and the matcher the set-up, the
setup check and the demo use agrees with the router on every kind of rule."""

import pytest

from oms.operations.marketplace import channel_condition_exists, marketplace_setup
from oms.shipments.clients.omnitron_shipment_client import OmnitronShipmentClient
from oms.shipments.models import CargoCompanyCondition
from oms.shipments.routes import rules_on_omnitron_route, seed_route_configuration
from oms.shipments.services import NoRouteError, shipment_client_route
from tests.factories import cargo_company, marketplace_channel, seed_condition_body

CONDITION = "oms.shipments.shipment_conditions.ChannelBasedOrdersCondition"
CLIENT = "oms.shipments.clients.omnitron_shipment_client.OmnitronShipmentClient"


def test_the_builder_writes_the_seed_pages_condition():
    built = seed_route_configuration(channel_id=42, channel_type="sales_channel")

    assert built == seed_condition_body(cargo_company_id=1, channel_id=42)["rules_configuration"]


def test_setup_marketplace_stores_the_seed_rule_once(db):
    channel = marketplace_channel()
    company = cargo_company()

    marketplace_setup(channel_id=channel.pk, cargo_company_id=company.pk)
    marketplace_setup(channel_id=channel.pk, cargo_company_id=company.pk)

    stored = list(CargoCompanyCondition.objects.values_list("rules_configuration", flat=True))
    assert stored == [
        seed_condition_body(cargo_company_id=company.pk, channel_id=channel.pk)["rules_configuration"]
    ]


def _rule(*, klass=CONDITION, client=CLIENT, channels=None, condition_type="sales_channel"):
    return {
        "klass": klass,
        "params": {
            "condition_type": condition_type,
            "channels": [] if channels is None else channels,
            "conf": {"klass": client},
        },
    }


@pytest.mark.parametrize(
    ("rule", "routed"),
    [
        pytest.param("listed", True, id="channel listed"),
        pytest.param("other_channel", False, id="another channel listed"),
        pytest.param("type", True, id="no channel listed, same type"),
        pytest.param("other_type", False, id="no channel listed, another type"),
    ],
)
def test_the_matcher_and_the_router_agree(db, rule, routed):
    channel = marketplace_channel(channel_type="sales_channel")
    other = marketplace_channel(omnitron_id=43, channel_type="sales_channel")
    company = cargo_company()
    rules = {
        "listed": _rule(channels=[channel.pk]),
        "other_channel": _rule(channels=[other.pk]),
        "type": _rule(),
        "other_type": _rule(condition_type="trendyol"),
    }
    configuration = {"rules": [rules[rule]]}
    CargoCompanyCondition.objects.create(cargo_company=company, rules_configuration=configuration)

    by_matcher = rules_on_omnitron_route(configuration, channel_id=channel.pk, channel_type="sales_channel")
    by_setup = channel_condition_exists(cargo_company=company, channel=channel)
    try:
        by_router = (
            shipment_client_route(
                channel_id=channel.pk, channel_type=channel.channel_type, cargo_company_id=company.pk
            )
            is OmnitronShipmentClient
        )
    except NoRouteError:
        by_router = False

    assert (by_matcher, by_setup, by_router) == (routed, routed, routed)


@pytest.mark.parametrize(
    "configuration",
    [
        None,
        [],
        {"rules": "x"},
        {"rules": [None, 3, "rule"]},
        {"rules": [_rule(klass="oms.shipments.shipment_conditions.Other")]},
        {"rules": [_rule(client="oms.shipments.clients.other.Client")]},
        {"rules": [{"klass": CONDITION, "params": None}]},
    ],
)
def test_the_matcher_says_no_to_anything_but_the_route(configuration):
    assert rules_on_omnitron_route(configuration, channel_id=1, channel_type="sales_channel") is False


def test_no_route_names_the_order_and_shows_the_seed_rule(db):
    channel = marketplace_channel()
    company = cargo_company()

    with pytest.raises(NoRouteError) as refused:
        shipment_client_route(
            channel_id=channel.pk,
            channel_type=channel.channel_type,
            cargo_company_id=company.pk,
            order_number="TY-1",
        )

    message = str(refused.value)
    assert f"matches channel 'Trendyol' (id {channel.pk}, type sales_channel)" in message
    assert f'"channels": [{channel.pk}]' in message and CLIENT in message
    assert f"oms setup_marketplace --channel {channel.pk} --cargo-company {company.pk}" in message


def test_no_cargo_company_names_the_order(db):
    channel = marketplace_channel()

    with pytest.raises(
        NoRouteError, match="Order TY-2 names Omnitron cargo company 99, which OMS does not know"
    ):
        shipment_client_route(
            channel_id=channel.pk,
            channel_type=channel.channel_type,
            cargo_company_id=None,
            order_number="TY-2",
            omnitron_cargo_company_id=99,
        )
