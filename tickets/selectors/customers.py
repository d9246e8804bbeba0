"""Reads of the CRM: matching a caller ID, a customer's card, and their contact history."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Prefetch, Q
from django.urls import reverse

from callcenter.phones import InvalidPhoneNumberError, phone_normalize
from telephony.selectors import calls_for_numbers
from tickets.models import (
    DONE_STATUSES,
    Callback,
    CallLog,
    Customer,
    CustomerEmail,
    CustomerPhone,
    Ticket,
    TicketComment,
)


def customers_match_phone(*, number: str) -> list[Customer]:
    """Customers with this caller ID (E.164 after normalising), the most recently contacted first.

    A caller ID that is not a phone number (withheld, "anonymous", an extension) matches nobody.
    """
    try:
        e164 = phone_normalize(number)
    except InvalidPhoneNumberError:
        return []
    return list(
        Customer.objects.filter(pk__in=CustomerPhone.objects.filter(number=e164).values("customer_id"))
        .annotate(last_contact=Max("call_logs__created_at"))
        .order_by("-last_contact", "-id")
    )


def customer_card(*, customer_id: int) -> dict[str, Any]:
    """What the compact card shows: identity, contact points, tags, consent, open tickets."""
    customer = (
        Customer.objects.prefetch_related(
            Prefetch("phones", queryset=CustomerPhone.objects.order_by("id")),
            Prefetch("emails", queryset=CustomerEmail.objects.order_by("id")),
            "tags",
        )
        .annotate(open_tickets=Count("tickets", filter=~Q(tickets__status__in=DONE_STATUSES)))
        .get(pk=customer_id)
    )
    return {
        "customer": customer,
        "phones": list(customer.phones.all()),
        "emails": list(customer.emails.all()),
        "tags": [tag.name for tag in customer.tags.all()],
        "open_tickets": customer.open_tickets,
        "consent": {
            "calls": customer.consent_calls,
            "email": customer.consent_email,
            "sms": customer.consent_sms,
            "recording": customer.consent_recording,
        },
        "url": reverse("tickets:customer_detail", args=[customer.pk]),
    }


def customer_timeline(*, customer: Customer, limit: int | None = None) -> list[dict[str, Any]]:
    """Every contact with the customer, newest first: calls (with the agents' notes and survey
    answers), tickets, customer replies and callbacks. A fixed number of queries, none per entry."""
    numbers = list(CustomerPhone.objects.filter(customer=customer).values_list("number", flat=True))
    entries: list[dict[str, Any]] = []
    calls = calls_for_numbers(numbers=numbers, limit=limit)
    logs = {
        log.call_id: log
        for log in CallLog.objects.filter(Q(customer=customer) | Q(call_id__in=[c.call_id for c in calls]))
        .select_related("disposition", "agent", "ticket")
        .order_by("created_at")
    }
    for call in calls:
        log = logs.pop(call.call_id, None)
        entries.append(_call_entry(call.call_id, call.first_event_at, call, log))
        if call.csat is not None or call.nps is not None:
            entries.append(
                {
                    "kind": "survey",
                    "at": call.last_event_at,
                    "title": "Survey",
                    "detail": " · ".join(
                        part
                        for part in (
                            f"CSAT {call.csat}/5" if call.csat is not None else "",
                            f"NPS {call.nps}/10" if call.nps is not None else "",
                        )
                        if part
                    ),
                    "url": "",
                }
            )
    for log in logs.values():  # logged calls whose summary is not (yet) derived, or on other numbers
        entries.append(_call_entry(log.call_id, log.created_at, None, log))
    for ticket in Ticket.objects.filter(customer=customer).order_by("-id")[: limit or None]:
        entries.append(
            {
                "kind": "ticket",
                "at": ticket.created_at,
                "title": f"{ticket.number} {ticket.subject}",
                "detail": ticket.get_status_display(),
                "url": reverse("tickets:ticket_detail", args=[ticket.pk]),
            }
        )
    replies = TicketComment.objects.filter(ticket__customer=customer, internal=False).select_related("ticket")
    for comment in replies.order_by("-created_at")[: limit or None]:
        entries.append(
            {
                "kind": "reply",
                "at": comment.created_at,
                "title": f"Reply on {comment.ticket.number}",
                "detail": comment.body[:200],
                "url": reverse("tickets:ticket_detail", args=[comment.ticket_id]),
            }
        )
    for callback in Callback.objects.filter(customer=customer).order_by("-due_at")[: limit or None]:
        entries.append(
            {
                "kind": "callback",
                "at": callback.due_at,
                "title": f"Callback {callback.get_status_display().lower()}",
                "detail": callback.notes,
                "url": "",
            }
        )
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries[:limit] if limit else entries


def _call_entry(call_id: str, at: Any, call: Any, log: CallLog | None) -> dict[str, Any]:
    parts = []
    if call is not None:
        parts.append(call.get_outcome_display() or "in progress")
        if call.queue:
            parts.append(call.queue.name)
        if call.talk_s:
            parts.append(f"talk {round(call.talk_s)} s")
    if log is not None:
        if log.disposition:
            parts.append(log.disposition.label)
        if log.ticket:
            parts.append(log.ticket.number)
    direction = (call.direction if call else log.direction if log else "inbound") or "inbound"
    return {
        "kind": "call",
        "at": at,
        "title": f"{direction.capitalize()} call"
        + (f" with {log.agent.get_full_name() or log.agent.get_username()}" if log else ""),
        "detail": " · ".join(parts),
        "notes": log.notes if log else "",
        "url": "",
    }
