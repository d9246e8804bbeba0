"""IVR validation rules, the time-of-day branch, and the Asterisk dialplan export (golden file)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from telephony.ivr.dialplan import QueueRouting, ivr_dialplan
from telephony.ivr.graph import empty_graph, graph_from_menu, ivr_validate, leads_to, schedule_branch
from tests.telephony.ivr_samples import FULL, TWO_LEVEL, variant

QUEUES = {"sales", "support", "billing"}
GOLDEN = Path(__file__).parent / "golden" / "ivr_full.conf"


def errors(graph, queues=QUEUES):
    return [(issue.node, issue.field, issue.message) for issue in ivr_validate(graph, queues=queues).errors]


def test_complete_flow_is_valid():
    result = ivr_validate(FULL, queues=QUEUES)
    assert result.ok, result.errors
    assert result.warnings == []


def test_two_level_menu_is_valid():
    assert ivr_validate(TWO_LEVEL, queues=QUEUES).ok


def test_new_flow_is_valid_from_the_start():
    assert ivr_validate(empty_graph(), queues=set()).ok


def test_unknown_queue_is_named():
    assert ("billing", "queue", "There is no queue billing.") in errors(
        TWO_LEVEL, queues={"sales", "support"}
    )


def test_callback_queue_must_exist_too():
    graph = variant(FULL, callback={"type": "callback", "queue": "nowhere"})
    assert ("callback", "queue", "There is no queue nowhere.") in errors(graph)


def test_option_to_a_missing_node_is_an_error():
    graph = variant(TWO_LEVEL, support_menu=None)
    assert ("main", "options.2", "Goes to support-menu, which does not exist.") in errors(graph)


def test_missing_start_is_an_error():
    graph = copy.deepcopy(TWO_LEVEL)
    graph["start"] = "lobby"
    assert ("", "start", "Choose the node calls start at.") in errors(graph)


def test_menu_without_options_is_an_error():
    graph = variant(TWO_LEVEL, main={"type": "menu", "prompt": "Hello", "options": {}})
    assert ("main", "options", "A menu needs at least one key to press.") in errors(graph)


def test_menu_needs_a_prompt():
    graph = variant(TWO_LEVEL, main={"type": "menu", "prompt": " ", "options": {"1": "sales"}})
    assert ("main", "prompt", "Write what the caller hears.") in errors(graph)


def test_keys_are_digits_star_and_hash():
    graph = variant(
        TWO_LEVEL, main={"type": "menu", "prompt": "Hi", "options": {"12": "sales", "a": "sales"}}
    )
    assert [e[1] for e in errors(graph)] == ["options.12", "options.a"]


@pytest.mark.parametrize(
    ("name", "value"), [("timeout_s", 0), ("timeout_s", 31), ("retries", 6), ("retries", "2")]
)
def test_menu_timeout_and_retries_have_limits(name, value):
    node = {"type": "menu", "prompt": "Hi", "options": {"1": "sales"}, name: value}
    assert [e[1] for e in errors(variant(TWO_LEVEL, main=node))] == [name]


def test_message_without_next_is_a_dead_end():
    graph = variant(FULL, closed={"type": "message", "prompt": "We are closed."})
    assert ("closed", "next", "Say where the call goes after the message.") in errors(graph)


def test_nodes_that_can_never_end_are_dead_ends():
    # Two messages that only lead to each other, reached from the menu: no end is ever reached.
    graph = variant(
        TWO_LEVEL,
        main={"type": "menu", "prompt": "Hi", "options": {"1": "sales", "2": "a"}},
        a={"type": "message", "prompt": "A", "next": "b"},
        b={"type": "message", "prompt": "B", "next": "a"},
    )
    dead = {node for node, _field, message in errors(graph) if message.startswith("Dead end")}
    assert dead == {"a", "b"}


def test_silent_loop_is_an_error_even_with_a_way_out():
    # Closed → a message → back to the schedule: a caller who presses nothing hears it forever
    # while the center is closed, although the open branch has a way out.
    graph = variant(FULL, closed={"type": "message", "prompt": "We are closed.", "next": "hours"})
    found = [e for e in errors(graph) if e[2].startswith("Loop without exit")]
    assert found and "hours → closed → hours" in found[0][2]


def test_menu_timeout_back_to_itself_loops_for_a_silent_caller():
    node = {
        "type": "menu",
        "prompt": "Hi",
        "options": {"1": "sales"},
        "on_timeout": "main",
        "on_invalid": "main",
    }
    found = [e for e in errors(variant(TWO_LEVEL, main=node)) if e[2].startswith("Loop without exit")]
    assert found and "main → main" in found[0][2]


def test_menu_option_back_to_the_main_menu_is_a_loop_with_exit():
    # support-menu offers 9 for the main menu: a loop, but the caller chooses it, and there are exits.
    assert ivr_validate(FULL, queues=QUEUES).ok


def test_schedule_needs_a_real_zone_and_ordered_hours():
    node = copy.deepcopy(FULL["nodes"]["hours"])
    node["timezone"] = "Mars/Olympus"
    node["hours"] = [{"days": [0], "from": "18:00", "to": "08:00"}, {"days": [9], "from": "8", "to": "9"}]
    node["holidays"] = ["25-12-2026"]
    fields = [e[1] for e in errors(variant(FULL, hours=node))]
    assert fields == ["timezone", "hours.0", "hours.1", "hours.1", "holidays.0"]


def test_schedule_needs_open_and_closed_branches():
    node = {k: v for k, v in FULL["nodes"]["hours"].items() if k not in ("open", "closed")}
    assert {e[1] for e in errors(variant(FULL, hours=node))} == {"open", "closed"}


def test_unreachable_node_is_a_warning_not_an_error():
    graph = variant(TWO_LEVEL, orphan={"type": "hangup"})
    result = ivr_validate(graph, queues=QUEUES)
    assert result.ok
    assert [(w.node, w.message) for w in result.warnings] == [("orphan", "No call can reach this node.")]


def test_bad_node_names_and_types_are_errors():
    graph = variant(TWO_LEVEL, **{"Bad Name": {"type": "hangup"}, "odd": {"type": "teleport"}})
    found = {(e[0], e[1]) for e in errors(graph)}
    assert found == {("Bad Name", "id"), ("odd", "type")}


def test_not_a_graph_at_all():
    assert errors("nonsense") == [("", "nodes", "The flow has no nodes.")]


# --- time of day ------------------------------------------------------------------------------------
HOURS = FULL["nodes"]["hours"]


@pytest.mark.parametrize(
    ("moment", "branch"),
    [
        (datetime(2026, 11, 23, 8, 30, tzinfo=UTC), "open"),  # Monday 09:30 in Amsterdam
        (datetime(2026, 11, 23, 6, 59, tzinfo=UTC), "closed"),  # Monday 07:59
        (datetime(2026, 11, 23, 17, 0, tzinfo=UTC), "closed"),  # Monday 18:00: closing time
        (datetime(2026, 11, 28, 9, 0, tzinfo=UTC), "open"),  # Saturday 10:00
        (datetime(2026, 11, 28, 13, 0, tzinfo=UTC), "closed"),  # Saturday 14:00
        (datetime(2026, 11, 29, 11, 0, tzinfo=UTC), "closed"),  # Sunday
        (datetime(2026, 12, 25, 10, 0, tzinfo=UTC), "holiday"),  # Christmas, a Friday
        (datetime(2026, 7, 6, 6, 30, tzinfo=UTC), "open"),  # summer time: 08:30 in Amsterdam
    ],
)
def test_schedule_branch_uses_the_nodes_zone(moment, branch):
    assert schedule_branch(HOURS, moment) == branch


def test_nodes_that_lead_to_a_queue():
    assert leads_to(FULL["nodes"], "support") == {"support", "support-menu", "main", "hours"}


def test_simple_menu_format_becomes_a_graph():
    graph = graph_from_menu(
        {
            "main": {"prompt": "Hi", "options": {"1": {"queue": "sales"}, "2": {"node": "x"}}},
            "x": {"prompt": "X", "options": {"1": {"queue": "support"}}},
        }
    )
    assert graph["nodes"]["main"]["options"] == {"1": "q-sales", "2": "x"}
    assert graph["nodes"]["q-support"] == {"type": "queue", "queue": "support"}
    assert ivr_validate(graph, queues=QUEUES).ok


# --- dialplan ---------------------------------------------------------------------------------------
def dialplan() -> str:
    return ivr_dialplan(
        flow="main",
        graph=FULL,
        queues={
            "sales": QueueRouting("sales", max_wait_s=120, overflow="support", priority=7),
            "support": QueueRouting("support", max_wait_s=300, priority=5),
        },
        title="Main line",
        version=3,
        published_at=datetime(2026, 11, 23, 9, 15, tzinfo=UTC),
        published_by="ada",
    )


def test_dialplan_matches_the_golden_file():
    assert dialplan() == GOLDEN.read_text()


def test_dialplan_has_one_context_per_node_and_the_entry():
    text = dialplan()
    contexts = [line for line in text.splitlines() if line.startswith("[")]
    assert contexts[0] == "[ivr-main]"
    assert {c.strip("[]") for c in contexts} == {"ivr-main", "ivr-main-GOODBYE"} | {
        f"ivr-main-{node}" for node in FULL["nodes"]
    }


def test_dialplan_queue_overflows_after_the_maximum_wait():
    text = dialplan()
    sales = text.split("[ivr-main-sales]")[1].split("\n\n")[0]
    assert "Queue(sales,,,,120)" in sales and "Queue(support,,,,300)" in sales
    assert sales.index("Queue(sales") < sales.index("Queue(support")
