"""The agent presence state machine: feed events in time order → state segments. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from agents.models import AgentState


@dataclass
class Segment:
    state: str
    started_at: datetime
    reason: str = ""
    call_id: str = ""
    queue: str = ""
    ended_at: datetime | None = None
    pending_state: str = ""
    pending_reason: str = ""


class PresenceEvent(NamedTuple):
    """One event as presence sees it (a named tuple: ingest makes one per event and agent)."""

    ts: datetime
    type: str
    call_id: str = ""
    queue: str = ""
    data: dict[str, Any] | None = None
    order: str = ""  # the event id: a stable tie-break between events of one instant


# Events of one agent at the same instant: log in first, then call progress, then log out.
_ORDER = {
    "agent.login": 0,
    "agent.state": 1,
    "call.ringing": 2,
    "call.answered": 3,
    "call.transferred": 4,
    "call.abandoned": 4,
    "call.timeout": 4,
    "call.ended": 5,
    "call.wrapup_ended": 6,
    "agent.logout": 7,
}


def presence_sort_key(event: PresenceEvent) -> tuple:
    return (event.ts, _ORDER.get(event.type, 9), event.order)


_BUSY = (AgentState.RINGING, AgentState.ON_CALL)


def _after_call(current: Segment, at: datetime) -> Segment:
    """The state after a call is done: what the agent asked for meanwhile, else available."""
    if current.pending_state:
        return Segment(current.pending_state, at, reason=current.pending_reason)
    return Segment(AgentState.AVAILABLE, at)


def _next_state(current: Segment | None, event: PresenceEvent) -> Segment | None:
    """The segment that starts with `event`, or None when the event does not change the state.

    May record a pending state on `current` (a pause asked for during a call).
    """
    data = event.data or {}
    busy_with = current.call_id if current and current.state in _BUSY else ""
    match event.type:
        case "agent.login":
            return Segment(AgentState.AVAILABLE, event.ts)
        case "agent.logout":
            return Segment(AgentState.LOGGED_OUT, event.ts)
        case "agent.state":
            state = data.get("state", AgentState.AVAILABLE)
            reason = str(data.get("reason", ""))[:64]
            if current and busy_with:
                # Pausing mid-call means "no next call": the talk goes on, the pause starts after.
                current.pending_state, current.pending_reason = (
                    ("", "") if state == AgentState.AVAILABLE else (state, reason)
                )
                return None
            return Segment(state, event.ts, reason=reason)
        case "call.ringing":
            if data.get("answered") is False:
                # The ring is over unanswered: it ends a ringing state that the feed announced live;
                # queue_log's RINGNOANSWER is written after the fact, with no ringing state to end.
                if current and current.state == AgentState.RINGING and current.call_id == event.call_id:
                    return _after_call(current, event.ts)
                return None
            return _carry(
                current, Segment(AgentState.RINGING, event.ts, call_id=event.call_id, queue=event.queue)
            )
        case "call.answered":
            return _carry(
                current, Segment(AgentState.ON_CALL, event.ts, call_id=event.call_id, queue=event.queue)
            )
        case "call.ended" | "call.transferred":
            no_wrapup = data.get("wrapup") is False  # the feed says no after-call work follows
            if (
                current
                and busy_with == event.call_id
                and current.state == AgentState.ON_CALL
                and not no_wrapup
            ):
                wrap = Segment(AgentState.WRAP_UP, event.ts, call_id=event.call_id, queue=current.queue)
                return _carry(current, wrap)
            if current and busy_with == event.call_id:
                return _after_call(current, event.ts)
            return None
        case "call.abandoned" | "call.timeout":
            return _after_call(current, event.ts) if current and busy_with == event.call_id else None
        case "call.wrapup_ended":
            if current and current.state == AgentState.WRAP_UP and current.call_id == event.call_id:
                return _after_call(current, event.ts)
            return None
    return None


def _carry(current: Segment | None, following: Segment) -> Segment:
    if current and current.state in (*_BUSY, AgentState.WRAP_UP):
        following.pending_state, following.pending_reason = current.pending_state, current.pending_reason
    return following


def presence_replay(current: Segment | None, events: list[PresenceEvent]) -> list[Segment]:
    """Apply `events` after the open segment `current`; return `current` (closed or still open)
    followed by the new segments, the last one open."""
    segments: list[Segment] = [current] if current else []
    for event in sorted(events, key=presence_sort_key):
        open_segment = segments[-1] if segments else None
        following = _next_state(open_segment, event)
        if following is None:
            continue
        if open_segment and (open_segment.state, open_segment.reason, open_segment.call_id) == (
            following.state,
            following.reason,
            following.call_id,
        ):
            continue  # the same state again (a repeated event) is no change
        if open_segment:
            open_segment.ended_at = event.ts
        segments.append(following)
    return segments
