from collections import defaultdict

from django.db.models import Prefetch, QuerySet

from oms.omnitron.models import OmnitronReport
from oms.packages.models import Package, PackageItem
from oms.transitions.models import StateTransition, TransitionModel


def package_list() -> QuerySet[Package]:
    return (
        Package.objects.select_related("order", "stock_location", "shipment")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=PackageItem.objects.select_related("order_item").order_by("id"),
            ),
            Prefetch("reports", queryset=OmnitronReport.objects.order_by("id")),
        )
        .order_by("-id")
    )


def package_commands_by_status() -> dict[int, list[str]]:
    """Slugs runnable from each package status, from the operator-defined transitions."""
    commands: dict[int, list[str]] = defaultdict(list)
    rows = (
        StateTransition.objects.filter(model=TransitionModel.PACKAGE)
        .order_by("slug")
        .values_list("source_state", "slug")
    )
    for source_state, slug in rows:
        commands[source_state].append(slug)
    return dict(commands)
