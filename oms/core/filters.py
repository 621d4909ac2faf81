import django_filters
from django import forms

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
