"""Derive a call's summary and its queue visits from its events, in time order.

Pure: the same set of events gives the same result in any arrival order, which is what makes late
and out-of-order events safe. Waits and talk times logged by the PBX (`data.wait_s`, `data.talk_s`)
win over timestamp differences, because that is what the PBX measured.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from telephony.events import AFTER_CALL_TYPE_ORDER, CALL_TYPE_ORDER, PRESENCE_TYPES

# Order of types that share a timestamp: a call is queued before it rings, answered before it ends.
TYPE_ORDER = {name: rank for rank, name in enumerate((*CALL_TYPE_ORDER, *AFTER_CALL_TYPE_ORDER))}

ANSWERED, ABANDONED, TIMED_OUT, TRANSFERRED = "answered", "abandoned", "timed_out", "transferred"


class EventLike(Protocol):
    event_id: str
    ts: datetime
    type: str
    call_id: str
    queue: str
    agent: str
    caller: str
    callee: str
    direction: str
    data: dict[str, Any]


@dataclass
class VisitSummary:
    seq: int
    queue: str
    queued_at: datetime
    answered_at: datetime | None = None
    left_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: str = ""
    agent_code: str = ""
    wait_s: float | None = None
    talk_s: float | None = None
    hold_s: float | None = None
    acw_s: float | None = None
    # Closed because the call was queued elsewhere; the event saying why may share that instant.
    implicit_close: bool = field(default=False, compare=False, repr=False)

    @property
    def open(self) -> bool:
        # An answered visit stays open until the talk ends; an unanswered one until it leaves.
        return self.ended_at is None if self.answered_at else self.left_at is None


@dataclass
class CallSummary:
    first_event_at: datetime
    last_event_at: datetime
    direction: str = "inbound"
    caller: str = ""
    callee: str = ""
    queue: str = ""
    agent_code: str = ""
    offered_at: datetime | None = None
    queued_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    wrapup_ended_at: datetime | None = None
    wait_s: float | None = None
    talk_s: float | None = None
    hold_s: float | None = None
    acw_s: float | None = None
    outcome: str = ""
    ended_by: str = ""
    transfers: int = 0
    ivr_path: list[dict[str, str]] = field(default_factory=list)
    recording_url: str = ""
    recording_duration_s: float | None = None
    csat: int | None = None
    nps: int | None = None
    visits: list[VisitSummary] = field(default_factory=list)


def event_sort_key(event: EventLike) -> tuple:
    return (event.ts, TYPE_ORDER.get(event.type, 99), event.event_id)


def _seconds(later: datetime, earlier: datetime) -> float:
    return max(0.0, (later - earlier).total_seconds())


def _logged(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class _Deriver:
    def __init__(self, events: list[EventLike]):
        self.events = sorted(events, key=event_sort_key)
        self.call = CallSummary(first_event_at=self.events[0].ts, last_event_at=self.events[-1].ts)
        self.visit: VisitSummary | None = None
        self.hold_started: datetime | None = None
        self.hold_s = 0.0  # hold of the current answered leg
        self.direct_answer: datetime | None = None  # answered outside any queue (outbound, direct)
        self.direct_talk_s = 0.0
        self.direct_hold_s = 0.0
        self.direct_acw_s: float | None = None

    def run(self) -> CallSummary:
        for event in self.events:
            self._identity(event)
            handler = getattr(self, "_" + event.type.replace(".", "_"), None)
            if handler:
                handler(event, event.data or {})
        return self._finish()

    def _identity(self, event: EventLike) -> None:
        call = self.call
        call.caller = call.caller or event.caller
        call.callee = call.callee or event.callee
        if event.direction:
            call.direction = event.direction

    # --- lifecycle -----------------------------------------------------------------------------
    def _call_offered(self, event: EventLike, data: dict[str, Any]) -> None:
        self.call.offered_at = self.call.offered_at or event.ts

    def _call_ivr(self, event: EventLike, data: dict[str, Any]) -> None:
        self.call.ivr_path.append({"node": str(data.get("node", "")), "digits": str(data.get("digits", ""))})

    def _call_queued(self, event: EventLike, data: dict[str, Any]) -> None:
        if self.visit and self.visit.open:
            self._close(self.visit, event, {}, TRANSFERRED)
            self.visit.implicit_close = True
        self.visit = VisitSummary(seq=len(self.call.visits) + 1, queue=event.queue, queued_at=event.ts)
        self.call.visits.append(self.visit)
        self.call.queued_at = self.call.queued_at or event.ts

    def _leaving_target(self, event: EventLike) -> VisitSummary | None:
        """The visit a leaving event (transfer, timeout, abandon, end) belongs to.

        Feeds log at one-second resolution, so "left queue A" and "entered queue B" often share a
        timestamp and sort with B first; the event then belongs to A, closed implicitly at that instant.
        """
        visits = self.call.visits
        if event.queue:
            for visit in reversed(visits):
                if visit.queue == event.queue and (
                    visit.open or (visit.implicit_close and (visit.left_at or visit.ended_at) == event.ts)
                ):
                    return visit
        current = self.visit
        previous = visits[-2] if len(visits) > 1 else None
        if (
            current is not None
            and previous is not None
            and previous.implicit_close
            and current.queued_at == event.ts
            and (previous.left_at or previous.ended_at) == event.ts
        ):
            return previous
        return current if current and current.open else None

    def _call_answered(self, event: EventLike, data: dict[str, Any]) -> None:
        self.call.answered_at = self.call.answered_at or event.ts
        self.call.agent_code = event.agent
        self.hold_s = 0.0
        visit = self.visit
        if visit and visit.open and not visit.answered_at:
            visit.answered_at = event.ts
            visit.agent_code = event.agent
            visit.outcome = ANSWERED
            logged = _logged(data, "wait_s")
            visit.wait_s = logged if logged is not None else _seconds(event.ts, visit.queued_at)
        else:
            self.direct_answer = event.ts

    def _call_hold(self, event: EventLike, data: dict[str, Any]) -> None:
        self.hold_started = self.hold_started or event.ts

    def _call_unhold(self, event: EventLike, data: dict[str, Any]) -> None:
        if self.hold_started:
            self.hold_s += _seconds(event.ts, self.hold_started)
            self.hold_started = None

    def _call_transferred(self, event: EventLike, data: dict[str, Any]) -> None:
        self.call.transfers += 1
        target = self._leaving_target(event)
        if target is not None:
            self._close(target, event, data, TRANSFERRED)
        elif self.direct_answer:
            self._end_direct(event, data)

    def _call_abandoned(self, event: EventLike, data: dict[str, Any]) -> None:
        target = self._leaving_target(event)
        if target is not None and not target.answered_at:
            self._close(target, event, data, ABANDONED)

    def _call_timeout(self, event: EventLike, data: dict[str, Any]) -> None:
        target = self._leaving_target(event)
        if target is not None and not target.answered_at:
            self._close(target, event, data, TIMED_OUT)

    def _call_ended(self, event: EventLike, data: dict[str, Any]) -> None:
        self.call.ended_at = event.ts
        self.call.ended_by = str(data.get("by", "")) if data.get("by") in ("caller", "agent") else ""
        visit = self.visit
        if visit and visit.open:
            # Ending while still waiting in the queue is the caller giving up.
            self._close(visit, event, data, ANSWERED if visit.answered_at else ABANDONED)
        elif self.direct_answer:
            self._end_direct(event, data)

    def _call_wrapup_ended(self, event: EventLike, data: dict[str, Any]) -> None:
        """After-call work of the agent of the leg that ended last (the named agent's, when named):
        on a transferred call the first agent wraps up while the caller talks to the second."""
        self.call.wrapup_ended_at = event.ts
        legs = [v for v in self.call.visits if v.answered_at and v.ended_at and v.ended_at <= event.ts]
        if event.agent:
            legs = [v for v in legs if v.agent_code == event.agent] or legs
        if legs:
            legs[-1].acw_s = _seconds(event.ts, legs[-1].ended_at)
        elif self.call.ended_at is not None:
            self.direct_acw_s = _seconds(event.ts, self.call.ended_at)

    def _recording_ready(self, event: EventLike, data: dict[str, Any]) -> None:
        self.call.recording_url = str(data.get("url") or data.get("path") or "")
        self.call.recording_duration_s = _logged(data, "duration_s")

    def _survey_response(self, event: EventLike, data: dict[str, Any]) -> None:
        if "csat" in data:
            self.call.csat = int(data["csat"])
        if "nps" in data:
            self.call.nps = int(data["nps"])

    # --- helpers -------------------------------------------------------------------------------
    def _leg_hold(self, until: datetime) -> float:
        hold = self.hold_s
        if self.hold_started:
            hold += _seconds(until, self.hold_started)
            self.hold_started = None
        self.hold_s = 0.0
        return hold

    def _close(self, visit: VisitSummary, event: EventLike, data: dict[str, Any], outcome: str) -> None:
        """Close `visit` at `event` (or, if already closed at that instant, correct it with the
        reason and the PBX's logged figures)."""
        already_closed = visit.implicit_close and not visit.open
        logged_wait = _logged(data, "wait_s")
        if visit.answered_at:
            if not already_closed:
                visit.ended_at = event.ts
                visit.hold_s = self._leg_hold(event.ts)
                visit.talk_s = max(0.0, _seconds(event.ts, visit.answered_at) - visit.hold_s)
            logged_talk = _logged(data, "talk_s")
            if logged_talk is not None:
                visit.talk_s = logged_talk
            if logged_wait is not None:
                visit.wait_s = logged_wait
            return
        if not already_closed:
            visit.left_at = event.ts
        visit.outcome = outcome
        visit.wait_s = logged_wait if logged_wait is not None else _seconds(visit.left_at, visit.queued_at)

    def _end_direct(self, event: EventLike, data: dict[str, Any]) -> None:
        if self.direct_answer is None:
            return
        hold = self._leg_hold(event.ts)
        logged_talk = _logged(data, "talk_s")
        self.direct_hold_s += hold
        self.direct_talk_s += (
            logged_talk
            if logged_talk is not None
            else max(0.0, _seconds(event.ts, self.direct_answer) - hold)
        )
        self.direct_answer = None

    def _finish(self) -> CallSummary:
        call = self.call
        visits = call.visits
        if visits:
            last = visits[-1]
            call.queue = last.queue
            call.outcome = ANSWERED if any(v.outcome == ANSWERED for v in visits) else last.outcome
            waits = [v.wait_s for v in visits if v.wait_s is not None]
            call.wait_s = sum(waits) if waits else None
        elif self.direct_talk_s or call.answered_at:
            call.outcome = ANSWERED if call.answered_at else ""
        talks = [v.talk_s for v in visits if v.talk_s is not None]
        holds = [v.hold_s for v in visits if v.hold_s is not None]
        if talks or self.direct_talk_s or (call.answered_at and call.ended_at):
            call.talk_s = sum(talks) + self.direct_talk_s
            call.hold_s = sum(holds) + self.direct_hold_s
        acws = [v.acw_s for v in visits if v.acw_s is not None]
        call.acw_s = sum(acws) if acws else self.direct_acw_s
        answered = [v for v in visits if v.agent_code]
        if answered:
            call.agent_code = answered[-1].agent_code
        return call


def call_derive(events: list[EventLike]) -> CallSummary:
    """The summary of one call from all its events (at least one), whatever their order."""
    if not events:
        raise ValueError("a call needs at least one event")
    return _Deriver(list(events)).run()


def events_by_agent(events: Iterable[EventLike], call_agents: dict[str, set[str]]) -> dict[str, list]:
    """The presence events that concern each agent: its own, and call events that name no agent
    for calls it took part in (`call_agents`: the agent codes each call's events name)."""
    found: dict[str, list] = defaultdict(list)
    for event in events:
        if event.type not in PRESENCE_TYPES:
            continue
        if event.agent:
            found[event.agent].append(event)
        elif event.call_id:
            for agent in call_agents.get(event.call_id, ()):
                found[agent].append(event)
    return found
