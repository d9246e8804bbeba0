"""Writes of telephony: ingesting feed events, deriving calls and presence, feed sources, queues."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection, transaction

from agents.presence import PresenceEvent
from agents.selectors import AgentDirectory, presence_covering
from agents.services import presence_apply
from callcenter.bulk import COPY_FROM_ROWS, binary_cursor, bulk_insert, copy_to_stage
from telephony.derive import CallSummary, call_derive, events_by_agent
from telephony.events import (
    CALL_LEAVING_TYPES,
    PRESENCE_TYPES,
    EventError,
    FeedEvent,
    event_validate,
)
from telephony.models import Call, CallEvent, FeedSource, QuarantinedEvent, Queue, QueueVisit

logger = logging.getLogger(__name__)

MAX_BATCH = 5000
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
    # The batch's agent code → user lookups, for the live effects after commit.
    directory: AgentDirectory = field(default_factory=AgentDirectory)

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
    *,
    source: FeedSource,
    raw_events: Sequence[Any],
    origin: str = "api",
    prevalidated: Sequence[Any] = (),
    validated: Sequence[FeedEvent] = (),
) -> IngestResult:
    """Validate, store and apply a batch of raw events from `source`.

    Each event is judged alone: valid ones are stored and applied (calls and presence re-derived),
    repeats of stored or earlier events are counted as duplicates, invalid ones are quarantined and
    listed by index. One transaction for the batch: nothing is half-written. Returns the counts.
    `prevalidated` carries (index, error, raw text) of entries rejected before this call (parse errors);
    `validated` carries events an adapter already checked with `event_validate` for this source
    (the queue_log importer), which are not checked twice.
    """
    result = IngestResult()
    quarantine: list[QuarantinedEvent] = []
    for index, error, _raw in prevalidated:
        result.rejected.append({"index": index, "error": error})
    valid: dict[str, FeedEvent] = {}
    for event in validated:
        if event.source != source.name:
            raise ValueError(f"event {event.event_id} belongs to {event.source}, not {source.name}")
        if event.event_id in valid:
            result.duplicates += 1
        else:
            valid[event.event_id] = event
    for index, raw in enumerate(raw_events):
        if raw is None:
            continue  # a placeholder for an entry already rejected in `prevalidated`
        try:
            event = event_validate(raw, source_name=source.name)
        except EventError as error:
            result.rejected.append({"index": index, "error": str(error)})
            quarantine.append(
                QuarantinedEvent.of(
                    source_name=source.name, origin=origin, index=index, raw=_raw_text(raw), error=str(error)
                )
            )
            continue
        if event.event_id in valid:
            result.duplicates += 1
        else:
            valid[event.event_id] = event
    for index, error, raw_text in prevalidated:
        quarantine.append(
            QuarantinedEvent.of(
                source_name=source.name, origin=origin, index=index, raw=raw_text, error=error
            )
        )
    result.rejected.sort(key=lambda item: item["index"])
    with transaction.atomic():
        QuarantinedEvent.objects.bulk_create(quarantine, batch_size=1000)
        calls_and_agents_lock(
            source, (event.call_id for event in valid.values()), (event.agent for event in valid.values())
        )
        # Read the calls' earlier events before inserting this batch's: derivation then has every
        # event without reading its own rows back (the locks keep other batches off these calls).
        stored = stored_events_by_call(source, {event.call_id for event in valid.values() if event.call_id})
        new_events = _store_new(source, list(valid.values()))
        result.duplicates += len(valid) - len(new_events)
        result.accepted = len(new_events)
        if new_events:
            visit_starts = _apply(source, new_events, result, stored)
            transaction.on_commit(lambda: kpi_changes_note(source, new_events, visit_starts))
    result.applied = new_events
    return result


def kpi_changes_note(source: FeedSource, new_events: Sequence[Any], visit_starts: set[datetime]) -> None:
    """Events for closed intervals (late ones, or calls still going) make kpi recompute them.
    `new_events` need `ts`, `type` and `call_id` (feed events, or presence events)."""
    from kpi.services.rollups import rollup_events_note  # kpi reads telephony, not the reverse

    rollup_events_note(source_id=source.id, events=new_events, visit_starts=visit_starts)


# Calls are locked by bucket, not one by one: a batch of thousands of calls would otherwise take
# thousands of locks (PostgreSQL's lock table holds 64 per connection by default), and two calls
# sharing a bucket only make a concurrent batch wait its turn.
CALL_LOCK_BUCKETS = 512


def calls_and_agents_lock(source: FeedSource, call_ids: Iterable[str], agents: Iterable[str]) -> None:
    """Serialise concurrent batches that touch the same calls or agents, in one global order.

    Two batches re-deriving the same call or agent would otherwise deadlock (or lose an update);
    transaction-scoped advisory locks taken in sorted order avoid both. SQLite serialises writers
    by itself (IMMEDIATE transactions), so this is PostgreSQL only.
    """
    if connection.vendor != "postgresql":
        return
    # Hashed once per call and agent, not per event: a call has several events in a batch.
    buckets = {_lock_key(call_id) % CALL_LOCK_BUCKETS for call_id in set(call_ids) if call_id}
    keys = {_lock_key(f"calls:{source.id}:{bucket}") for bucket in buckets}
    keys |= {_lock_key(f"agent:{agent}") for agent in set(agents) if agent}
    if not keys:
        return
    with binary_cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(k))"
            " FROM (SELECT unnest(%b::bigint[]) AS k ORDER BY 1) AS keys",
            [sorted(keys)],
        )


def _lock_key(text: str) -> int:
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_EVENT_STAGE_COLUMNS = (
    ("event_id", "text"),
    ("ts", "timestamptz"),
    ("type", "text"),
    ("call_id", "text"),
    ("queue", "text"),
    ("agent", "text"),
    ("caller", "text"),
    ("callee", "text"),
    ("direction", "text"),
    ("data", "text"),
)
_INSERT_EVENTS = """
INSERT INTO {table}
    (source_id, event_id, ts, type, call_id, queue, agent, caller, callee, direction, data, received_at)
