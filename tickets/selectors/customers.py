"""Reads of the CRM: search with keyset pages, matching a caller ID, a customer's card, their
contact history and the changes made to them."""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import validate_email
from django.db import connections, router
from django.db.models import F, Max, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from callcenter.errors import ApplicationError, NotFoundError
from callcenter.formatting import format_duration
from callcenter.phones import InvalidPhoneNumberError, phone_normalize
from telephony.selectors import calls_for_numbers
from tickets.models import (
    DONE_STATUSES,
    Callback,
    CallLog,
    Customer,
    CustomerEmail,
    CustomerEvent,
    CustomerPhone,
    Tag,
    Ticket,
    TicketComment,
)

# Trigram indexes need three characters to narrow a `contains` search; shorter text is a prefix.
MIN_CONTAINS = 3
MAX_PAGE_SIZE = 200
_PHONE_TEXT = re.compile(r"^\+?[\d\s().\-/]+$")
_DOMAIN = re.compile(r"^[\w-]+(\.[\w-]+)*\.[a-z]{2,}$", re.IGNORECASE)
_TICKET_NUMBER = re.compile(r"^(?:T\s*-?\s*|#)(\d{1,12})$", re.IGNORECASE)


# --- search ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CustomerSearch:
    """What a search box text was read as, and the customers it matches (unordered).

    `kind` is "all" (empty), "ticket" (T-123), "phone" (a full number, or 3+ digits of one),
    "email" (text with an @, or a domain such as example.com), "name" (name or company contains
    every word) or "prefix" (text too short for a contains search: names that start with it).
    `number` is the E.164 form of a full phone number, `ticket_id` the ticket named.
    """

    text: str
    kind: str
    queryset: QuerySet[Customer]
    number: str = ""
    ticket_id: int | None = None


def customer_search(*, user: AbstractBaseUser, q: str = "") -> CustomerSearch:
    """Read the search box `q` and find the customers it names.

    Name and company match by case-insensitive `contains` (trigram GIN indexes on PostgreSQL, a plain
    LIKE on SQLite: same answers); phones by their E.164 form when `q` is a full number and by the
    digits typed anywhere in a stored number otherwise; e-mails exactly when `q` is a whole address,
    else by `contains` on the lower-case addresses; "T-123" by that ticket's customer when `user`
    may see the ticket.
    """
    from tickets.selectors.tickets import tickets_visible_to

    text = " ".join((q or "").split())[:200]
    customers = Customer.objects.all()
    if not text:
        return CustomerSearch(text=text, kind="all", queryset=customers)
    ticket = _TICKET_NUMBER.match(text)
    if ticket:
        ticket_id = int(ticket.group(1))
        owner = tickets_visible_to(user).filter(pk=ticket_id).values("customer_id")
        return CustomerSearch(
            text=text, kind="ticket", queryset=customers.filter(pk__in=owner), ticket_id=ticket_id
        )
    digits = re.sub(r"\D", "", text)
    if _PHONE_TEXT.match(text) and len(digits) >= MIN_CONTAINS:
        return _phone_search(text, digits, customers)
    if "@" in text or _DOMAIN.match(text):
        address = text.replace(" ", "").lower()
        try:
            validate_email(address)
        except ValidationError:
            owners = CustomerEmail.objects.filter(email__contains=address)
        else:
            # A whole address, exactly (b-tree): its trigrams (".com", "exa"…) are in nearly every
            # address, so a contains search reads long lists for the one row wanted.
            owners = CustomerEmail.objects.filter(email=address)
        return CustomerSearch(
            text=text, kind="email", queryset=customers.filter(pk__in=owners.values("customer_id"))
        )
    words = text.split(" ")
    if max(len(word) for word in words) < MIN_CONTAINS:
        return CustomerSearch(text=text, kind="prefix", queryset=customers.filter(name__istartswith=text))
    for word in words:
        customers = customers.filter(Q(name__icontains=word) | Q(company__icontains=word))
    return CustomerSearch(text=text, kind="name", queryset=customers)


