"""The IVR node graph: its shape, the rules a flow must pass before it is published, and how a call
moves through it. Pure functions of plain dicts (what the builder edits and a version stores).

    {"start": "hours",
     "nodes": {
       "hours": {"type": "schedule", "timezone": "Europe/Amsterdam",
                 "hours": [{"days": [0, 1, 2, 3, 4], "from": "08:00", "to": "18:00"}],
                 "holidays": ["2026-12-25"], "open": "main", "closed": "closed", "holiday": "closed"},
       "main": {"type": "menu", "prompt": "For sales press 1 ...", "options": {"1": "sales", "2": "vm"},
                "timeout_s": 5, "retries": 2, "on_invalid": "main-bye", "on_timeout": "sales"},
       "sales": {"type": "queue", "queue": "sales"},
       "vm": {"type": "voicemail", "mailbox": "100", "prompt": "Leave a message after the tone."},
       "closed": {"type": "message", "prompt": "We are closed.", "next": "bye"},
       "bye": {"type": "hangup", "prompt": "Goodbye."}}}

Node types: `menu` (prompt, digit options, invalid-input and timeout handling), `message` (plays,
then `next`), `schedule` (time-of-day and holiday branch), and the ends: `queue`, `voicemail`,
`callback` (asks to be called back by a queue), `hangup`. Every node may have a `label`.
A menu's caller gets `retries` more tries after a wrong key or silence; then the call goes to
`on_invalid` / `on_timeout`, or is hung up politely when those are not set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

MENU, MESSAGE, SCHEDULE = "menu", "message", "schedule"
QUEUE, VOICEMAIL, CALLBACK, HANGUP = "queue", "voicemail", "callback", "hangup"
NODE_TYPES = (MENU, MESSAGE, SCHEDULE, QUEUE, VOICEMAIL, CALLBACK, HANGUP)
ENDS = frozenset({QUEUE, VOICEMAIL, CALLBACK, HANGUP})
DIGITS = "123456789*0#"
NODE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAILBOX = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
MAX_NODES = 200
MAX_PROMPT = 500
MAX_LABEL = 80
DEFAULT_TIMEOUT_S = 5
DEFAULT_RETRIES = 2


@dataclass(frozen=True)
class Issue:
    """One problem with a flow: `node` ("" for the flow as a whole), the `field`, and what to do."""

    node: str
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"node": self.node, "field": self.field, "message": self.message}


@dataclass
class Validation:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, node: str, field_name: str, message: str) -> None:
        self.errors.append(Issue(node, field_name, message))

    def warn(self, node: str, field_name: str, message: str) -> None:
        self.warnings.append(Issue(node, field_name, message))


def empty_graph() -> dict[str, Any]:
    """A new flow: one menu that sends every caller to a polite hang-up until it is built."""
    return {
        "start": "main",
        "nodes": {
            "main": {
                "type": MENU,
                "label": "Main menu",
                "prompt": "Welcome.",
                "options": {"1": "goodbye"},
                "timeout_s": DEFAULT_TIMEOUT_S,
                "retries": DEFAULT_RETRIES,
            },
            "goodbye": {"type": HANGUP, "label": "Goodbye", "prompt": "Thank you for calling. Goodbye."},
        },
    }


def graph_from_menu(menu: dict[str, dict[str, Any]], root: str = "main") -> dict[str, Any]:
    """The graph of the simulator's simple menu format ({node: {"prompt", "options": {digit:
    {"node": name} | {"queue": name}}}}): each queue option becomes a queue node `q-<queue>`."""
    nodes: dict[str, Any] = {}
    for name, spec in menu.items():
        options = {}
        for digit, target in (spec.get("options") or {}).items():
            if "queue" in target:
                queue_node = f"q-{target['queue']}"
                nodes.setdefault(queue_node, {"type": QUEUE, "queue": target["queue"]})
                options[str(digit)] = queue_node
            else:
                options[str(digit)] = target.get("node", "")
        nodes[name] = {"type": MENU, "prompt": spec.get("prompt", ""), "options": options}
    return {"start": root, "nodes": nodes}


def edges(node: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every (field, target node) a node can send a call to."""
    kind = node.get("type")
    if kind == MENU:
        for digit, target in (node.get("options") or {}).items():
            yield f"options.{digit}", target
        for name in ("on_invalid", "on_timeout"):
            if node.get(name):
                yield name, node[name]
    elif kind == MESSAGE:
        if node.get("next"):
            yield "next", node["next"]
    elif kind == SCHEDULE:
        for name in ("open", "closed", "holiday"):
            if node.get(name):
                yield name, node[name]