SELECT %b, e.event_id, e.ts, e.type, e.call_id, e.queue, e.agent, e.caller, e.callee, e.direction,
       e.data::jsonb, now()
FROM {rows}
ON CONFLICT (source_id, event_id) DO NOTHING
RETURNING event_id
"""
_EVENT_ARRAYS = (
    "unnest(%b::text[], %b::timestamptz[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[],"
    " %b::text[], %b::text[], %b::text[]) AS e(event_id, ts, type, call_id, queue, agent, caller, callee,"
    " direction, data)"
)


def _store_new(source: FeedSource, events: list[FeedEvent]) -> list[FeedEvent]:
    """Insert the events not stored yet; return those (the others are duplicates)."""
    if not events:
        return []
    if connection.vendor == "postgresql":
        # One statement inserts the batch and reports which rows were new: no per-row work. A
        # large batch is staged with COPY first (see callcenter.bulk).
        rows = [
            (
                event.event_id,
                event.ts,
                event.type,
                event.call_id,
                event.queue,
                event.agent,
                event.caller,
                event.callee,
                event.direction,
                json.dumps(event.data) if event.data else "{}",  # the default encoder is the cached one
            )
            for event in events
        ]
        table = CallEvent._meta.db_table
        with binary_cursor() as cursor:
            if len(rows) >= COPY_FROM_ROWS:
                stage = copy_to_stage(cursor, table, _EVENT_STAGE_COLUMNS, rows)
                cursor.execute(_INSERT_EVENTS.format(table=table, rows=f"{stage} AS e"), [source.id])
            else:
                columns = [list(column) for column in zip(*rows, strict=True)]
                cursor.execute(_INSERT_EVENTS.format(table=table, rows=_EVENT_ARRAYS), [source.id, *columns])
            inserted = {row[0] for row in cursor.fetchall()}
        return [event for event in events if event.event_id in inserted]
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
        ignore_conflicts=True,
    )
    return new_events


def _apply(
    source: FeedSource,
    new_events: list[FeedEvent],
    result: IngestResult,
    stored: dict[str, list[StoredEvent]],
) -> set[datetime]:
    """Re-derive the calls and presence the new events change; return the queue times of the
    calls' visits, old and new (the KPI intervals to recompute)."""
    call_ids = {event.call_id for event in new_events if event.call_id}
    rederived = calls_rederive(
        source=source, call_ids=call_ids, directory=result.directory, stored=stored, new_events=new_events
    )
    presence_events_apply(source, new_events, rederived.call_agents, result.directory)
    result.calls = len(rederived.call_agents)
    return rederived.visit_starts


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


class StoredEvent(NamedTuple):
    event_id: str
    ts: Any
    type: str
    call_id: str
    queue: str
    agent: str
    caller: str
    callee: str
    direction: str
    data: dict[str, Any]


