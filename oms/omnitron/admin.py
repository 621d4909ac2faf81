from django.contrib import admin
from django.template.defaultfilters import truncatechars

from oms.core.admin_base import ReadOnlyAdmin, ReadOnlyTabularInline, package_link
from oms.omnitron.models import OmnitronReport, OmnitronReportAttempt, SyncCursor


class OmnitronReportAttemptInline(ReadOnlyTabularInline):
    model = OmnitronReportAttempt
    fields = ("attempted_at", "outcome", "status_code", "detail")
    readonly_fields = fields
    ordering = ("attempted_at", "id")


@admin.register(OmnitronReport)
class OmnitronReportAdmin(ReadOnlyAdmin):
    """The outbox of reports to Omnitron: written by commands, delivered by the worker."""

    list_display = (
        "id",
        "package_page",
        "kind",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "error",
        "created_at",
    )
    list_filter = ("state", "kind", "created_at", "sent_at")
    search_fields = ("package__number", "package__order__number", "last_error")
    list_select_related = ("package",)
    ordering = ("-id",)
    inlines = [OmnitronReportAttemptInline]

    @admin.display(description="package", ordering="package__number")
    def package_page(self, obj: OmnitronReport) -> str:
        return package_link(obj.package_id, obj.package.number if obj.package_id else "")

    @admin.display(description="last error")
    def error(self, obj: OmnitronReport) -> str:
        return truncatechars(obj.last_error, 120) or "—"


@admin.register(SyncCursor)
class SyncCursorAdmin(ReadOnlyAdmin):
    list_display = ("name", "value", "last_run_at", "last_error", "modified_at")
    ordering = ("name",)
