"""Django admin for kpi: wallboard thresholds per queue (admins edit them), subscriptions, rollup state."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from kpi.models import DailyReportRun, QueueThresholds, ReportSubscription, RollupDay, RollupInterval
from kpi.services.settings import thresholds_ensure


@admin.register(QueueThresholds)
class QueueThresholdsAdmin(admin.ModelAdmin):
    list_display = [
        "queue",
        "sl_green_percent",
        "sl_amber_percent",
        "abandon_amber_percent",
        "abandon_red_percent",
        "waiting_amber",
        "waiting_red",
        "wait_amber_s",
        "wait_red_s",
        "asa_amber_s",
        "asa_red_s",
        "long_wait_alert_s",
    ]
    list_editable = list_display[1:]
    fieldsets = [
        (None, {"fields": ["queue"]}),
        (_("Service level"), {"fields": ["sl_green_percent", "sl_amber_percent"]}),
        (_("Abandon rate"), {"fields": ["abandon_amber_percent", "abandon_red_percent"]}),
        (
            "Calls waiting and longest wait",
            {"fields": ["waiting_amber", "waiting_red", "wait_amber_s", "wait_red_s"]},
        ),
        (_("Speed of answer"), {"fields": ["asa_amber_s", "asa_red_s"]}),
        (_("Alerts"), {"fields": ["long_wait_alert_s"]}),
    ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Every queue is listed with its defaults, ready to edit; queues appear as the feed names them.
        if self.has_change_permission(request):
            thresholds_ensure()
        return super().changelist_view(request, extra_context)


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "daily_email", "created_at"]
    list_filter = ["daily_email"]
    search_fields = ["user__username", "user__email"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Bookkeeping of the rollups: visible for operators, written only by the rollup runs."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RollupInterval)
class RollupIntervalAdmin(ReadOnlyAdmin):
    list_display = ["start", "generation", "computed_generation", "computed_at"]
    date_hierarchy = "start"


@admin.register(RollupDay)
class RollupDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "computed_at"]


@admin.register(DailyReportRun)
class DailyReportRunAdmin(ReadOnlyAdmin):
    list_display = ["day", "claimed_at", "sent_at", "recipients"]
