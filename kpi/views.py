"""Supervisor pages: the live wallboard (and its TV mode), KPI reports with charts and CSV export,
the daily e-mail subscription; and the agent's own numbers on the desktop."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agents.models import AgentState
from callcenter.formatting import format_datetime
from callcenter.permissions import page_permission_required
from kpi import inputs
from kpi.charts import line_chart
from kpi.definitions import KPIS
from kpi.exports import kpi_text, rows_csv
from kpi.forms import ReportForm
from kpi.live import snapshot_current
from kpi.models import ReportSubscription
from kpi.selectors import ReportRow, agent_numbers, kpi_report
from kpi.services.reports import report_subscription_set
from telephony.models import Queue

WALLBOARD = "callcenter.view_wallboard"
REPORTS = "callcenter.view_reports"
DESK = "callcenter.use_agent_desktop"


@page_permission_required(WALLBOARD)
@require_GET
def wallboard(request: HttpRequest) -> HttpResponse:
    queue = request.GET.get("queue") or ""
    queues = list(Queue.objects.order_by("name"))
    if queue and queue not in {q.name for q in queues}:
        queue = ""
    return render(
        request,
        "kpi/wallboard.html",
        {
            "tv": request.GET.get("tv") == "1",
            "queue": queue,
            "queues": queues,
            # The board paints at once from this; the socket then keeps it live.
            "snapshot": snapshot_current(queue=queue or None),
            "labels": _wallboard_labels(),
        },
    )


def _wallboard_labels() -> dict[str, Any]:
    """Every word the board's script shows, translated here (the script has no catalogue)."""
    return {
        "states": {value: str(label) for value, label in AgentState.choices},
        "waiting": _("Calls waiting"),
        "longest_wait": _("Longest wait"),
        "offered": _("Offered"),
        "answered": _("Answered"),
        "abandoned": _("Abandoned"),
        "service_level": _("Service level"),
        "abandon_rate": _("Abandon rate"),
        "asa_s": _("ASA"),
        "aht_s": _("AHT"),
        "available": _("Available"),
        "ringing": _("Ringing"),
        "on_call": _("On call"),
        "wrap_up": _("Wrap-up"),
        "not_ready": _("Not ready"),
        "logged_in": _("Logged in"),
        "all_queues": _("All queues"),
        "today": _("Today"),
        "live": _("live"),
        "reconnecting": _("reconnecting…"),
        "stale": _("no update for a while"),
        "no_agents": _("No agent is logged in."),
        "no_queues": _("No queue has had a call yet."),
        "no_alerts": _("No alerts."),
        "within": _("within %(s)s s"),
        "target": _("target %(p)s %%"),
        "seconds_ago": _("%(n)s s ago"),
    }


def _label(row: ReportRow, by: str, calendar: str) -> str:
    """A period as people read it: in the center's zone and the user's calendar."""
    value = row.key[by]
    if by == "interval":
        return format_datetime(datetime.fromisoformat(value), calendar=calendar)
    return format_datetime(date.fromisoformat(value), calendar=calendar)


def _charts(rows: list[ReportRow], by: str, calendar: str) -> list[Any]:
    labels = [_label(row, by, calendar) for row in rows]

    def values(key: str) -> list[float | None]:
        return [row.kpis[key] for row in rows]

    return [
        line_chart(
            title=_("Service level and abandon rate"),
            labels=labels,
            series=[
                (_("Service level"), "service_level", values("service_level")),
                (_("Abandon rate"), "abandon_rate", values("abandon_rate")),
            ],
            unit_key="service_level",
            y_max=100,
        ),
        line_chart(
            title=_("Volume"),
            labels=labels,
            series=[
                (_("Offered"), "offered", values("offered")),
                (_("Answered"), "answered", values("answered")),
                (_("Abandoned"), "abandoned", values("abandoned")),
            ],
            unit_key="offered",
        ),
        line_chart(
            title=_("Speed of answer and handle time"),
            labels=labels,
            series=[(_("ASA"), "asa_s", values("asa_s")), (_("AHT"), "aht_s", values("aht_s"))],
            unit_key="aht_s",
        ),
        line_chart(
            title=_("Customer satisfaction"),
            labels=labels,
            series=[(_("CSAT"), "csat", values("csat")), (_("NPS"), "nps", values("nps"))],
            unit_key="csat",
            y_max=100,
            y_min=-100 if any((v or 0) < 0 for v in values("nps")) else 0,
        ),
        line_chart(
            title=_("QA score and first-contact resolution"),
            labels=labels,
            series=[(_("QA score"), "qa_score", values("qa_score")), (_("FCR"), "fcr", values("fcr"))],
            unit_key="qa_score",
            y_max=100,
        ),
    ]


