from typing import Any

from django import forms
from django.contrib import admin
from rest_framework import serializers

from oms.core.admin_base import ReadOnlyAdmin, ReadOnlyTabularInline, drf_messages, package_link
from oms.shipments.models import (
    CargoCompany,
    CargoCompanyCondition,
    ResolutionHealth,
    Shipment,
    ShipmentObservation,
    TrackingNumberChange,
)
from oms.shipments.serializers import RULE_EXAMPLE, rules_configuration_validate


@admin.register(CargoCompany)
class CargoCompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "erp_code", "shipping_company", "omnitron_id", "created_at", "modified_at")
    list_filter = ("shipping_company", "created_at")
    search_fields = ("name", "erp_code", "shipping_company", "omnitron_id__exact")
    readonly_fields = ("created_at", "modified_at")
    ordering = ("name", "id")


class CargoCompanyConditionForm(forms.ModelForm):
    """The rules are validated exactly as the API validates them (`rules_configuration_validate`)."""

    class Meta:
        model = CargoCompanyCondition
        fields = ["cargo_company", "rules_configuration"]
        widgets = {"rules_configuration": forms.Textarea(attrs={"rows": 16, "cols": 100})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["rules_configuration"]
        # An empty value reaches the validation below, which says what to write instead.
        field.required = False
        field.help_text = f'A JSON object {{"rules": [...]}}. A rule looks like: {RULE_EXAMPLE}'

    def clean_rules_configuration(self) -> dict[str, Any]:
        try:
            return rules_configuration_validate(self.cleaned_data.get("rules_configuration"))
        except serializers.ValidationError as exc:
            raise forms.ValidationError(drf_messages(exc.detail)) from None


@admin.register(CargoCompanyCondition)
class CargoCompanyConditionAdmin(admin.ModelAdmin):
    form = CargoCompanyConditionForm
    list_display = ("id", "cargo_company", "rules", "modified_at")
    list_filter = ("cargo_company",)
    search_fields = ("cargo_company__name",)
    list_select_related = ("cargo_company",)
    readonly_fields = ("created_at", "modified_at")
    ordering = ("cargo_company__name", "id")

    @admin.display(description="rules")
    def rules(self, obj: CargoCompanyCondition) -> str:
        lines = []
        for rule in (obj.rules_configuration or {}).get("rules", []):
            params = rule.get("params") or {}
            client = ((params.get("conf") or {}).get("klass") or "").rsplit(".", 1)[-1]
            channels = params.get("channels")
            scope = f"channels {channels}" if channels else f"all {params.get('condition_type', '?')}"
            lines.append(f"{rule.get('klass', '').rsplit('.', 1)[-1]}: {scope} → {client}")
        return "; ".join(lines) or "—"


class ShipmentObservationInline(ReadOnlyTabularInline):
    model = ShipmentObservation
    fields = ("observed_at", "omnitron_status", "outcome", "shipment_status_before", "tracking_number")
    readonly_fields = fields
    ordering = ("observed_at", "id")


class TrackingNumberChangeInline(ReadOnlyTabularInline):
    model = TrackingNumberChange
    fields = ("changed_at", "old_tracking_number", "new_tracking_number")
    readonly_fields = fields
    ordering = ("changed_at", "id")


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    """Shipments: written by packaging and by shipment status resolution, read-only here."""

    list_display = (
        "tracking_number",
        "package_page",
        "order_number",
        "channel",
        "cargo_company",
        "status",
        "omnitron_status",
        "last_checked_at",
        "next_check_at",
        "stale_at",
        "created_at",
    )
    list_filter = (
        "status",
        "cargo_company",
        "package__order__channel",
        ("stale_at", admin.EmptyFieldListFilter),
        "created_at",
        "last_checked_at",
    )
    search_fields = (
        "tracking_number",
        "package__number",
        "package__order__number",
        "tracking_changes__old_tracking_number",
    )
    list_select_related = ("package", "package__order", "package__order__channel", "cargo_company")
    ordering = ("-id",)
    inlines = [TrackingNumberChangeInline, ShipmentObservationInline]

    @admin.display(description="package", ordering="package__number")
    def package_page(self, obj: Shipment) -> str:
        return package_link(obj.package_id, obj.package.number)

    @admin.display(description="order", ordering="package__order__number")
    def order_number(self, obj: Shipment) -> str:
        return obj.package.order.number

    @admin.display(description="channel", ordering="package__order__channel__name")
    def channel(self, obj: Shipment) -> str:
        return obj.package.order.channel.name


@admin.register(ShipmentObservation)
class ShipmentObservationAdmin(ReadOnlyAdmin):
    list_display = (
        "observed_at",
        "tracking",
        "package_page",
        "omnitron_status",
        "outcome",
        "shipment_status_before",
    )
    list_filter = ("outcome", "observed_at")
    search_fields = ("shipment__tracking_number", "shipment__package__number", "tracking_number")
    list_select_related = ("shipment", "shipment__package")
    ordering = ("-observed_at", "-id")

    @admin.display(description="shipment", ordering="shipment__tracking_number")
    def tracking(self, obj: ShipmentObservation) -> str:
        return obj.shipment.tracking_number

    @admin.display(description="package", ordering="shipment__package__number")
    def package_page(self, obj: ShipmentObservation) -> str:
        return package_link(obj.shipment.package_id, obj.shipment.package.number)


@admin.register(ResolutionHealth)
class ResolutionHealthAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "breaker",
        "consecutive_failures",
        "last_cycle_at",
        "last_success_at",
        "last_error_at",
        "backward_seen",
        "unknown_seen",
    )
