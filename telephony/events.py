"""The native call-event contract of DESIGN.md §2: types, keys, and validation of one event.

Pure functions: `event_validate(raw, source_name=...)` returns a `FeedEvent` or raises `EventError`
with a message that says what is wrong.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, NamedTuple

# The call event types, in the order a call goes through them; derivation sorts ties by it.
CALL_TYPE_ORDER = (
    "call.offered",
    "call.ivr",
    "call.queued",
    "call.ringing",
    "call.answered",
    "call.hold",
    "call.unhold",
    "call.transferred",
    "call.abandoned",
    "call.timeout",
    "call.ended",
    "call.wrapup_ended",
)
CALL_TYPES = frozenset(CALL_TYPE_ORDER)
AGENT_TYPES = frozenset({"agent.login", "agent.logout", "agent.state"})
AFTER_CALL_TYPE_ORDER = ("recording.ready", "survey.response")
OTHER_CALL_TYPES = frozenset(AFTER_CALL_TYPE_ORDER)
EVENT_TYPES = CALL_TYPES | AGENT_TYPES | OTHER_CALL_TYPES
# Events that can move an agent out of ringing/on-call even when they do not name the agent.
CALL_LEAVING_TYPES = ("call.ended", "call.transferred", "call.abandoned", "call.timeout", "call.wrapup_ended")
# The events agent presence follows.
PRESENCE_TYPES = AGENT_TYPES | {"call.ringing", "call.answered", *CALL_LEAVING_TYPES}
# Agent states a feed may set with agent.state; ringing/on_call/wrap_up come from call events.
SETTABLE_AGENT_STATES = frozenset({"available", "not_ready", "break"})
MAX_ID = 128
MAX_TEXT = 64


class EventError(ValueError):
    """The event breaks the contract; str(error) says how."""


class FeedEvent(NamedTuple):
    """One valid event. A named tuple, not a dataclass: ingest builds, pickles (the queue_log
    parser process) and reads hundreds of thousands of them, and a tuple costs a fraction."""

    source: str
    event_id: str
    ts: datetime
    type: str
    data: dict[str, Any]
    call_id: str = ""
    queue: str = ""
    agent: str = ""
    caller: str = ""
    callee: str = ""
    direction: str = ""


def _text(raw: dict[str, Any], key: str, limit: int = MAX_TEXT) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise EventError(f"`{key}` must be a string, got {type(value).__name__}")
    value = value.strip()
    if len(value) > limit:
        raise EventError(f"`{key}` is longer than {limit} characters")
    if "\x00" in value:
        raise EventError(f"`{key}` contains a NUL character")
    return value


def parse_ts(value: Any) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise EventError("`ts` is required: an RFC 3339 time with offset, like 2026-11-23T09:15:00Z")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise EventError(f"`ts` {text!r} is not an RFC 3339 time (2026-11-23T09:15:00Z)") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise EventError(f"`ts` {text!r} has no UTC offset; add Z or +hh:mm")
    return moment


def _number(data: dict[str, Any], key: str, *, low: float | None = None, high: float | None = None) -> None:
    if key not in data:
        return
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise EventError(f"`data.{key}` must be a number")
    if (low is not None and value < low) or (high is not None and value > high):
        raise EventError(f"`data.{key}` must be between {low} and {high}, got {value}")


_SECONDS_KEYS = ("wait_s", "talk_s", "hold_s", "ring_s", "duration_s")
_MAX_SECONDS = 86_400 * 7


def _check_data(event_type: str, event: dict[str, Any], data: dict[str, Any]) -> None:
    if data:  # many events carry none; the rest name a few of these keys
        for key in _SECONDS_KEYS:
            if key in data:
                _number(data, key, low=0, high=_MAX_SECONDS)
    if event_type == "call.queued" and not event["queue"]:
        raise EventError("`queue` is required for call.queued")
    if event_type in {"call.ringing", "call.answered"} and not event["agent"]:
        raise EventError(f"`agent` is required for {event_type}")
    if event_type == "call.transferred" and not (data.get("to_queue") or data.get("to_agent")):
        raise EventError("call.transferred needs `data.to_queue` or `data.to_agent`")
    if event_type == "call.ended" and data.get("by") not in (None, "caller", "agent"):
        raise EventError("`data.by` must be caller or agent")
    if "wrapup" in data and not isinstance(data["wrapup"], bool):
        raise EventError("`data.wrapup` must be true or false (false: no after-call work follows)")
    if event_type == "agent.state":
        state = data.get("state")
        if state not in SETTABLE_AGENT_STATES:
            allowed = ", ".join(sorted(SETTABLE_AGENT_STATES))
            raise EventError(f"agent.state needs `data.state`, one of {allowed}; got {state!r}")
    if event_type == "recording.ready":
        if not (data.get("url") or data.get("path")):
            raise EventError("recording.ready needs `data.url` or `data.path`")
        if not isinstance(data.get("url") or data.get("path"), str):
            raise EventError("recording `url`/`path` must be a string")
    if event_type == "survey.response":
        if "csat" not in data and "nps" not in data:
            raise EventError("survey.response needs `data.csat` (1–5) and/or `data.nps` (0–10)")
        for key, low, high in (("csat", 1, 5), ("nps", 0, 10)):
            if key in data and (isinstance(data[key], bool) or not isinstance(data[key], int)):
                raise EventError(f"`data.{key}` must be a whole number from {low} to {high}")
            _number(data, key, low=low, high=high)


def event_validate(raw: Any, *, source_name: str) -> FeedEvent:
    """Check one raw event against the contract; return it normalised or raise EventError."""
    if not isinstance(raw, dict):
        raise EventError(f"an event must be a JSON object, got {type(raw).__name__}")
    source = _text(raw, "source")
    if not source:
        raise EventError("`source` is required")
    if source != source_name:
        raise EventError(f"`source` {source!r} does not match the authenticated feed {source_name!r}")
    event_id = _text(raw, "event_id", MAX_ID)
    if not event_id:
        raise EventError("`event_id` is required")
    event_type = _text(raw, "type")
    if event_type not in EVENT_TYPES:
        raise EventError(f"unknown `type` {event_type!r}; see DESIGN.md §2 for the event types")
    event = {
        "queue": _text(raw, "queue"),
        "agent": _text(raw, "agent", MAX_ID),
        "caller": _text(raw, "caller"),
        "callee": _text(raw, "callee"),
        "call_id": _text(raw, "call_id", MAX_ID),
    }
    ts = parse_ts(raw.get("ts"))
    direction = _text(raw, "direction")
    data = raw.get("data") if raw.get("data") is not None else {}
    if not isinstance(data, dict):
        raise EventError("`data` must be a JSON object")
    event = FeedEvent(
        source=source, event_id=event_id, ts=ts, type=event_type, direction=direction, data=data, **event
    )
    return event_check(event, texts_checked=True)


# Text fields and their length limits (`_text` applies the same limits to raw input).
TEXT_LIMITS = (
    ("event_id", MAX_ID),
    ("call_id", MAX_ID),
    ("queue", MAX_TEXT),
    ("agent", MAX_ID),
    ("caller", MAX_TEXT),
    ("callee", MAX_TEXT),
)


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def event_check(event: FeedEvent, *, texts_checked: bool = False, nul_free: bool = False) -> FeedEvent:
    """The rules of the contract for an event whose fields are already typed and trimmed: text
    limits (unless `texts_checked`), what each type requires, the data values. `event_validate`
    ends here, and so does an adapter that builds events itself (the queue_log parser), so both
    apply the same rules. `nul_free`: the adapter knows no text of the event holds U+0000 (it
    looked at the whole line once). Returns the event or raises EventError."""
    if not texts_checked:
        for key, limit in TEXT_LIMITS:
            value = getattr(event, key)
            if len(value) > limit:
                raise EventError(f"`{key}` is longer than {limit} characters")
            if not nul_free and "\x00" in value:
                raise EventError(f"`{key}` contains a NUL character")
        if not event.event_id:
            raise EventError("`event_id` is required")
        if event.type not in EVENT_TYPES:
            raise EventError(f"unknown `type` {event.type!r}; see DESIGN.md §2 for the event types")
    event_type = event.type
    if event_type not in AGENT_TYPES and not event.call_id:
        raise EventError(f"`call_id` is required for {event_type}")
    if event_type in AGENT_TYPES and not event.agent:
        raise EventError(f"`agent` is required for {event_type}")
    if event.direction not in ("", "inbound", "outbound"):
        raise EventError(f"`direction` must be inbound or outbound, got {event.direction!r}")
    data = event.data
    # PostgreSQL's jsonb cannot hold U+0000; such an event would fail its whole batch.
    if data and not nul_free and _holds_nul(data):
        raise EventError("`data` contains a NUL character")
    _check_data(event_type, {"queue": event.queue, "agent": event.agent}, data)
    return event
