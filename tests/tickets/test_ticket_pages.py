from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.agents.factories import TeamFactory
from tests.callcenter.factories import UserFactory
from tests.tickets.factories import CustomerFactory, TicketFactory
from tickets.models import Status, Ticket, TicketComment
from tickets.services.tickets import ticket_update


@pytest.fixture
def team_b(other_agent):
    return TeamFactory(name="Team B", members=[other_agent])


def logged_in(client, user):
    client.force_login(user)
    return client


# --- access ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/tickets/", "/tickets/new/", "/tickets/1/"])
def test_anonymous_is_sent_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("url", ["/tickets/", "/tickets/new/"])
def test_user_without_a_role_gets_403(client, db, url):
    assert logged_in(client, UserFactory(username="norole")).get(url).status_code == 403


@pytest.mark.parametrize("persona", ["agent", "supervisor", "qa", "admin"])
def test_every_role_with_tickets_sees_the_list(client, personas, persona):
    assert logged_in(client, personas[persona]).get("/tickets/").status_code == 200


def test_qa_cannot_open_the_create_form(client, qa):
    assert logged_in(client, qa).get("/tickets/new/").status_code == 403


def test_other_teams_ticket_is_404(client, agent, team_b):
    ticket = TicketFactory(team=team_b)
    assert logged_in(client, agent).get(f"/tickets/{ticket.pk}/").status_code == 404


