from django.contrib import admin

from callcenter.models import Heartbeat, UserPreference


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "language", "calendar"]
    list_filter = ["language", "calendar"]
    search_fields = ["user__username"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["component", "hostname", "last_seen"]
