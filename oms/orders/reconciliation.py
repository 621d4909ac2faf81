"""The reconciliation pull: approved orders Omnitron has and OMS lacks are ingested.

A lost push costs a delay, not an order. Each run lists approved (400) orders modified between the
stored watermark (minus an overlap window) and a fixed upper bound taken at the start of the run,
so paging is stable; the watermark moves to that bound only when the whole run succeeded.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from oms.core.errors import DomainError
from oms.core.statuses import OrderStatus
from oms.omnitron.errors import OmnitronError
from oms.omnitron.models import SyncCursor
from oms.omnitron.ports import OmnitronPort, OmnitronPortFactory
from oms.omnitron.types import OmnitronOrder
from oms.orders.cancellation_models import CancellationSource
from oms.orders.cancellation_pull import cancelled_orders_pull
from oms.orders.cancellations import order_cancellations_apply
from oms.orders.models import Order
from oms.orders.services import order_ingest

logger = logging.getLogger(__name__)

CURSOR_NAME = "orders.reconciliation"
OVERLAP = timedelta(minutes=10)
FIRST_RUN_LOOKBACK = timedelta(days=2)


@dataclass
class ReconcileResult:
    since: datetime
    until: datetime
    seen: int = 0
    ingested: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    error: str = ""
    cancelled: list[int] = field(default_factory=list)  # orders whose cancellation was applied

    def summary(self) -> str:
        text = (
            f"{self.seen} approved orders seen in Omnitron between {self.since:%Y-%m-%d %H:%M:%S} and "
            f"{self.until:%Y-%m-%d %H:%M:%S}; {len(self.ingested)} ingested, {len(self.failed)} failed"
        )
        if self.cancelled:
            text += f"; {len(self.cancelled)} cancellations applied"
        return text + (f"; stopped: {self.error}" if self.error else "")


def orders_pull(
    *,
    client: OmnitronPort,
    since: datetime,
    until: datetime,
    client_factory: OmnitronPortFactory,
    now: datetime,
    progress: Callable[[ReconcileResult], None] | None = None,
) -> ReconcileResult:
    """Ingest every approved order modified in [since, until] that OMS does not have."""
    result = ReconcileResult(since=since, until=until)
    page: list[OmnitronOrder] = []

    def flush() -> None:
        known = {o.omnitron_id: o for o in Order.objects.filter(omnitron_id__in=[o.pk for o in page])}
        for order in page:
            if order.pk in known:
                # Held already: only items it carries as cancelled or refunded are news.
                if order_cancellations_apply(
                    order=known[order.pk], data=order, source=CancellationSource.RECONCILIATION, now=now
                ):
                    result.cancelled.append(order.pk)
                continue
            try:
                outcome = order_ingest(data=order, client_factory=client_factory, now=now)
            except DomainError as exc:
                result.failed[order.pk] = "; ".join(
                    message for messages in exc.errors.values() for message in messages
                )
                logger.warning("Reconciliation could not ingest order %s: %s", order.pk, exc)
                continue
            if outcome.created:
                result.ingested.append(order.pk)
        page.clear()
        if progress is not None:
            progress(result)

    try:
        for order in client.orders_iter(
            status=OrderStatus.APPROVED, modified_since=since, modified_until=until, page_size=200
        ):
            result.seen += 1
            page.append(order)
            if len(page) >= 200:
                flush()
        flush()
    except OmnitronError as exc:
        flush()
        result.error = str(exc)
    return result


def orders_reconcile(*, client_factory: OmnitronPortFactory, now: datetime) -> ReconcileResult:
    """One reconciliation run from the stored watermark; moves it forward on success."""
    with transaction.atomic():
        cursor, _ = SyncCursor.objects.get_or_create(name=CURSOR_NAME)
    since = (cursor.value or now - FIRST_RUN_LOOKBACK) - OVERLAP
    until = now
    client = client_factory()
    try:
        result = orders_pull(client=client, since=since, until=until, client_factory=client_factory, now=now)
        if not result.error:  # cancellations too (oms.orders.cancellation_pull)
            cancelled, result.error = cancelled_orders_pull(client=client, since=since, until=until, now=now)
            result.cancelled += cancelled
    finally:
        client.close()
    fields = {"last_run_at": now, "last_error": result.error}
    if not result.error and not result.failed:
        fields["value"] = until
    SyncCursor.objects.filter(pk=cursor.pk).update(**fields)
    logger.info("Order reconciliation: %s", result.summary())
    return result
