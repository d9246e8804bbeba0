from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from callcenter.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from tests.agents.factories import TeamFactory
from tests.callcenter.factories import UserFactory
from tests.tickets.factories import CallbackFactory, CustomerFactory, TicketCommentFactory, TicketFactory
from tickets.models import CallLog, Status, Ticket, TicketComment, TicketEvent
from tickets.selectors.tickets import ticket_get_for_user, ticket_list, ticket_sla_state, ticket_timeline
from tickets.services.tickets import (
    ticket_comment_add,
    ticket_create,
    ticket_merge,
    ticket_unwatch,
    ticket_update,
    ticket_watch,
    tickets_bulk_update,
)


@pytest.fixture
def team_a(agent):
    return TeamFactory(name="Team A", members=[agent])


@pytest.fixture
def team_b(other_agent):
    return TeamFactory(name="Team B", members=[other_agent])


# --- create ----------------------------------------------------------------------------------------
def test_create_records_who_opened_it(agent):
    customer = CustomerFactory()
    ticket = ticket_create(
        actor=agent, subject="  No dial tone ", customer=customer, channel="email", priority=3
    )
    assert ticket.subject == "No dial tone"
    assert ticket.status == Status.NEW and ticket.version == 1 and ticket.created_by == agent
    event = TicketEvent.objects.get(ticket=ticket)
    assert event.kind == "created" and event.actor == agent
    assert event.changes["subject"] == [None, "No dial tone"]
    assert event.changes["customer"] == [None, {"id": customer.pk, "name": customer.name}]


def test_create_requires_a_subject(agent):
    with pytest.raises(ApplicationError) as error:
        ticket_create(actor=agent, subject=" ", channel="phone", priority=2)
    assert "subject" in error.value.fields


def test_create_links_the_agents_call_log(agent):
    log = CallLog.objects.create(call_id="c-1", agent=agent)
    ticket = ticket_create(actor=agent, subject="From a call", channel="phone", priority=2, call_id="c-1")
    log.refresh_from_db()
    assert log.ticket == ticket
    assert TicketEvent.objects.get(ticket=ticket).changes["call_id"] == [None, "c-1"]


def test_qa_cannot_create(qa):
    with pytest.raises(ForbiddenError):
        ticket_create(actor=qa, subject="x", channel="phone", priority=2)


# --- update and transitions ------------------------------------------------------------------------
def test_update_changes_fields_bumps_version_and_records_before_after(agent, other_agent):
    ticket = TicketFactory(assignee=agent, priority=2)
    updated = ticket_update(ticket_id=ticket.pk, actor=agent, version=1, priority=4, assignee=other_agent)
    assert updated.version == 2
    ticket.refresh_from_db()
    assert ticket.priority == 4 and ticket.assignee == other_agent and ticket.version == 2
    event = TicketEvent.objects.get(ticket=ticket, kind="updated")
    assert event.actor == agent
    assert event.changes["priority"] == [2, 4]
    assert event.changes["assignee"][1]["id"] == other_agent.pk


def test_update_with_nothing_different_writes_nothing(agent):
    ticket = TicketFactory(assignee=agent, priority=2)
    ticket_update(ticket_id=ticket.pk, actor=agent, version=1, priority=2)
    ticket.refresh_from_db()
    assert ticket.version == 1
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_stale_version_is_a_conflict_naming_who_changed_it(agent, other_agent):
    ticket = TicketFactory()
    ticket_update(ticket_id=ticket.pk, actor=other_agent, version=1, priority=3)
    with pytest.raises(ConflictError) as error:
        ticket_update(ticket_id=ticket.pk, actor=agent, version=1, priority=1)
    assert "Bob" in error.value.message
    ticket.refresh_from_db()
    assert ticket.priority == 3 and ticket.version == 2


def test_resolving_sets_resolved_at_and_reopening_clears_it(agent):
    ticket = TicketFactory(assignee=agent, status=Status.OPEN)
    ticket_update(ticket_id=ticket.pk, actor=agent, version=1, status=Status.RESOLVED)
    ticket.refresh_from_db()
    assert ticket.resolved_at is not None
    ticket_update(ticket_id=ticket.pk, actor=agent, version=2, status=Status.OPEN)
    ticket.refresh_from_db()
    assert ticket.resolved_at is None and ticket.closed_at is None


