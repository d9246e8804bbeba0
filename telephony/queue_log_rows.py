"""The rows an import writes, made where the lines are parsed: events, and the calls the import's
own events derive, as PostgreSQL COPY text.

Django-free: it runs in the queue_log parser process, beside the parsing, so the importer's own
process only hands text to PostgreSQL. A call is derived here only from the events this import
read; whether the database held earlier events of it is the writer's to check
(`telephony.queue_log_store`), which sends such calls down the general ingest path instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from telephony.derive import call_derive, events_by_agent
from telephony.events import FeedEvent

# COPY's text format: a backslash starts an escape; tab, newline and carriage return separate.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"

# The columns of each kind of row, in the order the writer's COPY statements name them.
EVENT_COLUMNS = (
    "source_id",
    "event_id",
    "ts",
    "type",
    "call_id",
    "queue",
    "agent",
    "caller",
    "callee",
    "direction",
    "data",
    "received_at",
)
VISIT_COLUMNS = (
    "call_id",
    "queue",
    "seq",
    "queued_at",
    "answered_at",
    "left_at",
    "ended_at",
    "outcome",
    "agent_code",
    "wait_s",
    "talk_s",
    "hold_s",
    "acw_s",
)
_VISIT_VALUES = attrgetter(*VISIT_COLUMNS[1:])
# Once the import holds this many calls, those without an event in the last KEEP_GROUPS groups
# are let go; a later event of one sends its group down the general path (calls from the database).
FORGET_FROM_CALLS = 10_000
KEEP_GROUPS = 4


def _text(value: str) -> str:
    return value.translate(_COPY_ESCAPES)


def _json(value: Any) -> str:
    return json.dumps(value).translate(_COPY_ESCAPES)


class _Instants(dict):
    """Text of each instant: an event's time recurs in its call's and visits' rows, and
    formatting a datetime costs ten dictionary lookups."""

    def __missing__(self, moment: datetime) -> str:
        text = self[moment] = moment.isoformat()
        return text


_instants = _Instants()


class _Formats(dict):
    """How to write a value of each type, by exact type: one lookup per value instead of a chain
    of isinstance checks. A type met for the first time takes its base type's way (JSON if none)."""

    def __missing__(self, kind: type) -> Any:
        found = next((way for base, way in list(self.items()) if issubclass(kind, base)), _json)
        self[kind] = found
        return found


_FORMATS = _Formats(
    {
        str: _text,
        datetime: _instants.__getitem__,
        bool: lambda value: "t" if value else "f",
        int: repr,
        float: repr,
        list: _json,
        dict: _json,
    }
)


def copy_field(value: Any) -> str:
    """One value in COPY text format (NULL for None; JSON for lists and dicts)."""
    return NULL if value is None else _FORMATS[type(value)](value)


def copy_line(values: Iterable[Any]) -> str:
    """A row in COPY text format (`copy_field` inlined: rows are made by the hundred thousand)."""
    formats = _FORMATS
    return "\t".join([NULL if value is None else formats[type(value)](value) for value in values])


def _event_line(event: FeedEvent, source_id: str, received_at: str) -> str:
    values = (
        source_id,
        event.event_id,
        _instants[event.ts],
        event.type,
        event.call_id,
        event.queue,
        event.agent,
        event.caller,
        event.callee,
        event.direction,
        json.dumps(event.data) if event.data else "{}",
        received_at,
    )
    line = "\t".join(values)
    # Nearly every line needs no escaping: check the whole line once, escape field by field if not.
    if line.count("\t") != len(values) - 1 or "\\" in line or "\n" in line or "\r" in line:
        line = "\t".join(map(_text, values))
    return line


def _lines(lines: Iterable[str]) -> str:
    text = "\n".join(lines)
    return text + "\n" if text else ""


