import django_filters
from django import forms

from oms.core.statuses import status_from_name, status_names


class StatusFilter(django_filters.CharFilter):
    """Filter on a status given by name ("packed") or code ("500")."""

    def __init__(self, *args, choices, **kwargs):
        self.status_choices = choices
        kwargs.setdefault("help_text", f"Status name or code: {', '.join(status_names(choices))}.")
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        try:
            code = status_from_name(self.status_choices, value)
        except ValueError:
            raise forms.ValidationError(
                f"Unknown status '{value}'. Use one of: {', '.join(status_names(self.status_choices))}."
            ) from None
        return qs.filter(**{self.field_name: code})
