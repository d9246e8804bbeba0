"""Factories and a builder for native feed events."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import factory

from telephony.models import FeedSource, Queue

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


class FeedSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeedSource
        django_get_or_create = ("name",)

    name = "pbx1"


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"queue{n}")


def ev(
    type_: str, at_s: float, call_id: str = "c1", *, source: str = "pbx1", **fields: Any
) -> dict[str, Any]:
    """A native event `at_s` seconds after T0."""
    event: dict[str, Any] = {
        "source": source,
        "event_id": fields.pop("event_id", f"e{next(_ids)}"),
        "ts": (T0 + timedelta(seconds=at_s)).isoformat().replace("+00:00", "Z"),
        "type": type_,
    }
    if not type_.startswith("agent."):
        event["call_id"] = call_id
    event.update(fields)
    return event


def answered_call(
    call_id: str = "c1", *, queue: str = "sales", agent: str = "alice", start: float = 0
) -> list[dict]:
    """Queued at start, rings at +10 s, answered at +12 s, ended at +100 s, wrap-up until +130 s."""
    return [
        ev("call.offered", start, call_id, caller="+14155550123", direction="inbound"),
        ev("call.queued", start, call_id, queue=queue),
        ev("call.ringing", start + 10, call_id, queue=queue, agent=agent),
        ev("call.answered", start + 12, call_id, queue=queue, agent=agent),
        ev("call.ended", start + 100, call_id, agent=agent, data={"by": "caller"}),
        ev("call.wrapup_ended", start + 130, call_id, agent=agent),
    ]
