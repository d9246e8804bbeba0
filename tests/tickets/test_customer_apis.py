from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.callcenter.factories import UserFactory
from tests.tickets.factories import CallbackFactory, CustomerFactory, TicketCommentFactory, TicketFactory
from tickets.models import Customer, CustomerEvent
from tickets.services.customers import customer_update

READS = [
    "/api/customers/",
    "/api/customers/1/",
    "/api/customers/1/timeline/",
    "/api/customers/1/changes/",
    "/api/customers/match?phone=%2B14155550123",
]


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_login(user)
    return api


# --- access ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "url"), [*[("get", url) for url in READS], ("post", READS[0]), ("patch", READS[1])]
)
def test_anonymous_gets_401(api, db, method, url):
    response = getattr(api, method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("url", READS)
def test_user_without_a_role_gets_403(api, db, url):
    CustomerFactory(pk=1)
    assert as_user(api, UserFactory(username="norole")).get(url).status_code == 403


@pytest.mark.parametrize("persona", ["agent", "supervisor", "qa", "admin"])
@pytest.mark.parametrize("url", READS)
def test_every_role_with_customers_may_read(api, personas, persona, url):
    CustomerFactory(pk=1, phones=["+14155550123"])
    assert as_user(api, personas[persona]).get(url).status_code == 200


def test_token_auth_works(api, agent):
    CustomerFactory(name="Grace")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")
    assert api.get("/api/customers/").json()["results"][0]["name"] == "Grace"


def test_qa_may_not_create(api, qa):
    response = as_user(api, qa).post("/api/customers/", {"name": "Grace"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not Customer.objects.exists()


def test_qa_may_not_change(api, qa):
    customer = CustomerFactory(name="Grace")
    response = as_user(api, qa).patch(
        f"/api/customers/{customer.pk}/", {"version": 1, "name": "x"}, format="json"
    )
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.name == "Grace"


# --- search ----------------------------------------------------------------------------------------
@pytest.fixture
def grace(db):
    return CustomerFactory(
        name="Grace Hopper", company="Navy", phones=["+14155550123"], emails=["grace@navy.example"]
    )


@pytest.mark.parametrize("q", ["hopper", "navy", "(415) 555-0123", "5550123", "grace@navy", "navy.example"])
def test_search_finds_by_each_key(api, agent, grace, q):
    CustomerFactory(name="Alan Turing", company="Bletchley", phones=["+442079460018"])
    body = as_user(api, agent).get("/api/customers/", {"q": q}).json()
    assert [row["id"] for row in body["results"]] == [grace.pk]


def test_search_by_ticket_number_says_how_it_matched(api, agent, grace):
    ticket = TicketFactory(customer=grace)
    body = as_user(api, agent).get("/api/customers/", {"q": f"T-{ticket.pk}"}).json()
    assert body["matched_by"] == "ticket"
    assert [row["id"] for row in body["results"]] == [grace.pk]


def test_search_rows_carry_contact_points_tags_consent_and_open_tickets(api, agent, grace):
    TicketFactory(customer=grace)
    row = as_user(api, agent).get("/api/customers/", {"q": "grace"}).json()["results"][0]
    assert row["phones"] == [{"number": "+14155550123", "label": ""}]
    assert row["emails"] == [{"email": "grace@navy.example", "label": ""}]
    assert (row["open_tickets"], row["version"], row["consent_calls"]) == (1, 1, True)
    assert row["url"] == f"/customers/{grace.pk}/"


def test_search_pages_by_cursor_without_counting(api, agent):
    customers = [CustomerFactory(name=f"Smith {n}") for n in range(5)]
    as_user(api, agent)
    first = api.get("/api/customers/", {"q": "smith", "page_size": 2}).json()
    assert "count" not in first and first["previous"] is None
    assert [r["id"] for r in first["results"]] == [customers[4].pk, customers[3].pk]
    second = api.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [customers[2].pk, customers[1].pk]
    assert [r["id"] for r in api.get(second["previous"]).json()["results"]] == [
        customers[4].pk,
        customers[3].pk,
    ]


@pytest.mark.parametrize("size", [0, 201, "lots"])
def test_page_size_over_200_is_refused_with_the_field_named(api, agent, size):
    response = as_user(api, agent).get("/api/customers/", {"page_size": size})
    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["fields"]


def test_a_bad_cursor_is_400(api, agent):
    response = as_user(api, agent).get("/api/customers/", {"cursor": "garbage!"})
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]


def test_search_query_count_does_not_grow_with_rows(api, agent, django_assert_max_num_queries):
    for n in range(40):
        customer = CustomerFactory(
            name=f"Smith {n}", phones=[f"+1415555{n:04d}"], emails=[f"s{n}@example.com"]
        )
        TicketFactory(customer=customer)
    as_user(api, agent)
    # Session, user, permissions, the page and its card data.
    with django_assert_max_num_queries(5):
        response = api.get("/api/customers/", {"q": "smith", "page_size": 50})
    assert len(response.json()["results"]) == 40


# --- create, read, change --------------------------------------------------------------------------
def test_create_then_read(api, agent):
    as_user(api, agent)
    response = api.post(
        "/api/customers/",
        {
            "name": "Grace Hopper",
            "phones": ["(415) 555-0123", {"number": "+44 20 7946 0018", "label": "office"}],
            "emails": ["Grace@Navy.Example"],
            "tags": ["VIP"],
            "consent_sms": True,
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["phones"] == [
        {"number": "+14155550123", "label": ""},
        {"number": "+442079460018", "label": "office"},
    ]
    assert (body["emails"], body["tags"], body["consent_sms"], body["version"]) == (
        [{"email": "grace@navy.example", "label": ""}],
        ["vip"],
        True,
        1,
    )
    assert api.get(f"/api/customers/{body['id']}/").json()["name"] == "Grace Hopper"


def test_create_with_bad_phone_and_email_names_each_and_writes_nothing(api, agent):
    response = as_user(api, agent).post(
        "/api/customers/", {"name": "Grace", "phones": ["12"], "emails": ["nope"]}, format="json"
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "“12”" in fields["phones"][0] and "“nope”" in fields["emails"][0]
    assert not Customer.objects.exists()


def test_create_needs_a_name(api, agent):
    response = as_user(api, agent).post("/api/customers/", {"phones": ["+14155550123"]}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]


def test_detail_of_a_missing_customer_is_404(api, agent):
    response = as_user(api, agent).get("/api/customers/999999/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_patch_changes_and_returns_the_new_version(api, agent, grace):
    response = as_user(api, agent).patch(
        f"/api/customers/{grace.pk}/",
        {"version": 1, "emails": ["hopper@navy.example"], "consent_calls": False, "notes": "Prefers e-mail"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["consent_calls"], body["notes"]) == (2, False, "Prefers e-mail")
    assert body["emails"] == [{"email": "hopper@navy.example", "label": ""}]
    assert body["phones"] == [{"number": "+14155550123", "label": ""}]  # not sent: kept


def test_patch_with_an_invalid_phone_writes_nothing(api, agent, grace):
    response = as_user(api, agent).patch(
        f"/api/customers/{grace.pk}/", {"version": 1, "name": "Changed", "phones": ["+1 415"]}, format="json"
    )
    assert response.status_code == 400
    assert "phones" in response.json()["error"]["fields"]
    grace.refresh_from_db()
    assert (grace.name, grace.version) == ("Grace Hopper", 1)


def test_patch_with_a_stale_version_is_409_and_names_who_changed_it(api, agent, other_agent, grace):
    customer_update(customer_id=grace.pk, actor=other_agent, version=1, company="Army")
    response = as_user(api, agent).patch(
        f"/api/customers/{grace.pk}/", {"version": 1, "company": "Mine"}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict" and "Bob" in error["message"]
    grace.refresh_from_db()
    assert (grace.company, grace.version) == ("Army", 2)


def test_patch_needs_a_version(api, agent, grace):
    response = as_user(api, agent).patch(f"/api/customers/{grace.pk}/", {"name": "x"}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()["error"]["fields"]


def test_patch_refuses_a_contact_point_of_the_wrong_shape(api, agent, grace):
    response = as_user(api, agent).patch(
        f"/api/customers/{grace.pk}/", {"version": 1, "phones": [{"label": "x"}]}, format="json"
    )
    assert response.status_code == 400
    assert "phones" in response.json()["error"]["fields"]


# --- timeline, changes, match ----------------------------------------------------------------------
def test_timeline_lists_tickets_replies_and_callbacks_newest_first(api, agent, grace):
    ticket = TicketFactory(customer=grace, subject="Compiler crash")
    TicketCommentFactory(ticket=ticket, internal=False, body="We are on it")
    CallbackFactory(customer=grace, notes="Call after lunch")
    body = as_user(api, agent).get(f"/api/customers/{grace.pk}/timeline/").json()
    assert {entry["kind"] for entry in body} == {"ticket", "reply", "callback"}
    titles = [entry["title"] for entry in body]
    assert f"T-{ticket.pk} Compiler crash" in titles and f"Reply on T-{ticket.pk}" in titles


def test_timeline_of_a_missing_customer_is_404(api, agent):
    assert as_user(api, agent).get("/api/customers/999999/timeline/").status_code == 404


def test_changes_say_who_changed_what(api, agent, grace):
    customer_update(customer_id=grace.pk, actor=agent, version=1, company="Army")
    body = as_user(api, agent).get(f"/api/customers/{grace.pk}/changes/").json()
    assert body[0]["actor"].startswith("Alice") and body[0]["kind"] == "updated"
    assert body[0]["changes"][0]["before_display"] == "Navy"
    assert body[0]["changes"][0]["after_display"] == "Army"
    assert CustomerEvent.objects.filter(customer=grace).count() == 1


def test_match_finds_the_caller_by_any_form_of_the_number(api, agent, grace):
    body = as_user(api, agent).get("/api/customers/match", {"phone": "415-555-0123"}).json()
    assert body["number"] == "+14155550123"
    assert [row["id"] for row in body["results"]] == [grace.pk]


def test_match_with_a_withheld_number_finds_nobody(api, agent, grace):
    body = as_user(api, agent).get("/api/customers/match/", {"phone": "anonymous"}).json()
    assert body == {"number": None, "results": []}


def test_match_needs_a_phone(api, agent):
    response = as_user(api, agent).get("/api/customers/match")
    assert response.status_code == 400
    assert "phone" in response.json()["error"]["fields"]


def test_openapi_schema_lists_the_customer_apis(api, agent):
    response = as_user(api, agent).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = response.json()["paths"]
    one = "/api/customers/{customer_id}/"
    for path in ("/api/customers/", one, one + "timeline/", one + "changes/"):
        assert path in paths
    assert "patch" in paths["/api/customers/{customer_id}/"]
