"""Reads of agents: who an agent code is, and current states."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, Subquery

from agents.models import AgentProfile, PresenceCursor, PresenceSegment

User = get_user_model()


class AgentDirectory:
    """Agent code → user id for one unit of work (an ingest batch): each code is looked up once,
    however many steps ask. Not shared between batches, so it never serves a stale id."""

    def __init__(self) -> None:
        self._known: dict[str, int | None] = {}

    def users(self, codes: Iterable[str]) -> dict[str, int]:
        wanted = {code for code in codes if code}
        missing = wanted - self._known.keys()
        if missing:
            found = agent_users_by_code(missing)
            self._known.update({code: found.get(code) for code in missing})
        return {code: user for code in wanted if (user := self._known[code]) is not None}


def agent_users_by_code(codes: Iterable[str]) -> dict[str, int]:
    """Map agent codes to user ids: a profile's code first, else a username equal to the code."""
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    found = dict(AgentProfile.objects.filter(code__in=wanted).values_list("code", "user_id"))
    rest = wanted - found.keys()
    if rest:
        by_username = User.objects.filter(username__in=rest).values_list("username", "id")
        found.update(dict(by_username))
    return found


def presence_covering(since: dict[str, datetime]) -> dict[str, PresenceSegment]:
    """Per agent code, the segment the agent was in at `since[code]` (started before, not ended)."""
    if not since:
        return {}
    rows = PresenceSegment.objects.filter(agent_code__in=since, started_at__lt=max(since.values())).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=min(since.values()))
    )
    covering: dict[str, PresenceSegment] = {}
    for segment in rows.order_by("started_at", "id"):
        moment = since[segment.agent_code]
        if segment.started_at < moment and (segment.ended_at is None or segment.ended_at >= moment):
            covering[segment.agent_code] = segment
    return covering


PRESENCE_NOW_FIELDS = ("agent_code", "state", "reason", "started_at", "queue", "call_id")


def presence_now(*, now: datetime, active_since: datetime) -> list[tuple]:
    """The floor at `now`: for each agent with a feed event at or after `active_since`, the segment
    covering `now` as a row of PRESENCE_NOW_FIELDS; agents in no segment then are left out.

    The covering segment is the agent's latest one started by `now`, when it has not ended by then:
    one probe of (agent_code, started_at) per agent. Asking for "started by now and not ended" over
    all of them instead reads every segment of the day that ends later, and a feed stamped ahead of
    this clock can have written many.
    """
    latest = (
        PresenceSegment.objects.filter(agent_code=OuterRef("agent_code"), started_at__lte=now)
        .order_by("-started_at", "-id")
        .values("id")[:1]
    )
    floor = PresenceCursor.objects.filter(last_event_at__gte=active_since).values(segment=Subquery(latest))
    return list(
        PresenceSegment.objects.filter(id__in=floor)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=now))
        .values_list(*PRESENCE_NOW_FIELDS)
    )