def test_closing_sets_closed_at(agent):
    ticket = TicketFactory(assignee=agent, status=Status.RESOLVED, resolved_at=timezone.now())
    ticket_update(ticket_id=ticket.pk, actor=agent, version=1, status=Status.CLOSED)
    ticket.refresh_from_db()
    assert ticket.closed_at is not None


def test_closed_ticket_can_only_be_reopened_to_open(agent):
    ticket = TicketFactory(assignee=agent, status=Status.CLOSED, closed_at=timezone.now())
    with pytest.raises(ApplicationError) as error:
        ticket_update(ticket_id=ticket.pk, actor=agent, version=1, status=Status.PENDING)
    assert "reopened" in error.value.message
    with pytest.raises(ApplicationError):
        ticket_update(ticket_id=ticket.pk, actor=agent, version=1, priority=4)
    ticket_update(ticket_id=ticket.pk, actor=agent, version=1, status=Status.OPEN)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.closed_at is None


def test_ticket_cannot_go_back_to_new(agent):
    ticket = TicketFactory(assignee=agent, status=Status.OPEN)
    with pytest.raises(ApplicationError):
        ticket_update(ticket_id=ticket.pk, actor=agent, version=1, status=Status.NEW)


def test_assignee_must_be_able_to_work_tickets(agent, qa):
    ticket = TicketFactory(assignee=agent)
    with pytest.raises(ApplicationError) as error:
        ticket_update(ticket_id=ticket.pk, actor=agent, version=1, assignee=qa)
    assert "assignee" in error.value.fields


# --- visibility ------------------------------------------------------------------------------------
def test_agent_cannot_see_or_change_another_teams_ticket(agent, team_b):
    ticket = TicketFactory(team=team_b)
    with pytest.raises(NotFoundError):
        ticket_get_for_user(user=agent, ticket_id=ticket.pk)
    with pytest.raises(NotFoundError):
        ticket_update(ticket_id=ticket.pk, actor=agent, version=1, priority=4)


def test_agent_sees_own_team_watched_and_unrouted_tickets(agent, team_a, team_b):
    mine = TicketFactory(team=team_b, assignee=agent)
    teams = TicketFactory(team=team_a)
    watched = TicketFactory(team=team_b)
    watched.watchers.add(agent)
    unrouted = TicketFactory()
    hidden = TicketFactory(team=team_b)
    visible = set(ticket_list(user=agent, view="all").values_list("pk", flat=True))
    assert visible == {mine.pk, teams.pk, watched.pk, unrouted.pk}
    assert hidden.pk not in visible


def test_qa_sees_every_ticket_but_cannot_change_one(qa, team_b):
    ticket = TicketFactory(team=team_b)
    assert ticket_get_for_user(user=qa, ticket_id=ticket.pk) == ticket
    with pytest.raises(ForbiddenError):
        ticket_update(ticket_id=ticket.pk, actor=qa, version=1, priority=4)


# --- comments --------------------------------------------------------------------------------------
def test_internal_note_does_not_count_as_first_response(agent):
    ticket = TicketFactory(assignee=agent)
    ticket_comment_add(ticket_id=ticket.pk, actor=agent, body="Checking the line", internal=True)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None and ticket.version == 1


def test_first_reply_to_customer_sets_first_responded_at_once(agent):
    ticket = TicketFactory(assignee=agent)
    first = ticket_comment_add(ticket_id=ticket.pk, actor=agent, body="We are on it", internal=False)
    ticket.refresh_from_db()
    assert ticket.first_responded_at == first.created_at
    ticket_comment_add(ticket_id=ticket.pk, actor=agent, body="Fixed", internal=False)
    ticket.refresh_from_db()
    assert ticket.first_responded_at == first.created_at


def test_empty_comment_is_refused(agent):
    ticket = TicketFactory(assignee=agent)
    with pytest.raises(ApplicationError) as error:
        ticket_comment_add(ticket_id=ticket.pk, actor=agent, body="  ", internal=True)
    assert "body" in error.value.fields


# --- watchers --------------------------------------------------------------------------------------
def test_watch_and_unwatch_are_recorded(agent):
    ticket = TicketFactory()
    ticket_watch(ticket_id=ticket.pk, actor=agent)
    ticket_watch(ticket_id=ticket.pk, actor=agent)
    assert list(ticket.watchers.all()) == [agent]
    ticket_unwatch(ticket_id=ticket.pk, actor=agent)
    assert not ticket.watchers.exists()
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["watcher_added", "watcher_removed"]


