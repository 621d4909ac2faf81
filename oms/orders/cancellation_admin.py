"""Cancellation plans in the admin: read-only (Omnitron and the cancellation service write them)."""

from django.contrib import admin

from oms.orders.cancellation_models import CancellationPlan


@admin.register(CancellationPlan)
class CancellationPlanAdmin(admin.ModelAdmin):
    list_display = ("id", "plan_id", "order", "plan_type", "source", "items", "reason", "received_at")
    list_filter = ("plan_type", "source", "received_at")
    search_fields = ("plan_id__exact", "order__number", "order__omnitron_id__exact")
    list_select_related = ("order",)
    readonly_fields = ("plan_id", "order", "plan_type", "source", "reason", "items", "outcome", "received_at")
    ordering = ("-id",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