def _stored_events(source: FeedSource, call_ids: list[str]) -> Iterable[tuple]:
    """Every stored event of these calls, as StoredEvent fields (any order; `data` may be None for
    an empty object)."""
    if connection.vendor != "postgresql":
        return CallEvent.objects.filter(source=source, call_id__in=call_ids).values_list(*StoredEvent._fields)
    # The hot read of ingest: binary rows skip the ORM's per-row work and text parsing.
    with binary_cursor(binary_results=True) as cursor:
        # Most events carry no data: an empty object comes back as NULL and costs no JSON parsing.
        columns = ", ".join(StoredEvent._fields[:-1])
        cursor.execute(
            f"SELECT {columns}, CASE WHEN data = '{{}}'::jsonb THEN NULL ELSE data END"  # noqa: S608
            f" FROM {CallEvent._meta.db_table} WHERE source_id = %b AND call_id = ANY(%b::text[])",
            [source.id, call_ids],
        )
        return cursor.fetchall()


def stored_events_by_call(source: FeedSource, call_ids: Iterable[str]) -> dict[str, list[StoredEvent]]:
    """Every stored event of these calls, grouped by call (calls without events are left out)."""
    ids = sorted(set(call_ids))
    found: dict[str, list[StoredEvent]] = defaultdict(list)
    for start in range(0, len(ids), 5000):
        for row in _stored_events(source, ids[start : start + 5000]):
            found[row[3]].append(StoredEvent(*row))
    return found


@dataclass
class CallsRederived:
    # Per call, the agent codes its events name (presence needs them for events that don't).
    call_agents: dict[str, set[str]] = field(default_factory=dict)
    # When the calls' visits, old and new, were queued: the KPI intervals the change touches.
    visit_starts: set[datetime] = field(default_factory=set)


def calls_rederive(
    *,
    source: FeedSource,
    call_ids: Iterable[str],
    directory: AgentDirectory | None = None,
    stored: dict[str, list[StoredEvent]] | None = None,
    new_events: Iterable[FeedEvent] = (),
) -> CallsRederived:
    """Recompute the Call and QueueVisit rows of `call_ids` from all their events.

    The events are read from the database, unless the caller read them already: then `stored`
    holds what was stored before this batch and `new_events` what the batch added (ingest reads
    before it inserts, so it never reads its own rows back). Returns the agent codes each call's
    events name and the queue times of its old and new visits. `directory` resolves agent codes
    to users (the batch's own, so each code is looked up once).
    """
    directory = directory or AgentDirectory()
    ids = sorted(set(call_ids))
    if not ids:
        return CallsRederived()
    if stored is None:
        by_call = stored_events_by_call(source, ids)
    else:
        wanted = set(ids)
        by_call = defaultdict(list, {cid: list(evs) for cid, evs in stored.items() if cid in wanted})
        for event in new_events:
            if event.call_id in wanted:
                by_call[event.call_id].append(event)  # a FeedEvent has every StoredEvent field
    summaries: dict[str, CallSummary] = {cid: call_derive(evs) for cid, evs in by_call.items()}
    call_agents = {cid: {e.agent for e in evs if e.agent} for cid, evs in by_call.items()}
    queue_ids = queues_ensure(
        {s.queue for s in summaries.values()} | {v.queue for s in summaries.values() for v in s.visits}
    )
    users = directory.users(s.agent_code for s in summaries.values())
    rows = [
        {
            "source_id": source.id,
            "call_id": call_id,
            "queue_id": queue_ids.get(summary.queue),
            "agent_id": users.get(summary.agent_code),
            **{name: getattr(summary, name) for name in CALL_FIELDS if name not in ("queue", "agent")},
        }
        for call_id, summary in summaries.items()
    ]
    update = [name if name not in ("queue", "agent") else f"{name}_id" for name in CALL_FIELDS]
    written = bulk_insert(
        Call,
        rows,
        conflict=["source", "call_id"],
        update=update,
        returning=["call_id", "id"],
        returning_inserted=True,
    )
    pks = {call_id: pk for call_id, pk, _inserted in written}
    # A call inserted just now has no visits to replace.
    updated = [pk for _call_id, pk, inserted in written if not inserted]
    if len(pks) < len(rows):  # the portable fallback returns nothing: read the ids back
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            pks.update(Call.objects.filter(source=source, call_id__in=chunk).values_list("call_id", "id"))
        updated = list(pks.values())
    # The intervals the replaced visits were counted in change too (a late event can move a visit).
    visit_starts = visits_delete(updated)
    bulk_insert(
        QueueVisit,
        [
            {
                "call_id": pks[call_id],
                "seq": visit.seq,
                "queue_id": queue_ids[visit.queue],
                "queued_at": visit.queued_at,
                "answered_at": visit.answered_at,
                "left_at": visit.left_at,
                "ended_at": visit.ended_at,
                "outcome": visit.outcome,
                "agent_code": visit.agent_code,
                "wait_s": visit.wait_s,
                "talk_s": visit.talk_s,
                "hold_s": visit.hold_s,
                "acw_s": visit.acw_s,
            }
            for call_id, summary in summaries.items()
            for visit in summary.visits
        ],
    )
    visit_starts.update(visit.queued_at for summary in summaries.values() for visit in summary.visits)
    return CallsRederived(call_agents=call_agents, visit_starts=visit_starts)


