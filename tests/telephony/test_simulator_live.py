"""Live agents in the simulated ACD: people on the desktop are rung and the engine waits for them."""

from __future__ import annotations

from datetime import UTC, datetime

from telephony.simulator import (
    LIVE_RING_TIMEOUT_S,
    LIVE_WRAPUP_LIMIT_S,
    AgentSpec,
    QueueSpec,
    SimConfig,
    simulation,
)

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _engine(*, sim_agents: int = 0, calls_per_hour: float = 3600.0, patience_s: float = 0.0):
    config = SimConfig(
        queues=(QueueSpec("sales", calls_per_hour), QueueSpec("support", 0)),
        agents=tuple(
            AgentSpec(f"agent{n}", frozenset({"sales", "support"})) for n in range(1, sim_agents + 1)
        ),
        start=START,
        duration_s=3600,
        patience_s=patience_s,
        ivr_enabled=False,
        recordings=False,
        breaks_per_hour=0,
        survey_probability=0,
        hold_probability=0,
        transfer_probability=0,
        seed=7,
    )
    engine = simulation(config)
    engine.begin()
    list(engine.flush())
    return engine


def _run_until(engine, predicate, limit_s: float = 3600.0) -> list[dict]:
    """Step the engine until an emitted event satisfies `predicate`; return the events so far."""
    seen: list[dict] = []
    while engine.heap and engine.next_at() <= limit_s:
        engine.step()
        for event in engine.flush():
            seen.append(event)
            if predicate(event):
                return seen
    raise AssertionError(f"no matching event; got {[e['type'] for e in seen][-10:]}")


def _command(engine, action, code="alice", call_id="", **data) -> tuple[str, list[dict]]:
    why = engine.command(action, code, call_id, data)
    return why, list(engine.flush())


def test_login_from_the_desktop_makes_a_new_live_agent():
    engine = _engine()
    why, events = _command(engine, "login", state="available")
    assert why == ""
    assert [(e["type"], e["agent"]) for e in events] == [("agent.login", "alice"), ("agent.state", "alice")]
    assert events[1]["data"] == {"state": "available", "reason": ""}


def test_a_call_rings_the_live_agent_and_waits_for_the_answer():
    engine = _engine()
    _command(engine, "login", state="available")
    events = _run_until(engine, lambda e: e["type"] == "call.ringing")
    ringing = events[-1]
    assert ringing["agent"] == "alice"
    # Nothing more happens on this call until alice acts: the next events are other arrivals only.
    later = _run_until(engine, lambda e: e["type"] == "call.queued" and e["call_id"] != ringing["call_id"])
    assert not [e for e in later if e["call_id"] == ringing["call_id"]]
    why, answered = _command(engine, "answer", call_id=ringing["call_id"])
    assert why == ""
    assert [e["type"] for e in answered] == ["call.answered"]


def test_hold_hangup_and_wrapup_follow_the_agents_commands():
    engine = _engine()
    _command(engine, "login", state="available")
    call_id = _run_until(engine, lambda e: e["type"] == "call.ringing")[-1]["call_id"]
    steps = [
        ("answer", "call.answered"),
        ("hold", "call.hold"),
        ("unhold", "call.unhold"),
        ("hangup", "call.ended"),
    ]
    for action, expected in steps:
        why, events = _command(engine, action, call_id=call_id)
        assert why == "" and events[0]["type"] == expected
    assert events[0]["data"] == {"by": "agent"}
    why, events = _command(engine, "wrapup_end", call_id=call_id)
    assert [e["type"] for e in events][:1] == ["call.wrapup_ended"]


def test_commands_out_of_step_are_refused_with_a_reason():
    engine = _engine()
    _command(engine, "login", state="available")
    call_id = _run_until(engine, lambda e: e["type"] == "call.ringing")[-1]["call_id"]
    assert "does not apply" in _command(engine, "hangup", call_id=call_id)[0]
    assert "no call" in _command(engine, "answer", call_id="someone-elses")[0]
    assert "not logged in" in _command(engine, "answer", code="bob", call_id=call_id)[0]
    _command(engine, "answer", call_id=call_id)
    assert "on a call" in _command(engine, "logout")[0]


