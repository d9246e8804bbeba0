"""The audit log: one reading layer over the change records every app keeps, as uniform entries.

Sources: tickets (TicketEvent), customers (CustomerEvent), evaluations (EvaluationEvent), queues and
IVR flows (telephony ConfigChange), skills, teams, shifts, templates and time off (agents PlanChange),
edits in Django admin (LogEntry) and what no app records itself (AuditRecord: retention purges,
erasures, scorecard changes).

Pages are keyset-paginated newest first over (at, source, id): each source answers one query for at
most `limit + 1` rows after the cursor, the rows are merged in Python, so a page costs one query per
source whatever its depth, and none per row.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_datetime

from agents.models import PlanChange
from callcenter.models import AuditRecord
from qa.models import EvaluationEvent
from telephony.models import ConfigChange
from tickets.models import CustomerEvent, TicketEvent

MAX_PAGE_SIZE = 200
CONFIG_TYPES = ("queue", "ivr_flow")
PLAN_TYPES = ("skill", "agent_skills", "team", "shift_template", "shift", "time_off")
# What the object-type filter offers, in this order.
OBJECT_TYPES = (
    "ticket",
    "customer",
    "evaluation",
    "scorecard",
    *CONFIG_TYPES,
    *PLAN_TYPES,
    "retention",
    "admin",
)
ADMIN_ACTIONS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


@dataclass(frozen=True)
class AuditFilters:
    object_type: str = ""  # one of OBJECT_TYPES, or "" for all
    object_id: int | None = None
    actor_id: int | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive


@dataclass
class AuditEntry:
    source: str
    id: int
    at: datetime
    actor_id: int | None
    actor: str  # "" for the system (beat tasks, the feed)
    object_type: str
    object_id: int | None
    object_label: str
    action: str
    changes: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    url: str = ""

    @property
    def rank(self) -> int:
        return SOURCE_RANK[self.source]

    @property
    def cursor(self) -> str:
        raw = f"{self.at.isoformat()}|{self.rank}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None  # None on the last page


class BadCursor(ValueError):
    """The cursor was not made by this module (edited or truncated)."""


def _user_label(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def cursor_decode(cursor: str) -> tuple[datetime, int, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at_text, rank_text, id_text = raw.split("|")
        at = parse_datetime(at_text)
        rank, pk = int(rank_text), int(id_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor(cursor) from None
    if at is None or at.tzinfo is None or rank not in SOURCE_RANK.values():
        raise BadCursor(cursor)
    return at, rank, pk


# --- one adapter per source: the queryset for the filters, and a row as an entry ----------------
@dataclass(frozen=True)
class Source:
    name: str
    at_field: str
    actor_field: str
    rows: Callable[[AuditFilters], QuerySet | None]  # None: this source has nothing of that type
    entry: Callable[[Any], AuditEntry]


def _tickets(filters: AuditFilters) -> QuerySet | None:
    if filters.object_type not in ("", "ticket"):
        return None
    rows = TicketEvent.objects.select_related("actor", "ticket").only(
        "id", "created_at", "kind", "changes", "ticket_id", "ticket__subject", *_ACTOR_ONLY
    )
    return rows.filter(ticket_id=filters.object_id) if filters.object_id else rows


def _ticket_entry(row: TicketEvent) -> AuditEntry:
    return AuditEntry(
        source="ticket",
        id=row.pk,
        at=row.created_at,
        actor_id=row.actor_id,
        actor=_user_label(row.actor),
        object_type="ticket",
        object_id=row.ticket_id,
        object_label=f"T-{row.ticket_id} {row.ticket.subject}",
        action=row.kind,
        changes=row.changes or {},
        url=reverse("tickets:ticket_detail", args=[row.ticket_id]),
    )


def _customers(filters: AuditFilters) -> QuerySet | None:
    if filters.object_type not in ("", "customer"):
        return None
    rows = CustomerEvent.objects.select_related("actor", "customer").only(
        "id", "created_at", "kind", "changes", "customer_id", "customer__name", *_ACTOR_ONLY
    )
    return rows.filter(customer_id=filters.object_id) if filters.object_id else rows


def _customer_entry(row: CustomerEvent) -> AuditEntry:
    return AuditEntry(
        source="customer",
        id=row.pk,
        at=row.created_at,
        actor_id=row.actor_id,
        actor=_user_label(row.actor),
        object_type="customer",
        object_id=row.customer_id,
        object_label=row.customer.name,
        action=row.kind,
        changes=row.changes or {},
        url=reverse("tickets:customer_detail", args=[row.customer_id]),
    )


def _evaluations(filters: AuditFilters) -> QuerySet | None:
    if filters.object_type not in ("", "evaluation"):
        return None
    rows = EvaluationEvent.objects.select_related("actor").only(
        "id", "created_at", "kind", "data", "evaluation_id", *_ACTOR_ONLY
    )
    return rows.filter(evaluation_id=filters.object_id) if filters.object_id else rows


def _evaluation_entry(row: EvaluationEvent) -> AuditEntry:
    return AuditEntry(
        source="evaluation",
        id=row.pk,
        at=row.created_at,
        actor_id=row.actor_id,
        actor=_user_label(row.actor),
        object_type="evaluation",
        object_id=row.evaluation_id,
        object_label=f"QA-{row.evaluation_id}",
        action=row.kind,
        changes=row.data or {},
        url=reverse("qa:evaluation_detail", args=[row.evaluation_id]),
    )


def _typed(model: type, types: tuple[str, ...] | None, filters: AuditFilters) -> QuerySet | None:
    """Rows of a source that names its object type per row (ConfigChange, PlanChange, AuditRecord)."""
    if filters.object_type and types is not None and filters.object_type not in types:
        return None
    rows = model.objects.select_related("actor")
    if filters.object_type:
        rows = rows.filter(object_type=filters.object_type)
    if filters.object_id:
        rows = rows.filter(object_id=filters.object_id)
    return rows


def _typed_entry(source: str) -> Callable[[Any], AuditEntry]:
    def entry(row: Any) -> AuditEntry:
        return AuditEntry(
            source=source,
            id=row.pk,
            at=row.at,
            actor_id=row.actor_id,
            actor=_user_label(row.actor),
            object_type=row.object_type,
            object_id=row.object_id,
            object_label=row.object_label,
            action=row.action,
            changes=row.changes or {},
            note=row.note,
            url=_object_url(row.object_type, row.object_id),
        )

    return entry


def _object_url(object_type: str, object_id: int | None) -> str:
    if object_id is None:
        return ""
    names = {
        "queue": "console:queue_edit",
        "ivr_flow": "console:ivr_builder",
        "skill": "console:skill_edit",
        "team": "console:team_edit",
        "shift_template": "wfm:template_edit",
        "customer": "tickets:customer_detail",
        "scorecard": "qa:scorecard_detail",
    }
    name = names.get(object_type)
    if name is None:
        return ""
    try:
        return reverse(name, args=[object_id])
    except NoReverseMatch:  # a renamed page must not break the audit log; the entry stays
        return ""


def _admin(filters: AuditFilters) -> QuerySet | None:
    if filters.object_type not in ("", "admin"):
        return None
    rows = LogEntry.objects.select_related("user", "content_type")
    if filters.object_id:
        rows = rows.filter(object_id=str(filters.object_id))
    return rows


def _admin_entry(row: LogEntry) -> AuditEntry:
    content_type = row.content_type
    return AuditEntry(
        source="admin",
        id=row.pk,
        at=row.action_time,
        actor_id=row.user_id,
        actor=_user_label(row.user),
        object_type="admin",
        object_id=int(row.object_id) if (row.object_id or "").isdigit() else None,
        object_label=(
            f"{content_type.app_label}.{content_type.model}: {row.object_repr}"
            if content_type
            else row.object_repr
        ),
        action=ADMIN_ACTIONS.get(row.action_flag, "changed"),
        note=row.get_change_message()[:500],
    )


_ACTOR_ONLY = ("actor_id", "actor__username", "actor__first_name", "actor__last_name")

SOURCES: tuple[Source, ...] = (
    Source("ticket", "created_at", "actor_id", _tickets, _ticket_entry),
    Source("customer", "created_at", "actor_id", _customers, _customer_entry),
    Source("evaluation", "created_at", "actor_id", _evaluations, _evaluation_entry),
    Source(
        "config", "at", "actor_id", lambda f: _typed(ConfigChange, CONFIG_TYPES, f), _typed_entry("config")
    ),
    Source("plan", "at", "actor_id", lambda f: _typed(PlanChange, PLAN_TYPES, f), _typed_entry("plan")),
    Source("admin", "action_time", "user_id", _admin, _admin_entry),
    Source("care", "at", "actor_id", lambda f: _typed(AuditRecord, None, f), _typed_entry("care")),
)
SOURCE_RANK = {source.name: rank for rank, source in enumerate(SOURCES, start=1)}


def _after_cursor(source: Source, rank: int, cursor: tuple[datetime, int, int]) -> Q:
    """Rows that come after the cursor in the order (at desc, source rank desc, id desc)."""
    at, cursor_rank, pk = cursor
    at_lt = Q(**{f"{source.at_field}__lt": at})
    if rank < cursor_rank:
        return Q(**{f"{source.at_field}__lte": at})
    if rank == cursor_rank:
        return at_lt | Q(**{source.at_field: at, "pk__lt": pk})
    return at_lt


def audit_entries(*, filters: AuditFilters, limit: int = 50, cursor: str | None = None) -> AuditPage:
    """A page of audit entries, newest first, matching `filters`, after `cursor` (from a previous
    page's `next_cursor`). Raises BadCursor for a cursor this module did not make. One query per
    source (at most seven), none per entry."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    position = cursor_decode(cursor) if cursor else None
    entries: list[AuditEntry] = []
    for source in SOURCES:
        rows = source.rows(filters)
        if rows is None:
            continue
        if filters.actor_id:
            rows = rows.filter(**{source.actor_field: filters.actor_id})
        if filters.start:
            rows = rows.filter(**{f"{source.at_field}__gte": filters.start})
        if filters.end:
            rows = rows.filter(**{f"{source.at_field}__lt": filters.end})
        if position:
            rows = rows.filter(_after_cursor(source, SOURCE_RANK[source.name], position))
        rows = rows.order_by(f"-{source.at_field}", "-pk")[: limit + 1]
        entries.extend(source.entry(row) for row in rows)
    entries.sort(key=lambda entry: (entry.at, entry.rank, entry.id), reverse=True)
    page = entries[:limit]
    return AuditPage(page, page[-1].cursor if len(entries) > limit else None)


# --- writes: data-care actions ----------------------------------------------------------------------
def audit_record(
    *,
    actor: Any,
    object_type: str,
    object_id: int | None,
    object_label: str,
    action: str,
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> AuditRecord:
    """Record a data-care action (never the personal data it touched); joins the caller's transaction."""
    with transaction.atomic():
        return AuditRecord.objects.create(
            actor=actor if actor is not None and actor.is_authenticated else None,
            object_type=object_type,
            object_id=object_id,
            object_label=object_label[:200],
            action=action,
            changes=changes or {},
            note=note[:200],
        )
