"""The simulated ACD walks a flow graph (and the published flow from the database), routes by skill
level and queue priority, and overflows calls after a queue's maximum wait."""

from __future__ import annotations

import copy
import itertools
from collections import defaultdict
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from agents.skills import agent_skills_set, skill_save
from telephony.ivr import services as ivr_services
from telephony.ivr.graph import edges
from telephony.models import Call
from telephony.routing import queue_update
from telephony.simulator import AgentSpec, QueueSpec, SimConfig, config_simple, simulate
from tests.telephony.factories import QueueFactory
from tests.telephony.ivr_samples import FULL, TWO_LEVEL

MONDAY_MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam: open
SUNDAY = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
CHRISTMAS = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)
QUIET = {
    "ring_s": 0,
    "hold_probability": 0,
    "transfer_probability": 0,
    "breaks_per_hour": 0,
    "recordings": False,
    "survey_probability": 0,
}


def by_call(events):
    calls = defaultdict(list)
    for event in events:
        if event["call_id"]:
            calls[event["call_id"]].append(event)
    return calls


def run(graph=FULL, start=MONDAY_MORNING, **options):
    settings = {
        "queues": ["sales", "support"],
        "calls_per_hour": 60,
        "agents": 4,
        "start": start,
        "duration_s": 1800,
        "seed": 7,
        "ivr_graph": graph,
        **QUIET,
    }
    settings.update(options)
    return list(simulate(config_simple(**settings)))


def ivr_steps(call_events):
    return [e["data"] for e in call_events if e["type"] == "call.ivr"]


def test_calls_follow_the_edges_of_the_flow():
    calls = by_call(run())
    assert calls
    for call_events in calls.values():
        steps = ivr_steps(call_events)
        assert steps[0]["node"] == "hours" and steps[0]["branch"] == "open"
        for here, there in itertools.pairwise(steps):
            node = FULL["nodes"][here["node"]]
            targets = dict(edges(node))
            nxt = node["options"][here["digits"]] if here.get("digits") else targets.get("open")
            assert there["node"] == nxt


def test_callers_press_the_keys_to_the_queue_they_called_for():
    for call_events in by_call(run()).values():
        steps = [(s["node"], s["digits"]) for s in ivr_steps(call_events)[1:]]
        queued = next(e["queue"] for e in call_events if e["type"] == "call.queued")
        expected = [("main", "1")] if queued == "sales" else [("main", "2"), ("support-menu", "1")]
        assert steps == expected


def test_closed_center_sends_calls_to_the_message_and_voicemail():
    calls = by_call(run(start=SUNDAY))
    assert calls
    for call_events in calls.values():
        kinds = [e["type"] for e in call_events]
        assert "call.queued" not in kinds
        steps = ivr_steps(call_events)
        assert [s["node"] for s in steps] == ["hours", "closed", "voicemail"]
        assert steps[0]["branch"] == "closed" and steps[-1]["action"] == "voicemail"
        assert kinds[-1] == "call.ended" and call_events[-1]["data"] == {"by": "caller"}


def test_holiday_branch_plays_its_message_and_hangs_up():
    for call_events in by_call(run(start=CHRISTMAS)).values():
        assert [s["node"] for s in ivr_steps(call_events)] == ["hours", "holiday", "bye"]
        assert call_events[-1]["data"] == {"by": "ivr"}


def test_wrong_keys_and_silence_use_retries_then_the_fallback():
    events = run(ivr_invalid_probability=0.3, ivr_timeout_probability=0.3, duration_s=3600)
    results = defaultdict(int)
    for call_events in by_call(events).values():
        steps = ivr_steps(call_events)
        for step in steps:
            results[step.get("result", "pressed")] += 1
        # Main menu: after 1 + 2 retries, wrong keys and silence both fall back to the sales queue.
        main = [s for s in steps if s["node"] == "main"]
        failed = [s for s in main if s.get("result")]
        if len(failed) == 3:
            assert next(e["queue"] for e in call_events if e["type"] == "call.queued") == "sales"
        # Support menu has no fallback and one retry: two failures there end the call politely.
        support = [s for s in steps if s["node"] == "support-menu"]
        if len(support) == 2 and all(s.get("result") for s in support):
            assert "call.queued" not in [e["type"] for e in call_events]
            assert call_events[-1]["type"] == "call.ended" and call_events[-1]["data"] == {"by": "ivr"}
    assert results["invalid"] > 5 and results["timeout"] > 5
    for call_events in by_call(events).values():
        for event in call_events:
            if event["type"] == "call.ivr" and event["data"].get("result") == "invalid":
                assert event["data"]["digits"] not in FULL["nodes"][event["data"]["node"]]["options"]


def test_same_seed_same_walk():
    assert run(ivr_invalid_probability=0.1) == run(ivr_invalid_probability=0.1)


