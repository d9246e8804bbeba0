"""Writes of agents: applying feed events to the presence log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from agents.models import PresenceSegment
from agents.presence import PresenceEvent, Segment, presence_replay
from agents.selectors import agent_users_by_code


@transaction.atomic
def presence_rebuild(*, events_by_agent: dict[str, list[PresenceEvent]]) -> dict[str, str]:
    """Rebuild each agent's presence from the earliest given event on.

    `events_by_agent` holds, per agent code, every presence event at or after that agent's earliest
    changed instant (the caller loads them), so late and out-of-order events give the same log as
    ordered ones. Returns the current state per agent code.
    """
    users = agent_users_by_code(events_by_agent)
    current_states: dict[str, str] = {}
    for code, events in events_by_agent.items():
        if not events:
            continue
        since = min(event.ts for event in events)
        PresenceSegment.objects.filter(agent_code=code, started_at__gte=since).delete()
        before = (
            PresenceSegment.objects.filter(agent_code=code, started_at__lt=since)
            .order_by("-started_at", "-id")
            .first()
        )
        current = (
            Segment(before.state, before.started_at, before.reason, before.call_id, before.queue)
            if before
            else None
        )
        segments = presence_replay(current, events)
        if before is not None:
            before.ended_at = segments[0].ended_at
            before.save(update_fields=["ended_at"])
            segments = segments[1:]
        PresenceSegment.objects.bulk_create(
            PresenceSegment(
                agent_code=code,
                agent_id=users.get(code),
                state=segment.state,
                reason=segment.reason,
                call_id=segment.call_id,
                queue=segment.queue,
                started_at=segment.started_at,
                ended_at=segment.ended_at,
            )
            for segment in segments
        )
        last = segments[-1] if segments else current
        if last:
            current_states[code] = last.state
    return current_states


def earliest_per_agent(pairs: Iterable[tuple[str, datetime]]) -> dict[str, datetime]:
    """The earliest instant per agent code among (code, ts) pairs."""
    result: dict[str, datetime] = {}
    for code, ts in pairs:
        if code and (code not in result or ts < result[code]):
            result[code] = ts
    return result