SUMMARY = (
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "abandon_rate",
    "asa_s",
    "aht_s",
    "csat",
    "nps",
    "fcr",
    "qa_score",
    "occupancy",
)


def _cells(row: ReportRow) -> list[str]:
    return [kpi_text(kpi.key, row.kpis[kpi.key]) for kpi in KPIS]


def _table(rows: list[ReportRow], label: Any) -> list[dict[str, Any]]:
    return [{"label": label(row), "cells": _cells(row), "empty": not row.totals.offered} for row in rows]


def _subscribed(request: HttpRequest) -> bool:
    return ReportSubscription.objects.filter(user=request.user, daily_email=True).exists()


@page_permission_required(REPORTS)
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.GET)
    context: dict[str, Any] = {"form": form, "kpis": KPIS, "subscribed": _subscribed(request)}
    if form.is_valid():
        query = form.query()
        calendar = request.session.get("preference", {}).get("calendar", "gregorian")
        rows = kpi_report(query)
        (total,) = kpi_report(form.query(by="total"))
        by_agent = kpi_report(form.query(by="agent"))
        names = inputs.agent_names([row.key["agent"] for row in by_agent])
        queue_names = {q.name: str(q) for q in Queue.objects.all()}
        context.update(
            by=query.by,
            periods=_table(rows, lambda row: _label(row, query.by, calendar)),
            total=_cells(total),
            summary=[
                (kpi, text) for kpi, text in zip(KPIS, _cells(total), strict=True) if kpi.key in SUMMARY
            ],
            by_queue=_table(
                kpi_report(form.query(by="queue")),
                lambda row: queue_names.get(row.key["queue"], row.key["queue"]),
            ),
            by_agent=_table(by_agent, lambda row: names.get(row.key["agent"], row.key["agent"])),
            charts=_charts(rows, query.by, calendar),
            export_query=request.GET.urlencode(),
        )
    return render(request, "kpi/reports.html", context, status=200 if form.is_valid() else 400)


@page_permission_required(REPORTS)
@require_GET
def report_export(request: HttpRequest) -> HttpResponse:
    """The report as CSV: one row per period of the chosen grouping, or per queue / agent / team."""
    form = ReportForm(request.GET)
    by = request.GET.get("by") or None
    if by not in (None, "queue", "agent", "team", "total"):
        by = None
    if not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(problems)}" for name, problems in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    query = form.query(by=by)
    response = HttpResponse(rows_csv(kpi_report(query), query.by), content_type="text/csv; charset=utf-8")
    filename = f"kpi-{query.first_day}-{query.last_day}-{query.by}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@page_permission_required(REPORTS)
@require_POST
def report_subscription(request: HttpRequest) -> HttpResponse:
    daily = request.POST.get("daily_email") == "on"
    if daily and not request.user.email:
        messages.error(request, _("Add an e-mail address to your account first."))
    else:
        report_subscription_set(user=request.user, daily_email=daily)
        messages.success(
            request,
            _("You will get the daily report by e-mail.")
            if daily
            else _("You will no longer get the daily report."),
        )
    back = request.POST.get("back", "")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        back = reverse("kpi:reports")
    return redirect(back)


@page_permission_required(DESK)
@require_GET
def my_numbers(request: HttpRequest) -> HttpResponse:
    """The agent's own figures today and this week (an htmx fragment of the desktop)."""
    numbers = agent_numbers(agent_code=inputs.agent_code_of(request.user))
    return render(request, "kpi/_my_numbers.html", {"numbers": numbers})