def test_qa_sees_a_ticket_read_only_and_cannot_post_changes(client, qa, team_b):
    ticket = TicketFactory(team=team_b)
    logged_in(client, qa)
    response = client.get(f"/tickets/{ticket.pk}/")
    assert response.status_code == 200
    assert 'data-testid="update-form"' not in response.content.decode()
    response = client.post(f"/tickets/{ticket.pk}/", {"action": "update", "version": 1, "subject": "x"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.subject != "x"


# --- list ------------------------------------------------------------------------------------------
def test_list_shows_saved_views_and_defaults_to_my_open_for_agents(client, agent):
    mine = TicketFactory(assignee=agent, subject="Mine to do")
    TicketFactory(subject="Someone else's")
    body = logged_in(client, agent).get("/tickets/").content.decode()
    assert "My open tickets" in body and "Breaching soon" in body
    assert mine.subject in body and "Someone else" not in body


def test_list_search_by_number(client, agent):
    wanted = TicketFactory(subject="Fax machine")
    TicketFactory(subject="Other thing")
    body = logged_in(client, agent).get("/tickets/", {"view": "all", "q": f"T-{wanted.pk}"}).content.decode()
    assert "Fax machine" in body and "Other thing" not in body


def test_list_colours_breached_sla(client, agent):
    TicketFactory(assignee=agent, resolution_due_at=timezone.now() - timedelta(minutes=3))
    body = logged_in(client, agent).get("/tickets/", {"view": "breaching_soon"}).content.decode()
    assert "sla-breached" in body


def test_list_query_count_is_bounded(client, agent, django_assert_max_num_queries):
    team = TeamFactory(name="Team A", members=[agent])
    for _ in range(40):
        TicketFactory(team=team, assignee=agent)
    logged_in(client, agent)
    with django_assert_max_num_queries(14):
        response = client.get("/tickets/", {"view": "team"})
    assert response.content.decode().count('name="ids"') == 40


def test_list_pages_by_keyset(client, agent):
    tickets = [TicketFactory() for _ in range(52)]
    body = logged_in(client, agent).get("/tickets/", {"view": "all"}).content.decode()
    assert f"before={tickets[2].pk}" in body
    older = client.get("/tickets/", {"view": "all", "before": tickets[2].pk}).content.decode()
    assert older.count('name="ids"') == 2


def test_bulk_action_changes_visible_tickets_and_reports_skipped(client, agent, team_b):
    mine = TicketFactory(assignee=agent)
    hidden = TicketFactory(team=team_b)
    logged_in(client, agent)
    response = client.post(
        "/tickets/",
        {"ids": [mine.pk, hidden.pk], "change": "priority:4", "back": "/tickets/?view=all"},
        follow=True,
    )
    body = response.content.decode()
    assert "Changed 1 ticket" in body and f"T-{hidden.pk} not changed" in body
    assert Ticket.objects.get(pk=mine.pk).priority == 4
    assert Ticket.objects.get(pk=hidden.pk).priority == 2


def test_bulk_assign_to_me(client, agent):
    ticket = TicketFactory()
    logged_in(client, agent).post("/tickets/", {"ids": [ticket.pk], "change": "assign:me"})
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent


def test_bulk_without_selection_says_so(client, agent):
    response = logged_in(client, agent).post("/tickets/", {"change": "priority:4"}, follow=True)
    assert "Select at least one ticket." in response.content.decode()


# --- detail ----------------------------------------------------------------------------------------
def update_data(ticket, **changes):
    data = {
        "action": "update",
        "version": ticket.version,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "category": "",
        "team": ticket.team_id or "",
        "assignee": ticket.assignee_id or "",
    }
    data.update(changes)
    return data


def test_detail_saves_header_fields(client, agent):
    ticket = TicketFactory(assignee=agent)
    response = logged_in(client, agent).post(
        f"/tickets/{ticket.pk}/", update_data(ticket, status="open", priority=3)
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.version) == ("open", 3, 2)


def test_conflict_is_shown_with_current_values_and_keeps_the_input(client, agent, other_agent):
    ticket = TicketFactory(subject="Original")
    stale = update_data(ticket, subject="My better subject")
    ticket_update(ticket_id=ticket.pk, actor=other_agent, version=1, priority=4)
    response = logged_in(client, agent).post(f"/tickets/{ticket.pk}/", stale)
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-testid="conflict"' in body and "Bob" in body and "Urgent" in body
    assert 'value="My better subject"' in body
    assert 'name="version" value="2"' in body
    ticket.refresh_from_db()
    assert ticket.subject == "Original" and ticket.priority == 4


def test_bad_transition_is_shown_next_to_the_status(client, agent):
    ticket = TicketFactory(assignee=agent, status=Status.CLOSED)
    response = logged_in(client, agent).post(f"/tickets/{ticket.pk}/", update_data(ticket, status="pending"))
    assert response.status_code == 400
    assert "can only be reopened" in response.content.decode()


def test_comment_as_internal_note_or_reply(client, agent):
    ticket = TicketFactory(assignee=agent)
    logged_in(client, agent)
    client.post(f"/tickets/{ticket.pk}/", {"action": "comment", "internal": "1", "body": "psst"})
    client.post(f"/tickets/{ticket.pk}/", {"action": "comment", "internal": "0", "body": "Hello"})
    assert list(TicketComment.objects.filter(ticket=ticket).values_list("body", "internal")) == [
        ("psst", True),
        ("Hello", False),
    ]
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Internal note" in body and "Reply to customer" in body


def test_empty_comment_shows_the_error_by_the_field(client, agent):
    ticket = TicketFactory(assignee=agent)
    response = logged_in(client, agent).post(
        f"/tickets/{ticket.pk}/", {"action": "comment", "internal": "1", "body": ""}
    )
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_watch_from_the_page(client, qa):
    ticket = TicketFactory()
    logged_in(client, qa).post(f"/tickets/{ticket.pk}/", {"action": "watch"})
    assert list(ticket.watchers.all()) == [qa]


def test_merge_from_the_page_goes_to_the_target(client, agent):
    customer = CustomerFactory()
    source, target = TicketFactory(customer=customer), TicketFactory(customer=customer)
    response = logged_in(client, agent).post(
        f"/tickets/{source.pk}/", {"action": "merge", "into": f"T-{target.pk}"}
    )
    assert response.status_code == 302 and response.url == f"/tickets/{target.pk}/"
    assert Ticket.objects.get(pk=source.pk).merged_into_id == target.pk


def test_merge_refusal_is_shown_by_the_field(client, agent):
    source, target = TicketFactory(), TicketFactory()
    response = logged_in(client, agent).post(
        f"/tickets/{source.pk}/", {"action": "merge", "into": str(target.pk)}
    )
    assert response.status_code == 400
    assert "different customers" in response.content.decode()


def test_timeline_shows_who_changed_what(client, agent):
    ticket = TicketFactory(assignee=agent)
    ticket_update(ticket_id=ticket.pk, actor=agent, version=1, status=Status.OPEN)
    body = logged_in(client, agent).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "Alice" in body and "<ins>Open</ins>" in body


# --- create ----------------------------------------------------------------------------------------
def test_create_form_prefills_customer_and_call(client, agent):
    customer = CustomerFactory(name="Carol Client")
    body = (
        logged_in(client, agent)
        .get("/tickets/new/", {"customer": customer.pk, "call_id": "call-77"})
        .content.decode()
    )
    assert "Carol Client" in body and 'value="call-77"' in body and f'value="{customer.pk}"' in body


def test_create_opens_the_ticket(client, agent):
    customer = CustomerFactory()
    response = logged_in(client, agent).post(
        "/tickets/new/",
        {"subject": "Broken handset", "customer": customer.pk, "channel": "phone", "priority": 2},
    )
    ticket = Ticket.objects.get(subject="Broken handset")
    assert response.status_code == 302 and response.url == f"/tickets/{ticket.pk}/"
    assert ticket.customer == customer and ticket.created_by == agent


def test_create_shows_field_errors(client, agent):
    response = logged_in(client, agent).post(
        "/tickets/new/", {"subject": "", "customer": 999999, "channel": "phone", "priority": 2}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "No customer with this number." in body and "This field is required." in body
