"""The audit log: one reading layer over every app's change records, its page and its API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from agents.skills import skill_save
from callcenter.audit import AuditFilters, BadCursor, audit_entries, audit_record
from callcenter.models import UserPreference
from qa.services.common import event_record
from telephony.models import ConfigChange, Queue
from telephony.routing import queue_create, queue_update
from tests.qa.factories import EvaluationFactory
from tickets.models import CustomerEvent, TicketEvent
from tickets.services.customers import customer_create
from tickets.services.erasure import customer_erase
from tickets.services.tickets import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(agent, supervisor, admin, qa):
    """One change of every kind: ticket, customer, evaluation, queue, skill, Django admin, erasure."""
    customer = customer_create(actor=agent, name="Grace Hopper", phones=["+14155550123"])
    ticket = ticket_create(actor=agent, subject="Broken router", customer=customer)
    evaluation = EvaluationFactory(evaluator=qa)
    event_record(evaluation, "started", qa)
    queue = queue_create(actor=admin, name="billing")
    queue_update(actor=admin, queue_id=queue.pk, priority=7)
    skill = skill_save(
        actor=supervisor, skill_id=None, name="billing", display_name="", description="", queue_ids=[]
    )
    LogEntry.objects.log_actions(
        user_id=admin.pk, queryset=[queue], action_flag=CHANGE, change_message="Changed priority."
    )
    other = customer_create(actor=agent, name="Ada Lovelace")
    customer_erase(customer_id=other.pk, actor=admin)
    return {"customer": customer, "ticket": ticket, "evaluation": evaluation, "queue": queue, "skill": skill}


def _all(filters: AuditFilters | None = None, limit: int = 50) -> list:
    entries, cursor = [], None
    while True:
        page = audit_entries(filters=filters or AuditFilters(), limit=limit, cursor=cursor)
        entries.extend(page.entries)
        if page.next_cursor is None:
            return entries
        cursor = page.next_cursor


def test_entries_come_from_every_source_in_one_shape(history, admin):
    entries = _all()
    assert {e.source for e in entries} == {
        "ticket",
        "customer",
        "evaluation",
        "config",
        "plan",
        "admin",
        "care",
    }
    queue_update = next(e for e in entries if e.source == "config" and e.action == "updated")
    assert (queue_update.actor, queue_update.object_type, queue_update.object_label) == (
        admin.get_full_name(),
        "queue",
        "billing",
    )
    assert queue_update.changes == {"priority": [5, 7]}
    ticket = next(e for e in entries if e.source == "ticket")
    assert ticket.object_label == f"T-{history['ticket'].pk} Broken router"
    assert ticket.url == reverse("tickets:ticket_detail", args=[history["ticket"].pk])
    admin_edit = next(e for e in entries if e.source == "admin")
    assert admin_edit.note == "Changed priority." and admin_edit.object_label.endswith("billing")
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)


def test_the_erasure_entry_holds_no_personal_data(history):
    entries = _all(AuditFilters(object_type="customer"))
    text = repr([(e.object_label, e.changes, e.note) for e in entries])
    assert "Ada Lovelace" not in text
    assert "Grace Hopper" in text  # the customer not erased keeps their history
    erased = next(e for e in entries if e.source == "care")
    assert erased.action == "erased" and erased.object_label.startswith("Erased customer #")


def test_object_type_filter_reads_only_that_type(history):
    assert {e.object_type for e in _all(AuditFilters(object_type="queue"))} == {"queue"}
    assert {e.source for e in _all(AuditFilters(object_type="skill"))} == {"plan"}
    assert {e.source for e in _all(AuditFilters(object_type="admin"))} == {"admin"}
    evaluations = _all(AuditFilters(object_type="evaluation", object_id=history["evaluation"].pk))
    assert [e.action for e in evaluations] == ["started"]


def test_user_filter_keeps_that_persons_changes(history, supervisor, agent):
    assert {e.actor_id for e in _all(AuditFilters(actor_id=supervisor.pk))} == {supervisor.pk}
    assert {e.source for e in _all(AuditFilters(actor_id=agent.pk))} == {"ticket", "customer"}


def test_date_range_is_start_inclusive_end_exclusive(history):
    old = datetime(2026, 1, 5, 12, tzinfo=UTC)
    TicketEvent.objects.filter(ticket=history["ticket"]).update(created_at=old)
    inside = _all(AuditFilters(start=old, end=old + timedelta(days=1)))
    assert {e.source for e in inside} == {"ticket"}
    assert _all(AuditFilters(start=old + timedelta(seconds=1), end=old + timedelta(days=1))) == []


def test_pages_cover_every_entry_once_even_when_times_tie(admin):
    queue = Queue.objects.create(name="tied")
    at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    for n in range(7):
        ConfigChange.objects.create(
            object_type="queue", object_id=queue.pk, object_label="tied", action=f"a{n}"
        )
    ConfigChange.objects.update(at=at)
    customer = customer_create(actor=admin, name="Tie")
    CustomerEvent.objects.filter(customer=customer).update(created_at=at)
    whole = [(e.source, e.id) for e in _all(limit=50)]
    paged = [(e.source, e.id) for e in _all(limit=3)]
    assert paged == whole
    assert len(set(paged)) == len(paged) == 8


def test_a_cursor_not_made_here_is_refused(db):
    with pytest.raises(BadCursor):
        audit_entries(filters=AuditFilters(), cursor="bm90LWEtY3Vyc29y")


def test_a_page_costs_a_fixed_number_of_queries(agent, django_assert_max_num_queries):
    for n in range(40):
        customer = customer_create(actor=agent, name=f"Customer {n}")
        ticket_create(actor=agent, subject=f"Subject {n}", customer=customer)
    with django_assert_max_num_queries(7):
        page = audit_entries(filters=AuditFilters(), limit=50)
    assert len(page.entries) == 50


# --- page --------------------------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.get("/console/audit/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "status"), [("agent", 403), ("qa", 403), ("supervisor", 200), ("admin", 200)]
)
def test_page_is_for_admins_and_supervisors(client, personas, role, status):
    client.force_login(personas[role])
    assert client.get("/console/audit/").status_code == status


def test_page_lists_entries_with_filters_and_an_older_link(
    client, history, admin, django_assert_max_num_queries
):
    client.force_login(admin)
    with django_assert_max_num_queries(20):
        html = client.get("/console/audit/").content.decode()
    assert "Broken router" in html and "Ada Lovelace" not in html
    assert 'name="object_type"' in html and 'name="user"' in html and 'name="date_from"' in html
    html = client.get("/console/audit/", {"object_type": "queue"}).content.decode()
    assert "Broken router" not in html and "billing" in html
    page = client.get("/console/audit/", {"cursor": "x"}).content.decode()
    assert 'data-testid="audit-error"' in page


def test_page_says_each_action_in_the_readers_language(client, history, admin):
    audit_record(
        actor=None, object_type="retention", object_id=None, object_label="Retention purge", action="purged"
    )
    client.force_login(admin)
    html = client.get("/console/audit/").content.decode()
    assert "Opened the ticket" in html and "Erased the personal data (right to erasure)" in html
    assert "Started scoring" in html and "Purged" in html
    UserPreference.objects.update_or_create(user=admin, defaults={"language": "fa"})
    client.logout()  # the session keeps the language it read at login
    client.force_login(admin)
    html = client.get("/console/audit/").content.decode()
    assert "تیکت را باز کرد" in html  # opened the ticket
    assert "داده‌های شخصی را پاک کرد (حق پاک‌شدن)" in html  # erased (right to erasure)
    assert "امتیازدهی را آغاز کرد" in html  # started scoring
    assert "پاک‌سازی دورهٔ نگهداری" in html and "Retention purge" not in html
    assert "opened the ticket" not in html.lower() and ">Purged<" not in html


def test_page_paginates_with_older_link(client, admin):
    for n in range(55):
        customer_create(actor=admin, name=f"Person {n}")
    client.force_login(admin)
    html = client.get("/console/audit/").content.decode()
    assert html.count('data-testid="audit-entry"') == 50
    older = html.split('data-testid="audit-older"')[0].rsplit('href="', 1)[1].split('"')[0]
    html = client.get("/console/audit/" + older.replace("&amp;", "&")).content.decode()
    assert html.count('data-testid="audit-entry"') == 5


def test_page_says_when_the_dates_are_reversed(client, admin):
    client.force_login(admin)
    html = client.get(
        "/console/audit/", {"date_from": "2026-03-02", "date_to": "2026-03-01"}
    ).content.decode()
    assert "The end date is before the start date." in html


# --- API ---------------------------------------------------------------------------------------------
def test_api_anonymous_gets_401(client, db):
    assert client.get("/api/audit/").status_code == 401


@pytest.mark.parametrize(
    ("role", "status"), [("agent", 403), ("qa", 403), ("supervisor", 200), ("admin", 200)]
)
def test_api_checks_the_role(client, personas, role, status):
    client.force_login(personas[role])
    assert client.get("/api/audit/").status_code == status


def test_api_pages_with_next_links_and_filters(client, history, supervisor, django_assert_max_num_queries):
    client.force_login(supervisor)
    with django_assert_max_num_queries(12):
        body = client.get("/api/audit/", {"page_size": 3}).json()
    assert len(body["results"]) == 3 and body["next"]
    first = body["results"][0]
    assert set(first) == {
        "at",
        "actor_id",
        "actor",
        "object_type",
        "object_id",
        "object_label",
        "action",
        "changes",
        "note",
        "source",
    }
    seen = [*body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        seen.extend(body["results"])
    assert len(seen) == len(_all())
    queues = client.get("/api/audit/", {"object_type": "queue"}).json()["results"]
    assert queues and {row["object_type"] for row in queues} == {"queue"}
    mine = client.get("/api/audit/", {"user": supervisor.pk}).json()["results"]
    assert [row["object_type"] for row in mine] == ["skill"]


def test_api_rejects_bad_filters_with_the_common_error_shape(client, admin):
    client.force_login(admin)
    response = client.get("/api/audit/", {"date_from": "2026-03-02", "date_to": "2026-03-01"})
    assert response.status_code == 400 and "date_to" in response.json()["error"]["fields"]
    response = client.get("/api/audit/", {"cursor": "garbage"})
    assert response.status_code == 400 and "cursor" in response.json()["error"]["fields"]
    assert client.get("/api/audit/", {"object_type": "spaceship"}).status_code == 400


def test_api_is_in_the_openapi_schema(client, admin):
    client.force_login(admin)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/audit/"]["get"]
    assert operation["operationId"] == "audit_list"
    assert {"object_type", "user", "date_from", "date_to", "cursor", "page_size"} <= {
        p["name"] for p in operation["parameters"]
    }


def test_django_admin_queue_edits_keep_before_and_after(client, admin):
    """The gap filled: a queue changed in Django admin is in its history with what changed."""
    queue = queue_create(actor=admin, name="support")
    admin.is_superuser = False
    client.force_login(admin)
    url = reverse("admin:telephony_queue_change", args=[queue.pk])
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "name": "support",
        "display_name": "Support line",
        "sl_target_percent": 80,
        "sl_threshold_s": 20,
        "max_wait_s": "",
        "overflow_queue": "",
        "priority": 5,
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    change = ConfigChange.objects.filter(object_type="queue", object_id=queue.pk, action="updated").get()
    assert change.changes == {"display_name": ["", "Support line"]} and change.actor == admin
    assert ContentType.objects.get_for_model(Queue)  # and Django admin's own LogEntry stays too
    assert LogEntry.objects.filter(object_id=str(queue.pk)).exists()