def silent_edges(node: dict[str, Any]) -> Iterator[str]:
    """Where a caller who presses nothing goes next (a menu without `on_timeout` hangs up)."""
    kind = node.get("type")
    if kind == MENU and node.get("on_timeout"):
        yield node["on_timeout"]
    elif kind == MESSAGE and node.get("next"):
        yield node["next"]
    elif kind == SCHEDULE:
        for name in ("open", "closed", "holiday"):
            if node.get(name):
                yield node[name]


def queues_of(graph: dict[str, Any]) -> set[str]:
    """The queues a flow can send calls to (queue nodes and callback requests)."""
    return {
        str(node.get("queue"))
        for node in (graph.get("nodes") or {}).values()
        if isinstance(node, dict) and node.get("type") in (QUEUE, CALLBACK) and node.get("queue")
    }


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _check_text(result: Validation, node_id: str, node: dict[str, Any], name: str, *, required: bool) -> None:
    value = node.get(name, "")
    if not isinstance(value, str):
        result.error(node_id, name, _("Must be text."))
    elif required and not value.strip():
        result.error(node_id, name, _("Write what the caller hears."))
    elif len(value) > MAX_PROMPT:
        result.error(node_id, name, _("Keep it under %(n)d characters.") % {"n": MAX_PROMPT})


