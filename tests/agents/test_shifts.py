"""Shift templates, activities, and the conflict checks of scheduling: overlaps, rest time, time off,
weekly hours; and time-off requests with approval."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from agents.models import PlanChange, ScheduledShift, TimeOffRequest
from agents.wfm.shifts import ShiftConflict, shift_activities, shift_assign, shift_template_save, week_grid
from agents.wfm.time_off import time_off_cancel, time_off_decide, time_off_request
from callcenter.errors import ApplicationError, ConflictError, ForbiddenError
from tests.agents.factories import AgentProfileFactory, ShiftTemplateFactory

MONDAY = date(2030, 1, 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def early(db):
    return ShiftTemplateFactory(name="Early", start_time=time(8, 0), length_minutes=510)


@pytest.fixture
def late(db):
    return ShiftTemplateFactory(name="Late", start_time=time(14, 0), length_minutes=510, breaks=[])


@pytest.fixture
def night(db):
    return ShiftTemplateFactory(name="Night", start_time=time(22, 0), length_minutes=480, breaks=[])


def assign(supervisor, agent, day, template, **kwargs):
    return shift_assign(actor=supervisor, agent_id=agent.pk, day=day, template_id=template.pk, **kwargs)


# --- activities and templates ------------------------------------------------------------------------
def test_activities_cut_the_shift_into_work_and_breaks():
    start = at(MONDAY, 8)
    breaks = [
        {"kind": "lunch", "offset_minutes": 240, "minutes": 30},
        {"kind": "break", "offset_minutes": 120, "minutes": 15},
    ]
    activities = shift_activities(start, start + timedelta(minutes=510), breaks)
    assert [(a.kind, a.start.strftime("%H:%M"), a.end.strftime("%H:%M")) for a in activities] == [
        ("work", "08:00", "10:00"),
        ("break", "10:00", "10:15"),
        ("work", "10:15", "12:00"),
        ("lunch", "12:00", "12:30"),
        ("work", "12:30", "16:30"),
    ]
    assert sum(a.minutes for a in activities) == 510


def test_template_breaks_must_fit_and_not_overlap(supervisor):
    with pytest.raises(ApplicationError) as caught:
        shift_template_save(
            actor=supervisor,
            name="Bad",
            start_time=time(9),
            length_minutes=240,
            breaks=[
                {"kind": "break", "offset_minutes": 60, "minutes": 30},
                {"kind": "lunch", "offset_minutes": 75, "minutes": 30},
                {"kind": "break", "offset_minutes": 230, "minutes": 15},
            ],
        )
    assert caught.value.fields["breaks"] == [
        "A break at 230 min for 15 min ends after the shift.",
        "Two breaks overlap.",
    ]


def test_template_length_limits(supervisor):
    with pytest.raises(ApplicationError) as caught:
        shift_template_save(
            actor=supervisor, name="Marathon", start_time=time(6), length_minutes=17 * 60, breaks=[]
        )
    assert "length_minutes" in caught.value.fields


def test_template_changes_are_in_the_history(supervisor, early):
    shift_template_save(
        actor=supervisor,
        template_id=early.pk,
        name="Early",
        start_time=time(7, 30),
        length_minutes=510,
        breaks=early.breaks,
    )
    change = PlanChange.objects.get(object_type="shift_template")
    assert change.changes == {"start_time": ["08:00:00", "07:30:00"]}


def test_shift_takes_the_template_times_in_the_centers_zone(settings, supervisor, agent, early):
    settings.TIME_ZONE = "Europe/Amsterdam"
    shift = assign(supervisor, agent, MONDAY, early)
    assert shift.starts_at == at(MONDAY, 7)  # 08:00 in Amsterdam in winter is 07:00 UTC
    assert shift.ends_at - shift.starts_at == timedelta(minutes=510)
    assert shift.breaks == early.breaks


def test_later_template_edits_never_move_a_scheduled_shift(supervisor, agent, early):
    shift = assign(supervisor, agent, MONDAY, early)
    shift_template_save(
        actor=supervisor,
        template_id=early.pk,
        name="Early",
        start_time=time(6),
        length_minutes=300,
        breaks=[],
    )
    shift.refresh_from_db()
    assert shift.starts_at == at(MONDAY, 8) and len(shift.breaks) == 2


# --- conflicts ---------------------------------------------------------------------------------------
def test_overlapping_shifts_are_refused_even_with_force(supervisor, agent, early, late):
    assign(supervisor, agent, MONDAY, early)
    with pytest.raises(ShiftConflict) as caught:
        assign(supervisor, agent, MONDAY, late, force=True)
    assert caught.value.blocking
    assert [c.code for c in caught.value.conflicts] == ["overlap"]
    assert ScheduledShift.objects.count() == 1


def test_short_rest_is_a_warning_that_force_overrides(supervisor, agent, early, night):
    assign(supervisor, agent, MONDAY, night)  # 22:00 to 06:00
    with pytest.raises(ShiftConflict) as caught:
        assign(supervisor, agent, MONDAY + timedelta(days=1), early)  # 08:00: 2 h of rest
    assert not caught.value.blocking
    assert caught.value.conflicts[0].code == "rest" and "2.0 h of rest" in caught.value.conflicts[0].message
    shift = assign(supervisor, agent, MONDAY + timedelta(days=1), early, force=True)
    assert (
        PlanChange.objects.filter(object_id=shift.pk, object_type="shift").get().note.startswith("Only 2.0 h")
    )


def test_enough_rest_is_no_conflict(supervisor, agent, early):
    assign(supervisor, agent, MONDAY, early)  # ends 16:30, next starts 08:00: 15.5 h
    assign(supervisor, agent, MONDAY + timedelta(days=1), early)
    assert ScheduledShift.objects.count() == 2


def test_approved_time_off_blocks_the_shift(supervisor, agent, early):
    request = time_off_request(
        agent=agent, kind="vacation", starts_at=at(MONDAY, 0), ends_at=at(MONDAY + timedelta(days=1), 0)
    )
    with pytest.raises(ShiftConflict) as caught:
        assign(supervisor, agent, MONDAY, early)
    assert [(c.code, c.blocking) for c in caught.value.conflicts] == [("pending_time_off", False)]
    time_off_decide(actor=supervisor, request_id=request.pk, approve=True)
    with pytest.raises(ShiftConflict) as caught:
        assign(supervisor, agent, MONDAY, early, force=True)
    assert [(c.code, c.blocking) for c in caught.value.conflicts] == [("time_off", True)]


def test_weekly_hours_limit_is_a_warning(supervisor, agent, early):
    AgentProfileFactory(user=agent, code="alice", max_week_minutes=20 * 60)
    for n in range(2):
        assign(supervisor, agent, MONDAY + timedelta(days=n), early)  # 2 x 8 paid hours (lunch unpaid)
    with pytest.raises(ShiftConflict) as caught:
        assign(supervisor, agent, MONDAY + timedelta(days=2), early)
    assert caught.value.conflicts[0].code == "week_hours"
    assert "24.0 paid hours, over the 20.0 h limit" in caught.value.conflicts[0].message
    # The next week starts afresh.
    assign(supervisor, agent, MONDAY + timedelta(days=7), early)


def test_week_grid_places_shifts_and_time_off(
    supervisor, agent, other_agent, early, django_assert_max_num_queries
):
    assign(supervisor, agent, MONDAY, early)
    assign(supervisor, other_agent, MONDAY + timedelta(days=2), early)
    time_off_request(
        agent=agent,
        kind="personal",
        starts_at=at(MONDAY, 0) + timedelta(days=4),
        ends_at=at(MONDAY, 0) + timedelta(days=6),
    )
    with django_assert_max_num_queries(3):
        grid = week_grid(monday=MONDAY, agents=[agent, other_agent])
    alice, bob = grid.rows
    assert [len(cell.shifts) for cell in alice.cells] == [1, 0, 0, 0, 0, 0, 0]
    assert [len(cell.time_off) for cell in alice.cells] == [0, 0, 0, 0, 1, 1, 0]
    assert [len(cell.shifts) for cell in bob.cells] == [0, 0, 1, 0, 0, 0, 0]
    assert alice.minutes == 480  # paid time: the 30-minute lunch is not


# --- time off ----------------------------------------------------------------------------------------
def future(days: int) -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=days)


def test_request_needs_an_end_after_the_start(agent):
    with pytest.raises(ApplicationError) as caught:
        time_off_request(agent=agent, kind="vacation", starts_at=future(3), ends_at=future(2))
    assert "ends_at" in caught.value.fields


def test_overlapping_requests_are_refused(agent):
    time_off_request(agent=agent, kind="vacation", starts_at=future(3), ends_at=future(5))
    with pytest.raises(ApplicationError, match="already asked"):
        time_off_request(agent=agent, kind="personal", starts_at=future(4), ends_at=future(6))


def test_approval_removes_the_overlapping_shifts(supervisor, agent, early):
    day = future(3).date()
    assign(supervisor, agent, day, early, force=True)
    request = time_off_request(agent=agent, kind="sick", starts_at=future(2), ends_at=future(5))
    decided, removed = time_off_decide(actor=supervisor, request_id=request.pk, approve=True, note="Get well")
    assert (decided.status, decided.decided_by, removed) == ("approved", supervisor, 1)
    assert not ScheduledShift.objects.exists()
    assert list(
        PlanChange.objects.filter(object_type="time_off").order_by("id").values_list("action", flat=True)
    ) == [
        "requested",
        "approved",
    ]


def test_a_request_is_decided_once(supervisor, admin, agent):
    request = time_off_request(agent=agent, kind="vacation", starts_at=future(3), ends_at=future(4))
    time_off_decide(actor=supervisor, request_id=request.pk, approve=False)
    with pytest.raises(ConflictError, match="already Rejected"):
        time_off_decide(actor=admin, request_id=request.pk, approve=True)
    assert TimeOffRequest.objects.get().status == "rejected"


def test_agents_cannot_decide_time_off(agent, other_agent):
    request = time_off_request(agent=other_agent, kind="vacation", starts_at=future(3), ends_at=future(4))
    with pytest.raises(ForbiddenError):
        time_off_decide(actor=agent, request_id=request.pk, approve=True)


def test_an_agent_cancels_their_own_pending_request_only(agent, other_agent):
    request = time_off_request(agent=agent, kind="vacation", starts_at=future(3), ends_at=future(4))
    with pytest.raises(ApplicationError):
        time_off_cancel(agent=other_agent, request_id=request.pk)
    assert time_off_cancel(agent=agent, request_id=request.pk).status == "cancelled"
    with pytest.raises(ApplicationError, match="already Cancelled"):
        time_off_cancel(agent=agent, request_id=request.pk)
