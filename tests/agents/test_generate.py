"""Schedule generation: the greedy covers the need with few agent-hours and respects time off,
weekly limits, one shift a day and rest; the proposal from stored history is applied as shifts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from agents.models import ScheduledShift
from agents.wfm.generate import Candidate, Staff, generate, schedule_proposal, schedule_proposal_apply
from agents.wfm.shifts import shift_assign
from agents.wfm.time_off import time_off_decide, time_off_request
from tests.agents.factories import AgentProfileFactory, ShiftTemplateFactory
from tests.agents.wfm_data import fill
from tests.callcenter.factories import UserFactory
from tests.telephony.factories import QueueFactory

T0 = datetime(2030, 3, 4, 0, 0, tzinfo=UTC)  # Monday; slots of 60 minutes


def candidate(key: int, day: int, start_hour: int, hours: int) -> Candidate:
    start = T0 + timedelta(days=day, hours=start_hour)
    first = day * 24 + start_hour
    return Candidate(
        key=key,
        day=(T0 + timedelta(days=day)).date(),
        template_id=key,
        start=start,
        end=start + timedelta(hours=hours),
        cover=tuple((slot, 1.0) for slot in range(first, first + hours)),
        paid_minutes=hours * 60,
    )


def test_greedy_prefers_the_shift_that_fits_the_need():
    need = [0.0] * 24 * 7
    for slot in range(9, 13):
        need[slot] = 2.0  # two agents from 09:00 to 13:00 on Monday
    long_shift, short_shift = candidate(0, 0, 8, 8), candidate(1, 0, 9, 4)
    staff = [Staff(id=n, limit_minutes=40 * 60) for n in range(5)]
    chosen = generate(need=need, candidates=[long_shift, short_shift], staff=staff, slot_minutes=60)
    assert sorted((agent, c.key) for agent, c in chosen) == [
        (0, 1),
        (1, 1),
    ]  # two 4-hour shifts, 8 agent-hours
    assert max(need) <= 0


def test_no_shift_is_added_for_a_sliver_of_need():
    need = [0.0] * 24 * 7
    need[10] = 0.1
    chosen = generate(need=need, candidates=[candidate(0, 0, 8, 8)], staff=[Staff(1, 2400)], slot_minutes=60)
    assert chosen == []


def test_one_shift_a_day_and_the_weekly_limit():
    need = [0.0] * 24 * 7
    for day in range(7):
        for hour in range(8, 16):
            need[day * 24 + hour] = 1.0
    candidates = [candidate(day, day, 8, 8) for day in range(7)]
    staff = [Staff(id=1, limit_minutes=3 * 8 * 60), Staff(id=2, limit_minutes=3 * 8 * 60)]
    chosen = generate(need=need, candidates=candidates, staff=staff, slot_minutes=60)
    per_agent = {1: [], 2: []}
    for agent, c in chosen:
        per_agent[agent].append(c.day)
    assert len(per_agent[1]) == 3 and len(per_agent[2]) == 3  # 6 of the 7 days, then both are at their limit
    assert all(len(set(days)) == len(days) for days in per_agent.values())


def test_time_off_and_rest_are_respected():
    need = [0.0] * 24 * 7
    for hour in range(22, 30):
        need[hour] = 1.0  # Monday night into Tuesday
    for hour in range(24 + 8, 24 + 16):
        need[hour] = 1.0  # Tuesday day
    night, day = candidate(0, 0, 22, 8), candidate(1, 1, 8, 8)
    away = Staff(id=1, limit_minutes=2400, off=[(T0, T0 + timedelta(days=1, hours=23))])
    tired = Staff(id=2, limit_minutes=2400)
    fresh = Staff(id=3, limit_minutes=2400)
    chosen = {
        c.key: agent
        for agent, c in generate(
            need=need, candidates=[night, day], staff=[away, tired, fresh], slot_minutes=60
        )
    }
    assert 1 not in chosen.values()  # on leave
    assert chosen[0] != chosen[1]  # the night worker does not start again two hours later


# --- from stored history, through the database -------------------------------------------------------
@pytest.fixture
def week(db):
    queue = QueueFactory(name="sales")
    today = date(2030, 3, 4)
    fill(queue=queue, today=today)
    return queue, today


def test_proposal_covers_the_requirement_and_applies_as_shifts(week, supervisor):
    queue, today = week
    # Without breaks, so that the shifts can cover the requirement completely.
    early = ShiftTemplateFactory(name="Early", start_time=time(8, 0), length_minutes=360, breaks=[])
    midday = ShiftTemplateFactory(name="Midday", start_time=time(11, 0), length_minutes=300, breaks=[])
    agents = [UserFactory(username=f"gen{n}", roles=["agent"]) for n in range(12)]
    # min_useful=0: every need is covered, however few of a shift's hours it uses.
    proposal = schedule_proposal(
        monday=today, queue=queue, today=today, templates=[early, midday], slot_minutes=30, min_useful=0
    )
    assert proposal.assignments and proposal.required_agent_hours > 0
    assert proposal.covered_share == pytest.approx(1.0)
    # The default leaves out shifts that would mostly sit idle: fewer agent-hours, most need covered.
    lean = schedule_proposal(
        monday=today, queue=queue, today=today, templates=[early, midday], slot_minutes=30
    )
    assert lean.agent_hours < proposal.agent_hours and lean.covered_share > 0.85
    assert {a["agent_id"] for a in proposal.assignments} <= {a.pk for a in agents}
    assert not any(a["day"].weekday() == 6 for a in proposal.assignments)  # Sunday has no calls
    created, skipped = schedule_proposal_apply(actor=supervisor, proposal=proposal)
    assert (created, skipped) == (len(proposal.assignments), [])
    assert ScheduledShift.objects.filter(generated=True).count() == created
    # Planned again, the week needs nothing more.
    again = schedule_proposal(
        monday=today, queue=queue, today=today, templates=[early, midday], slot_minutes=30
    )
    assert again.assignments == []


def test_proposal_leaves_out_agents_on_leave_and_counts_planned_shifts(week, supervisor):
    queue, today = week
    early = ShiftTemplateFactory(name="Early", start_time=time(8, 0), length_minutes=510)
    away = UserFactory(username="away", roles=["agent"])
    busy = UserFactory(username="busy", roles=["agent"])
    free = UserFactory(username="free", roles=["agent"])
    AgentProfileFactory(user=busy, code="busy", max_week_minutes=510)
    shift_assign(actor=supervisor, agent_id=busy.pk, day=today, template_id=early.pk)
    request = time_off_request(
        agent=away,
        kind="vacation",
        starts_at=T0,
        ends_at=T0 + timedelta(days=7),
    )
    time_off_decide(actor=supervisor, request_id=request.pk, approve=True)
    proposal = schedule_proposal(monday=today, queue=queue, today=today, templates=[early], slot_minutes=30)
    chosen = {a["agent_id"] for a in proposal.assignments}
    assert chosen == {free.pk}
    assert busy.pk not in chosen  # at their weekly limit already
    assert away.pk not in chosen  # on leave all week
