from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.agents.factories import TeamFactory
from tests.tickets.factories import CustomerFactory, TicketFactory
from tickets.models import Status, Ticket, TicketComment


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def team_b(other_agent):
    return TeamFactory(name="Team B", members=[other_agent])


def as_user(api, user):
    api.force_login(user)
    return api


# --- access ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/tickets/"),
        ("post", "/api/tickets/"),
        ("get", "/api/tickets/1/"),
        ("patch", "/api/tickets/1/"),
        ("post", "/api/tickets/1/comments/"),
        ("get", "/api/tickets/1/timeline/"),
        ("post", "/api/tickets/1/merge/"),
        ("post", "/api/tickets/bulk/"),
        ("post", "/api/tickets/1/watchers/"),
        ("delete", "/api/tickets/1/watchers/"),
    ],
)
def test_anonymous_gets_401(api, db, method, url):
    response = getattr(api, method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_user_without_a_role_gets_403(api, db):
    from tests.callcenter.factories import UserFactory

    response = as_user(api, UserFactory(username="norole")).get("/api/tickets/")
    assert response.status_code == 403


def test_qa_may_list_but_not_create(api, qa):
    TicketFactory()
    as_user(api, qa)
    assert api.get("/api/tickets/").status_code == 200
    response = api.post("/api/tickets/", {"subject": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_qa_cannot_change_a_ticket(api, qa):
    ticket = TicketFactory()
    response = as_user(api, qa).patch(
        f"/api/tickets/{ticket.pk}/", {"version": 1, "priority": 4}, format="json"
    )
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.priority == 2


def test_other_teams_ticket_is_404_for_reading_and_changing(api, agent, team_b):
    ticket = TicketFactory(team=team_b)
    as_user(api, agent)
    assert api.get(f"/api/tickets/{ticket.pk}/").status_code == 404
    assert api.get(f"/api/tickets/{ticket.pk}/timeline/").status_code == 404
    response = api.patch(f"/api/tickets/{ticket.pk}/", {"version": 1, "priority": 4}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api.post(f"/api/tickets/{ticket.pk}/comments/", {"body": "hi"}, format="json").status_code == 404


# --- list ------------------------------------------------------------------------------------------
def test_list_filters_by_view_and_status(api, agent):
    mine = TicketFactory(assignee=agent, status=Status.OPEN)
    TicketFactory(assignee=agent, status=Status.RESOLVED)
    TicketFactory(status=Status.OPEN)
    response = as_user(api, agent).get("/api/tickets/", {"view": "my_open"})
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    response = api.get("/api/tickets/", {"status": "resolved,closed"})
    assert [row["status"] for row in response.json()["results"]] == ["resolved"]


def test_list_rejects_an_unknown_status_with_the_field_named(api, agent):
    response = as_user(api, agent).get("/api/tickets/", {"status": "open,lost"})
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def test_list_searches_subject_and_number(api, agent):
    wanted = TicketFactory(subject="Router keeps rebooting")
    TicketFactory(subject="Invoice")
    as_user(api, agent)
    assert [r["id"] for r in api.get("/api/tickets/", {"q": "router"}).json()["results"]] == [wanted.pk]
    assert [r["id"] for r in api.get("/api/tickets/", {"q": f"T-{wanted.pk}"}).json()["results"]] == [
        wanted.pk
    ]


def test_list_pages_by_cursor_without_counting(api, agent):
    tickets = [TicketFactory() for _ in range(5)]
    as_user(api, agent)
    first = api.get("/api/tickets/", {"page_size": 2}).json()
    assert "count" not in first
    assert [r["id"] for r in first["results"]] == [tickets[4].pk, tickets[3].pk]
    second = api.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [tickets[2].pk, tickets[1].pk]


def test_list_query_count_does_not_grow_with_rows(api, agent, django_assert_max_num_queries):
    team = TeamFactory(name="Team A", members=[agent])
    for _ in range(30):
        TicketFactory(team=team, assignee=agent)
    as_user(api, agent)
    with django_assert_max_num_queries(4):
        response = api.get("/api/tickets/", {"view": "team", "page_size": 50})
    assert len(response.json()["results"]) == 30
    row = response.json()["results"][0]
    assert row["team"] == {"id": team.pk, "name": "Team A"}
    assert row["assignee"]["id"] == agent.pk


def test_list_rows_say_what_the_ticket_serializer_says(api, supervisor, agent, team_b):
    """The list builds its rows from plain values; they must match TicketOutputSerializer."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.tickets.factories import CategoryFactory
    from tickets.apis.tickets import TicketOutputSerializer

    now = timezone.now()
    agent.first_name, agent.last_name = "Alice", "Agent"
    agent.save()
    tickets = [
        TicketFactory(customer=None),
        TicketFactory(category=CategoryFactory(name="Billing"), team=team_b, assignee=agent),
        TicketFactory(assignee=supervisor, resolution_due_at=now - timedelta(minutes=1)),
        TicketFactory(
            first_response_due_at=now + timedelta(minutes=30),
            first_response_warn_at=now - timedelta(minutes=5),
            resolution_due_at=now + timedelta(hours=8),
            resolution_warn_at=now + timedelta(hours=6),
        ),
        TicketFactory(
            first_responded_at=now - timedelta(hours=1),
            first_response_due_at=now,
            resolution_due_at=now + timedelta(hours=9),
            resolution_warn_at=now + timedelta(hours=7),
        ),
        TicketFactory(status=Status.PENDING, sla_paused_at=now, resolution_due_at=now + timedelta(hours=1)),
        TicketFactory(status=Status.RESOLVED, resolved_at=now, resolution_due_at=now + timedelta(hours=1)),
    ]
    tickets[-1].merged_into = tickets[0]
    tickets[-1].save()
    rows = as_user(api, supervisor).get("/api/tickets/").json()["results"]
    expected = [TicketOutputSerializer(Ticket.objects.get(pk=ticket.pk)).data for ticket in reversed(tickets)]
    assert rows == expected
    assert rows[-1]["customer"] is None and rows[-2]["category"] == {
        "id": rows[-2]["category"]["id"],
        "name": "Billing",
    }
    assert rows[-2]["assignee"]["name"] == "Alice Agent"
    assert [row["sla_state"] for row in reversed(rows)][2:] == ["breached", "warning", "ok", None, None]


@pytest.mark.parametrize(
    "params",
    [
        {"view": "my_open"},
        {"view": "team"},
        {"view": "breaching_soon"},
        {"view": "all", "status": "open,new", "priority": 2},
        {"view": "all", "q": "printer"},
        {"view": "all", "q": "T-1"},
    ],
)
def test_list_and_search_take_a_fixed_number_of_queries(api, agent, params, django_assert_max_num_queries):
    """Session, user, permissions (one query) and the page: none per row, whatever the view."""
    team = TeamFactory(name="Team A", members=[agent])
    for k in range(30):
        TicketFactory(team=team, assignee=agent, subject=f"printer {k}", status=Status.OPEN, priority=2)
    as_user(api, agent)
    with django_assert_max_num_queries(4):
        response = api.get("/api/tickets/", params)
    assert response.status_code == 200


# --- create, read, change --------------------------------------------------------------------------
def test_create_then_read(api, agent):
    customer = CustomerFactory()
    as_user(api, agent)
    response = api.post(
        "/api/tickets/",
        {"subject": "No signal", "customer": customer.pk, "channel": "chat", "priority": 3},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == f"T-{body['id']}" and body["version"] == 1 and body["status"] == "new"
    assert body["customer"] == {"id": customer.pk, "name": customer.name}
    assert api.get(f"/api/tickets/{body['id']}/").json()["subject"] == "No signal"


def test_create_with_unknown_customer_names_the_field(api, agent):
    response = as_user(api, agent).post("/api/tickets/", {"subject": "x", "customer": 999999}, format="json")
    assert response.status_code == 400
    assert "customer" in response.json()["error"]["fields"]


def test_patch_changes_and_returns_the_new_version(api, agent):
    ticket = TicketFactory(assignee=agent)
    response = as_user(api, agent).patch(
        f"/api/tickets/{ticket.pk}/", {"version": 1, "status": "open", "priority": 3}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("open", 2)


def test_patch_with_a_stale_version_is_409_and_changes_nothing(api, agent, other_agent):
    ticket = TicketFactory()
    as_user(api, other_agent).patch(
        f"/api/tickets/{ticket.pk}/", {"version": 1, "priority": 4}, format="json"
    )
    response = as_user(api, agent).patch(
        f"/api/tickets/{ticket.pk}/", {"version": 1, "priority": 1, "subject": "mine"}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict" and "Bob" in error["message"]
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.version) == (4, 2)
    assert ticket.subject != "mine"


def test_patch_refuses_a_bad_transition(api, agent):
    ticket = TicketFactory(assignee=agent, status=Status.CLOSED)
    response = as_user(api, agent).patch(
        f"/api/tickets/{ticket.pk}/", {"version": 1, "status": "pending"}, format="json"
    )
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def test_patch_needs_a_version(api, agent):
    ticket = TicketFactory(assignee=agent)
    response = as_user(api, agent).patch(f"/api/tickets/{ticket.pk}/", {"priority": 3}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()["error"]["fields"]


# --- comments, timeline, watchers, merge, bulk -----------------------------------------------------
def test_reply_to_customer_sets_first_response(api, agent):
    ticket = TicketFactory(assignee=agent)
    response = as_user(api, agent).post(
        f"/api/tickets/{ticket.pk}/comments/", {"body": "Hello", "internal": False}, format="json"
    )
    assert response.status_code == 201 and response.json()["internal"] is False
    assert api.get(f"/api/tickets/{ticket.pk}/").json()["first_responded_at"] is not None


def test_comment_defaults_to_internal_note(api, agent):
    ticket = TicketFactory(assignee=agent)
    as_user(api, agent).post(f"/api/tickets/{ticket.pk}/comments/", {"body": "note"}, format="json")
    assert TicketComment.objects.get(ticket=ticket).internal is True


def test_timeline_lists_changes_and_comments(api, agent):
    ticket = TicketFactory(assignee=agent)
    as_user(api, agent)
    api.patch(f"/api/tickets/{ticket.pk}/", {"version": 1, "status": "open"}, format="json")
    api.post(f"/api/tickets/{ticket.pk}/comments/", {"body": "done"}, format="json")
    entries = api.get(f"/api/tickets/{ticket.pk}/timeline/").json()
    assert [e["type"] for e in entries] == ["event", "comment"]
    assert entries[0]["changes"][0]["after_display"] == "Open"
    assert entries[0]["actor"] == "Alice " + agent.last_name


def test_watch_and_unwatch(api, agent):
    ticket = TicketFactory()
    as_user(api, agent)
    response = api.post(f"/api/tickets/{ticket.pk}/watchers/", {}, format="json")
    assert [w["id"] for w in response.json()["watchers"]] == [agent.pk]
    response = api.delete(f"/api/tickets/{ticket.pk}/watchers/", {}, format="json")
    assert response.json()["watchers"] == []


def test_merge_returns_the_ticket_that_stays(api, agent):
    customer = CustomerFactory()
    source, target = TicketFactory(customer=customer), TicketFactory(customer=customer)
    response = as_user(api, agent).post(
        f"/api/tickets/{source.pk}/merge/", {"into": target.pk}, format="json"
    )
    assert response.status_code == 200 and response.json()["id"] == target.pk
    assert api.get(f"/api/tickets/{source.pk}/").json()["merged_into"] == target.pk


def test_merge_across_customers_is_refused_with_a_reason(api, agent):
    source, target = TicketFactory(), TicketFactory()
    response = as_user(api, agent).post(
        f"/api/tickets/{source.pk}/merge/", {"into": target.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "different_customers"


def test_bulk_reports_updated_and_skipped(api, agent, team_b):
    mine = TicketFactory(assignee=agent)
    hidden = TicketFactory(team=team_b)
    response = as_user(api, agent).post(
        "/api/tickets/bulk/", {"ids": [mine.pk, hidden.pk], "action": "priority", "value": 4}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["updated"] == [mine.pk]
    assert [s["id"] for s in response.json()["skipped"]] == [hidden.pk]
    assert Ticket.objects.get(pk=hidden.pk).priority == 2


def test_bulk_with_a_bad_value_is_400(api, agent):
    ticket = TicketFactory(assignee=agent)
    response = as_user(api, agent).post(
        "/api/tickets/bulk/", {"ids": [ticket.pk], "action": "status", "value": "lost"}, format="json"
    )
    assert response.status_code == 400
    assert "value" in response.json()["error"]["fields"]


def test_ticket_apis_are_in_the_openapi_schema(api, agent):
    response = as_user(api, agent).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/tickets/{ticket_id}/merge/" in text and "TicketBulk" in text
