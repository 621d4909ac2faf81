"""The marketplace route, in one place: the seed's rule, and whether a condition holds it.

The seed routes a marketplace channel's orders to `OmnitronShipmentClient` with one rule of
`ChannelBasedOrdersCondition`. `seed_route_rule` builds that rule; `route_to_omnitron` tells whether
a rule (`rules_on_omnitron_route`: any rule of a condition) sends a channel's orders to the Omnitron
shipment client, with the same channel matching the router applies. Both work on plain JSON (the
stored `rules_configuration`, or the API's representation of it), so the set-up, the setup check
and the demo (which only sees OMS over HTTP) use them alike.
"""

from typing import Any

from oms.shipments.clients.omnitron_shipment_client import OmnitronShipmentClient
from oms.shipments.shipment_conditions import ChannelBasedOrdersCondition, channel_selected

# The channel type a rule names when the channel's own type is not known yet.
DEFAULT_CHANNEL_TYPE = "sales_channel"


def seed_route_rule(*, channel_id: int | str, channel_type: str) -> dict[str, Any]:
    """The seed's rule routing the channel's orders to OmnitronShipmentClient.

    `channel_id` may be a placeholder string ("<OMS channel id>") where the rule is shown as advice.
    """
    return {
        "klass": ChannelBasedOrdersCondition.path,
        "params": {
            "condition_type": channel_type or DEFAULT_CHANNEL_TYPE,
            "channels": [channel_id],
            "conf": {"klass": OmnitronShipmentClient.path},
        },
    }


def seed_route_configuration(*, channel_id: int | str, channel_type: str) -> dict[str, Any]:
    """A condition's `rules_configuration` holding only the seed's rule for the channel."""
    return {"rules": [seed_route_rule(channel_id=channel_id, channel_type=channel_type)]}


def route_to_omnitron(rule: Any, *, channel_id: int, channel_type: str) -> bool:
    """Whether one rule sends the channel's orders to OmnitronShipmentClient."""
    if not isinstance(rule, dict) or rule.get("klass") != ChannelBasedOrdersCondition.path:
        return False
    params = rule.get("params") or {}
    if not isinstance(params, dict) or (params.get("conf") or {}).get("klass") != OmnitronShipmentClient.path:
        return False
    return channel_selected(params, channel_id=channel_id, channel_type=channel_type)


def rules_on_omnitron_route(rules_configuration: Any, *, channel_id: int, channel_type: str) -> bool:
    """Whether any rule of a condition's `rules_configuration` sends the channel's orders to
    OmnitronShipmentClient."""
    if not isinstance(rules_configuration, dict):
        return False
    rules = rules_configuration.get("rules") or []
    return any(route_to_omnitron(rule, channel_id=channel_id, channel_type=channel_type) for rule in rules)
