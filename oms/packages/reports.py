"""What the packages app tells the Omnitron report outbox: when a report's news is out of date."""

from oms.core.statuses import OrderStatus, PackageStatus, status_name
from oms.omnitron.models import OmnitronReport, ReportKind
from oms.packages.models import Package

# Package statuses that mean the marketplace's carrier has the parcel (Omnitron 500, 540, 550).
SHIPPED_OR_LATER = frozenset(
    {PackageStatus.SHIPPED, PackageStatus.ATTEMPTED_DELIVERY, PackageStatus.DELIVERED}
)


def preparing_report_superseded_reason(report: OmnitronReport) -> str:
    """Why a "preparing" report must no longer be sent ("" when it still must).

    The "preparing" report (every item to 450) of a package that has shipped meanwhile (shipped,
    attempted delivery or delivered: resolution moved it because Omnitron reports 500, 540 or
    550) would set Omnitron's items back to 450. That happens when it was retried after an
    Omnitron outage outlasting the marketplace's pick-up.
    """
    if report.kind != ReportKind.ORDER_ITEM_STATUSES or report.package_id is None:
        return ""
    rows = report.payload.get("orderitem_set") if isinstance(report.payload, dict) else None
    preparing = str(OrderStatus.PREPARING.value)
    if not rows or any(str(row.get("status")) != preparing for row in rows):
        return ""
    status = Package.objects.filter(pk=report.package_id).values_list("status", flat=True).first()
    if status not in SHIPPED_OR_LATER:
        return ""
    return (
        f"Superseded, not sent: package {report.package_id} is already "
        f"{status_name(PackageStatus, status)} ({status}), so Omnitron has its items past preparing "
        f"({preparing}); this report would have set them back."
    )
