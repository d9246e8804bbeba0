"""Linking a call to a ticket at wrap-up is on the ticket's timeline (and so in the audit log)."""

from __future__ import annotations

import pytest

from tests.tickets.call_fixtures import acd, in_wrapup  # noqa: F401 - fixtures
from tests.tickets.factories import DispositionFactory, TicketFactory
from tickets.models import TicketEvent
from tickets.services.calls import NewTicket, call_wrapup_submit

pytestmark = pytest.mark.django_db


def test_linking_an_existing_ticket_records_who_and_which_call(agent, in_wrapup):  # noqa: F811
    DispositionFactory(code="sale")
    ticket = TicketFactory()
    call_wrapup_submit(agent=agent, call_id=in_wrapup, disposition_code="sale", ticket_id=ticket.pk)
    event = TicketEvent.objects.get(ticket=ticket, kind="call_linked")
    assert (event.actor, event.changes) == (agent, {"call_id": [None, "c1"]})


def test_moving_the_call_to_another_ticket_records_both_and_a_resubmit_nothing(agent, in_wrapup):  # noqa: F811
    DispositionFactory(code="sale")
    first, second = TicketFactory(), TicketFactory()
    call_wrapup_submit(agent=agent, call_id=in_wrapup, disposition_code="sale", ticket_id=first.pk)
    call_wrapup_submit(agent=agent, call_id=in_wrapup, disposition_code="sale", ticket_id=second.pk)
    call_wrapup_submit(agent=agent, call_id=in_wrapup, disposition_code="sale", ticket_id=second.pk)
    assert list(TicketEvent.objects.filter(ticket=first).values_list("kind", flat=True)) == [
        "call_linked",
        "call_unlinked",
    ]
    assert TicketEvent.objects.filter(ticket=second, kind="call_linked").count() == 1


def test_a_ticket_created_at_wrapup_is_not_linked_twice(agent, in_wrapup):  # noqa: F811
    DispositionFactory(code="sale")
    log = call_wrapup_submit(
        agent=agent, call_id=in_wrapup, disposition_code="sale", new_ticket=NewTicket(subject="Quote")
    )
    kinds = list(TicketEvent.objects.filter(ticket_id=log.ticket_id).values_list("kind", flat=True))
    assert kinds == ["created"]
