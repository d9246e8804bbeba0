"""Django admin for the CRM and ticketing configuration: SLA policies, business hours, dispositions,
call scripts, categories and tags (admins edit them here), and read-mostly views of the data."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from tickets import models


def _recompute_open_tickets() -> None:
    from tickets.tasks import sla_recompute_task

    # After the commit, so the task sees the saved policy or hours.
    transaction.on_commit(sla_recompute_task.delay)


class SlaConfigAdmin(admin.ModelAdmin):
    """Changing a policy or opening hours re-times the clocks of open tickets."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _recompute_open_tickets()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        _recompute_open_tickets()


class BusinessHoursInline(admin.TabularInline):
    model = models.BusinessHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = models.Holiday
    extra = 0


@admin.register(models.BusinessSchedule)
class BusinessScheduleAdmin(SlaConfigAdmin):
    list_display = ("name", "time_zone", "team", "is_default")
    inlines = (BusinessHoursInline, HolidayInline)


@admin.register(models.SlaPolicy)
class SlaPolicyAdmin(SlaConfigAdmin):
    list_display = (
        "name",
        "priority",
        "category",
        "first_response_minutes",
        "resolution_minutes",
        "escalate_raise_priority",
        "escalate_to_supervisor",
        "active",
    )
    list_filter = ("active", "priority")


@admin.register(models.Disposition)
class DispositionAdmin(admin.ModelAdmin):
    list_display = ("label", "code", "requires_ticket", "active", "order")
    list_editable = ("active", "order")
    prepopulated_fields = {"code": ("label",)}


class CallScriptStepInline(admin.TabularInline):
    model = models.CallScriptStep
    extra = 1


@admin.register(models.CallScript)
class CallScriptAdmin(admin.ModelAdmin):
    list_display = ("name", "queue", "direction", "active")
    list_filter = ("active", "direction")
    inlines = (CallScriptStepInline,)


@admin.register(models.Category)
class CategoryAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(models.Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)


class CustomerPhoneInline(admin.TabularInline):
    model = models.CustomerPhone
    extra = 0


class CustomerEmailInline(admin.TabularInline):
    model = models.CustomerEmail
    extra = 0


@admin.register(models.Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "created_at")
    search_fields = ("name", "company", "phones__number", "emails__email")
    inlines = (CustomerPhoneInline, CustomerEmailInline)
    filter_horizontal = ("tags",)
    readonly_fields = ("version",)


@admin.register(models.Ticket)
class TicketAdmin(admin.ModelAdmin):
    """For looking things up; tickets are worked on the ticket pages, which keep the timeline."""

    list_display = ("number", "subject", "status", "priority", "team", "assignee", "resolution_due_at")
    list_filter = ("status", "priority", "channel")
    search_fields = ("subject",)
    raw_id_fields = ("customer", "assignee", "created_by", "merged_into")
    list_select_related = ("team", "assignee")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(models.Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ("phone", "due_at", "agent", "status")
    list_filter = ("status",)
    raw_id_fields = ("customer", "ticket", "agent", "created_by")
