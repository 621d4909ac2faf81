from django.conf import settings
from django.db import models

from oms.core.models import TimeStampedModel


class TransitionModel(models.TextChoices):
    PACKAGE = "package", "Package"


class CommandSource(models.TextChoices):
    """Where a command run came from."""

    API = "api", "API"
    OPS = "ops", "ops page"
    BULK = "bulk", "bulk command"
    ADMIN = "admin", "admin"
    SYSTEM = "system", "system"


class StateTransition(TimeStampedModel):
    """An operator-defined move: running `slug` on a `model` in `source_state` runs `command`
    and leads to `destination_state`. States are stored as status codes."""

    model = models.CharField(max_length=32, choices=TransitionModel.choices)
    command = models.CharField(max_length=64)
    slug = models.CharField(max_length=128)
    name = models.CharField(max_length=255, blank=True, default="")
    source_state = models.PositiveIntegerField()
    destination_state = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model", "slug", "source_state"], name="unique_transition_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.slug}: {self.source_state} -> {self.destination_state}"


class StateTransitionLog(models.Model):
    """Every status change of a package, and what caused it (a command run or an observation)."""

    package = models.ForeignKey("packages.Package", on_delete=models.CASCADE, related_name="transition_logs")
    transition = models.ForeignKey(
        StateTransition, on_delete=models.SET_NULL, null=True, blank=True, related_name="logs"
    )
    command = models.CharField(max_length=64)
    old_state = models.PositiveIntegerField()
    new_state = models.PositiveIntegerField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    source = models.CharField(max_length=16, choices=CommandSource.choices, default=CommandSource.SYSTEM)
    input_parameters = models.JSONField(default=dict, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["package", "created_at"])]

    def __str__(self) -> str:
        return f"{self.command}: {self.old_state} -> {self.new_state}"


class RefusedCommand(models.Model):
    """A package command that was asked for and refused, with the reason given (for the timeline).

    Commands that ran are in `StateTransitionLog`.
    """

    package = models.ForeignKey("packages.Package", on_delete=models.CASCADE, related_name="refused_commands")
    slug = models.CharField(max_length=128, blank=True, default="")
    transition_id = models.PositiveBigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    source = models.CharField(max_length=16, choices=CommandSource.choices, default=CommandSource.SYSTEM)
    input_parameters = models.JSONField(default=dict, blank=True)
    package_state = models.PositiveIntegerField()
    reason = models.TextField()
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.slug or self.transition_id} refused on package {self.package_id}"
