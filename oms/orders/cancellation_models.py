"""What Omnitron said about cancelled and refunded order items, and what OMS did about it."""

from django.db import models


class PlanType(models.TextChoices):
    CANCEL = "cancel", "Cancel"
    REFUND = "refund", "Refund"


class CancellationSource(models.TextChoices):
    PLAN = "plan", "Cancellation plan (webhook)"
    PUSH = "push", "Order pushed again"
    RECONCILIATION = "reconciliation", "Reconciliation pull"
    RESOLUTION = "resolution", "Shipment status resolution"
    SANDBOX = "sandbox", "Demo"


class CancellationPlan(models.Model):
    """One cancellation or refund of some items of one order, from any of the ways Omnitron says it.

    `plan_id` is Omnitron's cancellation plan id when the news came as a plan (unique: a plan sent
    again is answered from this row); null for the other sources. `outcome` is what OMS did, per
    package, and is the answer the plan endpoint gives.
    """

    plan_id = models.PositiveBigIntegerField(unique=True, null=True, blank=True)
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="cancellation_plans")
    plan_type = models.CharField(max_length=8, choices=PlanType.choices)
    source = models.CharField(max_length=16, choices=CancellationSource.choices)
    reason = models.CharField(max_length=255, blank=True, default="")
    items = models.JSONField(default=list)
    outcome = models.JSONField(default=dict)
    received_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.plan_type} plan {self.plan_id or self.pk} of order {self.order_id}"
