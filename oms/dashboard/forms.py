from django import forms

PACKED_HOURS_DEFAULT = 24
SHIPPED_DAYS_DEFAULT = 7


class DashboardFilterForm(forms.Form):
    """The dashboard's thresholds, from the query string."""

    packed_hours = forms.IntegerField(
        min_value=1,
        max_value=24 * 365,
        required=False,
        label="Packed, not shipped for more than (hours)",
        error_messages={"min_value": "Give a whole number of hours, 1 or more."},
    )
    shipped_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        required=False,
        label="Shipped, not delivered for more than (days)",
        error_messages={"min_value": "Give a whole number of days, 1 or more."},
    )

    def thresholds(self) -> tuple[int, int]:
        """(packed hours, shipped days): the valid values given, the defaults for the rest."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return (
            data.get("packed_hours") or PACKED_HOURS_DEFAULT,
            data.get("shipped_days") or SHIPPED_DAYS_DEFAULT,
        )
