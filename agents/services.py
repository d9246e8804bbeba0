"""Writes of agents: applying feed events to the presence log."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from agents.models import PresenceCursor, PresenceSegment
from agents.presence import PresenceEvent, Segment, presence_replay
from agents.selectors import AgentDirectory, presence_covering
from callcenter.bulk import bulk_insert, bulk_update_by_pk

WindowLoader = Callable[[dict[str, datetime]], dict[str, list[PresenceEvent]]]


@transaction.atomic
def presence_apply(
    *,
    events_by_agent: dict[str, list[PresenceEvent]],
    window_loader: WindowLoader,
    directory: AgentDirectory | None = None,
    alongside: Callable[[], None] | None = None,
) -> None:
    """Apply new feed events to each agent's presence log.

    An agent whose new events are all later than anything applied before (the usual case) is
    extended from its open segment. An agent with a late event is rebuilt from that instant on:
    `window_loader({code: since})` must return every stored presence event of each agent at or
    after `since` (new ones included). Either way the log equals an in-order replay. `directory`
    resolves agent codes to users (pass the batch's own, so codes are looked up once).
    `alongside` runs on another thread while the in-order events are replayed, which is pure
    Python: the caller's own statement on this connection (the queue_log import's COPY of the
    events) then costs PostgreSQL's time, not the replay's too. Its error is raised here.
    """
    directory = directory or AgentDirectory()
    events_by_agent = {code: events for code, events in events_by_agent.items() if code and events}
    if not events_by_agent:
        if alongside is not None:
            alongside()
        return
    cursors = dict(
        PresenceCursor.objects.filter(agent_code__in=events_by_agent).values_list(
            "agent_code", "last_event_at"
        )
    )
    in_order: dict[str, list[PresenceEvent]] = {}
    late: dict[str, datetime] = {}
    for code, events in events_by_agent.items():
        earliest = min(event.ts for event in events)
        # Strictly later: events sharing an instant with applied ones may sort before them.
        if code not in cursors or earliest > cursors[code]:
            in_order[code] = events
        else:
            late[code] = earliest
    users = directory.users(events_by_agent)
    if in_order:
        open_segments = {
            segment.agent_code: segment
            for segment in PresenceSegment.objects.filter(
                agent_code__in=in_order, ended_at__isnull=True
            ).order_by("started_at", "id")
        }
        with _running_alongside(alongside):
            replayed = _replayed(in_order, open_segments, users)
        _replayed_store(*replayed)
    elif alongside is not None:
        alongside()
    if late:
        since = _rebuild_since(late)
        _rebuild(window_loader(since), users, since)
    transaction.on_commit(lambda: _publish(events_by_agent, users))
    bulk_insert(
        PresenceCursor,
        [
            {
                "agent_code": code,
                "last_event_at": max(
                    [event.ts for event in events] + ([cursors[code]] if code in cursors else [])
                ),
            }
            for code, events in events_by_agent.items()
        ],
        conflict=["agent_code"],
        update=["last_event_at"],
    )


def _publish(events_by_agent: dict[str, list[PresenceEvent]], users: dict[str, int]) -> None:
    from agents.live import presence_publish  # the live layer reads presence; imported late to avoid a cycle

    presence_publish(events_by_agent, users=users)


def _rebuild_since(late: dict[str, datetime]) -> dict[str, datetime]:
    """Where each agent's rebuild begins for late events from `late[code]` on: where the segment
    covering that instant began. That segment may hold a pending state (a pause asked for during a
    call) set by an event after the late one; replaying from its start settles it in feed order,
    while the segment before it ended, so nothing after its end shaped it."""
    covering = presence_covering(late)
    return {
        code: min(moment, covering[code].started_at) if code in covering else moment
        for code, moment in late.items()
    }


def _rebuild(
    events_by_agent: dict[str, list[PresenceEvent]], users: dict[str, int], since: dict[str, datetime]
) -> None:
    since = {code: moment for code, moment in since.items() if events_by_agent.get(code)}
    if not since:
        return
    # The segment each agent was in when its changed window opens: replay continues from it.
    before = presence_covering(since)
    later = Q(pk__in=[])
    for code, moment in since.items():
        later |= Q(agent_code=code, started_at__gte=moment)
    PresenceSegment.objects.filter(later).delete()
    _replay_and_store({code: events_by_agent[code] for code in since}, before, users)


@contextmanager
def _running_alongside(work: Callable[[], None] | None) -> Iterator[None]:
    """Run `work` on a thread during the block; wait for it after, and raise what it raised."""
    if work is None:
        yield
        return
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread below
            failure.append(error)

    thread = threading.Thread(target=run, name="presence-alongside")
    thread.start()
    try:
        yield
    finally:
        thread.join()
    if failure:
        raise failure[0]


def _replay_and_store(
    events_by_agent: dict[str, list[PresenceEvent]], starts: dict[str, PresenceSegment], users: dict[str, int]
) -> None:
    _replayed_store(*_replayed(events_by_agent, starts, users))


def _replayed(
    events_by_agent: dict[str, list[PresenceEvent]], starts: dict[str, PresenceSegment], users: dict[str, int]
) -> tuple[list[dict], list[dict]]:
    """Replay each agent's events after its start segment: the changes to the start segments
    (closed, or given a pending state) and the new segments. No queries."""
    changed: list[dict] = []
    created: list[dict] = []
    for code, events in events_by_agent.items():
        prior = starts.get(code)
        start = (
            Segment(
                prior.state,
                prior.started_at,
                prior.reason,
                prior.call_id,
                prior.queue,
                pending_state=prior.pending_state,
                pending_reason=prior.pending_reason,
            )
            if prior
            else None
        )
        segments = presence_replay(start, events)
        if prior is not None:
            head = segments[0]
            after = (head.ended_at, head.pending_state, head.pending_reason)
            if (prior.ended_at, prior.pending_state, prior.pending_reason) != after:
                changed.append(
                    {
                        "id": prior.pk,
                        "ended_at": after[0],
                        "pending_state": after[1],
                        "pending_reason": after[2],
                    }
                )
            segments = segments[1:]
        created += [
            {
                "agent_code": code,
                "agent_id": users.get(code),
                "state": segment.state,
                "reason": segment.reason,
                "call_id": segment.call_id,
                "queue": segment.queue,
                "started_at": segment.started_at,
                "ended_at": segment.ended_at,
                "pending_state": segment.pending_state,
                "pending_reason": segment.pending_reason,
            }
            for segment in segments
        ]
    return changed, created


def _replayed_store(changed: list[dict], created: list[dict]) -> None:
    bulk_update_by_pk(PresenceSegment, changed, ["ended_at", "pending_state", "pending_reason"])
    bulk_insert(PresenceSegment, created)
