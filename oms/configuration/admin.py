from typing import Any

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from rest_framework import serializers

from oms.configuration.keys import KEYS, MASK
from oms.configuration.models import ApplicationSetting
from oms.configuration.services import setting_value_masked, setting_value_validate
from oms.core.admin_base import drf_messages


class ApplicationSettingForm(forms.ModelForm):
    """A setting of the closed key list, validated per key; secrets are shown masked, and the mask
    sent back keeps the stored secret."""

    key = forms.ChoiceField(choices=[(key, key) for key in sorted(KEYS)])

    class Meta:
        model = ApplicationSetting
        fields = ["key", "json_value"]
        widgets = {"json_value": forms.Textarea(attrs={"rows": 8, "cols": 80})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        value = self.fields["json_value"]
        # `false` is a value; an empty box reaches the per-key validation, which says what to send.
        value.required = False
        value.help_text = "The value as JSON; its shape depends on the key. " + " ".join(
            f"{spec.key}: {spec.description}" for spec in KEYS.values()
        )
        value.help_text += f" Secrets show as {MASK}: leave the mask to keep the stored one."
        if self.instance.pk:
            self.initial["json_value"] = setting_value_masked(
                key=self.instance.key, value=self.instance.json_value
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        key = cleaned.get("key") or (self.instance.key if self.instance.pk else None)
        if key is None or "json_value" in self.errors:
            return cleaned
        try:
            cleaned["json_value"] = setting_value_validate(
                key=key,
                value=cleaned.get("json_value"),
                current=self.instance.json_value if self.instance.pk else None,
            )
        except serializers.ValidationError as exc:
            for problem in drf_messages(exc.detail):
                self.add_error("json_value", problem)
        return cleaned


@admin.register(ApplicationSetting)
class ApplicationSettingAdmin(admin.ModelAdmin):
    form = ApplicationSettingForm
    list_display = ("key", "value", "modified_at")
    search_fields = ("key",)
    readonly_fields = ("created_at", "modified_at")
    ordering = ("key",)

    def get_readonly_fields(self, request, obj=None):
        # The key of a stored setting never changes: create a setting with the other key instead.
        return ("key", *self.readonly_fields) if obj is not None else self.readonly_fields

    @admin.display(description="value")
    def value(self, obj: ApplicationSetting) -> str:
        masked = setting_value_masked(key=obj.key, value=obj.json_value)
        return format_html("<code>{}</code>", forms.JSONField().prepare_value(masked))
