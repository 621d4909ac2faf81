"""Order ingestion from Omnitron: idempotent on the Omnitron order pk."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from oms.channels.models import Channel
from oms.core.errors import DomainError
from oms.core.statuses import OrderStatus, PackageStatus, order_statuses_before
from oms.events.catalogue import PACKAGE_CREATED, package_key
from oms.events.services import event_record
from oms.omnitron.boundary import omnitron_ask
from oms.omnitron.errors import OmnitronError, OmnitronPayloadError
from oms.omnitron.mapping import PK_MAX, order_from_json
from oms.omnitron.ports import OmnitronPortFactory
from oms.omnitron.types import OmnitronOrder
from oms.orders.cancellation_models import CancellationSource
from oms.orders.cancellations import order_cancellations_apply
from oms.orders.models import Order, OrderItem
from oms.packages.events import package_representation
from oms.packages.listeners import PackagePacked
from oms.packages.models import Package, PackageItem, StockLocation
from oms.shipments.models import CargoCompany

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    order: Order
    created: bool


def _unavailable(what: str) -> Callable[[OmnitronError], str]:
    def wording(error: OmnitronError) -> str:
        return (
            f"{what}, but Omnitron is unavailable ({error}). Nothing was stored; send the order again "
            "later (the reconciliation pull also picks it up)."
        )

    return wording


def channel_for_omnitron_id(*, omnitron_channel_id: int, client_factory: OmnitronPortFactory) -> Channel:
    """The OMS channel for an Omnitron channel pk, created from Omnitron's record when new."""
    channel = Channel.objects.filter(omnitron_id=omnitron_channel_id).first()
    if channel is not None:
        return channel
    record = omnitron_ask(
        lambda omnitron: omnitron.channel_get(omnitron_channel_id),
        client_factory=client_factory,
        field="channel",
        not_found=(
            f"Omnitron has no channel {omnitron_channel_id}, so the order cannot be placed in one. "
            "Check the order's 'channel'."
        ),
        unavailable=_unavailable(f"Channel {omnitron_channel_id} is new to OMS and must be read"),
        failed=lambda error: (
            f"Channel {omnitron_channel_id} is new to OMS and reading it from Omnitron failed: {error}"
        ),
    )
    try:
        with transaction.atomic():
            return Channel.objects.create(
                omnitron_id=record.pk,
                name=record.name,
                channel_type=record.channel_type,
                is_active=record.is_active,
            )
    except IntegrityError:
        # Created meanwhile by a concurrent ingestion of another order of this channel.
        return Channel.objects.get(omnitron_id=omnitron_channel_id)


def stock_location_default() -> StockLocation:
    """The location every package is planned at (created by a migration; recreated if removed)."""
    location = StockLocation.objects.filter(is_default=True).first()
    if location is not None:
        return location
    try:
        with transaction.atomic():
            return StockLocation.objects.create(name="Main warehouse", erp_code="main", is_default=True)
    except IntegrityError:
        return StockLocation.objects.get(is_default=True)


def order_ingest_pushed(
    *, body: dict[str, Any], client_factory: OmnitronPortFactory, now: datetime
) -> IngestResult:
    """Ingest an order Omnitron pushed: its JSON as `GET /api/v1/orders/{pk}/` returns it, or `{"pk": N}`.

    With only the pk, the order is read from Omnitron first (outside any transaction).
    """
    if set(body) == {"pk"}:
        pk = body["pk"]
        if not isinstance(pk, int) or isinstance(pk, bool) or not 1 <= pk <= PK_MAX:
            raise DomainError(
                f"pk must be an integer from 1 to {PK_MAX}: the Omnitron order's pk.", field="pk"
            )
        data = omnitron_ask(
            lambda omnitron: omnitron.order_get(pk),
            client_factory=client_factory,
            field="pk",
            not_found=f"Omnitron has no order {pk}. Check the pk.",
            unavailable=lambda error: (
                f"Order {pk} must be read from Omnitron, which is unavailable ({error}). Nothing was "
                "stored; send it again later."
            ),
            failed=lambda error: f"Reading order {pk} from Omnitron failed: {error}",
        )
    else:
        try:
            data = order_from_json(body)
        except OmnitronPayloadError as exc:
            raise DomainError(str(exc), field=exc.field) from None
    return order_ingest(data=data, client_factory=client_factory, now=now)


def order_ingest(*, data: OmnitronOrder, client_factory: OmnitronPortFactory, now: datetime) -> IngestResult:
    """Store an Omnitron order with its items and one waiting package, once.

    The same order again (or concurrently) gives the existing order with `created=False`. Items
    the order carries as cancelled (50, 100) or refunded (600) are cancelled or refunded in OMS
    (`oms.orders.cancellations`), whether the order is new or not.
    """
    result = _order_ingest(data=data, client_factory=client_factory, now=now)
    if order_cancellations_apply(order=result.order, data=data, source=CancellationSource.PUSH, now=now):
        # What was just written changed: the answer reads the order again.
        return IngestResult(order=Order.objects.get(pk=result.order.pk), created=result.created)
    return result


