"""What the apps' admin modules share: read-only admins, links to the package page, DRF messages.

Domain-free: it imports no app's model; the package page is reached by its URL name and an id.
"""

from typing import Any

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from oms.core.statuses import NO_STATUS, PackageStatus, status_name


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by Omnitron or by the engine: shown, never edited here (commands change them)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def package_link(package_id: int | None, label: Any) -> str:
    """A link to the package's operator page (timeline and commands)."""
    if package_id is None:
        return NO_STATUS
    return format_html('<a href="{}">{}</a>', reverse("dashboard:package", args=[package_id]), label)


class PackageStateListFilter(admin.SimpleListFilter):
    """Filter a plain integer column holding package status codes, by status name."""

    title = "state"
    parameter_name = "state"
    field_name = ""

    def lookups(self, request, model_admin):
        return [(str(member.value), status_name(PackageStatus, member.value)) for member in PackageStatus]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(**{self.field_name: self.value()})


def drf_messages(detail: Any, prefix: str = "") -> list[str]:
    """DRF validation errors (nested lists and dicts) as flat "path: message" lines."""
    if isinstance(detail, dict):
        lines: list[str] = []
        for key, value in detail.items():
            path = prefix if key in ("non_field_errors", "json_value") else f"{prefix}{key}: "
            lines.extend(drf_messages(value, path))
        return lines
    if isinstance(detail, list | tuple):
        return [line for value in detail for line in drf_messages(value, prefix)]
    return [f"{prefix}{detail}"]
