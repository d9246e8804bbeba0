"""Erasing customers' personal data: after the retention period (in bulk, by a beat task) or on
request (right to erasure, `python manage.py erase_customer ID`).

What is personal data here, and erased: the customer's name (replaced by "Erased customer #ID"),
company, notes, phone numbers and e-mail addresses; those numbers on calls, call events and dial
commands, and those numbers and addresses in the lines kept in the feed quarantine; the recordings
of those calls; the ticket descriptions and replies to the customer on their tickets; agents' call
notes and callback notes and numbers about them; and those values in the history of their changes
(CustomerEvent, TicketEvent). What stays: the customer row (so calls and tickets keep their
customer and FCR counts the same), tags and consent flags, ticket subjects, statuses and timings,
internal notes, calls with their timings, queues, agents and surveys, and every KPI rollup — so
aggregate KPIs do not change.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Case, CharField, Exists, F, OuterRef, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from callcenter.errors import NotFoundError
from telephony.models import Call
from telephony.retention import call_numbers_erase, number_spellings, quarantine_values_erase
from tickets.models import (
    Callback,
    CallLog,
    Customer,
    CustomerEmail,
    CustomerEvent,
    CustomerPhone,
    Ticket,
    TicketComment,
    TicketEvent,
)

ERASED = "[erased]"
ERASED_NAME_PREFIX = "Erased customer #"
# Kept in the change history: they say nothing about who the customer is.
KEPT_HISTORY_FIELDS = {"tags", "consent_calls", "consent_email", "consent_sms", "consent_recording"}
ERASED_FIELDS = ["name", "company", "notes", "phones", "emails"]
BATCH = 500


@dataclass
class Erasure:
    customers: int = 0
    phones: int = 0
    emails: int = 0
    calls: int = 0
    call_events: int = 0
    recordings: int = 0
    ticket_texts: int = 0  # ticket descriptions
    replies: int = 0  # replies to the customer on their tickets
    call_logs: int = 0
    callbacks: int = 0
    quarantined: int = 0  # feed quarantine lines that held the customer's numbers or addresses
    customer_ids: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The counts for the audit log: no personal data, no ids."""
        return {
            name: getattr(self, name)
            for name in (
                "customers",
                "phones",
                "emails",
                "calls",
                "call_events",
                "recordings",
                "ticket_texts",
                "replies",
                "call_logs",
                "callbacks",
                "quarantined",
            )
        }


def _scrub_history(customer_ids: list[int]) -> None:
    events = list(CustomerEvent.objects.filter(customer_id__in=customer_ids).only("id", "changes"))
    for event in events:
        event.changes = {
            name: value if name in KEPT_HISTORY_FIELDS else [ERASED, ERASED]
            for name, value in (event.changes or {}).items()
        }
    CustomerEvent.objects.bulk_update(events, ["changes"], batch_size=BATCH)
    ids = set(customer_ids)
    ticket_events = list(
        TicketEvent.objects.filter(ticket__customer_id__in=customer_ids).only("id", "changes", "ticket_id")
    )
    changed = []
    for event in ticket_events:
        changes = dict(event.changes or {})
        before = dict(changes)
        if "description" in changes:
            changes["description"] = [ERASED, ERASED]
        if isinstance(changes.get("customer"), list):
            changes["customer"] = [
                {**item, "name": f"{ERASED_NAME_PREFIX}{item['id']}"}
                if isinstance(item, dict) and item.get("id") in ids
                else item
                for item in changes["customer"]
            ]
        if changes != before:
            event.changes = changes
            changed.append(event)
    TicketEvent.objects.bulk_update(changed, ["changes"], batch_size=BATCH)


