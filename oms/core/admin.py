from django.contrib import admin, messages

from oms.core.models import ApiToken
from oms.core.tokens import api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens: who holds one, since when, last used. The key is never stored, so never shown."""

    list_display = ("prefix_shown", "user", "created_at", "last_used_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "prefix")
    ordering = ("-created_at", "-id")
    fields = ("prefix_shown", "user", "created_at", "last_used_at")
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="key starts with", ordering="prefix")
    def prefix_shown(self, obj: ApiToken) -> str:
        return f"{obj.prefix}…"

    @admin.action(description="Revoke the selected tokens (their keys stop working at once)")
    def revoke(self, request, queryset) -> None:
        count = api_token_revoke(token_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)

    def has_add_permission(self, request) -> bool:
        # A key is handed out by POST /api/v1/oms/auth/login/, to the user who logs in.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