def _order_ingest(*, data: OmnitronOrder, client_factory: OmnitronPortFactory, now: datetime) -> IngestResult:
    # No look before the insert: the unique Omnitron id answers "already here" (see below), so a new
    # order, the common case, costs no extra query.
    if data.status < OrderStatus.APPROVED:
        existing = Order.objects.filter(omnitron_id=data.pk).first()
        if existing is not None:  # ingested when approved, sent again since (e.g. cancelled)
            return IngestResult(order=existing, created=False)
        label = OrderStatus(data.status).label if data.status in OrderStatus.values else data.status
        raise DomainError(
            f"Order {data.number} is '{label}' ({data.status}) in Omnitron; OMS takes orders once they "
            "are approved (400). It will arrive then.",
            field="status",
        )
    pks = [item.pk for item in data.items]
    if not pks:
        raise DomainError("An order needs at least one item.", field="orderitem_set")
    if len(set(pks)) != len(pks):
        raise DomainError(
            "Item pks repeat within the order; each item has its own pk.", field="orderitem_set"
        )

    channel = channel_for_omnitron_id(omnitron_channel_id=data.channel, client_factory=client_factory)
    cargo_company_id = None
    if data.cargo_company is not None:
        cargo_company_id = (
            CargoCompany.objects.filter(omnitron_id=data.cargo_company).values_list("pk", flat=True).first()
        )
    location = stock_location_default()

    # One transaction, no look-before-insert: the unique Omnitron ids decide. A concurrent ingestion
    # of the same order makes the order insert fail; an item pk of another order, the item insert.
    try:
        with transaction.atomic():
            order = Order.objects.create(
                omnitron_id=data.pk,
                number=data.number,
                channel=channel,
                status=OrderStatus.APPROVED,
                cargo_company_id=cargo_company_id,
                omnitron_cargo_company_id=data.cargo_company,
                tracking_number=data.effective_tracking_number,
                date_placed=data.date_placed,
                omnitron_modified_at=data.modified_date,
                currency=data.currency,
                amount=data.amount,
                shipping_amount=data.shipping_amount,
                delivery_type=data.delivery_type,
                shipping_option_slug=data.shipping_option_slug,
                extra_field=data.extra_field,
            )
            items = OrderItem.objects.bulk_create(
                [
                    OrderItem(
                        order=order,
                        omnitron_id=item.pk,
                        status=OrderStatus.APPROVED,
                        product_omnitron_id=item.product_pk,
                        sku=item.sku,
                        barcode=item.barcode,
                        product_name=item.name,
                        price=item.price,
                        price_currency=item.price_currency,
                        tracking_number=item.tracking_number,
                        extra_field=item.extra_field,
                    )
                    for item in data.items
                ]
            )
            if any(item.pk is None for item in items):  # backends without RETURNING ids
                items = list(OrderItem.objects.filter(order=order).order_by("id"))
            package = Package.objects.create(
                number=f"PKG-{data.pk}-1",
                order=order,
                stock_location=location,
                status=PackageStatus.WAITING,
            )
            PackageItem.objects.bulk_create(
                [
                    PackageItem(package=package, order_item=item, status=PackageStatus.WAITING)
                    for item in items
                ]
            )
            event_record(
                type=PACKAGE_CREATED,
                key=package_key(package.pk),
                data=lambda: package_representation(package.pk),
                now=now,
            )
    except IntegrityError:
        existing = Order.objects.filter(omnitron_id=data.pk).first()
        if existing is not None:
            return IngestResult(order=existing, created=False)
        taken = sorted(OrderItem.objects.filter(omnitron_id__in=pks).values_list("omnitron_id", flat=True))
        if taken:
            raise DomainError(
                f"Order item pk(s) {', '.join(map(str, taken))} already belong to another OMS order. "
                "Each Omnitron order item belongs to one order.",
                field="orderitem_set",
            ) from None
        raise
    # What was written, as read back by `order_list()`: lets the caller answer without reading it again.
    order._prefetched_objects_cache = {"items": items, "packages": [package]}  # type: ignore[attr-defined]  # Django's prefetch cache, absent from django-stubs
    logger.info("Ingested Omnitron order %s (%s) with %s items", data.pk, data.number, len(items))
    return IngestResult(order=order, created=True)


def order_items_packed(event: PackagePacked) -> None:
    """A package was packed: its order items, and its order if not already further, are preparing."""
    behind = order_statuses_before(OrderStatus.PREPARING)
    OrderItem.objects.filter(pk__in=event.order_item_ids, status__in=behind).update(
        status=OrderStatus.PREPARING, modified_at=event.now
    )
    Order.objects.filter(pk=event.order_id, status__in=behind).update(
        status=OrderStatus.PREPARING, modified_at=event.now
    )