def _erase(customer_ids: list[int], *, actor: AbstractBaseUser | None, kind: str, now: datetime) -> Erasure:
    """Erase these customers' personal data; the caller holds the transaction."""
    result = Erasure(customer_ids=list(customer_ids))
    numbers = list(
        CustomerPhone.objects.filter(customer_id__in=customer_ids).values_list("number", flat=True)
    )
    calls = call_numbers_erase(numbers=numbers)
    result.calls, result.call_events = calls.calls, calls.call_events
    result.recordings = calls.recordings.calls if calls.recordings else 0
    emails = list(CustomerEmail.objects.filter(customer_id__in=customer_ids).values_list("email", flat=True))
    spellings = set().union(*(number_spellings(number) for number in numbers))
    result.quarantined = quarantine_values_erase(values=[*spellings, *emails], replacement=ERASED)
    result.phones = CustomerPhone.objects.filter(customer_id__in=customer_ids).delete()[0]
    result.emails = CustomerEmail.objects.filter(customer_id__in=customer_ids).delete()[0]
    tickets = Ticket.objects.filter(customer_id__in=customer_ids)
    # The version moves on, so an edit of a form opened before the erasure cannot write it back.
    result.ticket_texts = tickets.exclude(description="").update(description=ERASED, version=F("version") + 1)
    result.replies = TicketComment.objects.filter(
        ticket__customer_id__in=customer_ids, internal=False
    ).update(body=ERASED)
    result.call_logs = CallLog.objects.filter(customer_id__in=customer_ids).update(
        caller="", notes=Case(When(notes="", then=Value("")), default=Value(ERASED))
    )
    result.callbacks = Callback.objects.filter(customer_id__in=customer_ids).update(
        phone="", notes=Case(When(notes="", then=Value("")), default=Value(ERASED))
    )
    _scrub_history(list(customer_ids))
    result.customers = Customer.objects.filter(pk__in=customer_ids).update(
        name=Concat(Value(ERASED_NAME_PREFIX), Cast("id", CharField())),
        company="",
        notes="",
        erased_at=now,
        version=F("version") + 1,
        updated_at=now,
    )
    CustomerEvent.objects.bulk_create(
        [
            CustomerEvent(customer_id=pk, actor=actor, kind=kind, changes={"erased": [None, ERASED_FIELDS]})
            for pk in customer_ids
        ]
    )
    return result


@transaction.atomic
def customer_erase(*, customer_id: int, actor: AbstractBaseUser | None = None) -> Erasure:
    """Right to erasure: erase one customer's personal data (see the module docstring) in one
    transaction and record it in the audit log (counts only). Erasing an erased customer again
    erases what was added since. Raises NotFoundError for an unknown id; nothing changes then."""
    from callcenter.audit import audit_record  # the audit log reads this app; import at use

    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFoundError(f"There is no customer with id {customer_id}.")
    result = _erase([customer.pk], actor=actor, kind="erased", now=timezone.now())
    audit_record(
        actor=actor,
        object_type="customer",
        object_id=customer.pk,
        object_label=f"{ERASED_NAME_PREFIX}{customer.pk}",
        action="erased",
        changes=result.counts(),
        note="right to erasure",
    )
    return result


def customers_without_contact_since(cutoff: datetime) -> Any:
    """Customers not yet erased with no contact since `cutoff`: created before it, and no call from
    or to their numbers, logged call, ticket activity or callback due since then."""
    recent_calls = Call.objects.filter(first_event_at__gte=cutoff)
    # Two anti-joins, not one OR, and no empty numbers: callee is empty on most calls, and with
    # those in the estimate PostgreSQL scans every call per customer instead of using the index.
    phones = CustomerPhone.objects.filter(customer=OuterRef("pk"))
    called_from = phones.filter(Exists(recent_calls.exclude(caller="").filter(caller=OuterRef("number"))))
    called_to = phones.filter(Exists(recent_calls.exclude(callee="").filter(callee=OuterRef("number"))))
    return (
        Customer.objects.filter(erased_at__isnull=True, created_at__lt=cutoff)
        .exclude(Exists(CallLog.objects.filter(customer=OuterRef("pk"), created_at__gte=cutoff)))
        .exclude(Exists(Ticket.objects.filter(customer=OuterRef("pk"), updated_at__gte=cutoff)))
        .exclude(Exists(Callback.objects.filter(customer=OuterRef("pk"), due_at__gte=cutoff)))
        .exclude(Exists(called_from))
        .exclude(Exists(called_to))
    )


def customers_anonymise_stale(*, cutoff: datetime, now: datetime | None = None) -> Erasure:
    """Retention: erase the personal data of every customer with no contact since `cutoff`, in
    batches of 500 (one transaction each), each recorded on the customer's history as
    "anonymised". Idempotent: erased customers are not picked again; a run cut short resumes."""
    now = now or timezone.now()
    total = Erasure()
    last_pk = 0
    while True:
        # Walk forward by id: each batch reads from where the last stopped, never from the start.
        with transaction.atomic():
            ids = list(
                customers_without_contact_since(cutoff)
                .filter(pk__gt=last_pk)
                .order_by("pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                return total
            last_pk = ids[-1]
            done = _erase(ids, actor=None, kind="anonymised", now=now)
        for name, value in done.counts().items():
            setattr(total, name, getattr(total, name) + value)
        total.customer_ids.extend(ids)


def erased_customer_ids(ids: Collection[int]) -> set[int]:
    return set(Customer.objects.filter(pk__in=ids, erased_at__isnull=False).values_list("pk", flat=True))
