"""Shift templates and scheduled shifts: their activities (work, breaks, lunch), conflict checks
(overlaps, rest time, time off, weekly hours) and the week grid of the schedule page.

Writes record a PlanChange. A conflict is blocking (an overlap with another shift or approved time
off: never saved) or a warning (too little rest, over the weekly hours, pending time off: saved only
when the planner says so with `force`).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from agents.history import plan_change_record
from agents.models import (
    ActivityKind,
    AgentProfile,
    ScheduledShift,
    ShiftTemplate,
    TimeOffRequest,
    TimeOffStatus,
)
from agents.wfm.clock import day_bounds, local_day, local_moment, week_days, week_start
from callcenter.changes import changes_between
from callcenter.errors import ApplicationError, NotFoundError
from callcenter.formatting import format_datetime

User = get_user_model()
MIN_REST_HOURS = 11  # between two shifts of one agent (the EU working-time rule)
DEFAULT_WEEK_MINUTES = 40 * 60
BREAK_KINDS = (ActivityKind.BREAK.value, ActivityKind.LUNCH.value)


@dataclass(frozen=True)
class Activity:
    kind: str  # work | break | lunch
    start: datetime
    end: datetime

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


def shift_activities(starts_at: datetime, ends_at: datetime, breaks: list[dict[str, Any]]) -> list[Activity]:
    """The shift cut into work and its breaks, in order, covering it exactly."""
    activities: list[Activity] = []
    cursor = starts_at
    for item in sorted(breaks, key=lambda b: b["offset_minutes"]):
        begin = max(cursor, starts_at + timedelta(minutes=item["offset_minutes"]))
        end = min(ends_at, begin + timedelta(minutes=item["minutes"]))
        if begin >= end:
            continue
        if begin > cursor:
            activities.append(Activity(ActivityKind.WORK, cursor, begin))
        activities.append(Activity(item["kind"], begin, end))
        cursor = end
    if cursor < ends_at:
        activities.append(Activity(ActivityKind.WORK, cursor, ends_at))
    return activities


def paid_minutes(length_minutes: float, breaks: list[dict[str, Any]]) -> float:
    """The shift's paid time: short breaks are paid, lunch is not (what weekly hour limits count)."""
    return length_minutes - sum(
        int(item["minutes"]) for item in breaks if item.get("kind") == ActivityKind.LUNCH
    )


def shift_paid_minutes(shift: ScheduledShift) -> float:
    return paid_minutes((shift.ends_at - shift.starts_at).total_seconds() / 60, shift.breaks)


# --- templates ---------------------------------------------------------------------------------------
def template_breaks_check(length_minutes: int, breaks: Any) -> list[str]:
    """Problems with a template's breaks: each inside the shift, no two overlapping."""
    problems = []
    if not isinstance(breaks, list):
        return [_("Breaks must be a list.")]
    spans = []
    for item in breaks:
        if not isinstance(item, dict) or item.get("kind") not in BREAK_KINDS:
            problems.append(_("Each break is a break or a lunch."))
            continue
        offset, minutes = item.get("offset_minutes"), item.get("minutes")
        if not isinstance(offset, int) or not isinstance(minutes, int) or minutes <= 0 or offset < 0:
            problems.append(_("A break needs a start (minutes after the shift starts) and a length."))
            continue
        if offset + minutes > length_minutes:
            problems.append(
                _("A break at %(at)d min for %(n)d min ends after the shift.") % {"at": offset, "n": minutes}
            )
        spans.append((offset, offset + minutes))
    spans.sort()
    for (_a, end), (start, _b) in itertools.pairwise(spans):
        if start < end:
            problems.append(_("Two breaks overlap."))
            break
    return problems


def _template_snapshot(template: ShiftTemplate) -> dict[str, Any]:
    return {
        "name": template.name,
        "start_time": template.start_time,
        "length_minutes": template.length_minutes,
        "breaks": template.breaks,
        "weekdays": template.weekdays,
        "color": template.color,
        "active": template.active,
    }


