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

    def __str__(self) -> str:
        return f"Shipment {self.tracking_number}"
