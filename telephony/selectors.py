"""Reads of telephony: feed health for operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max

from telephony.models import CallEvent, FeedSource, QuarantinedEvent


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
