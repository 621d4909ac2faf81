from datetime import UTC, datetime

import django_filters
from django import forms
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.settings import api_settings

from oms.core.errors import DomainError
from oms.core.statuses import status_from_name, status_names


class StatusFormField(forms.CharField):
    """A status given by name ("packed") or code ("500"), cleaned to its code."""

    def __init__(self, *args, status_choices, **kwargs):
        self.status_choices = status_choices
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        try:
            return status_from_name(self.status_choices, value)
        except ValueError:
            # The value goes in as a param: django-filter formats messages with `%`.
            raise forms.ValidationError(
                "Unknown status '%(value)s'. Use one of: %(names)s (or their numeric codes).",
                params={"value": value, "names": ", ".join(status_names(self.status_choices))},
            ) from None


class StatusFilter(django_filters.CharFilter):
    """Filter on a status given by name ("packed") or code ("500").

    The value is checked while the filter form is validated, so an unknown status answers 400
    with the error under the filter's own name.
    """

    field_class = StatusFormField

    def __init__(self, *args, choices, **kwargs):
        kwargs.setdefault("help_text", f"Status name or code: {', '.join(status_names(choices))}.")
        super().__init__(*args, status_choices=choices, **kwargs)


class IdFilter(django_filters.NumberFilter):
    """An id filter: a whole number the database can hold (1 … 2^63-1), else a 400."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        kwargs.setdefault("decimal_places", 0)
        super().__init__(*args, **kwargs)


class IsoDateTimeFormField(forms.CharField):
    """An ISO-8601 date ("2026-05-01") or date-time ("2026-05-01T08:00:00+03:00"), cleaned to an
    aware datetime (a date is its midnight, a time without offset is UTC)."""

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise forms.ValidationError(
                "'%(value)s' is not an ISO-8601 date or date-time. Send e.g. 2026-05-01 or "
                "2026-05-01T08:00:00+03:00.",
                params={"value": value},
            ) from None
        if timezone.is_naive(parsed):
            return parsed.replace(tzinfo=UTC)
        try:
            # In UTC: databases store and compare UTC, and PostgreSQL refuses some offsets Python allows.
            return parsed.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(
                "'%(value)s' is outside the dates OMS can compare. Send a date-time from year 1 to 9999.",
                params={"value": value},
            ) from None


class IsoDateTimeFilter(django_filters.Filter):
    """A bound on a timestamp, given as an ISO-8601 date or date-time."""

    field_class = IsoDateTimeFormField


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend that also refuses query parameters no filter reads.

    A misspelled or unsupported filter would otherwise be ignored and the whole list returned,
    which looks like an answer. Lists answer 400 naming the parameters they take instead.
    """

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", "list") == "list":
            valid = self.valid_parameters(request, queryset, view)
            unknown = sorted(set(request.query_params) - set(valid))
            if unknown:
                raise DomainError(
                    {
                        name: [f"Unknown query parameter '{name}'. This list takes: {', '.join(valid)}."]
                        for name in unknown
                    }
                )
        return super().filter_queryset(request, queryset, view)

    def valid_parameters(self, request, queryset, view) -> list[str]:
        """The query parameters this list reads: its filters, then paging and format."""
        names: list[str] = []
        filterset = self.get_filterset(request, queryset, view)
        if filterset is not None:
            names.extend(filterset.form.fields)
        paginator = getattr(view, "paginator", None)
        for attribute in ("page_query_param", "page_size_query_param"):
            name = getattr(paginator, attribute, None)
            if name:
                names.append(name)
        if api_settings.URL_FORMAT_OVERRIDE:
            names.append(api_settings.URL_FORMAT_OVERRIDE)
        return list(dict.fromkeys(names))