@transaction.atomic
def shift_template_save(
    *,
    actor: AbstractBaseUser,
    template_id: int | None = None,
    name: str,
    start_time: time,
    length_minutes: int,
    breaks: list[dict[str, Any]],
    weekdays: list[int] | None = None,
    color: str = "#1f5fbf",
    active: bool = True,
) -> ShiftTemplate:
    """Create or change a template; published shifts keep the breaks they were given."""
    errors: dict[str, list[str]] = {}
    if not 15 <= length_minutes <= 16 * 60:
        errors["length_minutes"] = [_("A shift lasts from 15 minutes to 16 hours.")]
    else:
        problems = template_breaks_check(length_minutes, breaks)
        if problems:
            errors["breaks"] = problems
    weekdays = sorted(set(weekdays or []))
    if any(day not in range(7) for day in weekdays):
        errors["weekdays"] = [_("Weekdays are 0 (Monday) to 6 (Sunday).")]
    if ShiftTemplate.objects.filter(name=name).exclude(pk=template_id).exists():
        errors["name"] = [_("Taken.")]
    if errors:
        raise ApplicationError(_("Some fields are not valid."), fields=errors)
    if template_id is None:
        template, before = ShiftTemplate(), {}
    else:
        template = ShiftTemplate.objects.select_for_update().filter(pk=template_id).first()
        if template is None:
            raise NotFoundError(_("There is no such shift template."))
        before = _template_snapshot(template)
    template.name, template.start_time, template.length_minutes = name, start_time, length_minutes
    template.breaks = sorted(breaks, key=lambda b: b["offset_minutes"])
    template.weekdays, template.color, template.active = weekdays, color, active
    template.save()
    changes = changes_between(before, _template_snapshot(template))
    if changes:
        plan_change_record(
            actor=actor,
            object_type="shift_template",
            obj=template,
            action="created" if template_id is None else "updated",
            changes=changes,
        )
    return template


def shift_templates(*, active_only: bool = False) -> QuerySet[ShiftTemplate]:
    templates = ShiftTemplate.objects.order_by("start_time", "name")
    return templates.filter(active=True) if active_only else templates


# --- conflicts ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Conflict:
    code: str  # overlap | time_off | rest | week_hours | pending_time_off
    message: str
    blocking: bool

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "blocking": self.blocking}


class ShiftConflict(ApplicationError):
    """The shift clashes with something; `fields["conflicts"]` says what, and whether `force` helps."""

    code = "shift_conflict"

    def __init__(self, conflicts: list[Conflict]):
        blocking = any(conflict.blocking for conflict in conflicts)
        message = (
            _("This shift cannot be scheduled: %(why)s")
            if blocking
            else _("Check before scheduling: %(why)s Schedule it anyway to confirm.")
        ) % {"why": " ".join(conflict.message for conflict in conflicts)}
        super().__init__(message, fields={"conflicts": [c.as_dict() for c in conflicts]})
        self.conflicts = conflicts
        self.blocking = blocking


def week_limit_minutes(user: AbstractBaseUser) -> int:
    limit = AgentProfile.objects.filter(user=user).values_list("max_week_minutes", flat=True).first()
    return limit or DEFAULT_WEEK_MINUTES


