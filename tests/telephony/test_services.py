"""Ingesting feed batches: storing, duplicates, quarantine, derivation, presence."""

from __future__ import annotations

import random

import pytest

from agents.models import PresenceCursor, PresenceSegment
from telephony.models import Call, CallEvent, QuarantinedEvent, Queue, QueueVisit
from telephony.services import call_events_ingest
from tests.telephony.factories import FeedSourceFactory, answered_call, ev


@pytest.fixture
def source(db):
    return FeedSourceFactory(name="pbx1")


def _call_rows():
    return list(
        Call.objects.order_by("call_id").values(
            "call_id",
            "outcome",
            "wait_s",
            "talk_s",
            "hold_s",
            "acw_s",
            "queue__name",
            "agent_code",
            "transfers",
        )
    )


def test_valid_batch_is_stored_and_derived(source):
    result = call_events_ingest(source=source, raw_events=answered_call("c1"))
    assert result.as_response() == {"accepted": 6, "duplicates": 0, "rejected": []}
    call = Call.objects.get(call_id="c1")
    assert (call.outcome, call.wait_s, call.talk_s, call.acw_s) == ("answered", 12, 88, 30)
    assert call.queue.name == "sales"
    assert QueueVisit.objects.get(call=call).outcome == "answered"


def test_the_same_batch_twice_changes_nothing(source):
    batch = answered_call("c1") + answered_call("c2", start=50)
    call_events_ingest(source=source, raw_events=batch)
    before = _call_rows()
    result = call_events_ingest(source=source, raw_events=batch)
    assert result.as_response() == {"accepted": 0, "duplicates": 12, "rejected": []}
    assert _call_rows() == before
    assert CallEvent.objects.count() == 12


def test_repeated_event_id_inside_a_batch_counts_once(source):
    event = ev("call.queued", 0, "c9", queue="sales", event_id="dup")
    result = call_events_ingest(source=source, raw_events=[event, dict(event)])
    assert (result.accepted, result.duplicates) == (1, 1)


def test_reversed_and_shuffled_arrival_give_the_same_calls(source):
    batch = []
    for n in range(8):
        batch += answered_call(f"c{n}", agent=f"agent{n % 3}", start=n * 40)
    batch += [ev("call.queued", 400, "x1", queue="support"), ev("call.abandoned", 409, "x1")]
    call_events_ingest(source=source, raw_events=batch)
    ordered = _call_rows()
    Call.objects.all().delete()
    CallEvent.objects.all().delete()
    shuffled = batch[::-1]
    random.Random(3).shuffle(shuffled)
    for start in range(0, len(shuffled), 7):  # late events arrive in small later batches
        call_events_ingest(source=source, raw_events=shuffled[start : start + 7])
    assert _call_rows() == ordered


def test_invalid_events_are_quarantined_and_the_rest_applied(source):
    good = answered_call("c1")
    bad_ts = ev("call.queued", 0, "c2", queue="sales")
    bad_ts["ts"] = "tomorrow"
    no_call = ev("call.queued", 0, "c3", queue="sales")
    del no_call["call_id"]
    result = call_events_ingest(source=source, raw_events=[*good[:3], bad_ts, *good[3:], no_call])
    assert result.accepted == 6
    assert [item["index"] for item in result.rejected] == [3, 7]
    assert "not an RFC 3339 time" in result.rejected[0]["error"]
    assert "`call_id` is required" in result.rejected[1]["error"]
    rows = QuarantinedEvent.objects.order_by("index")
    assert [row.index for row in rows] == [3, 7]
    assert '"tomorrow"' in rows[0].raw
    assert Call.objects.filter(call_id="c1").exists()


def test_unknown_queues_are_created_on_first_sight(source):
    call_events_ingest(source=source, raw_events=[ev("call.queued", 0, "c1", queue="vip")])
    assert Queue.objects.filter(name="vip").exists()


