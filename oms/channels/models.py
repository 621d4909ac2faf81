from django.db import models

from oms.core.models import TimeStampedModel


class Channel(TimeStampedModel):
    """A sales channel (marketplace) as registered in OMS; `omnitron_id` is its pk in Omnitron."""

    name = models.CharField(max_length=255)
    channel_type = models.CharField(max_length=64)
    omnitron_id = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    is_active = models.BooleanField(default=True)
    configuration = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.channel_type})"
