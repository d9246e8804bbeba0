"""Writes of telephony: ingesting feed events, deriving calls and presence, feed sources, queues."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from agents.presence import PresenceEvent
from agents.selectors import agent_users_by_code
from agents.services import earliest_per_agent, presence_rebuild
from telephony.derive import CallSummary, call_derive
from telephony.events import AGENT_TYPES, EventError, FeedEvent, event_validate
from telephony.models import Call, CallEvent, FeedSource, QuarantinedEvent, Queue, QueueVisit

logger = logging.getLogger(__name__)

MAX_BATCH = 5000
# Events that can move an agent out of ringing/on-call even when they do not name the agent.
CALL_LEAVING_TYPES = ("call.ended", "call.transferred", "call.abandoned", "call.timeout", "call.wrapup_ended")
PRESENCE_TYPES = AGENT_TYPES | {"call.ringing", "call.answered", *CALL_LEAVING_TYPES}
CALL_FIELDS = [
    "direction",
    "caller",
    "callee",
    "queue",
    "agent_code",
    "agent",
    "offered_at",
    "queued_at",
    "answered_at",
    "ended_at",
    "wrapup_ended_at",
    "wait_s",
    "talk_s",
    "hold_s",
    "acw_s",
    "outcome",
    "ended_by",
    "transfers",
    "ivr_path",
    "recording_url",
    "recording_duration_s",
    "csat",
    "nps",
    "first_event_at",
    "last_event_at",
]


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    applied: list[FeedEvent] = field(default_factory=list)

    @property
    def ringing(self) -> list[FeedEvent]:
        return [event for event in self.applied if event.type in ("call.ringing", "call.answered")]

    def as_response(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


def _raw_text(raw: Any) -> str:
    try:
        return json.dumps(raw, default=str, ensure_ascii=False)[:10_000]
    except (TypeError, ValueError):
        return repr(raw)[:10_000]


def call_events_ingest(
    *, source: FeedSource, raw_events: Sequence[Any], origin: str = "api", prevalidated: Sequence[Any] = ()
) -> IngestResult:
    """Validate, store and apply a batch of raw events from `source`.

    Each event is judged alone: valid ones are stored and applied (calls and presence re-derived),
    repeats of stored or earlier events are counted as duplicates, invalid ones are quarantined and
    listed by index. One transaction for the batch: nothing is half-written. Returns the counts.
    `prevalidated` carries (index, error) pairs of entries rejected before this call (parse errors).
    """
    result = IngestResult()
    quarantine: list[QuarantinedEvent] = []
    for index, error in prevalidated:
        result.rejected.append({"index": index, "error": error})
    valid: dict[str, FeedEvent] = {}
    for index, raw in enumerate(raw_events):
        if raw is None:
            continue  # a placeholder for an entry already rejected in `prevalidated`
        try:
            event = event_validate(raw, source_name=source.name)
        except EventError as error:
            result.rejected.append({"index": index, "error": str(error)})
            quarantine.append(
                QuarantinedEvent(
                    source_name=source.name, origin=origin, index=index, raw=_raw_text(raw), error=str(error)
                )
            )
            continue
        if event.event_id in valid:
            result.duplicates += 1
        else:
            valid[event.event_id] = event
    for index, error in prevalidated:
        quarantine.append(
            QuarantinedEvent(source_name=source.name, origin=origin, index=index, raw="", error=error)
        )
    result.rejected.sort(key=lambda item: item["index"])
    with transaction.atomic():
        QuarantinedEvent.objects.bulk_create(quarantine, batch_size=1000)
        new_events = _store_new(source, list(valid.values()))
        result.duplicates += len(valid) - len(new_events)
        result.accepted = len(new_events)
        if new_events:
            result.calls = _apply(source, new_events)
    result.applied = new_events
    return result


def _store_new(source: FeedSource, events: list[FeedEvent]) -> list[FeedEvent]:
    if not events:
        return []
    existing: set[str] = set()
    ids = [event.event_id for event in events]
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        existing.update(
            CallEvent.objects.filter(source=source, event_id__in=chunk).values_list("event_id", flat=True)
        )
    new_events = [event for event in events if event.event_id not in existing]
    CallEvent.objects.bulk_create(
        (
            CallEvent(
                source=source,
                event_id=event.event_id,
                ts=event.ts,
                type=event.type,
                call_id=event.call_id,
                queue=event.queue,
                agent=event.agent,
                caller=event.caller,
                callee=event.callee,
                direction=event.direction,
                data=event.data,
            )
            for event in new_events
        ),
        batch_size=1000,
        ignore_conflicts=True,  # a concurrent batch with the same ids: the first one wins
    )
    return new_events


def _apply(source: FeedSource, new_events: list[FeedEvent]) -> int:
    call_ids = {event.call_id for event in new_events if event.call_id}
    calls = calls_rederive(source=source, call_ids=call_ids)
    _presence_apply(source, new_events)
    return calls


def queues_ensure(names: Iterable[str]) -> dict[str, int]:
    """Queue ids by name, creating queues first seen in the feed."""
    wanted = {name for name in names if name}
    if not wanted:
        return {}
    found = dict(Queue.objects.filter(name__in=wanted).values_list("name", "id"))
    missing = wanted - found.keys()
    if missing:
        Queue.objects.bulk_create([Queue(name=name) for name in missing], ignore_conflicts=True)
        found = dict(Queue.objects.filter(name__in=wanted).values_list("name", "id"))
    return found


def calls_rederive(*, source: FeedSource, call_ids: Iterable[str]) -> int:
    """Recompute the Call and QueueVisit rows of `call_ids` from all their stored events."""
    ids = sorted(set(call_ids))
    if not ids:
        return 0
    events_by_call: dict[str, list[CallEvent]] = defaultdict(list)
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        for event in CallEvent.objects.filter(source=source, call_id__in=chunk).only(
            "event_id", "ts", "type", "call_id", "queue", "agent", "caller", "callee", "direction", "data"
        ):
            events_by_call[event.call_id].append(event)
    summaries: dict[str, CallSummary] = {cid: call_derive(evs) for cid, evs in events_by_call.items()}
    queue_ids = queues_ensure(
        {s.queue for s in summaries.values()} | {v.queue for s in summaries.values() for v in s.visits}
    )
    users = agent_users_by_code({s.agent_code for s in summaries.values()})
    rows = []
    for call_id, summary in summaries.items():
        values = {name: getattr(summary, name) for name in CALL_FIELDS if name not in ("queue", "agent")}
        rows.append(
            Call(
                source=source,
                call_id=call_id,
                queue_id=queue_ids.get(summary.queue),
                agent_id=users.get(summary.agent_code),
                **values,
            )
        )
    Call.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["source", "call_id"],
        update_fields=CALL_FIELDS,
    )
    pks: dict[str, int] = {}
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        pks.update(Call.objects.filter(source=source, call_id__in=chunk).values_list("call_id", "id"))
    QueueVisit.objects.filter(call_id__in=pks.values()).delete()
    QueueVisit.objects.bulk_create(
        (
            QueueVisit(
                call_id=pks[call_id],
                seq=visit.seq,
                queue_id=queue_ids[visit.queue],
                queued_at=visit.queued_at,
                answered_at=visit.answered_at,
                left_at=visit.left_at,
                ended_at=visit.ended_at,
                outcome=visit.outcome,
                agent_code=visit.agent_code,
                wait_s=visit.wait_s,
                talk_s=visit.talk_s,
                hold_s=visit.hold_s,
                acw_s=visit.acw_s,
            )
            for call_id, summary in summaries.items()
            for visit in summary.visits
        ),
        batch_size=1000,
    )
    return len(summaries)


def _presence_apply(source: FeedSource, new_events: list[FeedEvent]) -> None:
    relevant = [event for event in new_events if event.type in PRESENCE_TYPES]
    if not relevant:
        return
    pairs = [(event.agent, event.ts) for event in relevant if event.agent]
    # Call events that do not name an agent still end that agent's ringing or talking.
    unnamed = [event for event in relevant if not event.agent and event.call_id]
    if unnamed:
        agents_of_call: dict[str, set[str]] = defaultdict(set)
        for call_id, agent in (
            CallEvent.objects.filter(source=source, call_id__in={e.call_id for e in unnamed})
            .exclude(agent="")
            .values_list("call_id", "agent")
            .distinct()
        ):
            agents_of_call[call_id].add(agent)
        pairs += [(agent, event.ts) for event in unnamed for agent in agents_of_call[event.call_id]]
    since = earliest_per_agent(pairs)
    if not since:
        return
    oldest = min(since.values())
    own = list(
        CallEvent.objects.filter(agent__in=since.keys(), ts__gte=oldest, type__in=PRESENCE_TYPES).values_list(
            "source_id", "agent", "ts", "type", "call_id", "queue", "data", "id"
        )
    )
    calls = {(row[0], row[4]) for row in own if row[4]}
    # Where an agent was ringing or talking when the window opens, that call's end matters too.
    from agents.models import PresenceSegment

    open_calls = PresenceSegment.objects.filter(
        agent_code__in=since.keys(), started_at__lt=oldest, ended_at__isnull=True
    ).exclude(call_id="")
    calls |= {(source.id, segment.call_id) for segment in open_calls}
    leaving: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    if calls:
        for row in CallEvent.objects.filter(
            source_id__in={c[0] for c in calls},
            call_id__in={c[1] for c in calls},
            type__in=CALL_LEAVING_TYPES,
            agent="",
        ).values_list("source_id", "agent", "ts", "type", "call_id", "queue", "data", "id"):
            leaving[(row[0], row[4])].append(row)
    events_by_agent: dict[str, list[PresenceEvent]] = {code: [] for code in since}
    agent_calls: dict[str, set[tuple[int, str]]] = defaultdict(set)
    for row in own:
        if row[2] >= since[row[1]]:
            events_by_agent[row[1]].append(PresenceEvent(row[2], row[3], row[4], row[5], row[6], row[7]))
        if row[4]:
            agent_calls[row[1]].add((row[0], row[4]))
    for segment in open_calls:
        agent_calls[segment.agent_code].add((source.id, segment.call_id))
    for code, keys in agent_calls.items():
        for key in keys:
            for row in leaving.get(key, []):
                if row[2] >= since[code]:
                    events_by_agent[code].append(
                        PresenceEvent(row[2], row[3], row[4], row[5], row[6], row[7])
                    )
    presence_rebuild(events_by_agent=events_by_agent)


def feed_source_ensure(*, name: str) -> FeedSource:
    source, _created = FeedSource.objects.get_or_create(name=name)
    return source


DEMO_QUEUES = (("sales", "Sales"), ("support", "Support"))
SIMULATOR_SOURCE = "simulator"


def demo_telephony_seed() -> FeedSource:
    """The simulator's feed source and the demo queues; leaves existing rows as they are."""
    for name, display_name in DEMO_QUEUES:
        Queue.objects.get_or_create(name=name, defaults={"display_name": display_name})
    return feed_source_ensure(name=SIMULATOR_SOURCE)
