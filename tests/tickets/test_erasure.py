"""Right to erasure: `python manage.py erase_customer ID` erases a customer's personal data, their
numbers on calls and call events, their recordings and the ticket text about them, in one
transaction, and leaves every KPI as it was."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from callcenter.models import AuditRecord
from kpi.models import RollupDay
from telephony.models import Call, CallEvent, QuarantinedEvent
from telephony.services import call_events_ingest
from tests.kpi.factories import call_events
from tests.qa.factories import write_wav
from tests.telephony.factories import FeedSourceFactory, ev
from tickets.management.commands.erase_customer import Command as EraseCommand
from tickets.models import Callback, CallLog, Customer, CustomerEvent, TicketComment, TicketEvent
from tickets.services.customers import customer_create, customer_update
from tickets.services.erasure import ERASED
from tickets.services.tickets import ticket_comment_add, ticket_create, ticket_update

pytestmark = pytest.mark.django_db
DAY = "2026-11-23"
NUMBER = "+14155550123"
OTHER = "+14155550199"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def grace(agent, media):
    """Grace calls twice (recorded, surveyed), someone else once; she has a ticket with a reply."""
    customer = customer_create(
        actor=agent,
        name="Grace Hopper",
        company="Navy",
        notes="Prefers mornings",
        phones=[NUMBER],
        emails=["grace@navy.example"],
    )
    customer_update(customer_id=customer.pk, actor=agent, version=1, notes="Prefers mornings, VIP")
    source = FeedSourceFactory(name="pbx1")
    events = [
        *call_events("g1", queued=0, answered=10, ended=100, wrapup=120, csat=5, nps=9, caller=NUMBER),
        *call_events("g2", queued=600, answered=640, ended=900, wrapup=930, csat=2, caller=NUMBER),
        *call_events("o1", queued=60, answered=70, ended=200, wrapup=210, csat=4, caller=OTHER),
        *call_events("o2", queued=90, abandoned=95, caller=OTHER),
    ]
    for call_id in ("g1", "g2", "o1"):
        path = f"recordings/pbx1/{call_id}.wav"
        write_wav(Path(media) / path)
        events.append(ev("recording.ready", 1000, call_id, data={"path": path, "duration_s": 2.0}))
    result = call_events_ingest(source=source, raw_events=events)
    assert result.rejected == []
    ticket = ticket_create(
        actor=agent, subject="Router", customer=customer, description="Grace says her router at 12 Elm St"
    )
    ticket_update(ticket_id=ticket.pk, actor=agent, version=1, description="Grace Hopper, 12 Elm Street")
    ticket_comment_add(
        ticket_id=ticket.pk, actor=agent, body="Dear Grace, we sent a new router", internal=False
    )
    ticket_comment_add(ticket_id=ticket.pk, actor=agent, body="Checked stock", internal=True)
    for call_id in ("g1", "g2"):
        CallLog.objects.create(
            call_id=call_id,
            agent=agent,
            customer=customer,
            ticket=ticket,
            caller=NUMBER,
            notes="Grace was upset",
        )
    Callback.objects.create(customer=customer, phone=NUMBER, due_at=Call.objects.get(call_id="g1").ended_at)
    return customer


def erase(*args: str) -> str:
    out = StringIO()
    call_command("erase_customer", *args, stdout=out)
    return out.getvalue()


def report() -> list[dict]:
    rows = []
    for by in ("total", "queue", "agent", "interval"):
        out = StringIO()
        call_command("kpi_report", "--from", DAY, "--to", DAY, "--by", by, "--format", "json", stdout=out)
        rows.extend(json.loads(out.getvalue()))
    return rows


def test_erasure_removes_the_customers_personal_data(grace):
    output = erase(str(grace.pk), "--yes")
    assert f"Erased customer {grace.pk}" in output
    customer = Customer.objects.get(pk=grace.pk)
    assert customer.name == f"Erased customer #{grace.pk}"
    assert (customer.company, customer.notes) == ("", "")
    assert customer.erased_at is not None
    assert not customer.phones.exists() and not customer.emails.exists()
    history = repr(list(CustomerEvent.objects.filter(customer=grace).values_list("changes", flat=True)))
    assert "Grace" not in history and "navy" not in history and NUMBER not in history


def test_erasure_clears_the_numbers_on_calls_and_events_but_not_other_callers(grace):
    erase(str(grace.pk), "--yes")
    assert set(Call.objects.filter(call_id__in=["g1", "g2"]).values_list("caller", flat=True)) == {""}
    assert not CallEvent.objects.filter(caller=NUMBER).exists()
    assert not CallLog.objects.filter(caller=NUMBER).exists()
    assert Callback.objects.get(customer=grace).phone == ""
    assert set(Call.objects.filter(call_id__in=["o1", "o2"]).values_list("caller", flat=True)) == {OTHER}


def test_erasure_scrubs_the_customers_number_and_address_from_the_feed_quarantine(grace):
    def kept(raw: str) -> QuarantinedEvent:
        return QuarantinedEvent.objects.create(source_name="pbx1", raw=raw, error=f"bad line {raw[:30]}")

    e164 = kept(f'{{"type": "call.bogus", "caller": "{NUMBER}"}}')
    national = kept("1763974800|c9|sales|NONE|ENTERQUEUE||4155550123|1|junk")
    address = kept('{"note": "mail grace@navy.example"}')
    someone_else = kept(f'{{"caller": "{OTHER}"}}')
    output = erase(str(grace.pk), "--yes")
    for line in (e164, national, address):
        line.refresh_from_db()
        assert "4155550123" not in line.raw + line.error and "grace@navy" not in line.raw
        assert ERASED in line.raw
    someone_else.refresh_from_db()
    assert OTHER in someone_else.raw
    record = AuditRecord.objects.get(action="erased")
    assert record.changes["quarantined"] == 3
    assert "quarantined 3" in output


def test_erasure_deletes_the_customers_recordings_only(grace, media):
    erase(str(grace.pk), "--yes")
    assert not (Path(media) / "recordings/pbx1/g1.wav").exists()
    assert not (Path(media) / "recordings/pbx1/g2.wav").exists()
    assert (Path(media) / "recordings/pbx1/o1.wav").exists()
    assert set(Call.objects.filter(call_id__in=["g1", "g2"]).values_list("recording_url", flat=True)) == {""}
    ready = CallEvent.objects.filter(call_id="g1", type="recording.ready").get()
    assert "path" not in ready.data and ready.data["duration_s"] == 2.0


def test_a_late_event_does_not_bring_the_number_or_recording_back(grace):
    erase(str(grace.pk), "--yes")
    source = FeedSourceFactory(name="pbx1")
    late = ev("call.wrapup_ended", 935, "g2", agent="alice")
    assert call_events_ingest(source=source, raw_events=[late]).rejected == []
    call = Call.objects.get(call_id="g2")
    assert (call.caller, call.recording_url) == ("", "")


def test_erasure_erases_ticket_text_about_the_customer_and_keeps_internal_notes(grace):
    erase(str(grace.pk), "--yes")
    ticket = grace.tickets.get()
    assert ticket.description == ERASED and ticket.subject == "Router"
    assert TicketComment.objects.get(ticket=ticket, internal=False).body == ERASED
    assert TicketComment.objects.get(ticket=ticket, internal=True).body == "Checked stock"
    events = repr(list(TicketEvent.objects.filter(ticket=ticket).values_list("changes", flat=True)))
    assert "Grace" not in events and "Elm" not in events
    assert set(CallLog.objects.filter(customer=grace).values_list("notes", flat=True)) == {ERASED}


def test_aggregate_kpis_are_the_same_after_erasure(grace):
    live_before = report()
    call_command("kpi_rollup", "--from", DAY, "--to", DAY, stdout=StringIO())
    rolled_before = report()
    days_before = list(RollupDay.objects.order_by("pk").values())
    assert rolled_before == live_before
    assert any(row.get("fcr") is not None for row in rolled_before)
    erase(str(grace.pk), "--yes")
    assert report() == rolled_before
    assert list(RollupDay.objects.order_by("pk").values()) == days_before
    call_command("kpi_rollup", "--from", DAY, "--to", DAY, stdout=StringIO())
    assert report() == rolled_before


def test_erasure_is_in_the_audit_log_without_personal_data(grace, admin):
    erase(str(grace.pk), "--yes", "--by", admin.username)
    record = AuditRecord.objects.get(object_type="customer", object_id=grace.pk)
    assert record.action == "erased" and record.actor == admin
    assert (
        record.changes["phones"] == 1 and record.changes["recordings"] == 2 and record.changes["calls"] == 2
    )
    assert "Grace" not in repr((record.object_label, record.changes, record.note))


def test_unknown_id_is_a_clear_error_and_changes_nothing(grace):
    with pytest.raises(CommandError, match="no customer with id 999999"):
        erase("999999", "--yes")
    assert Customer.objects.get(pk=grace.pk).name == "Grace Hopper"
    assert not AuditRecord.objects.exists()


def test_an_unknown_requester_is_an_error_and_changes_nothing(grace):
    with pytest.raises(CommandError, match="no user 'nobody'"):
        erase(str(grace.pk), "--yes", "--by", "nobody")
    assert Customer.objects.get(pk=grace.pk).erased_at is None


def test_without_yes_and_without_a_terminal_it_refuses(grace):
    with pytest.raises(CommandError, match="--yes"):
        erase(str(grace.pk))
    assert Customer.objects.get(pk=grace.pk).name == "Grace Hopper"


@pytest.mark.parametrize(("answer", "erased"), [("yes", True), ("no", False), ("", False)])
def test_the_prompt_needs_a_typed_yes(grace, monkeypatch, answer, erased):
    monkeypatch.setattr(EraseCommand, "stdin_is_interactive", lambda self: True)
    prompts = []
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or answer)
    if erased:
        erase(str(grace.pk))
    else:
        with pytest.raises(CommandError, match="Not erased"):
            erase(str(grace.pk))
    assert "Grace Hopper" in prompts[0]
    assert (Customer.objects.get(pk=grace.pk).erased_at is not None) == erased


def test_a_failure_midway_leaves_everything_as_it_was(grace, monkeypatch):
    def broken(customer_ids):
        raise RuntimeError("disk full")

    monkeypatch.setattr("tickets.services.erasure._scrub_history", broken)
    with pytest.raises(RuntimeError):
        erase(str(grace.pk), "--yes")
    customer = Customer.objects.get(pk=grace.pk)
    assert customer.name == "Grace Hopper" and customer.phones.count() == 1
    assert Call.objects.get(call_id="g1").caller == NUMBER
    assert CallEvent.objects.filter(call_id="g1", caller=NUMBER).exists()
    assert grace.tickets.get().description == "Grace Hopper, 12 Elm Street"
    assert not AuditRecord.objects.exists()


def test_help_names_the_confirmation_flag():
    text = EraseCommand().create_parser("manage.py", "erase_customer").format_help()
    assert "--yes" in text and "customer_id" in text and "KPI" in text