def test_a_flow_that_cannot_be_walked_is_refused():
    broken = copy.deepcopy(TWO_LEVEL)
    broken["nodes"]["main"]["options"]["3"] = "nowhere"
    with pytest.raises(ValueError, match="cannot be walked"):
        config_simple(
            queues=["sales", "support", "billing"],
            calls_per_hour=1,
            agents=1,
            start=MONDAY_MORNING,
            ivr_graph=broken,
        )


# --- routing ----------------------------------------------------------------------------------------
def test_higher_skill_level_gets_the_call_before_the_longer_idle_agent():
    config = SimConfig(
        queues=(QueueSpec("sales", 30),),
        agents=(
            AgentSpec("novice", frozenset({"sales"}), {"sales": 1}),
            AgentSpec("expert", frozenset({"sales"}), {"sales": 5}),
        ),
        start=MONDAY_MORNING,
        duration_s=600,
        ivr_enabled=False,
        aht_s=20,
        seed=3,
        **QUIET,
    )
    answered = [e["agent"] for e in simulate(config) if e["type"] == "call.answered"]
    # Calls are short and rare: the expert is almost always free, so the novice hardly ever answers.
    assert answered.count("expert") > 3 * answered.count("novice")
    assert answered[0] == "expert"


def test_free_agent_takes_the_higher_priority_queue_first():
    config = SimConfig(
        queues=(QueueSpec("low", 120, priority=1), QueueSpec("high", 120, priority=9)),
        agents=(AgentSpec("a1", frozenset({"low", "high"})),),
        start=MONDAY_MORNING,
        duration_s=1800,
        ivr_enabled=False,
        patience_s=0,
        seed=5,
        **QUIET,
    )
    events = list(simulate(config))
    waiting: dict[str, list] = {"low": [], "high": []}
    checked = 0
    for event in events:
        if event["type"] == "call.queued":
            waiting[event["queue"]].append(event["call_id"])
        elif event["type"] == "call.ringing":
            queue = event["queue"]
            waiting[queue].remove(event["call_id"])
            if queue == "low":
                assert not waiting["high"], "a low-priority call was taken while a high one waited"
                checked += 1
    assert checked > 0


def test_call_overflows_after_the_maximum_wait():
    config = SimConfig(
        queues=(QueueSpec("sales", 60, max_wait_s=30, overflow="backup"), QueueSpec("backup", 0)),
        agents=(AgentSpec("b1", frozenset({"backup"})),),  # nobody takes sales directly
        start=MONDAY_MORNING,
        duration_s=900,
        ivr_enabled=False,
        patience_s=0,
        seed=2,
        **QUIET,
    )
    calls = by_call(simulate(config))
    assert calls
    for call_events in calls.values():
        kinds = [(e["type"], e["queue"]) for e in call_events]
        assert kinds[:4] == [
            ("call.offered", ""),
            ("call.queued", "sales"),
            ("call.timeout", "sales"),
            ("call.queued", "backup"),
        ]
        timeout = next(e for e in call_events if e["type"] == "call.timeout")
        assert timeout["data"] == {"wait_s": 30.0, "reason": "max_wait"}
        assert ("call.answered", "backup") in kinds


def test_maximum_wait_without_overflow_ends_the_call():
    config = SimConfig(
        queues=(QueueSpec("sales", 60, max_wait_s=20), QueueSpec("other", 60)),
        agents=(AgentSpec("o1", frozenset({"other"})),),
        start=MONDAY_MORNING,
        duration_s=600,
        ivr_enabled=False,
        patience_s=0,
        seed=2,
        **QUIET,
    )
    for call_events in by_call(simulate(config)).values():
        if call_events[1]["queue"] == "sales":
            assert [e["type"] for e in call_events] == [
                "call.offered",
                "call.queued",
                "call.timeout",
                "call.ended",
            ]


# --- the command with the database ------------------------------------------------------------------
ARGS = ["--direct", "--no-recordings", "--duration", "1200", "--seed", "4", "--start", "2026-11-23T08:00:00Z"]


@pytest.fixture
def published(admin):
    for name in ("sales", "support", "billing"):
        QueueFactory(name=name)
    flow = ivr_services.ivr_flow_create(actor=admin, name="main")
    draft = ivr_services.ivr_draft_open(actor=admin, flow_id=flow.pk)
    draft, _ = ivr_services.ivr_draft_save(
        actor=admin, flow_id=flow.pk, graph=TWO_LEVEL, revision=draft.revision
    )
    return ivr_services.ivr_publish(actor=admin, flow_id=flow.pk, revision=draft.revision)


