"""Reads of telephony: feed health for operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Q

from telephony.models import Call, CallEvent, FeedSource, QuarantinedEvent


@dataclass(frozen=True)
class FeedStatus:
    source: FeedSource
    events: int
    last_event_at: datetime | None
    last_received_at: datetime | None
    quarantined: int


def feed_status_list() -> list[FeedStatus]:
    """Every feed source with its event count, newest event and quarantine count (three queries)."""
    sources = list(FeedSource.objects.order_by("name"))
    stats = {
        row["source_id"]: row
        for row in CallEvent.objects.values("source_id").annotate(
            n=Count("id"), last_ts=Max("ts"), last_received=Max("received_at")
        )
    }
    quarantined = dict(QuarantinedEvent.objects.values_list("source_name").annotate(n=Count("id")))
    return [
        FeedStatus(
            source=source,
            events=stats.get(source.id, {}).get("n", 0),
            last_event_at=stats.get(source.id, {}).get("last_ts"),
            last_received_at=stats.get(source.id, {}).get("last_received"),
            quarantined=quarantined.get(source.name, 0),
        )
        for source in sources
    ]


def quarantine_recent(limit: int = 50) -> list[QuarantinedEvent]:
    return list(QuarantinedEvent.objects.order_by("-received_at", "-id")[:limit])


# What a desktop action needs the agent's last step on the call to be (the latest of their events).
CALL_STEP_TYPES = (
    "call.ringing",
    "call.answered",
    "call.hold",
    "call.unhold",
    "call.ended",
    "call.transferred",
    "call.wrapup_ended",
)


def agent_call_step(*, source: FeedSource, agent_code: str, call_id: str) -> CallEvent | None:
    """The agent's latest event on the call (ringing, answered, hold, unhold, ended, transferred or
    wrapup_ended), read from the stored feed: exact as soon as the ingest has answered."""
    return (
        CallEvent.objects.filter(source=source, call_id=call_id, agent=agent_code, type__in=CALL_STEP_TYPES)
        .order_by("-ts", "-id")
        .first()
    )


def calls_for_numbers(*, numbers: list[str], limit: int | None = None) -> list[Call]:
    """Calls from or to any of `numbers` (E.164), newest first; for a customer's contact history."""
    if not numbers:
        return []
    rows = (
        Call.objects.filter(Q(caller__in=numbers) | Q(callee__in=numbers))
        .select_related("queue", "agent")
        .order_by("-first_event_at")
    )
    return list(rows[:limit] if limit else rows)


def call_customer_number(*, source_name: str, call_id: str, direction: str = "") -> str:
    """The customer's side of a call (the caller inbound, the dialled number outbound), from the
    call's stored events: a feed may name the caller only on the first event of the call."""
    for event_direction, caller, callee in (
        CallEvent.objects.filter(source__name=source_name, call_id=call_id)
        .exclude(caller="", callee="")
        .order_by("ts", "id")
        .values_list("direction", "caller", "callee")
    ):
        number = callee if (direction or event_direction) == "outbound" else caller
        if number:
            return number
    return ""


def agent_call_queue(*, source: FeedSource, agent_code: str, call_id: str) -> str:
    """The queue the call came to the agent from (its latest event of theirs that names one)."""
    return (
        CallEvent.objects.filter(source=source, call_id=call_id, agent=agent_code)
        .exclude(queue="")
        .order_by("-ts", "-id")
        .values_list("queue", flat=True)
        .first()
        or ""
    )
