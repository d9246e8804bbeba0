"""Adherence: minutes in the scheduled activity ÷ scheduled minutes, per agent and day, and who is out
of adherence now."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from agents.models import PresenceSegment, ScheduledShift
from agents.wfm.adherence import Span, adherence_day, adherence_seconds, out_of_adherence_now
from agents.wfm.shifts import Activity
from tests.agents.factories import ShiftTemplateFactory

DAY = date(2030, 1, 7)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 1, 7, hour, minute, tzinfo=UTC)


WORK_9_TO_11 = [
    Activity("work", at(9), at(10)),
    Activity("break", at(10), at(10, 15)),
    Activity("work", at(10, 15), at(11)),
]


def test_all_in_adherence():
    presence = [
        Span("available", at(8, 55), at(10)),
        Span("break", at(10), at(10, 15)),
        Span("on_call", at(10, 15), None),
    ]
    assert adherence_seconds(WORK_9_TO_11, presence, now=at(12)) == (120 * 60, 120 * 60)


def test_late_login_and_a_long_break_count_against():
    # Logs in at 09:10 (10 min lost), breaks 10:00-10:25 (10 min of work lost), works to 11:00.
    presence = [
        Span("logged_out", at(8), at(9, 10)),
        Span("available", at(9, 10), at(10)),
        Span("break", at(10), at(10, 25)),
        Span("available", at(10, 25), None),
    ]
    adherent, scheduled = adherence_seconds(WORK_9_TO_11, presence, now=at(12))
    assert (scheduled / 60, adherent / 60) == (120, 100)


def test_working_through_the_break_is_out_of_adherence():
    presence = [Span("on_call", at(9), None)]
    adherent, _scheduled = adherence_seconds(WORK_9_TO_11, presence, now=at(12))
    assert adherent / 60 == 105


def test_not_ready_during_work_is_out_and_no_presence_is_logged_out():
    presence = [Span("available", at(9), at(9, 30)), Span("not_ready", at(9, 30), at(9, 45))]
    # 09:45-11:00 without presence is logged out: only the break (15 min) is in adherence then.
    adherent, _scheduled = adherence_seconds(WORK_9_TO_11, presence, now=at(12))
    assert adherent / 60 == 30 + 15


def test_only_the_time_until_now_counts():
    presence = [Span("available", at(9), None)]
    assert adherence_seconds(WORK_9_TO_11, presence, now=at(9, 30)) == (30 * 60, 30 * 60)


@pytest.fixture
def shift(agent, db):
    template = ShiftTemplateFactory(
        name="Morning",
        start_time=time(9),
        length_minutes=120,
        breaks=[{"kind": "break", "offset_minutes": 60, "minutes": 15}],
    )
    return ScheduledShift.objects.create(
        agent=agent, day=DAY, template=template, starts_at=at(9), ends_at=at(11), breaks=template.breaks
    )


def segment(code, state, start, end, reason=""):
    return PresenceSegment.objects.create(
        agent_code=code, state=state, started_at=start, ended_at=end, reason=reason
    )


def test_adherence_per_agent_and_day(shift, agent, other_agent, django_assert_max_num_queries):
    segment("alice", "available", at(9, 10), at(10))
    segment("alice", "break", at(10), at(10, 15))
    segment("alice", "on_call", at(10, 15), at(11, 5))
    segment("bob", "available", at(9), at(11))  # bob has no shift: not listed
    with django_assert_max_num_queries(3):
        rows = adherence_day(day=DAY, now=at(12))
    assert [(row.agent.username, row.scheduled_minutes, row.adherent_minutes) for row in rows] == [
        ("alice", 120, 110)
    ]
    assert rows[0].percent == pytest.approx(110 / 120 * 100)


def test_nobody_scheduled_gives_no_rows(db):
    assert adherence_day(day=DAY, now=at(12)) == []


def test_out_of_adherence_now_after_the_grace(shift, agent):
    segment("alice", "available", at(9), at(9, 20))
    segment("alice", "not_ready", at(9, 20), None, reason="meeting")
    assert out_of_adherence_now(now=at(9, 23), grace_minutes=5) == []  # 3 minutes: within the grace
    rows = out_of_adherence_now(now=at(9, 40), grace_minutes=5)
    assert [(r.agent.username, r.activity, r.state, r.reason, r.since) for r in rows] == [
        ("alice", "work", "not_ready", "meeting", at(9, 20))
    ]
    assert rows[0].minutes(at(9, 40)) == 20


def test_on_a_call_during_the_break_is_out_of_adherence_from_the_breaks_start(shift, agent):
    segment("alice", "on_call", at(9, 50), None)
    rows = out_of_adherence_now(now=at(10, 10), grace_minutes=5)
    assert [(r.activity, r.since) for r in rows] == [("break", at(10))]


def test_scheduled_but_never_logged_in(shift, agent):
    rows = out_of_adherence_now(now=at(9, 30), grace_minutes=5)
    assert [(r.state, r.since) for r in rows] == [("logged_out", at(9))]


def test_in_adherence_is_not_listed(shift, agent):
    segment("alice", "available", at(8, 58), None)
    assert out_of_adherence_now(now=at(9, 45)) == []