def shift_conflicts(
    *,
    agent: AbstractBaseUser,
    starts_at: datetime,
    ends_at: datetime,
    breaks: list[dict[str, Any]] | None = None,
    exclude_id: int | None = None,
) -> list[Conflict]:
    """What a shift from `starts_at` to `ends_at` (with `breaks`) would clash with for `agent`."""
    conflicts: list[Conflict] = []
    rest = timedelta(hours=MIN_REST_HOURS)
    nearby = list(
        ScheduledShift.objects.filter(agent=agent, starts_at__lt=ends_at + rest, ends_at__gt=starts_at - rest)
        .exclude(pk=exclude_id)
        .order_by("starts_at")
    )
    for other in nearby:
        when = f"{format_datetime(other.starts_at)}–{format_datetime(other.ends_at)[-5:]}"
        if other.starts_at < ends_at and other.ends_at > starts_at:
            conflicts.append(Conflict("overlap", _("It overlaps the shift %(when)s.") % {"when": when}, True))
        else:
            gap = (starts_at - other.ends_at) if other.ends_at <= starts_at else (other.starts_at - ends_at)
            conflicts.append(
                Conflict(
                    "rest",
                    _("Only %(hours).1f h of rest next to the shift %(when)s (at least %(min)d h).")
                    % {"hours": gap.total_seconds() / 3600, "when": when, "min": MIN_REST_HOURS},
                    False,
                )
            )
    for request in TimeOffRequest.objects.filter(
        agent=agent,
        status__in=[TimeOffStatus.APPROVED, TimeOffStatus.PENDING],
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ):
        approved = request.status == TimeOffStatus.APPROVED
        conflicts.append(
            Conflict(
                "time_off" if approved else "pending_time_off",
                (
                    _("It falls in approved time off (%(kind)s).")
                    if approved
                    else _("Time off is asked for then (%(kind)s).")
                )
                % {"kind": request.get_kind_display()},
                approved,
            )
        )
    monday = week_start(local_day(starts_at))
    begin, _end = day_bounds(monday)
    end = day_bounds(monday + timedelta(days=6))[1]
    planned = sum(
        shift_paid_minutes(shift)
        for shift in ScheduledShift.objects.filter(
            agent=agent, starts_at__gte=begin, starts_at__lt=end
        ).exclude(pk=exclude_id)
    )
    limit = week_limit_minutes(agent)
    total = planned + paid_minutes((ends_at - starts_at).total_seconds() / 60, breaks or [])
    if total > limit:
        conflicts.append(
            Conflict(
                "week_hours",
                _("The week would have %(have).1f paid hours, over the %(max).1f h limit.")
                % {"have": total / 60, "max": limit / 60},
                False,
            )
        )
    return conflicts


# --- scheduled shifts --------------------------------------------------------------------------------
def shift_times(template: ShiftTemplate, day: date) -> tuple[datetime, datetime]:
    starts_at = local_moment(day, template.start_time)
    return starts_at, starts_at + timedelta(minutes=template.length_minutes)


def _shift_label(shift: ScheduledShift) -> dict[str, Any]:
    return {"agent": shift.agent.get_username(), "starts_at": shift.starts_at, "ends_at": shift.ends_at}


