"""Writes of tickets: create, update with optimistic concurrency, comments, watchers, merge, bulk actions.

Every change records a TicketEvent (who, when, `changes` = {field: [before, after]}) so a ticket's
timeline is complete. Updates name the version they read; a stale version loses with ConflictError
instead of silently overwriting someone else's change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Team
from callcenter.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from callcenter.formatting import format_datetime
from tickets.models import (
    DONE_STATUSES,
    Callback,
    CallLog,
    Category,
    Channel,
    Customer,
    Priority,
    Status,
    Ticket,
    TicketComment,
    TicketEvent,
)
from tickets.selectors.tickets import ticket_get_for_user, tickets_visible_to
from tickets.services.sla import SlaContext, sla_ticket_sync

# Fields a person may change with ticket_update; the others are kept by the services themselves.
EDITABLE_FIELDS = (
    "subject",
    "description",
    "channel",
    "status",
    "priority",
    "category",
    "customer",
    "team",
    "assignee",
)
RELATED_FIELDS = ("category", "customer", "team", "assignee")
BULK_ACTIONS = ("assign", "status", "priority", "team")


# --- helpers ---------------------------------------------------------------------------------------
def _user_label(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _event_value(name: str, value: Any) -> Any:
    """A JSON value for TicketEvent.changes: related objects as {"id", "name"}, the rest as stored."""
    if isinstance(value, Model):
        label = _user_label(value) if name == "assignee" else str(value)
        return {"id": value.pk, "name": label}
    return value


def _require_change(actor: AbstractBaseUser) -> None:
    if not actor.has_perm("tickets.change_ticket"):
        raise ForbiddenError(_("Your role may look at tickets but not change them."))


def _ticket_for_change(*, actor: AbstractBaseUser, ticket_id: int) -> Ticket:
    """The ticket if `actor` may see and change it; NotFoundError if invisible, ForbiddenError if not."""
    ticket = ticket_get_for_user(user=actor, ticket_id=ticket_id)
    _require_change(actor)
    return ticket


def _last_change(ticket_id: int) -> TicketEvent | None:
    return (
        TicketEvent.objects.filter(ticket_id=ticket_id)
        .exclude(kind__in=("commented", "watcher_added", "watcher_removed"))
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )


def _conflict(ticket_id: int) -> ConflictError:
    """Says who changed the ticket and when, so the loser can look and reapply their change."""
    event = _last_change(ticket_id)
    if event is None:
        message = _(
            "T-%(id)s was changed after you opened it. Check its current values and apply your change again."
        )
        return ConflictError(message % {"id": ticket_id})
    message = _(
        "T-%(id)s was changed by %(who)s at %(when)s after you opened it. "
        "Check its current values and apply your change again."
    )
    return ConflictError(
        message
        % {
            "id": ticket_id,
            "who": _user_label(event.actor) or _("the system"),
            "when": format_datetime(event.created_at),
        }
    )


def check_assignee(assignee: AbstractBaseUser | None) -> None:
    if assignee is not None and not (assignee.is_active and assignee.has_perm("tickets.change_ticket")):
        raise ApplicationError(
            _("%(who)s cannot work tickets; pick someone else.") % {"who": _user_label(assignee)},
            fields={"assignee": [_("This person cannot work tickets.")]},
        )


def _transition_error(ticket: Ticket, new_status: str) -> str | None:
    """Why `ticket` may not move to `new_status`, or None when it may."""
    if new_status not in Status.values:
        return _("“%(status)s” is not a ticket status.") % {"status": new_status}
    if new_status == ticket.status:
        return None
    if ticket.merged_into_id:
        return _("T-%(id)s was merged into T-%(into)s; work that ticket instead.") % {
            "id": ticket.pk,
            "into": ticket.merged_into_id,
        }
    if new_status == Status.NEW:
        return _("A ticket cannot go back to “New”; use “Open”.")
    if ticket.status == Status.CLOSED and new_status != Status.OPEN:
        return _("A closed ticket can only be reopened (set it to “Open”).")
    return None


def _apply_status(ticket: Ticket, new_status: str, now: datetime) -> list[str]:
    """Set the status and its timestamps in memory; returns the fields touched."""
    previous = ticket.status
    ticket.status = new_status
    touched = ["status"]
    if new_status == Status.RESOLVED:
        ticket.resolved_at = now
        touched.append("resolved_at")
    elif new_status == Status.CLOSED:
        ticket.closed_at = now
        touched.append("closed_at")
        # Closed straight from work counts as resolved now: resolution times need an end.
        if ticket.resolved_at is None:
            ticket.resolved_at = now
            touched.append("resolved_at")
    elif previous in DONE_STATUSES:
        ticket.resolved_at = None
        ticket.closed_at = None
        touched += ["resolved_at", "closed_at"]
    return touched


# --- create ----------------------------------------------------------------------------------------
@transaction.atomic
def ticket_create(
    *,
    actor: AbstractBaseUser | None,
    subject: str,
    customer: Customer | None = None,
    channel: str = Channel.PHONE,
    priority: int = Priority.NORMAL,
    category: Category | None = None,
    team: Team | None = None,
    assignee: AbstractBaseUser | None = None,
    description: str = "",
    call_id: str = "",
) -> Ticket:
    """Open a ticket, start its SLA clock and record who opened it (and from which call).

    Raises ForbiddenError when `actor` may not open tickets, ApplicationError (with `fields`) on bad
    input. A call log of `actor` for `call_id` without a ticket is linked to the new one.
    """
    if actor is not None and not actor.has_perm("tickets.add_ticket"):
        raise ForbiddenError(_("Your role may not open tickets."))
    errors: dict[str, list[str]] = {}
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = [_("Give the ticket a subject.")]
    if channel not in Channel.values:
        errors["channel"] = [_("Choose one of the listed channels.")]
    if priority not in Priority.values:
        errors["priority"] = [_("Choose one of the listed priorities.")]
    if errors:
        raise ApplicationError(_("The ticket has errors; see the marked fields."), fields=errors)
    check_assignee(assignee)
    ticket = Ticket(
        subject=subject,
        customer=customer,
        channel=channel,
        priority=priority,
        category=category,
        team=team,
        assignee=assignee,
        description=description,
        created_by=actor,
    )
    sla_ticket_sync(ticket=ticket, now=timezone.now())
    ticket.save()
    changes: dict[str, list[Any]] = {}
    for name in ("subject", "status", "priority", "channel", *RELATED_FIELDS):
        value = getattr(ticket, name)
        if value not in (None, ""):
            changes[name] = [None, _event_value(name, value)]
    if call_id:
        changes["call_id"] = [None, call_id]
        if actor is not None:
            CallLog.objects.filter(call_id=call_id, agent=actor, ticket__isnull=True).update(ticket=ticket)
    TicketEvent.objects.create(ticket=ticket, actor=actor, kind="created", changes=changes)
    return ticket


# --- update ----------------------------------------------------------------------------------------
@transaction.atomic
def ticket_update(*, ticket_id: int, actor: AbstractBaseUser, version: int, **changes: Any) -> Ticket:
    """Change fields of a ticket the actor read at `version` (compare-and-swap).

    `changes` may hold subject, description, channel, status, priority, category, customer, team
    and assignee (related ones as objects or None). Returns the ticket as saved (version + 1), or
    unchanged when nothing differs. Raises NotFoundError (invisible), ForbiddenError (read-only
    role), ApplicationError (bad value or transition) and ConflictError (someone changed it since).
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed: %(names)s.") % {"names": ", ".join(sorted(unknown))},
            fields={name: [_("Not editable.")] for name in sorted(unknown)},
        )
    ticket = _ticket_for_change(actor=actor, ticket_id=ticket_id)
    if ticket.version != version:
        raise _conflict(ticket.pk)

    diff: dict[str, list[Any]] = {}
    for name, value in changes.items():
        current = getattr(ticket, name)
        if name == "subject":
            value = (value or "").strip()
            if not value:
                raise ApplicationError(
                    _("Give the ticket a subject."), fields={"subject": [_("Give the ticket a subject.")]}
                )
        if name in RELATED_FIELDS:
            same = (current.pk if current else None) == (value.pk if value else None)
        else:
            same = current == value
        if not same:
            diff[name] = [_event_value(name, current), _event_value(name, value)]
    if not diff:
        return ticket
    if ticket.merged_into_id and "status" not in diff:
        raise ApplicationError(
            _("T-%(id)s was merged into T-%(into)s; work that ticket instead.")
            % {"id": ticket.pk, "into": ticket.merged_into_id}
        )
    if ticket.status == Status.CLOSED and changes.get("status", Status.CLOSED) == Status.CLOSED:
        raise ApplicationError(
            _("A closed ticket cannot be changed; reopen it first (set it to “Open”)."),
            fields={"status": [_("Reopen the ticket to change it.")]},
        )
    if "channel" in diff and changes["channel"] not in Channel.values:
        raise ApplicationError(
            _("Choose one of the listed channels."), fields={"channel": [_("Not a channel.")]}
        )
    if "priority" in diff and changes["priority"] not in Priority.values:
        raise ApplicationError(
            _("Choose one of the listed priorities."), fields={"priority": [_("Not a priority.")]}
        )
    if "assignee" in diff:
        check_assignee(changes["assignee"])

    now = timezone.now()
    fields = [name for name in diff if name != "status"]
    for name in fields:
        value = changes[name]
        setattr(ticket, name, value.strip() if name == "subject" else value)
    if "status" in diff:
        problem = _transition_error(ticket, changes["status"])
        if problem:
            raise ApplicationError(problem, fields={"status": [problem]})
        fields += _apply_status(ticket, changes["status"], now)
    fields += sla_ticket_sync(ticket=ticket, now=now)

    values = {name: getattr(ticket, name) for name in dict.fromkeys(fields)}
    won = Ticket.objects.filter(pk=ticket.pk, version=version).update(
        **values, version=F("version") + 1, updated_at=now
    )
    if not won:
        raise _conflict(ticket.pk)
    ticket.version = version + 1
    ticket.updated_at = now
    TicketEvent.objects.create(ticket=ticket, actor=actor, kind="updated", changes=diff)
    return ticket


