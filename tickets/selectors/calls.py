"""Reads around calls: dispositions, the script for a call, callbacks on an agent's list, call logs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet

from tickets.models import Callback, CallbackStatus, CallLog, CallScript, CallScriptStep, Disposition

UPCOMING = timedelta(hours=8)


def dispositions_active() -> QuerySet[Disposition]:
    return Disposition.objects.filter(active=True).order_by("order", "label")


def call_script_for(*, queue: str, direction: str) -> CallScript | None:
    """The most specific active script: queue and direction, then queue, then direction, then any."""
    candidates = (
        CallScript.objects.filter(active=True)
        .filter(Q(queue=queue) | Q(queue=""))
        .filter(Q(direction=direction) | Q(direction=""))
        .prefetch_related(Prefetch("steps", queryset=CallScriptStep.objects.order_by("order", "id")))
    )
    return min(candidates, key=lambda s: (s.queue != queue, s.direction != direction, s.name), default=None)


@dataclass(frozen=True)
class CallbackList:
    due: list[Callback]  # due now or overdue, not yet dialled (mine, and unassigned ones)
    upcoming: list[Callback]  # mine, in the next hours
    missed: list[Callback]  # mine, flagged missed


def callbacks_for_agent(*, agent: AbstractBaseUser, now: datetime) -> CallbackList:
    """The agent's callback list in one query (bounded: the desk shows the first 50)."""
    rows = list(
        Callback.objects.filter(
            Q(agent=agent) | Q(agent__isnull=True),
            status__in=[CallbackStatus.SCHEDULED, CallbackStatus.MISSED, CallbackStatus.OFFERED],
            due_at__lte=now + UPCOMING,
        )
        .select_related("customer")
        .order_by("due_at", "id")[:50]
    )
    return CallbackList(
        due=[c for c in rows if c.status != CallbackStatus.MISSED and c.due_at <= now],
        upcoming=[c for c in rows if c.status == CallbackStatus.SCHEDULED and c.due_at > now and c.agent_id],
        missed=[c for c in rows if c.status == CallbackStatus.MISSED and c.agent_id == agent.pk],
    )


def call_log_for(*, agent: AbstractBaseUser, call_id: str) -> CallLog | None:
    return (
        CallLog.objects.filter(agent=agent, call_id=call_id)
        .select_related("disposition", "ticket", "customer")
        .first()
    )


def call_logs_for_call(*, call_id: str) -> list[CallLog]:
    """Every agent's log of one call (notes, disposition, ticket, customer), oldest first; for QA."""
    return list(
        CallLog.objects.filter(call_id=call_id)
        .select_related("agent", "disposition", "ticket", "customer")
        .order_by("created_at", "id")
    )


def call_ids_with_disposition(*, code: str) -> QuerySet:
    """The call ids logged with disposition `code`, as a subquery (no rows are fetched)."""
    return CallLog.objects.filter(disposition__code=code).values("call_id")
