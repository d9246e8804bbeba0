"""Services for commands to the ACD: the desktop queues them, the ACD (simulator or PBX adapter) takes them.

A command only asks; what happened comes back as feed events (a real PBX answers an AMI action the
same way), so presence and call summaries have one source of truth: the feed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from telephony.models import AcdAction, AcdCommand, FeedSource
from telephony.services import feed_source_ensure

MAX_TAKE = 200


def acd_source() -> FeedSource:
    """The feed source whose ACD takes desktop commands (settings.ACD_SOURCE)."""
    return feed_source_ensure(name=settings.ACD_SOURCE)


def acd_command_send(
    *, agent_code: str, action: str, call_id: str = "", data: dict[str, Any] | None = None
) -> AcdCommand:
    """Queue one command for the ACD; returns it. The caller has checked the agent may do it."""
    if action not in AcdAction.values:
        raise ValueError(f"unknown ACD action {action!r}")
    return AcdCommand.objects.create(
        source=acd_source(), agent_code=agent_code, action=action, call_id=call_id, data=data or {}
    )


@transaction.atomic
def acd_commands_take(*, source: FeedSource, limit: int = MAX_TAKE) -> list[AcdCommand]:
    """Claim the oldest pending commands of `source`, in order; each is handed out once.

    Concurrent takers skip rows another has locked (PostgreSQL); SQLite serialises writers anyway.
    """
    rows = list(
        AcdCommand.objects.select_for_update(skip_locked=True)
        .filter(source=source, taken_at__isnull=True)
        .order_by("id")[: max(1, min(limit, MAX_TAKE))]
    )
    if rows:
        now = timezone.now()
        AcdCommand.objects.filter(pk__in=[row.pk for row in rows]).update(taken_at=now)
        for row in rows:
            row.taken_at = now
    return rows