# --- comments and watchers -------------------------------------------------------------------------
@transaction.atomic
def ticket_comment_add(
    *, ticket_id: int, actor: AbstractBaseUser, body: str, internal: bool
) -> TicketComment:
    """Add an internal note (staff only) or a reply to the customer.

    The first reply to the customer sets `first_responded_at` (and lets the SLA stop its
    first-response clock). Raises NotFoundError, ForbiddenError, or ApplicationError on an empty
    body or a merged ticket.
    """
    ticket = _ticket_for_change(actor=actor, ticket_id=ticket_id)
    body = (body or "").strip()
    if not body:
        raise ApplicationError(_("Write something first."), fields={"body": [_("Write something first.")]})
    if ticket.merged_into_id:
        raise ApplicationError(
            _("T-%(id)s was merged into T-%(into)s; write on that ticket instead.")
            % {"id": ticket.pk, "into": ticket.merged_into_id}
        )
    comment = TicketComment.objects.create(ticket=ticket, author=actor, body=body, internal=internal)
    TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        kind="commented",
        changes={"comment": [None, comment.pk], "internal": [None, internal]},
    )
    if not internal and ticket.first_responded_at is None:
        now = comment.created_at
        ticket.first_responded_at = now
        fields = [
            "first_responded_at",
            *sla_ticket_sync(ticket=ticket, now=now),
        ]
        values = {name: getattr(ticket, name) for name in dict.fromkeys(fields)}
        # Conditional: of two first replies at once, only one sets the instant. The version moves on
        # because the SLA fields changed under anyone holding the ticket open.
        Ticket.objects.filter(pk=ticket.pk, first_responded_at__isnull=True).update(
            **values, version=F("version") + 1, updated_at=now
        )
    return comment


