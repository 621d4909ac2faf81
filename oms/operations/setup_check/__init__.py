"""The seed's setup checklist, checked: what the marketplace flow still lacks, and how to close each gap.

`setup_check` looks at the channels that have orders (or, before the first order, every active
channel): each must have a type; every cargo company its orders name must exist in OMS (and be
linked to them); a condition must route each (channel, cargo company) pair seen on orders to
`OmnitronShipmentClient` (checked with the real routing, on one representative order per pair);
the three `CHANNEL_BASED_COMPLETE_PACKAGING` transitions must exist; `AUTO_RUN_SHIP_THE_PACKAGE_COMMAND`
must be true; and Omnitron must answer with the configured credentials. Every gap comes with the API
call or `oms` command that closes it.

The number of queries does not depend on the number of orders: orders are aggregated per (channel,
cargo company) pair, and routing costs one query per pair.
"""

from oms.operations.setup_check.configuration import auto_run_check, setting_ids_get, transition_checks
from oms.operations.setup_check.items import FIX_SEPARATOR, CheckItem, SetupReport
from oms.operations.setup_check.omnitron import omnitron_connection_check
from oms.operations.setup_check.with_orders import checks_with_orders, order_pairs
from oms.operations.setup_check.without_orders import checks_without_orders

__all__ = ["FIX_SEPARATOR", "CheckItem", "SetupReport", "omnitron_connection_check", "setup_check"]


def setup_check(*, check_omnitron: bool = True) -> SetupReport:
    """Walk the seed's setup checklist; each gap comes with the call or command that closes it."""
    report = SetupReport()
    pairs = order_pairs()
    report.items.extend(checks_with_orders(pairs) if pairs else checks_without_orders())
    report.items.extend(transition_checks())
    setting_ids = setting_ids_get()
    report.items.append(auto_run_check(setting_ids))
    if check_omnitron:
        report.items.append(omnitron_connection_check(setting_ids))
    return report
