from django import forms
from django.contrib import admin

from oms.events.models import EventDelivery, EventDeliveryAttempt, WebhookSubscription
from oms.events.serializers import WebhookSubscriptionSerializer


class WebhookSubscriptionForm(forms.ModelForm):
    """The admin checks a subscription as the API does (target address, headers, schedule)."""

    secret_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the current secret.",
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "event_type",
            "target_url",
            "secret_key",
            "additional_headers",
            "retry_countdown_config",
            "is_active",
        ]

    def clean(self):
        cleaned = self.cleaned_data
        super().clean()
        data = {
            key: cleaned[key]
            for key in (
                "event_type",
                "target_url",
                "additional_headers",
                "retry_countdown_config",
                "is_active",
            )
            if cleaned.get(key) is not None
        }
        serializer = WebhookSubscriptionSerializer(
            instance=self.instance if self.instance.pk else None, data=data, partial=bool(self.instance.pk)
        )
        if not serializer.is_valid():
            for field, messages in serializer.errors.items():
                target = field if field in self.fields else None
                for message in messages:
                    self.add_error(target, str(message))
        if not cleaned.get("secret_key") and self.instance.pk:
            cleaned["secret_key"] = self.instance.secret_key
        return cleaned


class EventDeliveryAttemptInline(admin.TabularInline):
    model = EventDeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["attempted_at", "status_code", "outcome", "answer", "error", "duration_ms"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = [
        "id",
        "event_type",
        "target_url",
        "is_active",
        "consecutive_failures",
        "breaker_open_until",
    ]
    list_filter = ["event_type", "is_active"]


@admin.register(EventDelivery)
class EventDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "subscription",
        "event_type",
        "key",
        "state",
        "attempts",
        "occurred_at",
        "delivered_at",
    ]
    list_filter = ["state", "event_type"]
    search_fields = ["key", "event_id"]
    inlines = [EventDeliveryAttemptInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
