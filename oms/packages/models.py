from django.db import models

from oms.core.models import TimeStampedModel
from oms.core.statuses import PackageStatus


class StockLocation(TimeStampedModel):
    """A place packages are packed at. Ingestion plans every package at the default location."""

    name = models.CharField(max_length=255)
    erp_code = models.CharField(max_length=128, unique=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_stock_location",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Package(TimeStampedModel):
    """What the warehouse packs and ships: some or all items of one order, at one location."""

    number = models.CharField(max_length=64, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="packages")
    stock_location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="packages")
    status = models.PositiveIntegerField(
        choices=PackageStatus.choices, default=PackageStatus.WAITING, db_index=True
    )
    # Cancellations and refunds (oms.orders.cancellations): Omnitron cancelled items of a package
    # already packed (the parcel is to be pulled back; once status >= shipped, it was shipped after
    # cancellation), or refunded items of a shipped one (a return to receive).
    cancellation_requested_at = models.DateTimeField(null=True, blank=True)
    refund_requested_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.number


class PackageItem(TimeStampedModel):
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="items")
    order_item = models.ForeignKey("orders.OrderItem", on_delete=models.PROTECT, related_name="package_items")
    status = models.PositiveIntegerField(choices=PackageStatus.choices, default=PackageStatus.WAITING)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["package", "order_item"], name="one_package_item_per_order_item")
        ]
