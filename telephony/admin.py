from typing import Any

from django.contrib import admin

from callcenter.changes import changes_between
from telephony.models import Call, CallEvent, FeedSource, QuarantinedEvent, Queue, QueueVisit
from telephony.routing import QUEUE_FIELDS, config_change_record


@admin.register(FeedSource)
class FeedSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "sl_target_percent", "sl_threshold_s"]
    search_fields = ["name", "display_name"]

    def save_model(self, request: Any, obj: Queue, form: Any, change: bool) -> None:
        """Edits here join the queue's history (and the audit log) with before and after, like the
        console's: Django admin's own LogEntry names the fields only."""
        fields = ("name", *QUEUE_FIELDS)
        old = Queue.objects.filter(pk=obj.pk).first() if change else None
        before = {name: getattr(old, name) for name in fields} if old else {}
        super().save_model(request, obj, form, change)
        changes = changes_between(before, {name: getattr(obj, name) for name in fields})
        if changes:
            config_change_record(
                actor=request.user,
                object_type="queue",
                obj=obj,
                action="updated" if change else "created",
                changes=changes,
                note="Django admin",
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Feed data is derived or raw evidence: viewable, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class QueueVisitInline(admin.TabularInline):
    model = QueueVisit
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ["call_id", "source", "queue", "agent_code", "outcome", "queued_at", "wait_s", "talk_s"]
    list_filter = ["outcome", "queue", "source"]
    search_fields = ["call_id", "caller", "agent_code"]
    date_hierarchy = "queued_at"
    inlines = [QueueVisitInline]


@admin.register(CallEvent)
class CallEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "source", "ts", "type", "call_id", "queue", "agent"]
    list_filter = ["type", "source"]
    search_fields = ["event_id", "call_id", "agent"]


@admin.register(QuarantinedEvent)
class QuarantinedEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "origin", "source_name", "index", "error"]
    list_filter = ["origin", "source_name"]
    search_fields = ["error", "raw"]
