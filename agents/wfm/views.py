"""Workforce pages: supervisors' overview, shift templates, the week schedule grid (htmx cells), time-off
approvals, forecast and staffing with its chart, schedule generation, adherence (per day and the live
out-of-adherence list); agents' own schedule with time-off requests. Thin: forms → services."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agents.history import plan_history
from agents.models import ShiftTemplate, Team, TimeOffStatus
from agents.skills import agent_users
from agents.wfm import time_off as time_off_services
from agents.wfm.adherence import GRACE_MINUTES, adherence_day, out_of_adherence_now
from agents.wfm.clock import local_day, week_days, week_start
from agents.wfm.forms import GenerateForm, ShiftTemplateForm, StaffingForm, TimeOffForm, WeekForm, parse_day
from agents.wfm.generate import schedule_proposal, schedule_proposal_apply
from agents.wfm.shifts import (
    ShiftConflict,
    grid_cell,
    shift_assign,
    shift_remove,
    shift_template_save,
    shift_templates,
    upcoming_shifts,
    week_grid,
)
from agents.wfm.staffing import staffing_chart, staffing_plan
from callcenter.errors import ApplicationError
from callcenter.form_errors import show_service_errors
from callcenter.permissions import page_permission_required

User = get_user_model()
PLAN = "agents.plan_workforce"
APPROVE = "agents.approve_time_off"
ADHERENCE = "agents.view_adherence"
DESK = "callcenter.use_agent_desktop"


def _today() -> date:
    return local_day(timezone.now())


# --- overview ----------------------------------------------------------------------------------------
@page_permission_required(PLAN)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    context = {
        "pending": time_off_services.time_off_pending().count(),
        "out_of_adherence": len(out_of_adherence_now(now=now)) if request.user.has_perm(ADHERENCE) else None,
        "templates": shift_templates(active_only=True).count(),
        "monday": week_start(_today()),
    }
    return render(request, "agents/wfm_home.html", context)


# --- shift templates ---------------------------------------------------------------------------------
def _template_save(
    request: HttpRequest, form: ShiftTemplateForm, template_id: int | None
) -> ShiftTemplate | None:
    data = form.cleaned_data
    try:
        return shift_template_save(
            actor=request.user,
            template_id=template_id,
            name=data["name"],
            start_time=data["start_time"],
            length_minutes=data["length_minutes"],
            breaks=data["breaks"],
            weekdays=data["weekdays"],
            color=data["color"],
            active=data["active"],
        )
    except ApplicationError as error:
        if "breaks" in (error.fields or {}):
            form.add_error(None, " ".join(error.fields["breaks"]))
        show_service_errors(form, error)
        return None


@page_permission_required(PLAN)
def templates(request: HttpRequest) -> HttpResponse:
    form = ShiftTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        template = _template_save(request, form, None)
        if template is not None:
            messages.success(request, _("Shift template %(name)s created.") % {"name": template.name})
            return redirect("wfm:templates")
    return render(request, "agents/wfm_templates.html", {"templates": list(shift_templates()), "form": form})


@page_permission_required(PLAN)
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    template = get_object_or_404(ShiftTemplate, pk=template_id)
    form = ShiftTemplateForm(request.POST or None, initial=ShiftTemplateForm.initial_for(template))
    if (
        request.method == "POST"
        and form.is_valid()
        and _template_save(request, form, template.pk) is not None
    ):
        messages.success(request, _("Shift template %(name)s saved.") % {"name": form.cleaned_data["name"]})
        return redirect("wfm:templates")
    history = plan_history(object_type="shift_template", object_id=template.pk)
    return render(
        request, "agents/wfm_template_edit.html", {"template": template, "form": form, "history": history}
    )


# --- the week schedule -------------------------------------------------------------------------------
def _agents_for(team: Team | None) -> list[Any]:
    agents = agent_users()
    if team is not None:
        agents = agents.filter(teams=team)
    return list(agents)


@page_permission_required(PLAN)
@require_GET
def schedule(request: HttpRequest) -> HttpResponse:
    form = WeekForm(request.GET or None)
    chosen = form.cleaned_data if form.is_valid() else {}
    monday = week_start(chosen.get("week") or _today())
    team = chosen.get("team")
    grid = week_grid(monday=monday, agents=_agents_for(team))
    context = {
        "form": form,
        "grid": grid,
        "templates": list(shift_templates(active_only=True)),
        "team": team,
        "previous": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "today": _today(),
    }
    return render(request, "agents/wfm_schedule.html", context)


def _cell(request: HttpRequest, agent: Any, day: date, **extra: Any) -> HttpResponse:
    context = {
        "agent": agent,
        "cell": grid_cell(agent=agent, day=day),
        "templates": list(shift_templates(active_only=True)),
        "today": _today(),
        **extra,
    }
    return render(request, "agents/_wfm_cell.html", context)


@page_permission_required(PLAN)
@require_POST
def schedule_assign(request: HttpRequest) -> HttpResponse:
    """htmx: schedule a template in one cell; answers with the cell (conflicts shown in it)."""
    agent_id = request.POST.get("agent", "")
    if not agent_id.isdigit():
        raise Http404(_("Choose an agent."))
    agent = get_object_or_404(User, pk=int(agent_id))
    day = parse_day(request.POST.get("day"), _today())
    template_id = request.POST.get("template", "")
    error, conflict = "", None
    if not template_id.isdigit():
        error = _("Choose a shift template.")
    else:
        try:
            shift_assign(
                actor=request.user,
                agent_id=agent.pk,
                day=day,
                template_id=int(template_id),
                force=request.POST.get("force") == "1",
            )
        except ShiftConflict as clash:
            conflict = clash
        except ApplicationError as failure:
            error = failure.message
    return _cell(request, agent, day, error=error, conflict=conflict, chosen_template=template_id)


@page_permission_required(PLAN)
@require_POST
def schedule_remove(request: HttpRequest, shift_id: int) -> HttpResponse:
    from agents.models import ScheduledShift

    shift = get_object_or_404(ScheduledShift.objects.select_related("agent"), pk=shift_id)
    agent, day = shift.agent, shift.day
    try:
        shift_remove(actor=request.user, shift_id=shift_id)
    except ApplicationError as failure:
        return _cell(request, agent, day, error=failure.message)
    return _cell(request, agent, day)


# --- time off ----------------------------------------------------------------------------------------
@page_permission_required(APPROVE)
def time_off(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        decision = request.POST.get("decision")
        request_id = request.POST.get("request", "")
        if decision not in ("approve", "reject") or not request_id.isdigit():
            messages.error(request, _("Choose approve or reject."))
        else:
            try:
                decided, removed = time_off_services.time_off_decide(
                    actor=request.user,
                    request_id=int(request_id),
                    approve=decision == "approve",
                    note=request.POST.get("note", ""),
                )
            except ApplicationError as failure:
                messages.error(request, failure.message)
            else:
                who = decided.agent.get_full_name() or decided.agent.get_username()
                text = (
                    _("Approved for %(who)s; %(n)d shift(s) taken off the schedule.")
                    if decided.status == TimeOffStatus.APPROVED
                    else _("Rejected for %(who)s.")
                )
                messages.success(request, text % {"who": who, "n": removed})
        return redirect("wfm:time_off")
    led = set(Team.objects.filter(supervisor=request.user).values_list("pk", flat=True))
    pending = list(time_off_services.time_off_pending())
    for item in pending:
        item.in_my_team = bool(led & {team.pk for team in item.agent.teams.all()})
    context = {
        "pending": pending,
        "recent": list(time_off_services.time_off_recent_decisions()),
        "leads": bool(led),
    }
    return render(request, "agents/wfm_time_off.html", context)


# --- forecast and staffing ---------------------------------------------------------------------------
@page_permission_required(PLAN)
@require_GET
def staffing(request: HttpRequest) -> HttpResponse:
    # Every field shows what the plan used, also the ones not in the address.
    data = {
        "day": (_today() + timedelta(days=1)).isoformat(),
        "interval": "30",
        "shrinkage": "15",
        "model": "auto",
        **request.GET.dict(),
    }
    form = StaffingForm(data)
    values = form.values(_today())
    plan, problem = None, ""
    try:
        plan = staffing_plan(today=_today(), **values)
    except ValueError as failure:
        problem = str(failure)
    context = {
        "form": form,
        "plan": plan,
        "problem": problem,
        "chart": staffing_chart(plan) if plan else None,
        "values": values,
    }
    return render(request, "agents/wfm_staffing.html", context)


# --- schedule generation -----------------------------------------------------------------------------
@page_permission_required(PLAN)
def generate(request: HttpRequest) -> HttpResponse:
    today = _today()
    initial = {
        "week": week_start(today) + timedelta(days=7),
        "shrinkage": 15,
        "templates": list(shift_templates(active_only=True)),
    }
    form = GenerateForm(request.POST or None, initial=initial)
    proposal = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        monday = week_start(data["week"])
        proposal = schedule_proposal(
            monday=monday,
            queue=data["queue"],
            today=today,
            templates=list(data["templates"]),
            shrinkage=data["shrinkage"] / 100,
        )
        if request.POST.get("action") == "apply":
            created, skipped = schedule_proposal_apply(actor=request.user, proposal=proposal)
            messages.success(request, _("%(n)d shift(s) scheduled.") % {"n": created})
            for text in skipped[:5]:
                messages.warning(request, text)
            return redirect(f"{reverse('wfm:schedule')}?week={monday.isoformat()}")
    names = (
        {user.pk: user for user in User.objects.filter(pk__in={a["agent_id"] for a in proposal.assignments})}
        if proposal
        else {}
    )
    template_names = dict(ShiftTemplate.objects.values_list("pk", "name"))
    by_day: list[dict[str, Any]] = []
    if proposal:
        for day in week_days(proposal.monday):
            rows = [a for a in proposal.assignments if a["day"] == day]
            by_day.append(
                {
                    "day": day,
                    "rows": [
                        {
                            **a,
                            "agent": names[a["agent_id"]],
                            "template": template_names.get(a["template_id"], ""),
                        }
                        for a in rows
                    ],
                }
            )
    return render(request, "agents/wfm_generate.html", {"form": form, "proposal": proposal, "by_day": by_day})


# --- adherence ---------------------------------------------------------------------------------------
@page_permission_required(ADHERENCE)
@require_GET
def adherence(request: HttpRequest) -> HttpResponse:
    day = parse_day(request.GET.get("day"), _today())
    rows = adherence_day(day=day, now=timezone.now())
    scheduled = sum(row.scheduled_minutes for row in rows)
    overall = 100 * sum(row.adherent_minutes for row in rows) / scheduled if scheduled else None
    context = {
        "day": day,
        "rows": rows,
        "overall": overall,
        "previous": day - timedelta(days=1),
        "next": day + timedelta(days=1),
    }
    return render(request, "agents/wfm_adherence.html", context)


@page_permission_required(ADHERENCE)
@require_GET
def adherence_live(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = out_of_adherence_now(now=now)
    return render(
        request, "agents/_wfm_out_of_adherence.html", {"rows": rows, "now": now, "grace": GRACE_MINUTES}
    )


# --- my schedule (agents) ----------------------------------------------------------------------------
@page_permission_required(DESK)
def my_schedule(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("agents.add_timeoffrequest"):
        raise PermissionDenied
    form = TimeOffForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("cancel", "").isdigit():
            try:
                time_off_services.time_off_cancel(agent=request.user, request_id=int(request.POST["cancel"]))
            except ApplicationError as failure:
                messages.error(request, failure.message)
            else:
                messages.success(request, _("Request withdrawn."))
            return redirect("wfm:my_schedule")
        if form.is_valid():
            data = form.cleaned_data
            try:
                time_off_services.time_off_request(
                    agent=request.user,
                    kind=data["kind"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    note=data["note"],
                )
            except ApplicationError as failure:
                show_service_errors(form, failure)
            else:
                messages.success(request, _("Time off requested; your supervisor will answer."))
                return redirect("wfm:my_schedule")
    now = timezone.now()
    context = {
        "shifts": list(upcoming_shifts(agent=request.user, since=now)),
        "requests": list(time_off_services.time_off_for_agent(agent=request.user)[:20]),
        "form": form,
        "now": now,
    }
    return render(request, "agents/wfm_my_schedule.html", context)


app_name = "wfm"
urlpatterns = [
    path("", home, name="home"),
    path("templates/", templates, name="templates"),
    path("templates/<int:template_id>/", template_edit, name="template_edit"),
    path("schedule/", schedule, name="schedule"),
    path("schedule/assign", schedule_assign, name="schedule_assign"),
    path("schedule/shifts/<int:shift_id>/remove", schedule_remove, name="schedule_remove"),
    path("time-off/", time_off, name="time_off"),
    path("staffing/", staffing, name="staffing"),
    path("generate/", generate, name="generate"),
    path("adherence/", adherence, name="adherence"),
    path("adherence/live", adherence_live, name="adherence_live"),
    path("my/", my_schedule, name="my_schedule"),
]
