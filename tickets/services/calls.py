"""Writes around calls: the agent's wrap-up (notes, disposition, ticket, callback) and callbacks."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.desktop import agent_code_for, agents_now, desktop_call_action, desktop_dial
from agents.models import AgentState
from callcenter.errors import ApplicationError, ConflictError, NotFoundError
from callcenter.phones import InvalidPhoneNumberError, phone_normalize
from callcenter.realtime import group_push, user_group
from telephony.acd import acd_source
from telephony.selectors import agent_call_queue, agent_call_step, call_customer_number
from tickets.models import (
    Callback,
    CallbackStatus,
    CallLog,
    Channel,
    Customer,
    Disposition,
    Priority,
    Ticket,
    TicketEvent,
)

logger = logging.getLogger(__name__)

# A callback not dialled this long after its time is flagged as missed.
CALLBACK_GRACE = timedelta(minutes=30)


@dataclass(frozen=True)
class NewTicket:
    subject: str
    priority: int = Priority.NORMAL
    description: str = ""


@dataclass(frozen=True)
class NewCallback:
    due_at: datetime
    phone: str = ""  # empty: the caller's number
    notes: str = ""


@transaction.atomic
def call_wrapup_submit(
    *,
    agent: AbstractBaseUser,
    call_id: str,
    notes: str = "",
    disposition_code: str = "",
    customer_id: int | None = None,
    ticket_id: int | None = None,
    new_ticket: NewTicket | None = None,
    callback: NewCallback | None = None,
    caller: str = "",
    queue: str = "",
    direction: str = "inbound",
    end_wrapup: bool = True,
) -> CallLog:
    """Record the agent's wrap-up of a call in one transaction, then end their wrap-up at the ACD.

    Saves the call log (one per call and agent; a second submit updates it), links or creates the
    ticket, schedules the callback, and completes the callback this call was placed for. Caller,
    queue and direction default to what the feed said. Raises NotFoundError for a call that never
    rang on the agent's desk, ApplicationError with every field error at once; nothing is written
    when either is raised.
    """
    from tickets.selectors.tickets import ticket_get_for_user
    from tickets.services.tickets import ticket_create

    code = agent_code_for(agent)
    step = agent_call_step(source=acd_source(), agent_code=code, call_id=call_id)
    if step is None:
        raise NotFoundError(_("This call never rang on your desk; there is nothing to log."))
    direction = step.direction or direction
    queue = queue or step.queue or agent_call_queue(source=step.source, agent_code=code, call_id=call_id)
    caller = caller or call_customer_number(
        source_name=settings.ACD_SOURCE, call_id=call_id, direction=direction
    )
    errors: dict[str, list[str]] = {}
    disposition = None
    if disposition_code:
        disposition = Disposition.objects.filter(code=disposition_code, active=True).first()
        if disposition is None:
            errors["disposition"] = [_("Choose one of the listed dispositions.")]
    else:
        errors["disposition"] = [_("Choose a disposition.")]
    customer = None
    if customer_id is not None:
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            errors["customer"] = [_("This customer no longer exists.")]
    ticket: Ticket | None = None
    if ticket_id is not None and new_ticket is not None:
        errors["ticket"] = [_("Link an existing ticket or create one, not both.")]
    elif ticket_id is not None:
        try:
            ticket = ticket_get_for_user(user=agent, ticket_id=ticket_id)
        except NotFoundError:
            errors["ticket"] = [_("No such ticket, or not one you may work.")]
    elif new_ticket is not None and not new_ticket.subject.strip():
        errors["ticket_subject"] = [_("Give the new ticket a subject.")]
    if disposition and disposition.requires_ticket and ticket_id is None and new_ticket is None:
        errors.setdefault("ticket", []).append(
            _("The disposition “%(label)s” needs a ticket: link or create one.")
            % {"label": disposition.label}
        )
    callback_phone = ""
    if callback is not None:
        try:
            callback_phone = phone_normalize(callback.phone or caller)
        except InvalidPhoneNumberError as error:
            errors["callback_phone"] = [error.message]
        if callback.due_at <= timezone.now():
            errors["callback_due_at"] = [_("Pick a time in the future.")]
    if errors:
        raise ApplicationError(_("The wrap-up has errors; see the marked fields."), fields=errors)

    if new_ticket is not None:
        ticket = ticket_create(
            actor=agent,
            subject=new_ticket.subject.strip(),
            customer=customer,
            channel=Channel.PHONE,
            priority=new_ticket.priority,
            description=new_ticket.description or notes,
            call_id=call_id,
        )
    if ticket is not None and customer is None:
        customer = ticket.customer
    now = timezone.now()
    log, _created = CallLog.objects.select_for_update().get_or_create(
        call_id=call_id,
        agent=agent,
        defaults={"caller": caller, "queue": queue, "direction": direction},
    )
    linked_before = log.ticket_id
    log.customer = customer
    log.ticket = ticket
    log.disposition = disposition
    log.notes = notes
    if log.wrapup_s is None:
        log.wrapup_s = _wrapup_seconds(agent, call_id, now)
    log.save()
    _ticket_call_link_record(agent=agent, call_id=call_id, before=linked_before, after=log.ticket_id)
    if callback is not None:
        callback_schedule(
            actor=agent,
            phone=callback_phone,
            due_at=callback.due_at,
            customer_id=customer.pk if customer else None,
            agent=agent,
            queue=queue,
            ticket_id=ticket.pk if ticket else None,
            notes=callback.notes,
        )
    Callback.objects.filter(call_id=call_id, status=CallbackStatus.OFFERED).update(
        status=CallbackStatus.COMPLETED, completed_at=now
    )
    if end_wrapup:
        # Wrap-up may be over already (the ACD's limit, or a log written afterwards): the log stands.
        with contextlib.suppress(ConflictError):
            desktop_call_action(user=agent, call_id=call_id, action="wrapup_end")
    return log


def _ticket_call_link_record(
    *, agent: AbstractBaseUser, call_id: str, before: int | None, after: int | None
) -> None:
    """Linking a call to a ticket (or moving it to another) is a change to the ticket: it goes on
    the ticket's timeline and the audit log. A ticket created from the wrap-up records it itself."""
    events = []
    if before and before != after:
        events.append(
            TicketEvent(
                ticket_id=before, actor=agent, kind="call_unlinked", changes={"call_id": [call_id, None]}
            )
        )
    if (
        after
        and after != before
        and not TicketEvent.objects.filter(
            ticket_id=after, kind="created", changes__call_id__1=call_id
        ).exists()
    ):
        events.append(
            TicketEvent(
                ticket_id=after, actor=agent, kind="call_linked", changes={"call_id": [None, call_id]}
            )
        )
    TicketEvent.objects.bulk_create(events)