@transaction.atomic
def ticket_watch(*, ticket_id: int, actor: AbstractBaseUser, user: AbstractBaseUser | None = None) -> Ticket:
    """Add `user` (default: the actor) to the watchers. Watching yourself needs only sight of the
    ticket; adding someone else needs the right to change it."""
    ticket = ticket_get_for_user(user=actor, ticket_id=ticket_id)
    user = user or actor
    if user.pk != actor.pk:
        _require_change(actor)
    if not ticket.watchers.filter(pk=user.pk).exists():
        ticket.watchers.add(user)
        TicketEvent.objects.create(
            ticket=ticket,
            actor=actor,
            kind="watcher_added",
            changes={"watchers": [None, _event_value("assignee", user)]},
        )
    return ticket


@transaction.atomic
def ticket_unwatch(
    *, ticket_id: int, actor: AbstractBaseUser, user: AbstractBaseUser | None = None
) -> Ticket:
    """Remove `user` (default: the actor) from the watchers; same rights as ticket_watch."""
    ticket = ticket_get_for_user(user=actor, ticket_id=ticket_id)
    user = user or actor
    if user.pk != actor.pk:
        _require_change(actor)
    if ticket.watchers.filter(pk=user.pk).exists():
        ticket.watchers.remove(user)
        TicketEvent.objects.create(
            ticket=ticket,
            actor=actor,
            kind="watcher_removed",
            changes={"watchers": [_event_value("assignee", user), None]},
        )
    return ticket