@dataclass(frozen=True)
class RowSpec:
    """What the rows need from the database side: the feed source's id, and the call columns
    after call_id (the summary's attributes: queue as a name, agent as a code)."""

    source_id: int
    call_columns: tuple[str, ...]


@dataclass
class CallRows:
    """A group's events and the calls they touch, as COPY text, with what the writer maps to ids."""

    events: str = ""
    calls: str = ""
    visits: str = ""
    queues: set[str] = field(default_factory=set)
    agent_codes: set[str] = field(default_factory=set)
    # When the calls' visits were queued (the KPI intervals they count in).
    visit_starts: set[datetime] = field(default_factory=set)
    # Calls whose earlier events this import read but no longer holds: rows were not made.
    forgotten: set[str] = field(default_factory=set)
    events_count: int = 0
    # The agents the events name, and per agent the presence events that concern it, each as
    # the fields of agents.presence.PresenceEvent (this module does not import Django's apps).
    agents: set[str] = field(default_factory=set)
    presence: dict[str, list[tuple]] = field(default_factory=dict)


class RunCalls:
    """The events of the calls this import has read, per call, while the calls are recent."""

    def __init__(self, spec: RowSpec):
        self._source_id = str(spec.source_id)
        self._call_values = attrgetter(*spec.call_columns)
        self._events: dict[str, dict[str, FeedEvent]] = {}
        self._last_group: dict[str, int] = {}
        self._forgotten: set[str] = set()
        self._group = 0

    def rows(self, events: Sequence[FeedEvent]) -> CallRows:
        """Take one group's events (in file order); return its rows."""
        self._group += 1
        received_at = datetime.now(UTC).isoformat()
        rows = CallRows(events=_lines(_event_line(event, self._source_id, received_at) for event in events))
        touched: dict[str, dict[str, FeedEvent]] = {}
        for event in events:
            call_id = event.call_id
            if not call_id:
                continue
            if call_id in self._forgotten:
                rows.forgotten.add(call_id)
                continue
            known = self._events.get(call_id)
            if known is None:
                known = self._events[call_id] = {}
            # A line repeated in the file is one event, as it is to the database.
            known.setdefault(event.event_id, event)
            touched[call_id] = known
            self._last_group[call_id] = self._group
        call_lines: list[str] = []
        visit_lines: list[str] = []
        call_values, visit_values = self._call_values, _VISIT_VALUES
        # Per call, the agent codes its events name (presence needs them for events that don't).
        call_agents: dict[str, set[str]] = {}
        for call_id, known in touched.items():
            call_events = list(known.values())
            summary = call_derive(call_events)
            call_agents[call_id] = {event.agent for event in call_events if event.agent}
            rows.queues.add(summary.queue)
            rows.agent_codes.add(summary.agent_code)
            call_lines.append(copy_line((call_id, *call_values(summary))))
            for visit in summary.visits:
                rows.queues.add(visit.queue)
                rows.visit_starts.add(visit.queued_at)
                visit_lines.append(copy_line((call_id, *visit_values(visit))))
        rows.calls = _lines(call_lines)
        rows.visits = _lines(visit_lines)
        rows.events_count = len(events)
        rows.agents = {event.agent for event in events if event.agent}
        rows.presence = {
            agent: [(e.ts, e.type, e.call_id, e.queue, e.data, e.event_id) for e in agent_events]
            for agent, agent_events in events_by_agent(events, call_agents).items()
        }
        _instants.clear()  # a later group's calls mostly have later instants
        rows.queues.discard("")
        rows.agent_codes.discard("")
        self._forget_old()
        return rows

    def _forget_old(self) -> None:
        oldest = self._group - KEEP_GROUPS
        if oldest <= 0 or len(self._last_group) < FORGET_FROM_CALLS:
            return
        stale = [call_id for call_id, group in self._last_group.items() if group <= oldest]
        for call_id in stale:
            del self._events[call_id]
            del self._last_group[call_id]
        self._forgotten.update(stale)