def _wrapup_seconds(agent: AbstractBaseUser, call_id: str, now: datetime) -> int | None:
    from agents.models import PresenceSegment

    started = (
        PresenceSegment.objects.filter(agent_code=agent_code_for(agent), call_id=call_id, state="wrap_up")
        .values_list("started_at", flat=True)
        .first()
    )
    return max(0, round((now - started).total_seconds())) if started else None


def callback_schedule(
    *,
    actor: AbstractBaseUser,
    phone: str,
    due_at: datetime,
    customer_id: int | None = None,
    agent: AbstractBaseUser | None = None,
    queue: str = "",
    ticket_id: int | None = None,
    notes: str = "",
) -> Callback:
    """Schedule a call back to `phone` at `due_at` (for `agent`, or any agent when None)."""
    errors: dict[str, list[str]] = {}
    try:
        number = phone_normalize(phone)
    except InvalidPhoneNumberError as error:
        errors["phone"] = [error.message]
    if due_at <= timezone.now():
        errors["due_at"] = [_("Pick a time in the future.")]
    if errors:
        raise ApplicationError(_("The callback has errors; see the marked fields."), fields=errors)
    return Callback.objects.create(
        customer_id=customer_id,
        phone=number,
        due_at=due_at,
        agent=agent,
        queue=queue,
        ticket_id=ticket_id,
        notes=notes,
        created_by=actor,
    )


