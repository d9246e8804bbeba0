"""The audit log as a console page (/console/audit/) and an API (GET /api/audit/); admins and
supervisors read it. Thin: filters → callcenter.audit.audit_entries → render / serialize."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from agents.templatetags.wfm import change_action
from callcenter.audit import MAX_PAGE_SIZE, OBJECT_TYPES, AuditEntry, AuditFilters, BadCursor, audit_entries
from callcenter.errors import ApplicationError
from callcenter.permissions import api_permission, page_permission_required
from kpi.periods import day_start
from qa.selectors import EVENT_TITLES as EVALUATION_EVENT_TITLES
from tickets.selectors.customers import CHANGE_KINDS as CUSTOMER_CHANGE_KINDS
from tickets.selectors.tickets import EVENT_TITLES as TICKET_EVENT_TITLES

User = get_user_model()
AUDIT = "callcenter.view_audit_log"
PAGE_SIZE = 50
OBJECT_TYPE_LABELS = {
    "ticket": gettext_lazy("Tickets"),
    "customer": gettext_lazy("Customers"),
    "evaluation": gettext_lazy("Evaluations"),
    "scorecard": gettext_lazy("Scorecards"),
    "queue": gettext_lazy("Queues"),
    "ivr_flow": gettext_lazy("IVR flows"),
    "skill": gettext_lazy("Skills"),
    "agent_skills": gettext_lazy("Agent skill levels"),
    "team": gettext_lazy("Teams"),
    "shift_template": gettext_lazy("Shift templates"),
    "shift": gettext_lazy("Shifts"),
    "time_off": gettext_lazy("Time off"),
    "retention": gettext_lazy("Retention purges"),
    "admin": gettext_lazy("Django admin edits"),
}
# Verbs of the sources that have none of their own wording (admin edits, purges, erasures); the
# API keeps the codes, the page shows these.
AUDIT_ACTIONS = {
    "added": gettext_lazy("Added"),
    "changed": gettext_lazy("Changed"),
    "deleted": gettext_lazy("Deleted"),
    "purged": gettext_lazy("Purged"),
    "erased": gettext_lazy("Erased"),
}


def _filters(
    *,
    object_type: str,
    object_id: int | None,
    actor_id: int | None,
    date_from: date | None,
    date_to: date | None,
) -> AuditFilters:
    """Filters from the local days of the form (both ends included); ApplicationError when reversed."""
    if date_from and date_to and date_to < date_from:
        raise ApplicationError(
            _("The end date is before the start date."), fields={"date_to": [_("Pick a later day.")]}
        )
    return AuditFilters(
        object_type=object_type or "",
        object_id=object_id,
        actor_id=actor_id,
        start=day_start(date_from) if date_from else None,
        end=day_start(date_to + timedelta(days=1)) if date_to else None,
    )


# --- page ------------------------------------------------------------------------------------------
class AuditFilterForm(forms.Form):
    object_type = forms.ChoiceField(
        label=gettext_lazy("Object"),
        required=False,
        choices=[("", gettext_lazy("Everything")), *OBJECT_TYPE_LABELS.items()],
    )
    object_id = forms.IntegerField(label=gettext_lazy("Object id"), required=False, min_value=1)
    user = forms.ModelChoiceField(
        label=gettext_lazy("Who"),
        required=False,
        queryset=User.objects.none(),
        empty_label=gettext_lazy("Anyone"),
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.order_by("username")


@page_permission_required(AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    page, error = None, ""
    if form.is_bound and not form.is_valid():
        error = _("Check the filters.")
    else:
        data = form.cleaned_data if form.is_bound else {}
        user = data.get("user")
        try:
            filters = _filters(
                object_type=data.get("object_type", ""),
                object_id=data.get("object_id"),
                actor_id=user.pk if user else None,
                date_from=data.get("date_from"),
                date_to=data.get("date_to"),
            )
            page = audit_entries(filters=filters, limit=PAGE_SIZE, cursor=request.GET.get("cursor") or None)
        except ApplicationError as exc:
            error = exc.message
        except BadCursor:
            error = _("That page link is broken; start again from the newest entries.")
    rows = (
        [
            (entry, change_rows(entry.changes), action_label(entry), object_label(entry))
            for entry in page.entries
        ]
        if page
        else []
    )
    next_url = ""
    if page and page.next_cursor:
        query = request.GET.copy()
        query["cursor"] = page.next_cursor
        next_url = f"?{query.urlencode()}"
    first_query = request.GET.copy()
    first_query.pop("cursor", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "error": error,
        "next_url": next_url,
        "first_url": f"?{first_query.urlencode()}" if request.GET.get("cursor") else "",
        "type_labels": OBJECT_TYPE_LABELS,
    }
    return render(request, "callcenter/console_audit.html", context)


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return str(value.get("name") or value.get("label") or value.get("id") or value)
    if isinstance(value, list):
        return ", ".join(_display(item) for item in value) or "—"
    return str(value)


def action_label(entry: AuditEntry) -> str:
    """The verb a person reads for an entry's action, in their language: each app's own wording
    (the ticket, customer and evaluation timelines say the same), else the shared one."""
    if entry.object_type == "ticket" and entry.action in TICKET_EVENT_TITLES:
        return capfirst(str(TICKET_EVENT_TITLES[entry.action]))
    if entry.object_type == "customer" and entry.action in CUSTOMER_CHANGE_KINDS:
        return capfirst(str(CUSTOMER_CHANGE_KINDS[entry.action]))
    if entry.object_type == "evaluation" and entry.action in EVALUATION_EVENT_TITLES:
        return capfirst(EVALUATION_EVENT_TITLES[entry.action](entry.changes))
    if entry.action in AUDIT_ACTIONS:
        return str(AUDIT_ACTIONS[entry.action])
    return change_action(entry.action)


def object_label(entry: AuditEntry) -> str:
    # A purge has no object of its own: its stored label is English, so the page says it anew.
    if entry.object_type == "retention":
        return _("Retention purge")
    return entry.object_label


def change_rows(changes: dict[str, Any]) -> list[dict[str, Any]]:
    """{field: [before, after]} as before → after rows; other step data ({score: 80}) as plain values."""
    rows = []
    for name, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            rows.append(
                {"name": name, "pair": True, "before": _display(value[0]), "after": _display(value[1])}
            )
        else:
            rows.append({"name": name, "pair": False, "value": _display(value)})
    return rows


# --- API -------------------------------------------------------------------------------------------
class AuditEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor = serializers.CharField(help_text="Full name or username; empty for the system (beat, feed).")
    object_type = serializers.CharField(help_text="ticket, customer, evaluation, queue, ivr_flow, skill, …")
    object_id = serializers.IntegerField(allow_null=True)
    object_label = serializers.CharField()
    action = serializers.CharField(help_text="created, updated, submitted, published, erased…")
    changes = serializers.DictField(help_text="What changed: {field: [before, after]} or the step's data.")
    note = serializers.CharField(allow_blank=True)
    source = serializers.CharField(
        help_text="Which record it comes from: ticket, customer, evaluation, config, plan, admin, care."
    )

    class Meta:
        ref_name = "AuditEntry"


class AuditListApi(APIView):
    permission_classes = [api_permission(AUDIT)]

    class FilterSerializer(serializers.Serializer):
        object_type = serializers.ChoiceField(choices=[*OBJECT_TYPES], required=False)
        object_id = serializers.IntegerField(required=False, min_value=1)
        user = serializers.IntegerField(required=False, min_value=1, help_text="The actor's user id.")
        date_from = serializers.DateField(required=False, help_text="First local day (TIME_ZONE).")
        date_to = serializers.DateField(required=False, help_text="Last local day, included.")
        cursor = serializers.CharField(required=False, help_text="From `next`.")
        page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=PAGE_SIZE)

        class Meta:
            ref_name = "AuditFilter"

    class PageSerializer(serializers.Serializer):
        next = serializers.URLField(allow_null=True)
        results = AuditEntrySerializer(many=True)

        class Meta:
            ref_name = "AuditPage"

    @extend_schema(
        operation_id="audit_list",
        parameters=[FilterSerializer],
        responses=PageSerializer,
        summary="Who changed what on tickets, customers, evaluations, IVR and schedules (newest first)",
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        filters = _filters(
            object_type=data.get("object_type", ""),
            object_id=data.get("object_id"),
            actor_id=data.get("user"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
        try:
            page = audit_entries(filters=filters, limit=data["page_size"], cursor=data.get("cursor"))
        except BadCursor:
            raise ApplicationError(
                _("The cursor is not one this API gave out."), fields={"cursor": [_("Unknown cursor.")]}
            ) from None
        url = remove_query_param(request.build_absolute_uri(), "cursor")
        body = {
            "next": replace_query_param(url, "cursor", page.next_cursor) if page.next_cursor else None,
            "results": AuditEntrySerializer(page.entries, many=True).data,
        }
        return Response(body)