def _check_menu(result: Validation, node_id: str, node: dict[str, Any]) -> None:
    _check_text(result, node_id, node, "prompt", required=True)
    _check_text(result, node_id, node, "invalid_prompt", required=False)
    options = node.get("options")
    if not isinstance(options, dict) or not options:
        result.error(node_id, "options", _("A menu needs at least one key to press."))
    else:
        for digit, target in options.items():
            if digit not in DIGITS or len(digit) != 1:
                result.error(node_id, f"options.{digit}", _("Keys are 0-9, * and #."))
            if not isinstance(target, str) or not target:
                result.error(node_id, f"options.{digit}", _("Say where key %(key)s goes.") % {"key": digit})
    for name, low, high in (("timeout_s", 1, 30), ("retries", 0, 5)):
        value = node.get(name, DEFAULT_TIMEOUT_S if name == "timeout_s" else DEFAULT_RETRIES)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            result.error(
                node_id, name, _("Use a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
            )


def _check_schedule(result: Validation, node_id: str, node: dict[str, Any]) -> None:
    zone = node.get("timezone", "")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        result.error(node_id, "timezone", _("Use an IANA time zone such as Europe/Amsterdam."))
    hours = node.get("hours", [])
    if not isinstance(hours, list):
        result.error(node_id, "hours", _("Opening hours must be a list."))
        hours = []
    for index, span in enumerate(hours):
        where = f"hours.{index}"
        if not isinstance(span, dict):
            result.error(node_id, where, _("Each opening-hours line needs days, from and to."))
            continue
        days = span.get("days")
        if not isinstance(days, list) or not days or any(d not in range(7) for d in days):
            result.error(node_id, where, _("Pick at least one weekday."))
        start, end = str(span.get("from", "")), str(span.get("to", ""))
        if not HHMM.match(start) or not HHMM.match(end):
            result.error(node_id, where, _("Times are HH:MM, from 00:00 to 24:00."))
        elif _minutes(start) >= _minutes(end):
            result.error(node_id, where, _("Opening must come before closing; split a night into two lines."))
    if not hours:
        result.warn(node_id, "hours", _("No opening hours: every call takes the closed branch."))
    holidays = node.get("holidays", [])
    if not isinstance(holidays, list):
        result.error(node_id, "holidays", _("Holidays must be a list of dates."))
    else:
        for index, day in enumerate(holidays):
            try:
                date.fromisoformat(str(day))
            except ValueError:
                result.error(node_id, f"holidays.{index}", _("Dates are YYYY-MM-DD."))
    # One whole sentence per branch, so a translation never has to fit an English word in.
    missing_branch = {
        "open": _("Say where calls go when the center is open."),
        "closed": _("Say where calls go when the center is closed."),
    }
    for name, message in missing_branch.items():
        if not node.get(name):
            result.error(node_id, name, message)


def ivr_validate(graph: Any, *, queues: Iterable[str]) -> Validation:
    """Check a flow before it is published: shape and fields of each node, every reference and queue
    exists, no dead ends (every node can reach a queue, voicemail, callback or hang-up) and no loop
    without exit (a caller who presses nothing must reach an end). Unreachable nodes are warnings."""
    result = Validation()
    known_queues = set(queues)
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), dict):
        result.error("", "nodes", _("The flow has no nodes."))
        return result
    nodes: dict[str, Any] = graph["nodes"]
    start = graph.get("start")
    if not nodes:
        result.error("", "nodes", _("The flow has no nodes."))
        return result
    if len(nodes) > MAX_NODES:
        result.error("", "nodes", _("A flow has at most %(n)d nodes.") % {"n": MAX_NODES})
    if not isinstance(start, str) or start not in nodes:
        result.error("", "start", _("Choose the node calls start at."))
    for node_id, node in nodes.items():
        if not NODE_ID.match(str(node_id)):
            result.error(str(node_id), "id", _("Node names are 1-40 lower-case letters, digits, - and _."))
        if not isinstance(node, dict) or node.get("type") not in NODE_TYPES:
            result.error(str(node_id), "type", _("Unknown node type."))
            continue
        label = node.get("label", "")
        if not isinstance(label, str) or len(label) > MAX_LABEL:
            result.error(
                node_id, "label", _("Labels are text of at most %(n)d characters.") % {"n": MAX_LABEL}
            )
        kind = node["type"]
        if kind == MENU:
            _check_menu(result, node_id, node)
        elif kind == MESSAGE:
            _check_text(result, node_id, node, "prompt", required=True)
            if not node.get("next"):
                result.error(node_id, "next", _("Say where the call goes after the message."))
        elif kind == SCHEDULE:
            _check_schedule(result, node_id, node)
        else:
            _check_text(result, node_id, node, "prompt", required=False)
        if kind in (QUEUE, CALLBACK):
            queue = node.get("queue")
            if not queue:
                result.error(node_id, "queue", _("Choose a queue."))
            elif queue not in known_queues:
                result.error(node_id, "queue", _("There is no queue %(queue)s.") % {"queue": queue})
        if kind == VOICEMAIL and not MAILBOX.match(str(node.get("mailbox", ""))):
            result.error(node_id, "mailbox", _("Mailboxes are 1-20 letters, digits, - and _."))
        for where, target in edges(node):
            if target not in nodes:
                result.error(
                    node_id, where, _("Goes to %(target)s, which does not exist.") % {"target": target}
                )
    if result.errors:
        return result  # the graph rules below need well-formed nodes
    _check_exits(result, nodes)
    _check_silent_loops(result, nodes)
    reachable = _reachable(nodes, start)
    for node_id in nodes:
        if node_id not in reachable:
            result.warn(node_id, "", _("No call can reach this node."))
    return result


