"""Behaviour shared by the API's writable viewsets."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from rest_framework import serializers, viewsets

from oms.core.errors import NON_FIELD, DomainError

logger = logging.getLogger(__name__)

INTEGRITY_ERROR_MESSAGE = (
    "This change conflicts with data saved at the same time (a value that must be unique is "
    "already used). Reload the list, then change the existing row with PATCH or send other values."
)

# The mixin goes before a DRF viewset; mypy checks it as the viewset it extends.
if TYPE_CHECKING:
    _ViewSetBase = viewsets.ModelViewSet
else:
    _ViewSetBase = object


class IntegrityErrorAs400Mixin(_ViewSetBase):
    """Writes that break a database constraint answer 400 with what to do, never 500.

    Serializers check uniqueness first, with precise messages; this catches what slips past them
    (two requests racing, or a constraint no serializer checks). Each save runs in its own
    `transaction.atomic()`, so the failed statement leaves the request's transaction usable.
    A serializer may define `integrity_error_detail()` to say precisely what clashed.
    """

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        with _integrity_errors_as_400(serializer):
            super().perform_create(serializer)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        with _integrity_errors_as_400(serializer):
            super().perform_update(serializer)

    def perform_destroy(self, instance) -> None:
        try:
            with transaction.atomic():
                super().perform_destroy(instance)
        except (ProtectedError, RestrictedError) as exc:
            blocking = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            in_use = sorted({str(type(obj)._meta.verbose_name_plural) for obj in blocking})
            raise DomainError(
                f"{str(type(instance)._meta.verbose_name).capitalize()} {instance.pk} is still used by "
                f"{', '.join(in_use)}, so it cannot be deleted. Remove those first, or keep it."
            ) from None


@contextmanager
def _integrity_errors_as_400(serializer: serializers.BaseSerializer) -> Iterator[None]:
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        logger.info("Write refused by a database constraint: %s", exc)
        detail_of = getattr(serializer, "integrity_error_detail", None)
        detail = detail_of() if callable(detail_of) else None
        raise DomainError(detail or {NON_FIELD: [INTEGRITY_ERROR_MESSAGE]}) from None
