from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotencyKey(models.Model):
    """The first answer given to a request carrying an `Idempotency-Key` header."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    scope = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return self.key


class ApiToken(models.Model):
    """An API key, stored as the SHA-256 digest of the key: the key itself is shown once, at login.

    `prefix` is the key's first characters, not secret, so that an operator can tell tokens apart.
    """

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField()

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"