@transaction.atomic
def shift_assign(
    *,
    actor: AbstractBaseUser | None,
    agent_id: int,
    day: date,
    template_id: int,
    force: bool = False,
    generated: bool = False,
) -> ScheduledShift:
    """Schedule `agent_id` on `day` with a template's times and breaks.

    Raises ShiftConflict: always for a blocking conflict; for warnings unless `force`.
    """
    agent = (
        User.objects.select_for_update().filter(pk=agent_id, is_active=True).first()
    )  # one planner at a time
    if agent is None:
        raise NotFoundError(_("There is no such active agent."))
    template = ShiftTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise NotFoundError(_("There is no such shift template."))
    starts_at, ends_at = shift_times(template, day)
    conflicts = shift_conflicts(agent=agent, starts_at=starts_at, ends_at=ends_at, breaks=template.breaks)
    if any(c.blocking for c in conflicts) or (conflicts and not force):
        raise ShiftConflict(conflicts)
    shift = ScheduledShift.objects.create(
        agent=agent,
        day=day,
        template=template,
        starts_at=starts_at,
        ends_at=ends_at,
        breaks=template.breaks,
        generated=generated,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    plan_change_record(
        actor=actor,
        object_type="shift",
        obj=shift,
        action="generated" if generated else "scheduled",
        changes=changes_between({}, {**_shift_label(shift), "template": template.name}),
        note="; ".join(c.message for c in conflicts) if conflicts else "",
    )
    return shift


@transaction.atomic
def shift_remove(*, actor: AbstractBaseUser, shift_id: int) -> ScheduledShift:
    shift = ScheduledShift.objects.select_related("agent").filter(pk=shift_id).first()
    if shift is None:
        raise NotFoundError(_("This shift is no longer scheduled."))
    plan_change_record(
        actor=actor,
        object_type="shift",
        obj=shift,
        action="removed",
        changes=changes_between(_shift_label(shift), {}),
    )
    shift.delete()
    return shift


def shifts_between(
    *, start: datetime, end: datetime, agent_ids: list[int] | None = None
) -> QuerySet[ScheduledShift]:
    """Shifts overlapping [start, end), with agent and template."""
    shifts = ScheduledShift.objects.filter(starts_at__lt=end, ends_at__gt=start).select_related(
        "agent", "template"
    )
    if agent_ids is not None:
        shifts = shifts.filter(agent_id__in=agent_ids)
    return shifts.order_by("starts_at")


@dataclass
class GridCell:
    day: date
    shifts: list[ScheduledShift] = field(default_factory=list)
    time_off: list[TimeOffRequest] = field(default_factory=list)


@dataclass
class GridRow:
    agent: Any
    cells: list[GridCell]
    minutes: float = 0.0
    limit: int = DEFAULT_WEEK_MINUTES

    @property
    def over(self) -> bool:
        return self.minutes > self.limit


@dataclass
class WeekGrid:
    monday: date
    days: list[date]
    rows: list[GridRow]


def week_grid(*, monday: date, agents: list[Any]) -> WeekGrid:
    """The schedule of `agents` for the week starting `monday`: shifts and time off per local day
    (three queries whatever the number of agents)."""
    days = week_days(monday)
    start, end = day_bounds(days[0])[0], day_bounds(days[-1])[1]
    ids = [agent.pk for agent in agents]
    by_cell: dict[tuple[int, date], GridCell] = {}
    rows = []
    limits = dict(AgentProfile.objects.filter(user_id__in=ids).values_list("user_id", "max_week_minutes"))
    for agent in agents:
        cells = [GridCell(day) for day in days]
        for cell in cells:
            by_cell[(agent.pk, cell.day)] = cell
        rows.append(GridRow(agent, cells, limit=limits.get(agent.pk) or DEFAULT_WEEK_MINUTES))
    row_of = {row.agent.pk: row for row in rows}
    for shift in ScheduledShift.objects.filter(
        agent_id__in=ids, day__gte=days[0], day__lte=days[-1]
    ).select_related("template"):
        by_cell[(shift.agent_id, shift.day)].shifts.append(shift)
        row_of[shift.agent_id].minutes += shift_paid_minutes(shift)
    requests = TimeOffRequest.objects.filter(
        agent_id__in=ids,
        status__in=[TimeOffStatus.APPROVED, TimeOffStatus.PENDING],
        starts_at__lt=end,
        ends_at__gt=start,
    )
    for request in requests:
        for day in days:
            day_from, day_to = day_bounds(day)
            if request.starts_at < day_to and request.ends_at > day_from:
                by_cell[(request.agent_id, day)].time_off.append(request)
    return WeekGrid(monday, days, rows)


def grid_cell(*, agent: Any, day: date) -> GridCell:
    """One cell of the grid (after an htmx change)."""
    start, end = day_bounds(day)
    return GridCell(
        day,
        list(ScheduledShift.objects.filter(agent=agent, day=day).select_related("template")),
        list(
            TimeOffRequest.objects.filter(
                agent=agent,
                status__in=[TimeOffStatus.APPROVED, TimeOffStatus.PENDING],
                starts_at__lt=end,
                ends_at__gt=start,
            )
        ),
    )


def shifts_by_agent_day(*, day: date) -> dict[int, list[ScheduledShift]]:
    out: dict[int, list[ScheduledShift]] = defaultdict(list)
    for shift in ScheduledShift.objects.filter(day=day).select_related("agent").order_by("starts_at"):
        out[shift.agent_id].append(shift)
    return out


def upcoming_shifts(*, agent: AbstractBaseUser, since: datetime, days: int = 14) -> QuerySet[ScheduledShift]:
    return (
        ScheduledShift.objects.filter(
            agent=agent, ends_at__gt=since, starts_at__lt=since + timedelta(days=days)
        )
        .select_related("template")
        .order_by("starts_at")
    )
