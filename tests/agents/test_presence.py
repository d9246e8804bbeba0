"""The presence state machine, as pure functions."""

from datetime import UTC, datetime, timedelta

from agents.presence import PresenceEvent, Segment, presence_replay

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def states(segments):
    return [(s.state, s.reason) for s in segments]


def test_login_break_and_logout():
    segments = presence_replay(
        None,
        [
            PresenceEvent(at(0), "agent.login"),
            PresenceEvent(at(60), "agent.state", data={"state": "break", "reason": "lunch"}),
            PresenceEvent(at(120), "agent.state", data={"state": "available"}),
            PresenceEvent(at(300), "agent.logout"),
        ],
    )
    assert states(segments) == [("available", ""), ("break", "lunch"), ("available", ""), ("logged_out", "")]
    assert [s.ended_at for s in segments] == [at(60), at(120), at(300), None]


def test_repeated_state_is_not_a_new_segment():
    segments = presence_replay(
        None, [PresenceEvent(at(0), "agent.login"), PresenceEvent(at(5), "agent.login")]
    )
    assert len(segments) == 1


def test_caller_hanging_up_while_ringing_frees_the_agent():
    current = Segment("available", at(0))
    segments = presence_replay(
        current,
        [
            PresenceEvent(at(10), "call.ringing", call_id="c1"),
            PresenceEvent(at(14), "call.abandoned", call_id="c1"),
        ],
    )
    assert states(segments)[-2:] == [("ringing", ""), ("available", "")]


def test_unanswered_ring_logged_afterwards_changes_nothing():
    current = Segment("available", at(0))
    segments = presence_replay(
        current, [PresenceEvent(at(10), "call.ringing", call_id="c1", data={"answered": False})]
    )
    assert states(segments) == [("available", "")]


def test_another_calls_end_does_not_touch_the_agent():
    current = Segment("on_call", at(0), call_id="c1")
    segments = presence_replay(current, [PresenceEvent(at(10), "call.ended", call_id="c2")])
    assert states(segments) == [("on_call", "")]


def test_wrap_up_ends_only_for_its_own_call():
    current = Segment("wrap_up", at(0), call_id="c1")
    assert len(presence_replay(current, [PresenceEvent(at(5), "call.wrapup_ended", call_id="c9")])) == 1
    assert states(presence_replay(current, [PresenceEvent(at(5), "call.wrapup_ended", call_id="c1")]))[
        -1
    ] == (
        "available",
        "",
    )