def visits_delete(call_pks: list[int]) -> set[datetime]:
    """Delete the visits of these calls; return when they were queued."""
    if not call_pks:
        return set()
    if connection.vendor != "postgresql":
        visits = QueueVisit.objects.filter(call_id__in=call_pks)
        starts = set(visits.values_list("queued_at", flat=True))
        visits.delete()
        return starts
    with binary_cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {QueueVisit._meta.db_table} WHERE call_id = ANY(%b::bigint[]) RETURNING queued_at",  # noqa: S608
            [call_pks],
        )
        return {row[0] for row in cursor.fetchall()}


def _presence_event(event: FeedEvent | StoredEvent) -> PresenceEvent:
    return PresenceEvent(event.ts, event.type, event.call_id, event.queue, event.data, event.event_id)


def presence_events_apply(
    source: FeedSource,
    new_events: list[FeedEvent],
    call_agents: dict[str, set[str]],
    directory: AgentDirectory,
) -> None:
    """Hand each agent the new events that concern it (see `events_by_agent`)."""
    grouped = {
        agent: [_presence_event(event) for event in events]
        for agent, events in events_by_agent(new_events, call_agents).items()
    }
    presence_grouped_apply(grouped, directory)


def presence_grouped_apply(
    events: dict[str, list[PresenceEvent]],
    directory: AgentDirectory,
    alongside: Callable[[], None] | None = None,
) -> None:
    """Apply each agent's new presence events (late ones rebuild from the stored events), running
    `alongside` on another thread while the in-order ones are replayed (see presence_apply)."""
    presence_apply(
        events_by_agent=events, window_loader=_presence_window, directory=directory, alongside=alongside
    )


def _presence_window(since: dict[str, datetime]) -> dict[str, list[PresenceEvent]]:
    """Every stored presence event of each agent at or after its `since` (for a rebuild)."""
    oldest = min(since.values())
    fields = ("source_id", *StoredEvent._fields)
    own = [
        row
        for row in CallEvent.objects.filter(agent__in=since, ts__gte=oldest, type__in=PRESENCE_TYPES)
        .exclude(agent="")  # the condition of callevent_agent_ts_idx, so the planner may use it
        .values_list(*fields)
        if row[2] >= since[row[6]]
    ]
    calls_of_agent: dict[str, set[str]] = defaultdict(set)
    for row in own:
        if row[4]:
            calls_of_agent[row[6]].add(row[4])
    # The call an agent was busy with when its window opens: its end may name no agent.
    for code, segment in presence_covering(since).items():
        if segment.call_id:
            calls_of_agent[code].add(segment.call_id)
    all_calls = set().union(*calls_of_agent.values()) if calls_of_agent else set()
    unnamed: dict[str, list[StoredEvent]] = defaultdict(list)
    if all_calls:
        # Every source: a segment does not say which feed its call came from. Naming them lets the
        # (source, call_id, ts) index serve the lookup.
        sources = list(FeedSource.objects.values_list("id", flat=True))
        for row in CallEvent.objects.filter(
            source_id__in=sources,
            call_id__in=all_calls,
            type__in=CALL_LEAVING_TYPES,
            agent="",
            ts__gte=oldest,
        ).values_list(*StoredEvent._fields):
            unnamed[row[3]].append(StoredEvent(*row))
    window: dict[str, list[PresenceEvent]] = {code: [] for code in since}
    for row in own:
        window[row[6]].append(_presence_event(StoredEvent(*row[1:])))
    for code, call_ids in calls_of_agent.items():
        for call_id in call_ids:
            window[code] += [_presence_event(e) for e in unnamed.get(call_id, ()) if e.ts >= since[code]]
    return window


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