def callback_dial(*, callback_id: int, agent: AbstractBaseUser) -> Callback:
    """The agent calls a due callback now: claims it (once) and asks the ACD to dial it."""
    callback = Callback.objects.filter(pk=callback_id).first()
    if callback is None:
        raise NotFoundError(_("No such callback on your list."))
    if callback.status not in (CallbackStatus.SCHEDULED, CallbackStatus.MISSED):
        raise ConflictError(_("This callback is already being dialled or was completed."))
    if callback.agent_id not in (None, agent.pk):
        raise NotFoundError(_("No such callback on your list."))
    call_id = f"cb{callback.pk}-{int(timezone.now().timestamp())}"
    claimed = Callback.objects.filter(
        pk=callback.pk, status__in=[CallbackStatus.SCHEDULED, CallbackStatus.MISSED]
    ).update(status=CallbackStatus.OFFERED, offered_at=timezone.now(), agent=agent, call_id=call_id)
    if claimed != 1:
        raise ConflictError(_("This callback is already being dialled or was completed."))
    desktop_dial(
        agent_code=agent_code_for(agent),
        number=callback.phone,
        call_id=call_id,
        queue=callback.queue,
        callback_id=callback.pk,
    )
    callback.refresh_from_db()
    return callback


def callback_cancel(*, callback_id: int, actor: AbstractBaseUser) -> Callback:
    """Cancel a scheduled or missed callback: the agent's own or an unassigned one (supervisors: any)."""
    callback = Callback.objects.filter(pk=callback_id).first()
    if callback is None or (
        callback.agent_id not in (None, actor.pk) and not actor.has_perm("tickets.view_all_tickets")
    ):
        raise NotFoundError(_("No such callback on your list."))
    changed = Callback.objects.filter(
        pk=callback_id, status__in=[CallbackStatus.SCHEDULED, CallbackStatus.MISSED]
    ).update(status=CallbackStatus.CANCELLED)
    if changed != 1:
        raise ConflictError(_("Only a scheduled or missed callback can be cancelled."))
    return Callback.objects.get(pk=callback_id)


@dataclass(frozen=True)
class CallbackSweep:
    offered: int
    missed: int


def callbacks_sweep(*, now: datetime) -> CallbackSweep:
    """Offer due callbacks of assigned agents to the ACD as outbound calls; flag missed ones.

    Each callback is claimed with a conditional UPDATE, so concurrent or repeated sweeps offer and
    flag it once. Unassigned due callbacks stay on every agent's list until someone dials them.
    """
    offered = 0
    due = list(
        Callback.objects.filter(
            status=CallbackStatus.SCHEDULED,
            due_at__lte=now,
            due_at__gt=now - CALLBACK_GRACE,
            agent__isnull=False,
        ).select_related("agent")[:500]
    )
    codes = {callback.pk: agent_code_for(callback.agent) for callback in due}
    present = agents_now(codes=list(set(codes.values())))
    for callback in due:
        if present[codes[callback.pk]].state == AgentState.LOGGED_OUT:
            continue  # dialled when the agent logs in, or flagged missed after the grace period
        call_id = f"cb{callback.pk}-{int(now.timestamp())}"
        with transaction.atomic():
            claimed = Callback.objects.filter(pk=callback.pk, status=CallbackStatus.SCHEDULED).update(
                status=CallbackStatus.OFFERED, offered_at=now, call_id=call_id
            )
            if claimed:
                desktop_dial(
                    agent_code=codes[callback.pk],
                    number=callback.phone,
                    call_id=call_id,
                    queue=callback.queue,
                    callback_id=callback.pk,
                )
                offered += 1
    late = list(
        Callback.objects.filter(
            status__in=[CallbackStatus.SCHEDULED, CallbackStatus.OFFERED], due_at__lte=now - CALLBACK_GRACE
        ).values_list("pk", "agent_id")[:1000]
    )
    missed = Callback.objects.filter(
        pk__in=[pk for pk, _agent in late], status__in=[CallbackStatus.SCHEDULED, CallbackStatus.OFFERED]
    ).update(status=CallbackStatus.MISSED, missed_at=now)
    if missed:
        agents = {agent_id for _pk, agent_id in late if agent_id}
        transaction.on_commit(lambda: _notify_missed(agents))
    return CallbackSweep(offered=offered, missed=missed)


def _notify_missed(agent_ids: set[int]) -> None:
    for agent_id in agent_ids:
        try:
            group_push(user_group(agent_id), {"type": "callbacks_changed", "reason": "missed"})
        except OSError:
            logger.warning("missed-callback notice not delivered: channel layer unreachable")
            return