def test_watching_makes_another_teams_ticket_visible(agent, supervisor, team_b):
    ticket = TicketFactory(team=team_b)
    ticket_watch(ticket_id=ticket.pk, actor=supervisor, user=agent)
    assert ticket_get_for_user(user=agent, ticket_id=ticket.pk) == ticket


# --- merge -----------------------------------------------------------------------------------------
def test_merge_closes_source_and_moves_its_history(agent, other_agent):
    customer = CustomerFactory()
    source = TicketFactory(customer=customer, status=Status.OPEN)
    target = TicketFactory(customer=customer)
    TicketCommentFactory(ticket=source, body="duplicate report")
    source.watchers.add(other_agent)
    log = CallLog.objects.create(call_id="c-9", agent=agent, ticket=source)
    callback = CallbackFactory(ticket=source)

    ticket_merge(source_id=source.pk, target_id=target.pk, actor=agent)

    source.refresh_from_db()
    assert source.status == Status.CLOSED and source.merged_into == target and source.closed_at
    bodies = list(TicketComment.objects.filter(ticket=target).values_list("body", flat=True))
    assert "duplicate report" in bodies
    assert any(body.startswith(f"Merged from T-{source.pk}") for body in bodies)
    assert list(target.watchers.all()) == [other_agent]
    log.refresh_from_db()
    callback.refresh_from_db()
    assert log.ticket == target and callback.ticket == target
    assert TicketEvent.objects.get(ticket=source, kind="merged").changes["merged_into"] == [None, target.pk]
    assert TicketEvent.objects.get(ticket=target, kind="merged_from").changes["merged_from"] == [
        None,
        source.pk,
    ]


def test_merge_into_itself_is_refused(agent):
    ticket = TicketFactory()
    with pytest.raises(ApplicationError, match="itself"):
        ticket_merge(source_id=ticket.pk, target_id=ticket.pk, actor=agent)


def test_merge_into_a_merged_ticket_is_refused(agent):
    final = TicketFactory()
    merged = TicketFactory(customer=final.customer, status=Status.CLOSED, merged_into=final)
    source = TicketFactory(customer=final.customer)
    with pytest.raises(ApplicationError, match="merge into that one"):
        ticket_merge(source_id=source.pk, target_id=merged.pk, actor=agent)


def test_merge_across_customers_needs_saying_so(agent):
    source, target = TicketFactory(), TicketFactory()
    with pytest.raises(ApplicationError) as error:
        ticket_merge(source_id=source.pk, target_id=target.pk, actor=agent)
    assert error.value.code == "different_customers"
    ticket_merge(source_id=source.pk, target_id=target.pk, actor=agent, allow_other_customer=True)
    source.refresh_from_db()
    assert source.merged_into == target


def test_merge_into_an_invisible_ticket_is_not_found(agent, team_b):
    source = TicketFactory()
    target = TicketFactory(team=team_b, customer=source.customer)
    with pytest.raises(NotFoundError):
        ticket_merge(source_id=source.pk, target_id=target.pk, actor=agent)


# --- bulk ------------------------------------------------------------------------------------------
def test_bulk_skips_tickets_the_actor_may_not_see(agent, team_a, team_b):
    mine = TicketFactory(team=team_a)
    theirs = TicketFactory(team=team_b)
    result = tickets_bulk_update(ids=[mine.pk, theirs.pk], actor=agent, action="priority", value=4)
    assert result.updated == [mine.pk]
    assert theirs.pk in result.skipped
    theirs.refresh_from_db()
    assert theirs.priority == 2


def test_bulk_status_writes_one_event_per_ticket_and_bumps_versions(agent, team_a):
    tickets = [TicketFactory(team=team_a, status=Status.OPEN) for _ in range(3)]
    result = tickets_bulk_update(ids=[t.pk for t in tickets], actor=agent, action="status", value="resolved")
    assert sorted(result.updated) == sorted(t.pk for t in tickets)
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED and ticket.resolved_at and ticket.version == 2
        assert TicketEvent.objects.get(ticket=ticket).changes == {"status": ["open", "resolved"]}


def test_bulk_reports_tickets_already_so_and_bad_transitions(agent):
    same = TicketFactory(priority=4)
    closed = TicketFactory(status=Status.CLOSED)
    result = tickets_bulk_update(ids=[same.pk, closed.pk], actor=agent, action="priority", value="4")
    assert result.updated == []
    assert set(result.skipped) == {same.pk, closed.pk}


