"""Call summaries from events: pure derivation, independent of arrival order."""

from __future__ import annotations

import random

from telephony.derive import call_derive
from telephony.events import event_validate
from tests.telephony.factories import answered_call, ev


def derive(raws):
    return call_derive([event_validate(raw, source_name="pbx1") for raw in raws])


def test_answered_call_times():
    call = derive(answered_call())
    assert call.outcome == "answered"
    assert call.wait_s == 12
    assert call.talk_s == 88
    assert call.acw_s == 30
    assert call.hold_s == 0
    assert call.agent_code == "alice"
    assert call.caller == "+14155550123"
    assert call.ended_by == "caller"


def test_order_of_arrival_does_not_matter():
    events = [*answered_call(), ev("call.hold", 30, agent="alice"), ev("call.unhold", 45, agent="alice")]
    expected = derive(events)
    shuffled = events[:]
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert derive(shuffled) == expected


def test_hold_is_taken_out_of_talk():
    call = derive([*answered_call(), ev("call.hold", 30), ev("call.unhold", 45)])
    assert call.hold_s == 15
    assert call.talk_s == 73


def test_logged_wait_and_talk_win_over_timestamps():
    events = [
        ev("call.queued", 0, queue="sales"),
        ev("call.answered", 14, queue="sales", agent="alice", data={"wait_s": 13}),
        ev("call.ended", 100, data={"wait_s": 13, "talk_s": 85}),
    ]
    call = derive(events)
    assert call.wait_s == 13
    assert call.talk_s == 85


def test_abandoned_call():
    call = derive([ev("call.queued", 0, queue="sales"), ev("call.abandoned", 7)])
    assert call.outcome == "abandoned"
    assert call.wait_s == 7
    assert call.talk_s is None


def test_hanging_up_in_the_queue_counts_as_abandoned():
    call = derive([ev("call.queued", 0, queue="sales"), ev("call.ended", 9, data={"by": "caller"})])
    assert call.outcome == "abandoned"
    assert call.visits[0].wait_s == 9


def test_overflow_makes_two_visits():
    events = [
        ev("call.queued", 0, queue="sales"),
        ev("call.timeout", 60, queue="sales"),
        ev("call.queued", 60, queue="overflow"),
        ev("call.answered", 70, queue="overflow", agent="bob"),
        ev("call.ended", 130),
    ]
    call = derive(events)
    assert [(v.queue, v.outcome, v.wait_s) for v in call.visits] == [
        ("sales", "timed_out", 60),
        ("overflow", "answered", 10),
    ]
    assert call.outcome == "answered"
    assert call.queue == "overflow"
    assert call.wait_s == 70


def test_transfer_of_an_answered_call_to_another_queue():
    events = [
        ev("call.queued", 0, queue="sales"),
        ev("call.answered", 5, queue="sales", agent="alice"),
        ev("call.transferred", 65, agent="alice", data={"to_queue": "support"}),
        ev("call.queued", 65, queue="support"),
        ev("call.answered", 80, queue="support", agent="bob"),
        ev("call.ended", 200),
    ]
    call = derive(events)
    assert call.transfers == 1
    assert [(v.queue, v.outcome, v.talk_s) for v in call.visits] == [
        ("sales", "answered", 60),
        ("support", "answered", 120),
    ]
    assert call.talk_s == 180
    assert call.agent_code == "bob"


def test_ivr_path_recording_and_survey():
    events = [
        ev("call.offered", 0),
        ev("call.ivr", 1, data={"node": "main", "digits": "1"}),
        ev("call.ivr", 4, data={"node": "billing", "digits": "2"}),
        *answered_call(start=5)[1:],
        ev("recording.ready", 200, data={"path": "recordings/c1.wav", "duration_s": 88}),
        ev("survey.response", 300, data={"csat": 4, "nps": 9}),
    ]
    call = derive(events)
    assert [step["node"] for step in call.ivr_path] == ["main", "billing"]
    assert call.recording_url == "recordings/c1.wav"
    assert (call.csat, call.nps) == (4, 9)


def test_call_still_waiting_has_no_outcome():
    call = derive([ev("call.queued", 0, queue="sales")])
    assert call.outcome == ""
    assert call.visits[0].open


def test_outbound_call_without_queue():
    events = [
        ev("call.offered", 0, direction="outbound", callee="+14155550000"),
        ev("call.answered", 8, agent="alice"),
        ev("call.ended", 68),
    ]
    call = derive(events)
    assert call.direction == "outbound"
    assert call.outcome == "answered"
    assert call.talk_s == 60
    assert call.visits == []


def test_overflow_at_the_same_instant_without_queue_names():
    events = [
        ev("call.queued", 0, queue="sales"),
        ev("call.timeout", 60),
        ev("call.queued", 60, queue="overflow"),
        ev("call.abandoned", 75),
    ]
    call = derive(events)
    assert [(v.queue, v.outcome, v.wait_s) for v in call.visits] == [
        ("sales", "timed_out", 60),
        ("overflow", "abandoned", 15),
    ]
    assert call.outcome == "abandoned"


def test_timeout_with_no_wait_at_all():
    call = derive([ev("call.queued", 5, queue="sales"), ev("call.timeout", 5, queue="sales")])
    assert call.outcome == "timed_out"
    assert call.wait_s == 0


def test_first_agents_wrap_up_on_a_transferred_call_is_kept():
    events = [
        ev("call.queued", 0, queue="sales"),
        ev("call.answered", 5, queue="sales", agent="a1"),
        ev("call.transferred", 60, agent="a1", data={"to_queue": "support"}),
        ev("call.wrapup_ended", 80, agent="a1"),
        ev("call.queued", 61, queue="support"),
        ev("call.answered", 70, queue="support", agent="a2"),
        ev("call.ended", 200),
        ev("call.wrapup_ended", 230, agent="a2"),
    ]
    call = derive(events)
    assert [v.acw_s for v in call.visits] == [20, 30]
    assert call.acw_s == 50
