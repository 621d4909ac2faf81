from django.db import models

from oms.core.models import TimeStampedModel


class ApplicationSetting(TimeStampedModel):
    """One setting of the closed key list in `oms.configuration.keys`; read it with
    `application_setting_get(key)`."""

    key = models.CharField(max_length=64, unique=True)
    json_value = models.JSONField(null=True)

    def __str__(self) -> str:
        return self.key