def test_bulk_assign_uses_a_few_queries(agent, team_a, django_assert_max_num_queries):
    tickets = [TicketFactory(team=team_a) for _ in range(20)]
    with django_assert_max_num_queries(12):
        result = tickets_bulk_update(
            ids=[t.pk for t in tickets], actor=agent, action="assign", value=agent.pk
        )
    assert len(result.updated) == 20


def test_bulk_refuses_an_unknown_action(agent):
    with pytest.raises(ApplicationError):
        tickets_bulk_update(ids=[1], actor=agent, action="delete", value=None)


def test_qa_cannot_bulk_update(qa):
    ticket = TicketFactory()
    with pytest.raises(ForbiddenError):
        tickets_bulk_update(ids=[ticket.pk], actor=qa, action="priority", value=4)


# --- saved views and timeline ----------------------------------------------------------------------
def test_saved_views(agent, other_agent, team_a):
    now = timezone.now()
    my_open = TicketFactory(assignee=agent, status=Status.OPEN)
    TicketFactory(assignee=agent, status=Status.RESOLVED)
    unassigned = TicketFactory(team=team_a)
    team_of_bob = TicketFactory(team=team_a, assignee=other_agent)
    soon = TicketFactory(assignee=agent, resolution_due_at=now + timedelta(minutes=30))
    late = TicketFactory(team=team_a, first_response_due_at=now - timedelta(minutes=5))
    TicketFactory(assignee=agent, resolution_due_at=now + timedelta(hours=5))

    def ids(view: str) -> set[int]:
        return set(ticket_list(user=agent, view=view).values_list("pk", flat=True))

    assert my_open.pk in ids("my_open") and soon.pk in ids("my_open")
    assert unassigned.pk in ids("unassigned") and my_open.pk not in ids("unassigned")
    assert {unassigned.pk, team_of_bob.pk, late.pk} <= ids("team") and my_open.pk not in ids("team")
    assert ids("breaching_soon") == {soon.pk, late.pk}


def test_unknown_view_is_refused(agent):
    with pytest.raises(ApplicationError):
        ticket_list(user=agent, view="everything")


def test_search_by_number_or_subject(agent):
    printer = TicketFactory(subject="Printer on fire")
    other = TicketFactory(subject="Billing")
    assert list(ticket_list(user=agent, filters={"q": "printer"})) == [printer]
    assert list(ticket_list(user=agent, filters={"q": f"T-{other.pk}"})) == [other]


def test_sla_state_colours(agent):
    now = timezone.now()
    assert ticket_sla_state(TicketFactory(), now) is None
    assert ticket_sla_state(TicketFactory(resolution_due_at=now - timedelta(minutes=1)), now) == "breached"
    assert ticket_sla_state(TicketFactory(resolution_due_at=now + timedelta(minutes=30)), now) == "warning"
    assert ticket_sla_state(TicketFactory(resolution_due_at=now + timedelta(hours=9)), now) == "ok"


def test_timeline_merges_events_and_comments_in_time_order(agent):
    ticket = ticket_create(actor=agent, subject="Line noise", channel="phone", priority=2)
    ticket_comment_add(ticket_id=ticket.pk, actor=agent, body="note", internal=True)
    ticket_update(ticket_id=ticket.pk, actor=agent, version=1, status=Status.OPEN)
    ticket_comment_add(ticket_id=ticket.pk, actor=agent, body="reply", internal=False)
    entries = ticket_timeline(ticket=Ticket.objects.get(pk=ticket.pk))
    assert [(e["type"], e.get("kind") or e["body"]) for e in entries] == [
        ("event", "created"),
        ("comment", "note"),
        ("event", "updated"),
        ("comment", "reply"),
    ]
    status_change = entries[2]["changes"][0]
    assert (status_change["before_display"], status_change["after_display"]) == ("New", "Open")
    assert entries[1]["internal"] is True and entries[1]["actor"] == agent.get_full_name()


def test_bulk_result_can_assign_to_nobody(agent):
    ticket = TicketFactory(assignee=agent)
    result = tickets_bulk_update(ids=[ticket.pk], actor=agent, action="assign", value="none")
    ticket.refresh_from_db()
    assert result.updated == [ticket.pk] and ticket.assignee is None


def test_users_without_roles_see_nothing(db):
    TicketFactory()
    nobody = UserFactory(username="nobody")
    assert not ticket_list(user=nobody).exists()
