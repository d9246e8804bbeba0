"""SLA clocks: policies, business calendars, pause while pending, and the warning/breach scan."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from tests.agents.factories import TeamFactory
from tests.callcenter.factories import UserFactory
from tests.tickets.factories import (
    BusinessScheduleFactory,
    CategoryFactory,
    HolidayFactory,
    SlaPolicyFactory,
    TicketFactory,
)
from tickets.models import Priority, Status, Ticket, TicketEvent
from tickets.services.sla import (
    SlaContext,
    sla_open_tickets_recompute,
    sla_scan,
    sla_ticket_sync,
)
from tickets.services.tickets import ticket_comment_add, ticket_create, ticket_update

HOUR = timedelta(hours=1)
MONDAY_10 = datetime(2026, 11, 30, 10, tzinfo=UTC)


@pytest.fixture
def office(db):
    """The default calendar: Monday to Friday 09:00-17:00 UTC."""
    return BusinessScheduleFactory(name="Office", is_default=True)


@pytest.fixture
def normal_policy(db):
    return SlaPolicyFactory(priority=Priority.NORMAL, first_response_minutes=60, resolution_minutes=480)


def _ticket(**fields) -> Ticket:
    """An unsaved ticket whose clock starts at MONDAY_10."""
    ticket = Ticket(subject="Line dead", priority=Priority.NORMAL, **fields)
    sla_ticket_sync(ticket=ticket, now=MONDAY_10)
    return ticket


# --- due times -------------------------------------------------------------------------------------
def test_due_times_count_business_hours(office, normal_policy):
    ticket = _ticket()
    assert ticket.sla_policy == normal_policy
    assert ticket.first_response_due_at == MONDAY_10 + HOUR
    assert ticket.first_response_warn_at == MONDAY_10 + 48 * timedelta(minutes=1)
    # 8 business hours from Monday 10:00 = Tuesday 10:00; 80 % (6h24m) = Monday 16:24.
    assert ticket.resolution_due_at == MONDAY_10 + 24 * HOUR
    assert ticket.resolution_warn_at == datetime(2026, 11, 30, 16, 24, tzinfo=UTC)


def test_friday_afternoon_ticket_is_due_after_the_weekend(office, normal_policy):
    ticket = Ticket(subject="x", priority=Priority.NORMAL)
    sla_ticket_sync(ticket=ticket, now=datetime(2026, 12, 4, 16, 30, tzinfo=UTC))
    assert ticket.first_response_due_at == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def test_holiday_pushes_the_due_time(office, normal_policy):
    HolidayFactory(schedule=office, date=date(2026, 12, 1))
    ticket = _ticket()
    # 7 h left on Monday, Tuesday is a holiday: the 8th hour is Wednesday 09:00-10:00.
    assert ticket.resolution_due_at == datetime(2026, 12, 2, 10, tzinfo=UTC)


def test_team_calendar_wins_over_the_default(office, normal_policy):
    team = TeamFactory(name="Night desk")
    BusinessScheduleFactory(name="Around the clock", team=team, hours=False)
    ticket = _ticket(team=team)
    assert ticket.resolution_due_at == MONDAY_10 + 8 * HOUR


def test_no_schedule_at_all_runs_around_the_clock(normal_policy):
    ticket = _ticket()
    assert ticket.resolution_due_at == MONDAY_10 + 8 * HOUR


def test_category_policy_wins_over_the_priority_policy(office, normal_policy):
    billing = CategoryFactory(name="Billing")
    specific = SlaPolicyFactory(priority=Priority.NORMAL, category=billing, first_response_minutes=30)
    assert _ticket(category=billing).sla_policy == specific
    assert _ticket(category=CategoryFactory(name="Other")).sla_policy == normal_policy


def test_inactive_policy_is_ignored(office):
    SlaPolicyFactory(priority=Priority.NORMAL, active=False)
    ticket = _ticket()
    assert ticket.sla_policy is None and ticket.resolution_due_at is None


def test_priority_change_re_times_the_clock(office, normal_policy):
    SlaPolicyFactory(priority=Priority.URGENT, first_response_minutes=15, resolution_minutes=120)
    ticket = _ticket()
    ticket.priority = Priority.URGENT
    changed = sla_ticket_sync(ticket=ticket, now=MONDAY_10 + timedelta(minutes=5))
    assert "sla_policy" in changed and "first_response_due_at" in changed
    assert ticket.first_response_due_at == MONDAY_10 + timedelta(minutes=15)
    assert ticket.resolution_due_at == MONDAY_10 + 2 * HOUR


def test_nothing_changes_when_nothing_moved(office, normal_policy):
    ticket = _ticket()
    assert sla_ticket_sync(ticket=ticket, now=MONDAY_10 + HOUR) == []


# --- pause -----------------------------------------------------------------------------------------
def test_pending_pauses_the_clock_in_business_time(office, normal_policy):
    ticket = _ticket()
    ticket.status = Status.PENDING
    sla_ticket_sync(ticket=ticket, now=MONDAY_10 + HOUR)  # Monday 11:00
    assert ticket.sla_paused_at == MONDAY_10 + HOUR
    ticket.status = Status.OPEN
    # Back on Tuesday 11:00: paused for 6 h on Monday + 2 h on Tuesday = 8 business hours.
    sla_ticket_sync(ticket=ticket, now=MONDAY_10 + 25 * HOUR)
    assert ticket.sla_paused_at is None
    assert ticket.sla_paused_business_s == 8 * 3600
    # Due Tuesday 10:00 plus 8 business hours = Wednesday 10:00.
    assert ticket.resolution_due_at == MONDAY_10 + 48 * HOUR


def test_pause_over_a_weekend_costs_nothing(office, normal_policy):
    ticket = Ticket(subject="x", priority=Priority.NORMAL)
    friday_17 = datetime(2026, 12, 4, 17, tzinfo=UTC)
    sla_ticket_sync(ticket=ticket, now=friday_17 - HOUR)
    ticket.status = Status.PENDING
    sla_ticket_sync(ticket=ticket, now=friday_17)
    ticket.status = Status.OPEN
    sla_ticket_sync(ticket=ticket, now=friday_17 + 64 * HOUR)  # Monday 09:00
    assert ticket.sla_paused_business_s == 0


def test_resolved_time_does_not_count_after_reopening(office, normal_policy):
    ticket = _ticket()
    due = ticket.resolution_due_at
    ticket.status = Status.RESOLVED
    sla_ticket_sync(ticket=ticket, now=MONDAY_10 + HOUR)
    ticket.status = Status.OPEN
    sla_ticket_sync(ticket=ticket, now=MONDAY_10 + 3 * HOUR)
    assert ticket.resolution_due_at == due + 2 * HOUR


def test_ticket_update_to_pending_pauses_and_back_resumes(agent, normal_policy):
    ticket = ticket_create(actor=agent, subject="Router", assignee=agent)
    ticket = ticket_update(ticket_id=ticket.pk, actor=agent, version=ticket.version, status=Status.PENDING)
    assert ticket.sla_paused_at is not None
    ticket = ticket_update(ticket_id=ticket.pk, actor=agent, version=ticket.version, status=Status.OPEN)
    ticket.refresh_from_db()
    assert ticket.sla_paused_at is None
    assert ticket.resolution_due_at >= ticket.sla_started_at + 8 * HOUR


# --- the scan --------------------------------------------------------------------------------------
@pytest.fixture
def floor(agent, supervisor, office):
    team = TeamFactory(name="Front line", members=[agent])
    team.supervisor = supervisor
    team.save()
    return team


def _open_ticket(agent, team, **kwargs) -> Ticket:
    return ticket_create(actor=agent, subject="Printer on fire", team=team, assignee=agent, **kwargs)


def test_scan_warns_once_at_80_percent(agent, floor, normal_policy):
    ticket = _open_ticket(agent, floor)
    result = sla_scan(now=ticket.first_response_warn_at + timedelta(seconds=1))
    assert result.warned == [ticket.pk] and result.breached == []
    assert [a.kind for a in result.alerts] == ["sla_warning"]
    again = sla_scan(now=ticket.first_response_warn_at + timedelta(minutes=2))
    assert again.warned == [] and again.alerts == []
    assert TicketEvent.objects.filter(ticket=ticket, kind="sla_warning").count() == 1


def test_scan_before_the_warning_marks_nothing(agent, floor, normal_policy):
    ticket = _open_ticket(agent, floor)
    result = sla_scan(now=ticket.first_response_warn_at - timedelta(seconds=1))
    assert result.warned == [] and result.breached == []


def test_breach_escalates_by_the_policy(agent, supervisor, floor):
    policy = SlaPolicyFactory(
        priority=Priority.NORMAL, escalate_raise_priority=True, escalate_to_supervisor=True
    )
    SlaPolicyFactory(priority=Priority.HIGH, first_response_minutes=30, resolution_minutes=240)
    ticket = _open_ticket(agent, floor)
    assert ticket.sla_policy == policy
    late = ticket.first_response_due_at + timedelta(minutes=1)
    result = sla_scan(now=late)
    ticket.refresh_from_db()
    assert result.breached == [ticket.pk] and result.escalated == [ticket.pk]
    assert ticket.priority == Priority.HIGH and ticket.assignee == supervisor
    assert ticket.first_response_breached_at == late
    assert ticket.sla_policy.priority == Priority.HIGH  # re-timed under the new priority
    assert ticket.version == 2
    event = TicketEvent.objects.get(ticket=ticket, kind="sla_breached")
    assert event.changes["priority"] == [Priority.NORMAL, Priority.HIGH]
    assert event.changes["assignee"][1]["id"] == supervisor.pk
    alert = result.alerts[0]
    assert alert.kind == "sla_breach" and alert.recipients == {agent.pk, supervisor.pk}


def test_breach_without_escalation_rules_only_marks(agent, floor):
    SlaPolicyFactory(priority=Priority.NORMAL, escalate_raise_priority=False, escalate_to_supervisor=False)
    ticket = _open_ticket(agent, floor)
    result = sla_scan(now=ticket.resolution_due_at + HOUR)
    ticket.refresh_from_db()
    assert result.escalated == []
    assert ticket.priority == Priority.NORMAL and ticket.assignee == agent
    assert ticket.first_response_breached_at and ticket.resolution_breached_at


def test_priority_stops_rising_at_urgent(agent, floor):
    SlaPolicyFactory(priority=Priority.URGENT, first_response_minutes=15, resolution_minutes=60)
    ticket = _open_ticket(agent, floor, priority=Priority.URGENT)
    sla_scan(now=ticket.resolution_due_at + HOUR)
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT


def test_late_scan_past_warning_and_due_sends_only_the_breach(agent, floor):
    SlaPolicyFactory(priority=Priority.NORMAL, escalate_raise_priority=False)
    ticket = _open_ticket(agent, floor)
    result = sla_scan(now=ticket.first_response_due_at + timedelta(minutes=5))
    assert [(a.kind, a.clock) for a in result.alerts] == [("sla_breach", "first_response")]
    ticket.refresh_from_db()
    assert ticket.first_response_warned_at is not None  # marked silently, never to alert later
    assert not TicketEvent.objects.filter(ticket=ticket, kind="sla_warning").exists()


def test_first_reply_in_time_means_no_first_response_breach(agent, floor, normal_policy):
    ticket = _open_ticket(agent, floor)
    ticket_comment_add(ticket_id=ticket.pk, actor=agent, body="On it.", internal=False)
    result = sla_scan(now=ticket.first_response_due_at + timedelta(minutes=1))
    assert all(alert.clock != "first_response" for alert in result.alerts)


def test_pending_ticket_is_not_scanned(agent, floor, normal_policy):
    ticket = _open_ticket(agent, floor)
    ticket_update(ticket_id=ticket.pk, actor=agent, version=ticket.version, status=Status.PENDING)
    assert sla_scan(now=ticket.resolution_due_at + 10 * HOUR).alerts == []


def test_lowering_priority_moves_due_ahead_and_clears_the_mark(agent, floor, normal_policy):
    SlaPolicyFactory(priority=Priority.LOW, first_response_minutes=6000, resolution_minutes=9000)
    ticket = _open_ticket(agent, floor)
    normal_policy.escalate_raise_priority = False
    normal_policy.save()
    sla_scan(now=ticket.first_response_due_at + timedelta(minutes=1))
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at is not None
    ticket = ticket_update(ticket_id=ticket.pk, actor=agent, version=ticket.version, priority=Priority.LOW)
    ticket.refresh_from_db()
    assert ticket.first_response_breached_at is None


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_mark_each_ticket_once(agent, floor, normal_policy):
    tickets = [_open_ticket(agent, floor) for _ in range(30)]
    now = max(t.first_response_due_at for t in tickets) + timedelta(minutes=1)
    results: list = []

    def scan() -> None:
        try:
            results.append(sla_scan(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    breached = [pk for result in results for pk in result.breached]
    assert sorted(breached) == sorted(t.pk for t in tickets)
    assert TicketEvent.objects.filter(kind="sla_breached").count() == len(tickets)


# --- recompute after a configuration change ----------------------------------------------------------
def test_policy_change_re_times_open_tickets(agent, floor, normal_policy):
    ticket = _open_ticket(agent, floor)
    done = _open_ticket(agent, floor)
    ticket_update(ticket_id=done.pk, actor=agent, version=done.version, status=Status.RESOLVED)
    done.refresh_from_db()
    normal_policy.resolution_minutes = 960
    normal_policy.save()
    assert sla_open_tickets_recompute(now=ticket.created_at) == 1
    before, ticket = ticket.resolution_due_at, Ticket.objects.get(pk=ticket.pk)
    assert ticket.resolution_due_at > before and ticket.version == 2
    assert Ticket.objects.get(pk=done.pk).resolution_due_at == done.resolution_due_at


def test_context_loads_in_four_queries(office, normal_policy, django_assert_num_queries):
    with django_assert_num_queries(4):
        SlaContext.load()


def test_bulk_update_re_times_each_ticket(agent, floor, normal_policy):
    from tickets.business_time import business_add
    from tickets.services.tickets import tickets_bulk_update

    urgent = SlaPolicyFactory(priority=Priority.URGENT, first_response_minutes=15, resolution_minutes=60)
    first, second = _open_ticket(agent, floor), _open_ticket(agent, floor)
    tickets_bulk_update(ids=[first.pk, second.pk], actor=agent, action="priority", value=Priority.URGENT)
    calendar = SlaContext.load().default_calendar
    for ticket in Ticket.objects.filter(pk__in=[first.pk, second.pk]):
        assert ticket.sla_policy == urgent
        assert ticket.resolution_due_at == business_add(calendar, ticket.sla_started_at, 3600)


def test_supervisor_that_cannot_work_tickets_is_not_assigned(agent, office):
    outsider = UserFactory(username="olga", roles=[])
    team = TeamFactory(name="Odd team", members=[agent])
    team.supervisor = outsider
    team.save()
    SlaPolicyFactory(priority=Priority.NORMAL, escalate_to_supervisor=True)
    ticket = _open_ticket(agent, team)
    result = sla_scan(now=ticket.first_response_due_at + timedelta(minutes=1))
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert any("not reassigned" in line for line in result.alerts[0].escalation)


def test_untimed_tickets_are_left_alone(agent):
    TicketFactory(status=Status.OPEN)
    assert sla_scan(now=datetime(2030, 1, 1, tzinfo=UTC)).alerts == []


# --- pages and API ---------------------------------------------------------------------------------
def test_ticket_page_shows_each_clock_and_the_breach_on_the_timeline(client, agent, floor):
    SlaPolicyFactory(name="Normal tickets", priority=Priority.NORMAL, escalate_raise_priority=False)
    ticket = _open_ticket(agent, floor)
    ticket_comment_add(ticket_id=ticket.pk, actor=agent, body="Looking.", internal=False)
    ticket.refresh_from_db()
    sla_scan(now=ticket.resolution_due_at + timedelta(minutes=1))
    client.force_login(agent)
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Normal tickets" in body
    assert 'data-testid="sla-first_response">met' in body
    assert 'data-testid="sla-resolution">breached' in body
    assert "breached an SLA target" in body


def test_ticket_api_lists_the_clocks(client, agent, floor, normal_policy):
    from rest_framework.test import APIClient

    ticket = _open_ticket(agent, floor)
    api = APIClient()
    api.force_authenticate(agent)
    data = api.get(f"/api/tickets/{ticket.pk}/").json()
    assert data["sla_policy"]["id"] == normal_policy.pk
    assert [(c["clock"], c["state"]) for c in data["sla"]] == [
        ("first_response", "running"),
        ("resolution", "running"),
    ]