def _phone_search(text: str, digits: str, customers: QuerySet[Customer]) -> CustomerSearch:
    """A full number (valid in the call center's country, or with +country) in its E.164 form, as
    numbers are stored; text with a leading "+" the numbers that start so ("+44 20"); otherwise the
    digits typed, anywhere in a stored number ("555 0123" finds +14155550123)."""
    number = ""
    with contextlib.suppress(InvalidPhoneNumberError):
        number = phone_normalize(text)
    if number:
        # Exact, on the b-tree index: a contains search would read the long trigram lists of "+1…".
        phones = Q(number=number)
    elif text.startswith("+"):
        # The start of a number with its country code (b-tree pattern index).
        phones = Q(number__startswith="+" + digits)
    else:
        phones = Q(number__contains=digits)
    owners = CustomerPhone.objects.filter(phones).values("customer_id")
    return CustomerSearch(text=text, kind="phone", queryset=customers.filter(pk__in=owners), number=number)


@dataclass
class CustomerPage:
    """One keyset page of a search, newest customers first, with `customers_attach_card_data` done;
    opaque cursors for the pages around it (None at either end)."""

    search: CustomerSearch
    customers: list[Customer] = field(default_factory=list)
    next_cursor: str | None = None
    previous_cursor: str | None = None


def _cursor_encode(direction: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{direction}{pk}".encode()).decode().rstrip("=")


def _cursor_decode(cursor: str) -> tuple[str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        direction, pk = raw[0], int(raw[1:])
        if direction not in ("n", "p") or pk < 0:
            raise ValueError
    except (ValueError, IndexError, binascii.Error, UnicodeDecodeError):
        message = _("This page link is not valid any more; start the search again.")
        raise ApplicationError(message, fields={"cursor": [message]}) from None
    return direction, pk


def customer_search_page(
    *, user: AbstractBaseUser, q: str = "", cursor: str = "", size: int = 50
) -> CustomerPage:
    """A page of `customer_search(user, q)`, newest first, after or before `cursor`.

    Keyset paging on the id (no OFFSET, no COUNT), so a late page costs what the first does, and a
    fixed number of queries (five) whatever the page size. Raises ApplicationError for a cursor this
    function did not make or a size outside 1-200.
    """
    if not 1 <= size <= MAX_PAGE_SIZE:
        message = _("Ask for 1 to %(max)s customers a page.") % {"max": MAX_PAGE_SIZE}
        raise ApplicationError(message, fields={"page_size": [message]})
    search = customer_search(user=user, q=q)
    queryset = search.queryset
    direction, pk = _cursor_decode(cursor) if cursor else ("n", None)
    newest_first: Any = "-id"
    oldest_first: Any = "id"
    if search.kind == "name" and " " in search.text:
        # Several words: the planner multiplies their frequencies and, expecting many matches, walks
        # the id index backwards testing every row ("Oscar Ton" at a million: p95 140-280 ms, worst
        # over a second). Ordering by an expression takes that path away; the trigram bitmaps find
        # the few matches (p95 40-90 ms, worst 200 ms, measured on bench/desk_api.py's data).
        newest_first, oldest_first = (F("id") + 0).desc(), (F("id") + 0).asc()
    if direction == "p":
        rows = list(queryset.filter(pk__gt=pk).order_by(oldest_first)[: size + 1])
        more_before, more_after = len(rows) > size, True
        rows = rows[:size][::-1]
    else:
        if pk is not None:
            queryset = queryset.filter(pk__lt=pk)
        rows = list(queryset.order_by(newest_first)[: size + 1])
        more_after, more_before = len(rows) > size, pk is not None
        rows = rows[:size]
    customers_attach_card_data(rows)
    page = CustomerPage(search=search, customers=rows)
    if rows:
        page.next_cursor = _cursor_encode("n", rows[-1].pk) if more_after else None
        page.previous_cursor = _cursor_encode("p", rows[0].pk) if more_before else None
    return page


class Phone(NamedTuple):
    number: str
    label: str


class Email(NamedTuple):
    email: str
    label: str


def _card_data_sql(n: int) -> str:
    """One UNION ALL over phones, e-mails, tags and open-ticket counts of `n` customers: each row
    (kind, customer id, order, text, label). Plain SQL that PostgreSQL and SQLite both run; table
    and column names from the models."""
    ids = ", ".join(["%s"] * n)
    phone, email = CustomerPhone._meta.db_table, CustomerEmail._meta.db_table
    through, tag = Customer.tags.through._meta.db_table, Tag._meta.db_table
    ticket = Ticket._meta.db_table
    done = ", ".join(["%s"] * len(DONE_STATUSES))
    return (
        f"SELECT 'p', customer_id, id, number, label FROM {phone} WHERE customer_id IN ({ids})"  # noqa: S608 - names from _meta, values as parameters
        f" UNION ALL SELECT 'e', customer_id, id, email, label FROM {email} WHERE customer_id IN ({ids})"
        f" UNION ALL SELECT 't', ct.customer_id, 0, t.name, '' FROM {through} ct"
        f" JOIN {tag} t ON t.id = ct.tag_id WHERE ct.customer_id IN ({ids})"
        f" UNION ALL SELECT 'o', customer_id, COUNT(*), '', '' FROM {ticket}"
        f" WHERE customer_id IN ({ids}) AND status NOT IN ({done}) GROUP BY customer_id"
        # Phones and e-mails in the order added, tags by name in the database's collation.
        " ORDER BY 1, 2, 3, 4"
    )


def customers_attach_card_data(customers: list[Customer]) -> None:
    """Set `phone_list` (Phone tuples, in the order added), `email_list` (Email tuples, likewise),
    `tag_names` (by name) and `open_tickets` on `customers`: one query of plain values, whatever
    their number (no model instance or queryset per row; four ORM queries cost more CPU to build
    than the database took to answer them)."""
    if not customers:
        return
    ids = [customer.pk for customer in customers]
    phones: dict[int, list[Phone]] = defaultdict(list)
    emails: dict[int, list[Email]] = defaultdict(list)
    tags: dict[int, list[str]] = defaultdict(list)
    counts: dict[int, int] = {}
    with connections[router.db_for_read(Customer)].cursor() as cursor:
        cursor.execute(_card_data_sql(len(ids)), [*ids, *ids, *ids, *ids, *DONE_STATUSES])
        for kind, customer_id, order, text, label in cursor.fetchall():
            if kind == "p":
                phones[customer_id].append(Phone(text, label))
            elif kind == "e":
                emails[customer_id].append(Email(text, label))
            elif kind == "t":
                tags[customer_id].append(text)
            else:
                counts[customer_id] = order
    for customer in customers:
        customer.phone_list = phones.get(customer.pk, [])
        customer.email_list = emails.get(customer.pk, [])
        customer.tag_names = tags.get(customer.pk, [])
        customer.open_tickets = counts.get(customer.pk, 0)


def customers_match_phone(*, number: str, limit: int = 20) -> list[Customer]:
    """Customers with this caller ID (E.164 after normalising), the most recently contacted first
    (never contacted last, newest first among them), at most `limit`.

    A caller ID that is not a phone number (withheld, "anonymous", an extension) matches nobody.
    """
    try:
        e164 = phone_normalize(number)
    except InvalidPhoneNumberError:
        return []
    return list(
        Customer.objects.filter(pk__in=CustomerPhone.objects.filter(number=e164).values("customer_id"))
        .annotate(last_contact=Max("call_logs__created_at"))
        .order_by(F("last_contact").desc(nulls_last=True), "-id")[:limit]
    )


def customers_sharing_contact_points(*, customer: Customer, limit: int = 5) -> list[Customer]:
    """Other customers with one of `customer`'s phone numbers or e-mail addresses: likely duplicates
    (or a family's shared line). Two index lookups, then the customers."""
    numbers = CustomerPhone.objects.filter(customer=customer).values("number")
    addresses = CustomerEmail.objects.filter(customer=customer).values("email")
    ids = set(
        CustomerPhone.objects.filter(number__in=numbers)
        .exclude(customer=customer)
        .values_list("customer_id", flat=True)[:limit]
    )
    ids |= set(
        CustomerEmail.objects.filter(email__in=addresses)
        .exclude(customer=customer)
        .values_list("customer_id", flat=True)[:limit]
    )
    return list(Customer.objects.filter(pk__in=ids).order_by("-id")[:limit])


def customer_get(*, customer_id: int, card: bool = True) -> Customer:
    """The customer; with `card`, `customers_attach_card_data` done (five queries in all). Raises
    NotFoundError when there is none."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise NotFoundError(_("No customer %(id)s.") % {"id": customer_id})
    if card:
        customers_attach_card_data([customer])
    return customer


def customer_card(*, customer_id: int, customer: Customer | None = None) -> dict[str, Any]:
    """What the compact card shows: identity, contact points, tags, consent, open tickets.

    Pass `customer` when it was read with `customer_get` already, to save the queries.
    """
    customer = customer or customer_get(customer_id=customer_id)
    return {
        "customer": customer,
        "phones": customer.phone_list,
        "emails": customer.email_list,
        "tags": customer.tag_names,
        "open_tickets": customer.open_tickets,
        "consent": {
            "calls": customer.consent_calls,
            "email": customer.consent_email,
            "sms": customer.consent_sms,
            "recording": customer.consent_recording,
        },
        "url": reverse("tickets:customer_detail", args=[customer.pk]),
    }


CHANGE_LABELS = {
    "phones": gettext_lazy("phones"),
    "emails": gettext_lazy("e-mails"),
    "tags": gettext_lazy("tags"),
}
CHANGE_KINDS = {
    "created": gettext_lazy("added the customer"),
    "updated": gettext_lazy("changed"),
    "erased": gettext_lazy("erased the personal data (right to erasure)"),
    "anonymised": gettext_lazy("erased the personal data (retention period)"),
}


def _change_display(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def customer_changes(*, customer: Customer, limit: int = 50) -> list[dict[str, Any]]:
    """Who changed what on the customer and when, newest first (one query).

    Each entry: at, actor (name or ""), kind, title, changes [{field, label, before, after,
    before_display, after_display}].
    """
    events = (
        CustomerEvent.objects.filter(customer=customer).select_related("actor").order_by("-created_at", "-id")
    )
    entries = []
    for event in events[:limit]:
        changes = []
        for name, pair in (event.changes or {}).items():
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                continue
            if name in CHANGE_LABELS:
                label = str(CHANGE_LABELS[name])
            else:
                try:
                    label = str(Customer._meta.get_field(name).verbose_name)
                except FieldDoesNotExist:
                    label = name.replace("_", " ")
            changes.append(
                {
                    "field": name,
                    "label": label,
                    "before": pair[0],
                    "after": pair[1],
                    "before_display": _change_display(pair[0]),
                    "after_display": _change_display(pair[1]),
                }
            )
        actor = event.actor
        entries.append(
            {
                "at": event.created_at,
                "actor": (actor.get_full_name() or actor.get_username()) if actor else "",
                "kind": event.kind,
                "title": str(CHANGE_KINDS.get(event.kind, event.kind)),
                "changes": changes,
            }
        )
    return entries


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
                    "title": _("Survey"),
                    "detail": " · ".join(
                        part
                        for part in (
                            _("CSAT %(score)s/5") % {"score": call.csat} if call.csat is not None else "",
                            _("NPS %(score)s/10") % {"score": call.nps} if call.nps is not None else "",
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
                "title": _("Reply on %(ticket)s") % {"ticket": comment.ticket.number},
                "detail": comment.body[:200],
                "url": reverse("tickets:ticket_detail", args=[comment.ticket_id]),
            }
        )
    for callback in Callback.objects.filter(customer=customer).order_by("-due_at")[: limit or None]:
        entries.append(
            {
                "kind": "callback",
                "at": callback.due_at,
                "title": _("Callback: %(status)s") % {"status": callback.get_status_display()},
                "detail": callback.notes,
                "url": "",
            }
        )
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries[:limit] if limit else entries


def _call_entry(call_id: str, at: Any, call: Any, log: CallLog | None) -> dict[str, Any]:
    parts = []
    if call is not None:
        parts.append(call.get_outcome_display() or _("in progress"))
        if call.queue:
            parts.append(call.queue.name)
        if call.talk_s:
            parts.append(_("talk %(duration)s") % {"duration": format_duration(call.talk_s)})
    if log is not None:
        if log.disposition:
            parts.append(log.disposition.label)
        if log.ticket:
            parts.append(log.ticket.number)
    direction = (call.direction if call else log.direction if log else "inbound") or "inbound"
    if log is not None:
        agent = log.agent.get_full_name() or log.agent.get_username()
        title = (
            _("Outbound call with %(agent)s") if direction == "outbound" else _("Inbound call with %(agent)s")
        ) % {"agent": agent}
    else:
        title = _("Outbound call") if direction == "outbound" else _("Inbound call")
    return {
        "kind": "call",
        "at": at,
        "title": title,
        "detail": " · ".join(parts),
        "notes": log.notes if log else "",
        "url": "",
    }
