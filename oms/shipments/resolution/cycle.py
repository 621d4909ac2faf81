"""One resolution cycle: claim due shipments, read their orders in Omnitron, apply the news.

Each claimed batch reads its orders with one `id__in` request (up to 500 ids) and is written in
chunks of WRITE_CHUNK shipments, one transaction each (see `apply`). A batch Omnitron fails on
changes nothing: its shipments are due again a little later and the breaker counts the failure
(see `health`). A chunk the database fails on sets back only its own shipments.

Under an Omnitron read budget (OMS_OMNITRON_READS_PER_MINUTE, see `budget`), each request takes a
read first and the cycle stops when the minute's reads are spent; a request holds the due
shipments first, then is filled up to the batch size with those most likely to have moved.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.db import DatabaseError, transaction

from oms.configuration.services import application_setting_get
from oms.omnitron.errors import OmnitronError
from oms.omnitron.types import OmnitronOrder
from oms.shipments.resolution.apply import chunk_apply
from oms.shipments.resolution.budget import fill_candidates, read_give_back, read_take, reads_per_minute
from oms.shipments.resolution.claim import (
    ClaimedShipment,
    shipments_claim,
    shipments_claim_fill,
    shipments_release_failed,
)
from oms.shipments.resolution.health import (
    batch_failure_record,
    batch_success_record,
    breaker_pause_reason,
    cycle_record,
    health_row,
)
from oms.shipments.resolution.result import CycleResult
from oms.shipments.resolution.statuses import SETTING_KEY

logger = logging.getLogger(__name__)

# Shipments written in one transaction: a chunk costs a fixed number of statements, so larger
# chunks mean fewer statements and commits per shipment (the profile at 10,000: SQL round trips).
WRITE_CHUNK = 500
# The most order ids one Omnitron read asks for.
MAX_BATCH = 500


class OmnitronOrdersReader(Protocol):
    """What resolution needs of an Omnitron client: read many orders at once, then close."""

    def orders_get_many(self, ids: Iterable[int]) -> list[OmnitronOrder]: ...

    def close(self) -> None: ...


def shipments_resolve(
    *,
    client_factory: Callable[[], OmnitronOrdersReader],
    now_fn: Callable[[], datetime],
    due_only: bool = True,
    batch_size: int | None = None,
) -> CycleResult:
    """One resolution cycle. `due_only=False` takes every followed shipment, whatever its schedule."""
    result = CycleResult()
    if application_setting_get(SETTING_KEY) is not True:
        result.skipped = (
            f"{SETTING_KEY} is false: shipment statuses are not resolved. Set it to true "
            "(PATCH /api/v1/oms/settings/application_settings/{id}/ or `oms setup_marketplace`)."
        )
        logger.info("Shipment status resolution skipped: %s", result.skipped)
        return result

    start = now_fn()
    row = health_row()
    paused = breaker_pause_reason(row, now=start)
    if paused:
        result.skipped = paused
        logger.warning("Shipment status resolution paused: %s", paused)
        cycle_record(result, start)
        return result
    # The breaker is open but its cool-down is over: a batch of one shipment tries Omnitron first.
    probing = row.breaker == row.BREAKER_OPEN

    size = min(batch_size or settings.OMS_TRACKING_BATCH_SIZE, MAX_BATCH)
    # Under a read budget, every request is filled up to the batch size (due shipments first).
    filling = due_only and reads_per_minute() > 0
    client: OmnitronOrdersReader | None = None
    after_id = 0
    try:
        while True:
            now = now_fn()
            if not read_take(now=now):
                result.budget_spent = True
                break
            limit = 1 if probing else size
            shipments = shipments_claim(now=now, limit=limit, due_only=due_only, after_id=after_id)
            if shipments:
                after_id = shipments[-1].pk
            if filling and not probing and len(shipments) < limit:
                best = fill_candidates(now=now, limit=limit - len(shipments))
                fill = shipments_claim_fill(now=now, ids=best)
                result.filled += len(fill)
                shipments += fill
            if not shipments:
                read_give_back(now=now)
                break
            result.batches += 1
            try:
                if client is None:
                    client = client_factory()
                _batch_process(shipments=shipments, client=client, now=now, result=result)
            except OmnitronError as exc:
                result.failed_batches += 1
                shipments_release_failed(shipments, now)
                batch_failure_record(str(exc), now)
                logger.warning("Shipment status batch failed, nothing changed: %s", exc)
                break
            batch_success_record(now)
            probing = False
    finally:
        if client is not None:
            client.close()
    cycle_record(result, now_fn())
    return result


def _batch_process(
    *, shipments: list[ClaimedShipment], client: OmnitronOrdersReader, now: datetime, result: CycleResult
) -> None:
    """Read the batch's orders in one request, then write the news chunk by chunk."""
    ids = sorted({shipment.order_omnitron_id for shipment in shipments})
    orders = {order.pk: order for order in client.orders_get_many(ids)}
    for start in range(0, len(shipments), WRITE_CHUNK):
        part = shipments[start : start + WRITE_CHUNK]
        # Counted apart and added only once committed.
        chunk_result = CycleResult()
        try:
            with transaction.atomic():
                chunk_apply(shipments=part, orders=orders, now=now, result=chunk_result)
        except DatabaseError as exc:  # a lock wait given up, a deadlock: these shipments wait a little
            logger.exception("Shipments %s..%s could not be written", part[0].pk, part[-1].pk)
            result.errors.append(f"shipments {part[0].pk}..{part[-1].pk}: {exc}")
            shipments_release_failed(part, now)
            continue
        result.add(chunk_result)
