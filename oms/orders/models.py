from django.db import models

from oms.core.models import TimeStampedModel
from oms.core.statuses import OrderStatus


class Order(TimeStampedModel):
    """A marketplace order as Omnitron sent it; `omnitron_id` is its pk in Omnitron (unique)."""

    omnitron_id = models.PositiveBigIntegerField(unique=True)
    number = models.CharField(max_length=128, db_index=True)
    channel = models.ForeignKey("channels.Channel", on_delete=models.PROTECT, related_name="orders")
    status = models.PositiveIntegerField(
        choices=OrderStatus.choices, default=OrderStatus.APPROVED, db_index=True
    )
    cargo_company = models.ForeignKey(
        "shipments.CargoCompany",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    # Omnitron's cargo company pk as sent, kept even when OMS has no cargo company for it yet.
    omnitron_cargo_company_id = models.PositiveBigIntegerField(null=True, blank=True)
    tracking_number = models.CharField(max_length=256, blank=True, default="")
    date_placed = models.DateTimeField(null=True, blank=True)
    omnitron_modified_at = models.DateTimeField(null=True, blank=True)
    currency = models.CharField(max_length=8, blank=True, default="")
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    shipping_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    delivery_type = models.CharField(max_length=64, blank=True, default="")
    shipping_option_slug = models.CharField(max_length=128, blank=True, default="")
    extra_field = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.number


class OrderItem(TimeStampedModel):
    """One unit of one product on an order (Omnitron has no quantities)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    omnitron_id = models.PositiveBigIntegerField(unique=True)
    status = models.PositiveIntegerField(
        choices=OrderStatus.choices, default=OrderStatus.APPROVED, db_index=True
    )
    product_omnitron_id = models.PositiveBigIntegerField(null=True, blank=True)
    sku = models.CharField(max_length=128, blank=True, default="")
    barcode = models.CharField(max_length=128, blank=True, default="")
    product_name = models.CharField(max_length=255, blank=True, default="")
    price = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    price_currency = models.CharField(max_length=8, blank=True, default="")
    tracking_number = models.CharField(max_length=256, blank=True, default="")
    extra_field = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.sku} ({self.omnitron_id})"


# Registered with the app's models (kept in its own module).
from oms.orders.cancellation_models import CancellationPlan  # noqa: E402, F401