# --- merge -----------------------------------------------------------------------------------------
@transaction.atomic
def ticket_merge(
    *, source_id: int, target_id: int, actor: AbstractBaseUser, allow_other_customer: bool = False
) -> Ticket:
    """Merge the duplicate `source` into `target`; returns the target.

    The source is closed and points at the target; its comments move to the target (with a note
    saying where they came from), its watchers join the target's, and its call logs and callbacks
    are re-linked. Refuses merging a ticket into itself, into or from a merged ticket, and across
    customers unless `allow_other_customer` says the actor means it.
    """
    if source_id == target_id:
        raise ApplicationError(
            _("A ticket cannot be merged into itself."), fields={"into": [_("Pick another ticket.")]}
        )
    source = ticket_get_for_user(user=actor, ticket_id=source_id)
    try:
        target = ticket_get_for_user(user=actor, ticket_id=target_id)
    except NotFoundError as error:
        raise NotFoundError(error.message, fields={"into": [error.message]}) from None
    _require_change(actor)
    # Lock both rows in id order so two merges of the same pair cannot deadlock.
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update().filter(pk__in=[source_id, target_id]).order_by("pk")
    }
    source, target = locked[source_id], locked[target_id]
    if target.merged_into_id:
        message = _("T-%(id)s was itself merged into T-%(into)s; merge into that one.") % {
            "id": target.pk,
            "into": target.merged_into_id,
        }
        raise ApplicationError(message, fields={"into": [message]})
    if source.merged_into_id:
        raise ApplicationError(
            _("T-%(id)s is already merged into T-%(into)s.")
            % {"id": source.pk, "into": source.merged_into_id}
        )
    if (
        source.customer_id
        and target.customer_id
        and source.customer_id != target.customer_id
        and not allow_other_customer
    ):
        message = _(
            "T-%(source)s and T-%(target)s belong to different customers. "
            "Merge anyway only if they are the same case (tick “different customers”)."
        ) % {"source": source.pk, "target": target.pk}
        raise ApplicationError(message, fields={"into": [message]}, code="different_customers")

    now = timezone.now()
    moved = TicketComment.objects.filter(ticket=source).update(ticket=target)
    TicketComment.objects.create(
        ticket=target,
        author=actor,
        internal=True,
        body=_("Merged from T-%(id)s “%(subject)s”: %(count)s comment(s) moved here.\n%(description)s")
        % {"id": source.pk, "subject": source.subject, "count": moved, "description": source.description},
    )
    target.watchers.add(*source.watchers.all())
    CallLog.objects.filter(ticket=source).update(ticket=target)
    Callback.objects.filter(ticket=source).update(ticket=target)

    previous_status = source.status
    source.merged_into = target
    fields = ["merged_into"]
    if source.status != Status.CLOSED:
        fields += _apply_status(source, Status.CLOSED, now)
    fields += sla_ticket_sync(ticket=source, now=now)
    Ticket.objects.filter(pk=source.pk).update(
        **{name: getattr(source, name) for name in dict.fromkeys(fields)},
        version=F("version") + 1,
        updated_at=now,
    )
    target_changes: dict[str, list[Any]] = {"merged_from": [None, source.pk], "comments_moved": [0, moved]}
    if target.customer_id is None and source.customer_id:
        target_changes["customer"] = [None, _event_value("customer", source.customer)]
        Ticket.objects.filter(pk=target.pk).update(
            customer_id=source.customer_id, version=F("version") + 1, updated_at=now
        )
        target.customer_id = source.customer_id
        target.version += 1
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket=source,
                actor=actor,
                kind="merged",
                changes={"merged_into": [None, target.pk], "status": [previous_status, Status.CLOSED]},
            ),
            TicketEvent(ticket=target, actor=actor, kind="merged_from", changes=target_changes),
        ]
    )
    return target


