from django.contrib import admin

from agents.models import AgentProfile, PresenceSegment


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["code", "user"]
    search_fields = ["code", "user__username"]


@admin.register(PresenceSegment)
class PresenceSegmentAdmin(admin.ModelAdmin):
    list_display = ["agent_code", "state", "reason", "started_at", "ended_at", "call_id"]
    list_filter = ["state"]
    search_fields = ["agent_code", "call_id"]

    def has_change_permission(self, request, obj=None):
        return False
