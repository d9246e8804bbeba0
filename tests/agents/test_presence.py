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


def test_pause_during_a_call_starts_after_the_call():
    segments = presence_replay(
        Segment("available", at(0)),
        [
            PresenceEvent(at(10), "call.answered", call_id="c1"),
            PresenceEvent(at(40), "agent.state", data={"state": "not_ready", "reason": "lunch"}),
            PresenceEvent(at(100), "call.ended", call_id="c1"),
            PresenceEvent(at(100), "call.wrapup_ended", call_id="c1"),
        ],
    )
    assert [(s.state, s.reason, s.started_at) for s in segments] == [
        ("available", "", at(0)),
        ("on_call", "", at(10)),
        ("wrap_up", "", at(100)),
        ("not_ready", "lunch", at(100)),
    ]


def test_unpause_during_a_call_cancels_the_pending_pause():
    segments = presence_replay(
        Segment("on_call", at(0), call_id="c1"),
        [
            PresenceEvent(at(5), "agent.state", data={"state": "break"}),
            PresenceEvent(at(9), "agent.state", data={"state": "available"}),
            PresenceEvent(at(20), "call.ended", call_id="c1"),
            PresenceEvent(at(30), "call.wrapup_ended", call_id="c1"),
        ],
    )
    assert states(segments)[-1] == ("available", "")


def test_not_ready_during_wrap_up_applies_at_once():
    segments = presence_replay(
        Segment("wrap_up", at(0), call_id="c1"),
        [PresenceEvent(at(5), "agent.state", data={"state": "not_ready", "reason": "coaching"})],
    )
    assert states(segments)[-1] == ("not_ready", "coaching")


def test_feed_without_after_call_work_frees_the_agent_at_the_end():
    segments = presence_replay(
        Segment("on_call", at(0), call_id="c1", pending_state="not_ready", pending_reason="lunch"),
        [PresenceEvent(at(60), "call.ended", call_id="c1", data={"wrapup": False})],
    )
    assert states(segments) == [("on_call", ""), ("not_ready", "lunch")]