def test_an_unanswered_ring_goes_back_to_the_queue_and_pauses_the_agent():
    engine = _engine(sim_agents=1, calls_per_hour=60)
    _command(engine, "login", state="available")
    ring = _run_until(engine, lambda e: e["type"] == "call.ringing" and e["agent"] == "alice")[-1]
    rung_at = engine.now
    events = _run_until(engine, lambda e: e["type"] == "agent.state" and e["agent"] == "alice")
    unanswered = [e for e in events if e["type"] == "call.ringing" and e["call_id"] == ring["call_id"]]
    assert unanswered[0]["data"] == {"answered": False}
    assert engine.now - rung_at == LIVE_RING_TIMEOUT_S
    assert events[-1]["data"] == {"state": "not_ready", "reason": "no_answer"}


def test_a_pause_asked_for_mid_call_starts_after_wrapup():
    engine = _engine()
    _command(engine, "login", state="available")
    call_id = _run_until(engine, lambda e: e["type"] == "call.ringing")[-1]["call_id"]
    _command(engine, "answer", call_id=call_id)
    why, events = _command(engine, "state", state="break")
    assert why == "" and events[0]["data"]["state"] == "break"
    _command(engine, "hangup", call_id=call_id)
    _command(engine, "wrapup_end", call_id=call_id)
    # Paused: the next call is not offered to alice.
    later = _run_until(engine, lambda e: e["type"] == "call.queued", limit_s=engine.now + 600)
    engine.step()
    assert not [e for e in later + list(engine.flush()) if e["type"] == "call.ringing"]


def test_wrapup_never_ended_ends_by_itself():
    engine = _engine(calls_per_hour=1)
    _command(engine, "login", state="available")
    call_id = _run_until(engine, lambda e: e["type"] == "call.ringing", limit_s=36000)[-1]["call_id"]
    _command(engine, "answer", call_id=call_id)
    _command(engine, "hangup", call_id=call_id)
    hung_up_at = engine.now
    events = _run_until(engine, lambda e: e["type"] == "call.wrapup_ended", limit_s=36000)
    assert events[-1]["call_id"] == call_id
    assert engine.now - hung_up_at == LIVE_WRAPUP_LIMIT_S


def test_dial_places_an_outbound_call_that_rings_the_agent_first():
    engine = _engine(calls_per_hour=0.001)
    _command(engine, "login", state="available")
    why, events = _command(engine, "dial", number="+14155550142", call_id="cb1-1")
    assert why == ""
    assert [(e["type"], e["direction"], e["callee"], e["call_id"]) for e in events] == [
        ("call.offered", "outbound", "+14155550142", "cb1-1"),
        ("call.ringing", "outbound", "+14155550142", "cb1-1"),
    ]


def test_a_simulated_agent_taken_over_on_the_desktop_stops_being_simulated():
    engine = _engine(sim_agents=1, calls_per_hour=120)
    why, _events = _command(engine, "login", code="agent1", state="available")
    assert why == ""
    ring = _run_until(engine, lambda e: e["type"] == "call.ringing" and e["agent"] == "agent1")[-1]
    later = _run_until(engine, lambda e: e["type"] == "call.queued" and e["call_id"] != ring["call_id"])
    assert not [e for e in later if e["type"] == "call.answered" and e["call_id"] == ring["call_id"]]


def test_calls_go_only_to_agents_with_the_queues_skill():
    from telephony.simulator import config_simple, simulate

    config = config_simple(
        queues=["sales", "support"],
        calls_per_hour=60,
        agents=2,
        start=START,
        duration_s=3600,
        seed=11,
        skills={"agent1": frozenset({"sales"}), "agent2": frozenset({"support"})},
        recordings=False,
        transfer_probability=0,
    )
    answered = [(e["queue"], e["agent"]) for e in simulate(config) if e["type"] == "call.answered"]
    assert answered and set(answered) == {("sales", "agent1"), ("support", "agent2")}


def test_skills_flag_names_unknown_queues_clearly():
    import pytest
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="unknown queue"):
        call_command("simulate_acd", "--direct", "--skills", "agent1=billing", "--duration", "1")


def test_a_state_change_from_the_desktop_takes_over_a_simulated_agent():
    engine = _engine(sim_agents=1, calls_per_hour=120)
    why, events = _command(engine, "state", code="agent1", state="available")
    assert why == "" and [e["type"] for e in events] == ["agent.state"]
    ring = _run_until(engine, lambda e: e["type"] == "call.ringing" and e["agent"] == "agent1")[-1]
    assert _command(engine, "answer", code="agent1", call_id=ring["call_id"])[0] == ""
