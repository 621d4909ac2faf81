from django.contrib import admin

from oms.channels.models import Channel


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("name", "channel_type", "omnitron_id", "is_active", "created_at", "modified_at")
    list_filter = ("is_active", "channel_type", "created_at")
    search_fields = ("name", "channel_type", "omnitron_id__exact")
    readonly_fields = ("created_at", "modified_at")
    ordering = ("name", "id")