def test_presence_follows_the_call(source, agent):
    events = [ev("agent.login", -60, agent="alice"), *answered_call("c1", agent="alice")]
    call_events_ingest(source=source, raw_events=events)
    states = list(
        PresenceSegment.objects.filter(agent_code="alice")
        .order_by("started_at")
        .values_list("state", flat=True)
    )
    assert states == ["available", "ringing", "on_call", "wrap_up", "available"]
    current = PresenceSegment.objects.get(agent_code="alice", ended_at__isnull=True)
    assert current.agent == agent


def test_presence_is_the_same_when_events_arrive_late(source):
    events = [
        ev("agent.login", -60, agent="bob"),
        ev("agent.state", -30, agent="bob", data={"state": "not_ready", "reason": "coaching"}),
        ev("agent.state", -5, agent="bob", data={"state": "available"}),
        *answered_call("c1", agent="bob"),
        ev("agent.logout", 500, agent="bob"),
    ]
    call_events_ingest(source=source, raw_events=events)
    expected = list(
        PresenceSegment.objects.order_by("started_at").values_list(
            "state", "reason", "started_at", "ended_at"
        )
    )
    PresenceSegment.objects.all().delete()
    CallEvent.objects.all().delete()
    for event in reversed(events):
        call_events_ingest(source=source, raw_events=[event])
    got = list(
        PresenceSegment.objects.order_by("started_at").values_list(
            "state", "reason", "started_at", "ended_at"
        )
    )
    assert got == expected
    assert [row[0] for row in got] == [
        "available",
        "not_ready",
        "available",
        "ringing",
        "on_call",
        "wrap_up",
        "available",
        "logged_out",
    ]


def test_a_break_that_arrives_before_the_call_end_still_starts_after_the_wrapup(source):
    # The break at +131 s reaches us while the agent still looks on the call (its end at +100 s and
    # wrap-up end at +130 s come later): it is held as pending, and must not start at +130 s.
    events = [
        ev("agent.login", -60, agent="dana"),
        *answered_call("c1", agent="dana"),
        ev("agent.state", 131, agent="dana", data={"state": "not_ready", "reason": "break"}),
    ]
    call_events_ingest(source=source, raw_events=events)
    expected = list(PresenceSegment.objects.order_by("started_at").values_list("state", "started_at"))
    PresenceSegment.objects.all().delete()
    PresenceCursor.objects.all().delete()
    CallEvent.objects.all().delete()
    ended, wrapup_ended = events[5], events[6]
    call_events_ingest(source=source, raw_events=[e for e in events if e not in (ended, wrapup_ended)])
    call_events_ingest(source=source, raw_events=[ended])
    call_events_ingest(source=source, raw_events=[wrapup_ended])
    got = list(PresenceSegment.objects.order_by("started_at").values_list("state", "started_at"))
    assert got == expected
    assert [state for state, _at in got][-3:] == ["wrap_up", "available", "not_ready"]


def test_call_end_without_agent_name_still_ends_the_agents_call(source):
    events = [
        ev("agent.login", -10, agent="carol"),
        ev("call.queued", 0, "c1", queue="sales"),
        ev("call.answered", 3, "c1", queue="sales", agent="carol"),
        ev("call.ended", 60, "c1"),
    ]
    call_events_ingest(source=source, raw_events=events[:3])
    call_events_ingest(source=source, raw_events=events[3:])
    current = PresenceSegment.objects.get(agent_code="carol", ended_at__isnull=True)
    assert current.state == "wrap_up"


def test_ingest_writes_in_few_queries(source, django_assert_max_num_queries):
    batch = []
    for n in range(100):
        batch += answered_call(f"c{n}", agent=f"agent{n % 10}", start=n * 20)
    with django_assert_max_num_queries(80):
        result = call_events_ingest(source=source, raw_events=batch)
    assert result.accepted == 600


def test_feed_secrets_never_start_with_a_dash():
    from telephony.models import new_feed_secret

    assert not any(new_feed_secret().startswith("-") for _ in range(2000))
