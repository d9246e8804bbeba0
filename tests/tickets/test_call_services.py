"""Wrap-up and callbacks: one transaction per wrap-up, every error at once, callbacks offered once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from callcenter.errors import ApplicationError, ConflictError, NotFoundError
from telephony.models import AcdCommand
from telephony.services import call_events_ingest
from tests.telephony.factories import FeedSourceFactory, answered_call, ev
from tests.tickets.factories import CallbackFactory, CustomerFactory, DispositionFactory, TicketFactory
from tickets.models import Callback, CallbackStatus, CallLog, Ticket
from tickets.services.calls import (
    CALLBACK_GRACE,
    NewCallback,
    NewTicket,
    call_wrapup_submit,
    callback_cancel,
    callback_dial,
    callback_schedule,
    callbacks_sweep,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def acd(settings):
    settings.ACD_SOURCE = "pbx1"
    return FeedSourceFactory(name="pbx1")


@pytest.fixture
def in_wrapup(acd, agent):
    """alice hung up call c1 and is in wrap-up."""
    call_events_ingest(
        source=acd, raw_events=[ev("agent.login", -60, agent="alice"), *answered_call("c1")[:5]]
    )
    return "c1"


def test_wrapup_saves_the_log_and_ends_wrapup_at_the_acd(agent, in_wrapup):
    DispositionFactory(code="sale")
    customer = CustomerFactory(phones=["+14155550123"])
    log = call_wrapup_submit(
        agent=agent, call_id=in_wrapup, notes="Bought two", disposition_code="sale", customer_id=customer.pk
    )
    assert (log.notes, log.disposition.code, log.customer_id) == ("Bought two", "sale", customer.pk)
    command = AcdCommand.objects.get()
    assert (command.action, command.call_id, command.agent_code) == ("wrapup_end", "c1", "alice")


def test_wrapup_submitted_twice_updates_the_one_log(agent, in_wrapup):
    DispositionFactory(code="sale")
    call_wrapup_submit(agent=agent, call_id=in_wrapup, notes="first", disposition_code="sale")
    call_wrapup_submit(agent=agent, call_id=in_wrapup, notes="second", disposition_code="sale")
    assert list(CallLog.objects.values_list("notes", flat=True)) == ["second"]


def test_wrapup_can_create_a_ticket_for_the_customer(agent, in_wrapup):
    DispositionFactory(code="sale")
    customer = CustomerFactory()
    log = call_wrapup_submit(
        agent=agent,
        call_id=in_wrapup,
        disposition_code="sale",
        customer_id=customer.pk,
        new_ticket=NewTicket(subject="Send a quote"),
    )
    ticket = Ticket.objects.get()
    assert (log.ticket_id, ticket.customer_id, ticket.subject, ticket.channel) == (
        ticket.pk,
        customer.pk,
        "Send a quote",
        "phone",
    )


def test_wrapup_reports_every_error_at_once_and_writes_nothing(agent, in_wrapup):
    with pytest.raises(ApplicationError) as error:
        call_wrapup_submit(
            agent=agent,
            call_id=in_wrapup,
            disposition_code="nope",
            new_ticket=NewTicket(subject="  "),
            callback=NewCallback(due_at=timezone.now() - timedelta(hours=1), phone="12"),
        )
    assert set(error.value.fields) == {"disposition", "ticket_subject", "callback_phone", "callback_due_at"}
    assert not CallLog.objects.exists() and not Ticket.objects.exists() and not Callback.objects.exists()
    assert not AcdCommand.objects.exists()


def test_a_disposition_that_needs_a_ticket_says_so(agent, in_wrapup):
    DispositionFactory(code="complaint", label="Complaint", requires_ticket=True)
    with pytest.raises(ApplicationError) as error:
        call_wrapup_submit(agent=agent, call_id=in_wrapup, disposition_code="complaint")
    assert "Complaint" in error.value.fields["ticket"][0]


def test_wrapup_cannot_link_a_ticket_the_agent_may_not_see(agent, in_wrapup):
    from tests.agents.factories import TeamFactory

    DispositionFactory(code="sale")
    hidden = TicketFactory(team=TeamFactory(name="Elsewhere"))
    with pytest.raises(ApplicationError) as error:
        call_wrapup_submit(agent=agent, call_id=in_wrapup, disposition_code="sale", ticket_id=hidden.pk)
    assert "ticket" in error.value.fields


def test_wrapup_schedules_a_callback_to_the_caller(agent, in_wrapup):
    DispositionFactory(code="later")
    due = timezone.now() + timedelta(hours=2)
    call_wrapup_submit(
        agent=agent,
        call_id=in_wrapup,
        disposition_code="later",
        caller="+14155550123",
        callback=NewCallback(due_at=due),
    )
    callback = Callback.objects.get()
    assert (callback.phone, callback.agent_id, callback.due_at, callback.status) == (
        "+14155550123",
        agent.pk,
        due,
        CallbackStatus.SCHEDULED,
    )


def test_callback_phone_is_normalised_and_validated(agent):
    due = timezone.now() + timedelta(hours=1)
    assert callback_schedule(actor=agent, phone="(415) 555-0123", due_at=due).phone == "+14155550123"
    with pytest.raises(ApplicationError) as error:
        callback_schedule(actor=agent, phone="not a number", due_at=due)
    assert "phone" in error.value.fields


def test_sweep_offers_a_due_callback_to_the_acd_once(agent, acd):
    call_events_ingest(source=acd, raw_events=[ev("agent.login", 0, agent="alice")])
    callback = CallbackFactory(agent=agent, due_at=timezone.now() - timedelta(minutes=1))
    now = timezone.now()
    assert callbacks_sweep(now=now).offered == 1
    assert callbacks_sweep(now=now).offered == 0
    command = AcdCommand.objects.get()
    callback.refresh_from_db()
    assert (command.action, command.data["number"], command.call_id) == (
        "dial",
        callback.phone,
        callback.call_id,
    )
    assert callback.status == CallbackStatus.OFFERED


def test_sweep_waits_for_a_logged_out_agent_then_flags_missed(agent, acd):
    callback = CallbackFactory(agent=agent, due_at=timezone.now() - timedelta(minutes=1))
    assert callbacks_sweep(now=timezone.now()).offered == 0
    later = callback.due_at + CALLBACK_GRACE + timedelta(seconds=1)
    assert callbacks_sweep(now=later).missed == 1
    assert callbacks_sweep(now=later).missed == 0
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.MISSED and not AcdCommand.objects.exists()


def test_completing_the_wrapup_of_a_callback_call_completes_the_callback(agent, acd):
    callback = CallbackFactory(agent=agent, status=CallbackStatus.OFFERED, call_id="cb1-1")
    call_events_ingest(
        source=acd,
        raw_events=[
            ev("call.ringing", 0, "cb1-1", agent="alice", direction="outbound", callee=callback.phone),
            ev("call.answered", 3, "cb1-1", agent="alice", direction="outbound"),
            ev("call.ended", 60, "cb1-1", agent="alice", data={"by": "agent"}),
        ],
    )
    DispositionFactory(code="done")
    call_wrapup_submit(agent=agent, call_id="cb1-1", disposition_code="done", direction="outbound")
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.COMPLETED


def test_dialling_a_callback_claims_it_once(agent, other_agent, acd):
    callback = CallbackFactory(agent=None, due_at=timezone.now())
    callback_dial(callback_id=callback.pk, agent=agent)
    with pytest.raises(ConflictError):
        callback_dial(callback_id=callback.pk, agent=other_agent)
    callback.refresh_from_db()
    assert callback.agent_id == agent.pk and AcdCommand.objects.count() == 1


def test_an_agent_cannot_cancel_another_agents_callback(agent, other_agent):
    callback = CallbackFactory(agent=other_agent, due_at=timezone.now() + timedelta(hours=1))
    with pytest.raises(NotFoundError):
        callback_cancel(callback_id=callback.pk, actor=agent)
    assert callback_cancel(callback_id=callback.pk, actor=other_agent).status == CallbackStatus.CANCELLED


@pytest.mark.django_db(transaction=True)
def test_callbacks_sweep_runs_on_a_real_worker(agent, settings):
    from celery.contrib.testing.worker import start_worker

    from callcenter.celery import app
    from tickets.tasks import callbacks_sweep_task

    settings.ACD_SOURCE = "pbx1"
    source = FeedSourceFactory(name="pbx1")
    call_events_ingest(source=source, raw_events=[ev("agent.login", 0, agent="alice")])
    CallbackFactory(agent=agent, due_at=timezone.now() - timedelta(minutes=1))
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        assert callbacks_sweep_task.delay().get(timeout=30) == {"offered": 1, "missed": 0}
    assert AcdCommand.objects.get().action == "dial"


def test_wrapup_of_a_call_that_never_rang_here_is_refused(agent, acd):
    DispositionFactory(code="sale")
    with pytest.raises(NotFoundError):
        call_wrapup_submit(agent=agent, call_id="not-mine", disposition_code="sale")
    assert not CallLog.objects.exists()


def test_wrapup_takes_caller_and_queue_from_the_feed(agent, in_wrapup):
    DispositionFactory(code="sale")
    log = call_wrapup_submit(agent=agent, call_id=in_wrapup, disposition_code="sale")
    assert (log.caller, log.queue, log.direction) == ("+14155550123", "sales", "inbound")