def _reachable(nodes: dict[str, Any], start: str) -> set[str]:
    seen, stack = {start}, [start]
    while stack:
        for _where, target in edges(nodes[stack.pop()]):
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def _check_exits(result: Validation, nodes: dict[str, Any]) -> None:
    """Dead ends: nodes from which no end (queue, voicemail, callback, hang-up) can be reached. A menu
    always has the polite hang-up after its last try, unless both fallbacks are set elsewhere."""
    can_end = {node_id for node_id, node in nodes.items() if node["type"] in ENDS}
    for node_id, node in nodes.items():
        if node["type"] == MENU and not (node.get("on_invalid") and node.get("on_timeout")):
            can_end.add(node_id)
    changed = True
    while changed:
        changed = False
        for node_id, node in nodes.items():
            if node_id not in can_end and any(target in can_end for _where, target in edges(node)):
                can_end.add(node_id)
                changed = True
    for node_id in nodes:
        if node_id not in can_end:
            result.error(
                node_id,
                "",
                _("Dead end: calls here never reach a queue, voicemail, callback or hang-up."),
            )


def _check_silent_loops(result: Validation, nodes: dict[str, Any]) -> None:
    """A loop through messages, schedules and menu timeouts plays forever to a silent caller."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node_id: str, path: list[str]) -> list[str] | None:
        state[node_id] = 1
        for target in silent_edges(nodes[node_id]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target] if target in path else [node_id, target]
            if state.get(target) is None:
                loop = visit(target, [*path, target])
                if loop:
                    return loop
        state[node_id] = 2
        return None

    for node_id in nodes:
        if state.get(node_id) is None:
            loop = visit(node_id, [node_id])
            if loop:
                result.error(
                    loop[0],
                    "",
                    _("Loop without exit: %(path)s repeats forever for a caller who presses nothing.")
                    % {"path": " → ".join(loop)},
                )
                return


# --- running a call through the flow ------------------------------------------------------------------
def schedule_branch(node: dict[str, Any], moment: datetime) -> str:
    """`holiday`, `open` or `closed` for a schedule node at an aware `moment` (in the node's zone)."""
    local = moment.astimezone(ZoneInfo(node["timezone"]))
    if local.date().isoformat() in {str(day) for day in node.get("holidays", [])}:
        return "holiday"
    minute = local.hour * 60 + local.minute
    for span in node.get("hours", []):
        if local.weekday() in span["days"] and _minutes(span["from"]) <= minute < _minutes(span["to"]):
            return "open"
    return "closed"


def schedule_target(node: dict[str, Any], moment: datetime) -> str:
    branch = schedule_branch(node, moment)
    if branch == "holiday":
        return node.get("holiday") or node["closed"]
    return node[branch]


def leads_to(nodes: dict[str, Any], queue: str) -> set[str]:
    """The nodes from which a call can reach `queue` (a queue node for it), whatever the time."""
    found = {
        node_id for node_id, node in nodes.items() if node.get("type") == QUEUE and node.get("queue") == queue
    }
    changed = True
    while changed:
        changed = False
        for node_id, node in nodes.items():
            if node_id not in found and any(target in found for _where, target in edges(node)):
                found.add(node_id)
                changed = True
    return found


def distances_to(nodes: dict[str, Any], queue: str) -> dict[str, int]:
    """Steps from each node to the nearest queue node for `queue` (nodes that cannot reach it are left
    out): a caller who wants that queue presses a key whose target is nearest."""
    incoming: dict[str, list[str]] = {}
    for node_id, node in nodes.items():
        for _where, target in edges(node):
            incoming.setdefault(target, []).append(node_id)
    frontier = [n for n, node in nodes.items() if node.get("type") == QUEUE and node.get("queue") == queue]
    distance = dict.fromkeys(frontier, 0)
    while frontier:
        following = []
        for node_id in frontier:
            for source in incoming.get(node_id, ()):
                if source not in distance:
                    distance[source] = distance[node_id] + 1
                    following.append(source)
        frontier = following
    return distance


def menu_timeout_s(node: dict[str, Any]) -> int:
    return int(node.get("timeout_s", DEFAULT_TIMEOUT_S))


def menu_retries(node: dict[str, Any]) -> int:
    return int(node.get("retries", DEFAULT_RETRIES))


def local_time(value: str) -> time:
    """ "HH:MM" (or "24:00") as a time; 24:00 is the end of the day."""
    return time.max if value == "24:00" else time.fromisoformat(value)
