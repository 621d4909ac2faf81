from django.db import models

from oms.core.models import TimeStampedModel


class ReportState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, will retry"
    REJECTED = "rejected", "Rejected by Omnitron"
    GIVEN_UP = "given_up", "Given up"
    # Not sent, and never will be: what it would tell Omnitron is already out of date (e.g. the
    # "preparing" report of a package that has shipped meanwhile). The reason is in `last_error`.
    SUPERSEDED = "superseded", "Superseded, not sent"


class ReportKind(models.TextChoices):
    ORDER_ITEM_STATUSES = "order_item_statuses", "Order item statuses"


class OmnitronReport(TimeStampedModel):
    """Something OMS must tell Omnitron (the outbox).

    Written in the same transaction as the change it reports; delivered after commit by a worker
    that claims due rows, with retries and backoff. An Omnitron outage delays a report, never
    loses it.
    """

    package = models.ForeignKey(
        "packages.Package", on_delete=models.CASCADE, related_name="reports", null=True, blank=True
    )
    kind = models.CharField(max_length=32, choices=ReportKind.choices)
    payload = models.JSONField()
    state = models.CharField(
        max_length=16, choices=ReportState.choices, default=ReportState.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    response = models.JSONField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="report_due_idx",
                condition=models.Q(state__in=["pending", "failed"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} report {self.pk} ({self.state})"


class OmnitronReportAttempt(models.Model):
    """One try at delivering a report, and what Omnitron answered."""

    report = models.ForeignKey(OmnitronReport, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=ReportState.choices)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    detail = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"Attempt at {self.attempted_at:%Y-%m-%d %H:%M:%S}: {self.outcome}"


class SyncCursor(TimeStampedModel):
    """A watermark of a periodic pull from Omnitron (e.g. the reconciliation of orders)."""

    name = models.CharField(max_length=64, unique=True)
    value = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return self.name
