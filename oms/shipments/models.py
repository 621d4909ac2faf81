from django.db import models

from oms.core.models import TimeStampedModel
from oms.core.statuses import ShipmentStatus


class CargoCompany(TimeStampedModel):
    """A carrier as OMS knows it; `omnitron_id` links it to the cargo company on Omnitron orders."""

    name = models.CharField(max_length=255)
    erp_code = models.CharField(max_length=128, blank=True, default="")
    shipping_company = models.CharField(max_length=64, blank=True, default="")
    omnitron_id = models.PositiveBigIntegerField(null=True, blank=True, unique=True)

    class Meta:
        verbose_name_plural = "cargo companies"

    def __str__(self) -> str:
        return self.name


class CargoCompanyCondition(TimeStampedModel):
    """Routing rules of a cargo company: which shipment client handles which orders."""

    cargo_company = models.ForeignKey(CargoCompany, on_delete=models.PROTECT, related_name="conditions")
    rules_configuration = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"Condition {self.pk} of {self.cargo_company_id}"


class Shipment(TimeStampedModel):
    """The shipment of one package: the carrier's tracking number and where the parcel is."""

    package = models.OneToOneField("packages.Package", on_delete=models.PROTECT, related_name="shipment")
    cargo_company = models.ForeignKey(
        CargoCompany, on_delete=models.PROTECT, null=True, blank=True, related_name="shipments"
    )
    tracking_number = models.CharField(max_length=256)
    status = models.PositiveIntegerField(
        choices=ShipmentStatus.choices, default=ShipmentStatus.CREATED, db_index=True
    )
    client = models.CharField(max_length=255)
    # Shipment status resolution (oms.shipments.resolution): when to look at Omnitron next, and
    # what was seen there last.
    next_check_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    unchanged_checks = models.PositiveIntegerField(default=0)
    omnitron_status = models.PositiveIntegerField(null=True, blank=True)
    stale_at = models.DateTimeField(null=True, blank=True)
    # Delivered shipments stay lightly followed until then, so a refund (Omnitron 600) is seen.
    return_window_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_check_at", "id"],
                name="shipment_followed_due_idx",
                condition=models.Q(status__lt=800, stale_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Shipment {self.tracking_number}"


class ObservationOutcome(models.TextChoices):
    APPLIED = "applied", "Applied"
    BACKWARD = "backward", "Behind the current status: not applied"
    UNKNOWN = "unknown", "Not a shipment status: not applied"
    MISSING = "missing", "Order not found in Omnitron"


class ShipmentObservation(models.Model):
    """What Omnitron said about a shipment's order, when it mattered: a status applied, a status
    behind the current one, or one that maps to no shipment status."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="observations")
    omnitron_status = models.PositiveIntegerField(null=True, blank=True)
    tracking_number = models.CharField(max_length=256, blank=True, default="")
    outcome = models.CharField(max_length=16, choices=ObservationOutcome.choices)
    shipment_status_before = models.PositiveIntegerField()
    observed_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.shipment_id}: Omnitron {self.omnitron_status} ({self.outcome})"


class TrackingNumberChange(models.Model):
    """A tracking number Omnitron re-issued for a shipment (the old one is kept here)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_changes")
    old_tracking_number = models.CharField(max_length=256)
    new_tracking_number = models.CharField(max_length=256)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.old_tracking_number} -> {self.new_tracking_number}"


class ResolutionHealth(models.Model):
    """One row: how shipment status resolution is doing, and its circuit breaker."""

    BREAKER_CLOSED = "closed"
    BREAKER_OPEN = "open"

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    breaker = models.CharField(max_length=8, default=BREAKER_CLOSED)
    consecutive_failures = models.PositiveIntegerField(default=0)
    open_until = models.DateTimeField(null=True, blank=True)
    last_cycle_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_cycle_summary = models.JSONField(default=dict, blank=True)
    backward_seen = models.PositiveBigIntegerField(default=0)
    unknown_seen = models.PositiveBigIntegerField(default=0)
    # The Omnitron read budget (OMS_OMNITRON_READS_PER_MINUTE): the minute being counted and the reads
    # taken in it, by every worker together (see oms.shipments.resolution.budget).
    reads_window_start = models.DateTimeField(null=True, blank=True)
    reads_in_window = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Shipment status resolution ({self.breaker})"
