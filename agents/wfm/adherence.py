"""Schedule adherence (DESIGN §3: minutes in the scheduled activity ÷ scheduled minutes, percent).

Each scheduled minute has an activity (work, break, lunch). An agent is in adherence during work
when their presence is available, ringing, on a call or in wrap-up, and during a break or lunch when
it is anything else (break, not ready, logged out). Time with no presence segment counts as logged
out. Only the scheduled time up to now counts, so today's figure is the adherence so far.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q

from agents.models import ActivityKind, AgentProfile, AgentState, PresenceSegment, ScheduledShift
from agents.wfm.shifts import Activity, shift_activities

WORK_STATES = frozenset({AgentState.AVAILABLE, AgentState.RINGING, AgentState.ON_CALL, AgentState.WRAP_UP})
GRACE_MINUTES = getattr(settings, "WFM_ADHERENCE_GRACE_MINUTES", 5)


def in_adherence(activity_kind: str, state: str) -> bool:
    if activity_kind == ActivityKind.WORK:
        return state in WORK_STATES
    return state not in WORK_STATES


@dataclass(frozen=True)
class Span:
    state: str
    start: datetime
    end: datetime | None  # None: still going


def adherence_seconds(
    activities: list[Activity], presence: list[Span], *, now: datetime
) -> tuple[float, float]:
    """(seconds in adherence, scheduled seconds) over the activities, up to `now`."""
    spans = sorted(presence, key=lambda span: span.start)
    adherent = scheduled = 0.0
    for activity in activities:
        begin, end = activity.start, min(activity.end, now)
        if end <= begin:
            continue
        scheduled += (end - begin).total_seconds()
        cursor = begin
        for span in spans:
            span_end = span.end or now
            if span_end <= cursor or span.start >= end:
                continue
            if span.start > cursor and in_adherence(activity.kind, AgentState.LOGGED_OUT):
                adherent += (span.start - cursor).total_seconds()  # a gap: logged out
            piece_start, piece_end = max(cursor, span.start), min(end, span_end)
            if piece_end > piece_start and in_adherence(activity.kind, span.state):
                adherent += (piece_end - piece_start).total_seconds()
            cursor = max(cursor, piece_end)
            if cursor >= end:
                break
        if cursor < end and in_adherence(activity.kind, AgentState.LOGGED_OUT):
            adherent += (end - cursor).total_seconds()
    return adherent, scheduled


@dataclass
class AgentAdherence:
    agent: Any
    scheduled_minutes: float
    adherent_minutes: float
    shifts: list[ScheduledShift]

    @property
    def percent(self) -> float | None:
        return None if self.scheduled_minutes == 0 else 100 * self.adherent_minutes / self.scheduled_minutes


def _codes(users: list[Any]) -> dict[int, str]:
    profiles = dict(
        AgentProfile.objects.filter(user_id__in=[u.pk for u in users]).values_list("user_id", "code")
    )
    return {user.pk: profiles.get(user.pk) or user.get_username() for user in users}


def _presence(codes: list[str], start: datetime, end: datetime) -> dict[str, list[Span]]:
    rows = PresenceSegment.objects.filter(agent_code__in=codes, started_at__lt=end).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start)
    )
    out: dict[str, list[Span]] = defaultdict(list)
    for state, code, started, ended in rows.values_list("state", "agent_code", "started_at", "ended_at"):
        out[code].append(Span(state, started, ended))
    return out


def adherence_day(*, day: date, now: datetime) -> list[AgentAdherence]:
    """Adherence of every agent scheduled on `day` (their shifts of that local day), by name."""
    shifts = list(ScheduledShift.objects.filter(day=day).select_related("agent").order_by("starts_at"))
    if not shifts:
        return []
    by_agent: dict[int, list[ScheduledShift]] = defaultdict(list)
    for shift in shifts:
        by_agent[shift.agent_id].append(shift)
    users = [agent_shifts[0].agent for agent_shifts in by_agent.values()]
    codes = _codes(users)
    presence = _presence(
        list(codes.values()), min(s.starts_at for s in shifts), max(s.ends_at for s in shifts)
    )
    result = []
    for user in users:
        activities = [
            activity
            for shift in by_agent[user.pk]
            for activity in shift_activities(shift.starts_at, shift.ends_at, shift.breaks)
        ]
        adherent, scheduled = adherence_seconds(activities, presence.get(codes[user.pk], []), now=now)
        result.append(AgentAdherence(user, scheduled / 60, adherent / 60, by_agent[user.pk]))
    return sorted(result, key=lambda row: (row.agent.get_full_name() or row.agent.get_username()).lower())


@dataclass(frozen=True)
class OutOfAdherence:
    agent: Any
    activity: str  # what the schedule says now
    state: str  # what the agent is doing
    reason: str
    since: datetime

    def minutes(self, now: datetime) -> float:
        return (now - self.since).total_seconds() / 60


def out_of_adherence_now(*, now: datetime, grace_minutes: float = GRACE_MINUTES) -> list[OutOfAdherence]:
    """Agents whose presence differs from their scheduled activity now, for longer than the grace,
    longest first (three queries)."""
    shifts = list(
        ScheduledShift.objects.filter(starts_at__lte=now, ends_at__gt=now)
        .select_related("agent")
        .order_by("starts_at")
    )
    if not shifts:
        return []
    users = {shift.agent_id: shift.agent for shift in shifts}
    codes = _codes(list(users.values()))
    current = {
        segment.agent_code: segment
        for segment in PresenceSegment.objects.filter(
            agent_code__in=list(codes.values()), started_at__lte=now
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        .order_by("started_at")
    }
    out = []
    for shift in shifts:
        activity = next(
            (
                a
                for a in shift_activities(shift.starts_at, shift.ends_at, shift.breaks)
                if a.start <= now < a.end
            ),
            None,
        )
        if activity is None:
            continue
        segment = current.get(codes[shift.agent_id])
        state = segment.state if segment else AgentState.LOGGED_OUT
        if in_adherence(activity.kind, state):
            continue
        since = max(activity.start, segment.started_at) if segment else activity.start
        if now - since >= timedelta(minutes=grace_minutes):
            out.append(
                OutOfAdherence(
                    users[shift.agent_id], activity.kind, state, segment.reason if segment else "", since
                )
            )
    return sorted(out, key=lambda row: row.since)
