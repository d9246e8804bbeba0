"""Schedule generation: propose shifts that cover a week's staffing requirement with the fewest
agent-hours, respecting time off, each agent's weekly hours, one shift a day and the rest time.

Greedy set cover ("lazy greedy"): every (day, template) is a candidate shift; its value is the
share of its paid time that covers still-uncovered requirement. The best candidate goes to the
available agent with the fewest hours so far (fairness), the requirement it covers is taken off,
and so on, until the requirement is covered or what is left is not worth a shift (less than
`min_useful` of it would be used). Values only fall as coverage grows, so a candidate's stale value
is an upper bound: it is recomputed only when it reaches the top of the heap.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from agents.models import ActivityKind, ScheduledShift, TimeOffRequest, TimeOffStatus
from agents.wfm.clock import day_bounds, local_day, week_days
from agents.wfm.forecast import interval_history
from agents.wfm.shifts import (
    MIN_REST_HOURS,
    ShiftConflict,
    paid_minutes,
    shift_activities,
    shift_assign,
    shift_paid_minutes,
    shift_times,
    week_limit_minutes,
)
from agents.wfm.staffing import DEFAULT_SHRINKAGE, coverage, eligible_agent_ids, staffing_plan


@dataclass(frozen=True)
class Candidate:
    """A shift that could be worked: on `day`, from a template; `cover` is what it puts on the phones."""

    key: int
    day: date
    template_id: int
    start: datetime
    end: datetime
    cover: tuple[tuple[int, float], ...]  # (week slot, share of the slot on the phones)
    paid_minutes: float  # the shift's length: what "fewest agent-hours" counts
    limit_minutes: float = 0.0  # what weekly limits count (lunch unpaid); 0 = paid_minutes

    @property
    def counted(self) -> float:
        return self.limit_minutes or self.paid_minutes


@dataclass
class Staff:
    id: int
    limit_minutes: int
    minutes: float = 0.0
    days: set[date] = field(default_factory=set)
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)  # shifts, planned and proposed
    off: list[tuple[datetime, datetime]] = field(default_factory=list)  # approved time off

    def can_take(self, candidate: Candidate, rest: timedelta) -> bool:
        if candidate.day in self.days or self.minutes + candidate.counted > self.limit_minutes:
            return False
        if any(start < candidate.end and end > candidate.start for start, end in self.off):
            return False
        return all(candidate.start >= end + rest or candidate.end + rest <= start for start, end in self.busy)

    def take(self, candidate: Candidate) -> None:
        self.days.add(candidate.day)
        self.minutes += candidate.counted
        self.busy.append((candidate.start, candidate.end))


def _value(candidate: Candidate, need: list[float], slot_minutes: int) -> float:
    useful = sum(min(share, need[slot]) for slot, share in candidate.cover if need[slot] > 0)
    return useful * slot_minutes / candidate.paid_minutes


def generate(
    *,
    need: list[float],
    candidates: list[Candidate],
    staff: list[Staff],
    slot_minutes: int,
    rest: timedelta = timedelta(hours=MIN_REST_HOURS),
    min_useful: float = 0.2,
) -> list[tuple[int, Candidate]]:
    """Assign candidates to staff (greedy, see the module); `need` (agents per week slot) is reduced
    in place by what the assignments cover. Returns (staff id, candidate) pairs."""
    heap = [(-_value(c, need, slot_minutes), c.key) for c in candidates]
    heapq.heapify(heap)
    by_key = {c.key: c for c in candidates}
    assigned: list[tuple[int, Candidate]] = []
    while heap:
        _stale, key = heapq.heappop(heap)
        candidate = by_key[key]
        value = _value(candidate, need, slot_minutes)
        if value < min_useful:
            continue  # values never rise again: this one is done
        if heap and value < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-value, key))  # another may be better now
            continue
        person = min(
            (s for s in staff if s.can_take(candidate, rest)), key=lambda s: (s.minutes, s.id), default=None
        )
        if person is None:
            continue  # nobody can work this shift any more
        person.take(candidate)
        assigned.append((person.id, candidate))
        for slot, share in candidate.cover:
            need[slot] -= share
        heapq.heappush(heap, (-value, key))  # the same shift may suit a second agent
    return assigned


@dataclass
class Proposal:
    monday: date
    queue: Any
    slot_minutes: int
    need_before: list[float]  # agents to schedule per week slot, before the proposal (planned shifts counted)
    need_after: list[float]
    assignments: list[dict[str, Any]]  # {"agent_id", "day", "template_id", "start", "end", "paid_minutes"}

    @property
    def agent_hours(self) -> float:
        return sum(item["paid_minutes"] for item in self.assignments) / 60

    @property
    def unmet_agent_hours(self) -> float:
        return sum(max(0.0, value) for value in self.need_after) * self.slot_minutes / 60

    @property
    def required_agent_hours(self) -> float:
        return sum(max(0.0, value) for value in self.need_before) * self.slot_minutes / 60

    @property
    def covered_share(self) -> float | None:
        required = self.required_agent_hours
        return None if required == 0 else 1 - self.unmet_agent_hours / required


def _candidates(
    templates: list[Any], days: list[date], week_start: datetime, slot_minutes: int
) -> list[Candidate]:
    out = []
    span = timedelta(minutes=slot_minutes)
    for day in days:
        for template in templates:
            if template.weekdays and day.weekday() not in template.weekdays:
                continue
            start, end = shift_times(template, day)
            cover: dict[int, float] = {}
            for activity in shift_activities(start, end, template.breaks):
                if activity.kind != ActivityKind.WORK:
                    continue
                moment = activity.start
                while moment < activity.end:
                    slot = int((moment - week_start) / span)
                    slot_end = week_start + (slot + 1) * span
                    piece = min(activity.end, slot_end) - moment
                    cover[slot] = cover.get(slot, 0.0) + piece / span
                    moment = min(activity.end, slot_end)
            weekly = len(days) * (24 * 60 // slot_minutes)
            out.append(
                Candidate(
                    key=len(out),
                    day=day,
                    template_id=template.pk,
                    start=start,
                    end=end,
                    cover=tuple((slot, share) for slot, share in sorted(cover.items()) if 0 <= slot < weekly),
                    paid_minutes=template.length_minutes,
                    limit_minutes=paid_minutes(template.length_minutes, template.breaks),
                )
            )
    return out


def schedule_proposal(
    *,
    monday: date,
    queue: Any,
    today: date,
    templates: list[Any],
    slot_minutes: int = 30,
    shrinkage: float = DEFAULT_SHRINKAGE,
    min_useful: float = 0.2,
) -> Proposal:
    """What to schedule for the week of `monday`: the requirement of each day's staffing plan
    (shifts already planned count), then the greedy assignment. Saves nothing."""
    from django.contrib.auth import get_user_model

    days = week_days(monday)
    week_from, week_to = day_bounds(days[0])[0], day_bounds(days[-1])[1]
    history = interval_history(
        queue_ids=[queue.pk] if queue else None,
        first_day=today - timedelta(days=56),
        last_day=today - timedelta(days=1),
        interval_minutes=slot_minutes,
    )
    need: list[float] = []
    for day in days:
        plan = staffing_plan(
            queue=queue, day=day, today=today, shrinkage=shrinkage, history=history, model="auto"
        )
        need += [float(interval.needed) - interval.scheduled for interval in plan.intervals]
    need_before = [max(0.0, value) for value in need]
    agent_ids = eligible_agent_ids(queue)
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=agent_ids)}
    staff = {pk: Staff(id=pk, limit_minutes=week_limit_minutes(users[pk])) for pk in agent_ids}
    rest = timedelta(hours=MIN_REST_HOURS)
    for shift in ScheduledShift.objects.filter(
        agent_id__in=agent_ids, starts_at__lt=week_to + rest, ends_at__gt=week_from - rest
    ):
        person = staff[shift.agent_id]
        person.busy.append((shift.starts_at, shift.ends_at))
        if week_from <= shift.starts_at < week_to:
            person.days.add(local_day(shift.starts_at))
            person.minutes += shift_paid_minutes(shift)
    for request in TimeOffRequest.objects.filter(
        agent_id__in=agent_ids, status=TimeOffStatus.APPROVED, starts_at__lt=week_to, ends_at__gt=week_from
    ):
        staff[request.agent_id].off.append((request.starts_at, request.ends_at))
    candidates = _candidates(templates, days, week_from, slot_minutes)
    chosen = generate(
        need=need,
        candidates=candidates,
        staff=sorted(staff.values(), key=lambda s: s.id),
        slot_minutes=slot_minutes,
        rest=rest,
        min_useful=min_useful,
    )
    assignments = [
        {
            "agent_id": agent_id,
            "day": candidate.day,
            "template_id": candidate.template_id,
            "start": candidate.start,
            "end": candidate.end,
            "paid_minutes": candidate.paid_minutes,
        }
        for agent_id, candidate in sorted(chosen, key=lambda pair: (pair[1].start, pair[0]))
    ]
    return Proposal(monday, queue, slot_minutes, need_before, [max(0.0, v) for v in need], assignments)


@transaction.atomic
def schedule_proposal_apply(*, actor: AbstractBaseUser, proposal: Proposal) -> tuple[int, list[str]]:
    """Schedule the proposal's shifts (each checked again); returns how many and what was skipped."""
    created, skipped = 0, []
    for item in proposal.assignments:
        try:
            shift_assign(
                actor=actor,
                agent_id=item["agent_id"],
                day=item["day"],
                template_id=item["template_id"],
                generated=True,
            )
        except ShiftConflict as error:
            skipped.append(error.message)
        else:
            created += 1
    return created, skipped


def week_coverage(*, monday: date, agent_ids: list[int], slot_minutes: int) -> list[float]:
    """Agents on the phones per week slot from the shifts scheduled now."""
    days = week_days(monday)
    start, end = day_bounds(days[0])[0], day_bounds(days[-1])[1]
    shifts = list(ScheduledShift.objects.filter(agent_id__in=agent_ids, starts_at__lt=end, ends_at__gt=start))
    return coverage(shifts, start, slot_minutes, len(days) * 24 * 60 // slot_minutes)
