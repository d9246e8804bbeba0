"""Django admin for QA: the sampling policy is editable; scorecards, evaluations, disputes and
coaching are read-only here (their rules live in the services and the QA pages)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from qa.models import CoachingSession, Dispute, Evaluation, SamplingPolicy, Scorecard


@admin.register(SamplingPolicy)
class SamplingPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "enabled", "random_per_agent_week", "csat_at_most", "long_hold_s", "transfers")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnlyAdmin):
    list_display = ("name", "active", "current_version", "updated_at")


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = ("number", "status", "agent", "evaluator", "score", "origin", "submitted_at")
    list_filter = ("status", "origin")
    list_select_related = ("agent", "evaluator")


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ("evaluation", "status", "raised_by", "raised_at", "resolved_by", "resolved_at")
    list_filter = ("status",)


@admin.register(CoachingSession)
class CoachingSessionAdmin(ReadOnlyAdmin):
    list_display = ("agent", "coach", "status", "follow_up_on", "created_at")
    list_filter = ("status",)