def test_command_walks_the_published_flow_and_its_queues(published, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = StringIO()
    call_command("simulate_acd", *ARGS, "--ivr-mistakes", "0", stdout=out, stderr=StringIO())
    assert "IVR: flow 'main' version 1 (published)." in out.getvalue()
    calls = list(Call.objects.exclude(queue=None))
    assert calls
    for call in calls:
        path = [(step["node"], step["digits"]) for step in call.ivr_path]
        first_queue = call.visits.order_by("seq").first().queue.name
        expected = {
            "sales": [("main", "1")],
            "billing": [("main", "2"), ("support-menu", "1")],
            "support": [("main", "2"), ("support-menu", "2")],
        }[first_queue]
        assert path == expected
    # billing is reached only through the IVR (not in --queues), yet it is simulated and served.
    assert Call.objects.filter(visits__queue__name="billing", outcome="answered").exists()


def test_command_routes_by_the_skills_in_the_database(published, admin, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from telephony.models import Queue
    from tests.callcenter.factories import UserFactory

    agent1 = UserFactory(username="agent1", roles=["agent"])
    selling = skill_save(actor=admin, name="selling", queue_ids=[Queue.objects.get(name="sales").pk])
    agent_skills_set(actor=admin, user_id=agent1.pk, levels={selling.pk: 5})
    call_command("simulate_acd", *ARGS, stdout=StringIO(), stderr=StringIO())
    taken = set(Call.objects.filter(agent_code="agent1").values_list("visits__queue__name", flat=True))
    assert taken == {"sales"}


def test_command_overflows_by_the_queue_settings(published, admin, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from telephony.models import Queue

    queue_update(
        actor=admin,
        queue_id=Queue.objects.get(name="billing").pk,
        max_wait_s=5,
        overflow_queue=Queue.objects.get(name="support"),
    )
    call_command(
        "simulate_acd", *ARGS, "--agents", "1", "--calls-per-hour", "90", stdout=StringIO(), stderr=StringIO()
    )
    assert Call.objects.filter(visits__outcome="timed_out", visits__queue__name="billing").exists()


def test_ignore_db_uses_the_builtin_menu(published, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = StringIO()
    call_command("simulate_acd", *ARGS, "--ignore-db", stdout=out, stderr=StringIO())
    assert "IVR: the built-in two-level menu." in out.getvalue()
    assert {call.ivr_path[0]["node"] for call in Call.objects.all()} == {"main"}
    assert not Call.objects.filter(visits__queue__name="billing").exists()


# --- agreement with Erlang A ------------------------------------------------------------------------
def test_measured_abandons_and_service_level_agree_with_erlang_a():
    """With patience and nothing else (no ring, holds, transfers, breaks or IVR), the simulator is
    the M/M/N+M queue of Erlang A: compare the abandon rate and the share answered within 20 s."""
    from kpi.erlang import erlang_a

    calls_per_hour, aht_s, agents, patience_s, hours, target_s = 160, 180, 8, 60, 240, 20  # 8 Erlangs on 8
    config = config_simple(
        queues=["sales"],
        calls_per_hour=calls_per_hour,
        agents=agents,
        start=MONDAY_MORNING,
        duration_s=hours * 3600,
        aht_s=aht_s,
        patience_s=patience_s,
        ivr_enabled=False,
        seed=4,
        **QUIET,
    )
    queued_at, outcomes = {}, []
    for event in simulate(config):
        if event["type"] == "call.queued":
            queued_at[event["call_id"]] = datetime.fromisoformat(event["ts"])
        elif event["type"] in ("call.answered", "call.abandoned"):
            queued = queued_at.pop(event["call_id"])
            wait = (datetime.fromisoformat(event["ts"]) - queued).total_seconds()
            outcomes.append(
                ((queued - MONDAY_MORNING).total_seconds(), event["type"] == "call.answered", wait)
            )
    # Batch means over 4-hour batches (the first dropped as warm-up), 4 standard errors allowed.
    import math
    import statistics

    batch_s = 2 * 3600
    batches = [[o for o in outcomes if b * batch_s <= o[0] < (b + 1) * batch_s] for b in range(1, hours // 2)]
    abandoned = [sum(not answered for _t, answered, _w in batch) / len(batch) for batch in batches]
    in_time = [sum(answered and w <= target_s for _t, answered, w in batch) / len(batch) for batch in batches]
    expected = erlang_a(calls_per_hour, 3600, aht_s, agents, patience_s, target_s)
    for measured, theory in ((abandoned, expected.p_abandon), (in_time, expected.service_level)):
        mean = statistics.fmean(measured)
        error = statistics.stdev(measured) / math.sqrt(len(measured))
        print(f"measured {mean:.4f} ± {error:.4f} vs Erlang A {theory:.4f}")
        assert 4 * error < 0.025  # tight enough to mean something
        assert abs(mean - theory) <= 4 * error