# --- bulk ------------------------------------------------------------------------------------------
@dataclass
class BulkResult:
    updated: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)


def _bulk_value(action: str, value: Any) -> Any:
    """The validated value of a bulk action (a user, team, status or priority); ApplicationError if bad."""
    if action not in BULK_ACTIONS:
        raise ApplicationError(
            _("Choose one of the actions: %(actions)s.") % {"actions": ", ".join(BULK_ACTIONS)},
            fields={"action": [_("Not a bulk action.")]},
        )
    if action == "status":
        if value not in Status.values or value == Status.NEW:
            raise ApplicationError(_("Choose a status."), fields={"value": [_("Not a status you can set.")]})
        return value
    if action == "priority":
        try:
            value = int(value)
        except (TypeError, ValueError):
            value = None
        if value not in Priority.values:
            raise ApplicationError(_("Choose a priority."), fields={"value": [_("Not a priority.")]})
        return value
    if value in (None, "", "none"):
        return None
    model = get_user_model() if action == "assign" else Team
    try:
        found = model.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        message = _("No such person.") if action == "assign" else _("No such team.")
        raise ApplicationError(message, fields={"value": [message]})
    if action == "assign":
        check_assignee(found)
    return found


@transaction.atomic
def tickets_bulk_update(*, ids: list[int], actor: AbstractBaseUser, action: str, value: Any) -> BulkResult:
    """Apply one action (assign, status, priority, team) to many tickets in a few statements.

    Only tickets the actor may see are touched (rows locked, so concurrent single updates lose with
    a conflict instead of being overwritten); the others are reported in `skipped` with the reason,
    as are tickets already so or in a state that forbids the change. One TicketEvent per ticket.
    """
    _require_change(actor)
    value = _bulk_value(action, value)
    field_name = {"assign": "assignee", "status": "status", "priority": "priority", "team": "team"}[action]
    ids = list(dict.fromkeys(int(pk) for pk in ids))
    tickets = list(
        tickets_visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("assignee", "team")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    result = BulkResult()
    found = {t.pk for t in tickets}
    for pk in ids:
        if pk not in found:
            result.skipped[pk] = _("No such ticket, or not one you may see.")
    now = timezone.now()
    context = SlaContext.load()
    changed: list[Ticket] = []
    fields: set[str] = set()
    events: list[TicketEvent] = []
    for ticket in tickets:
        current = getattr(ticket, field_name)
        same = (
            (current.pk if current else None) == (value.pk if value else None)
            if field_name in RELATED_FIELDS
            else current == value
        )
        if same:
            result.skipped[ticket.pk] = _("Already so.")
            continue
        if ticket.merged_into_id:
            result.skipped[ticket.pk] = _("Merged into T-%(id)s.") % {"id": ticket.merged_into_id}
            continue
        if field_name == "status":
            problem = _transition_error(ticket, value)
            if problem:
                result.skipped[ticket.pk] = problem
                continue
        elif ticket.status == Status.CLOSED:
            result.skipped[ticket.pk] = _("Closed; reopen it first.")
            continue
        events.append(
            TicketEvent(
                ticket=ticket,
                actor=actor,
                kind="updated",
                changes={field_name: [_event_value(field_name, current), _event_value(field_name, value)]},
            )
        )
        if field_name == "status":
            fields.update(_apply_status(ticket, value, now))
        else:
            setattr(ticket, field_name, value)
            fields.add(field_name)
        fields.update(sla_ticket_sync(ticket=ticket, now=now, context=context))
        ticket.version += 1
        ticket.updated_at = now
        changed.append(ticket)
        result.updated.append(ticket.pk)
    if changed:
        Ticket.objects.bulk_update(changed, sorted(fields | {"version", "updated_at"}))
        TicketEvent.objects.bulk_create(events)
    return result
