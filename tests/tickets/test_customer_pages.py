from __future__ import annotations

import re

import pytest

from tests.callcenter.factories import UserFactory
from tests.tickets.factories import CustomerFactory, TicketFactory
from tickets.models import Customer, CustomerEvent
from tickets.services.customers import customer_update


def logged_in(client, user):
    client.force_login(user)
    return client


def edit_data(customer, **changes):
    """What the edit form posts for `customer` as it is, with `changes`."""
    data = {
        "version": customer.version,
        "name": customer.name,
        "company": customer.company,
        "notes": customer.notes,
        "tags": ", ".join(customer.tags.values_list("name", flat=True)),
        "consent_calls": "on",
        "consent_email": "on",
        "consent_recording": "on",
    }
    for index, phone in enumerate(customer.phones.all()):
        data[f"phone_{index}"], data[f"phone_label_{index}"] = phone.number, phone.label
    for index, email in enumerate(customer.emails.all()):
        data[f"email_{index}"], data[f"email_label_{index}"] = email.email, email.label
    return {**data, **changes}


@pytest.fixture
def grace(db):
    return CustomerFactory(
        name="Grace Hopper", company="Navy", phones=["+14155550123"], emails=["grace@navy.example"]
    )


# --- access ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/customers/", "/customers/new/", "/customers/1/"])
def test_anonymous_is_sent_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("url", ["/customers/", "/customers/new/", "/customers/1/"])
def test_user_without_a_role_gets_403(client, db, url):
    CustomerFactory(pk=1)
    assert logged_in(client, UserFactory(username="norole")).get(url).status_code == 403


@pytest.mark.parametrize("persona", ["agent", "supervisor", "qa", "admin"])
@pytest.mark.parametrize("url", ["/customers/", "/customers/1/"])
def test_every_role_with_customers_sees_list_and_card(client, personas, persona, url):
    CustomerFactory(pk=1)
    assert logged_in(client, personas[persona]).get(url).status_code == 200


def test_qa_cannot_open_the_new_customer_form(client, qa):
    assert logged_in(client, qa).get("/customers/new/").status_code == 403
    assert 'data-testid="new-customer"' not in client.get("/customers/").content.decode()


def test_qa_sees_the_card_read_only_and_cannot_post_changes(client, qa, grace):
    response = logged_in(client, qa).get(f"/customers/{grace.pk}/")
    assert 'data-testid="customer-form"' not in response.content.decode()
    response = client.post(f"/customers/{grace.pk}/", edit_data(grace, name="x"))
    assert response.status_code == 403
    grace.refresh_from_db()
    assert grace.name == "Grace Hopper"


def test_missing_customer_is_404(client, agent):
    assert logged_in(client, agent).get("/customers/999999/").status_code == 404


# --- list ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("q", ["hopp", "Navy", "415 555 0123", "grace@navy"])
def test_list_searches_each_key(client, agent, grace, q):
    CustomerFactory(name="Alan Turing", company="Bletchley", phones=["+442079460018"])
    body = logged_in(client, agent).get("/customers/", {"q": q}).content.decode()
    assert "Grace Hopper" in body and "Alan Turing" not in body


def test_list_finds_the_customer_of_a_ticket_number(client, agent, grace):
    CustomerFactory(name="Alan Turing")
    ticket = TicketFactory(customer=grace)
    body = logged_in(client, agent).get("/customers/", {"q": f"T-{ticket.pk}"}).content.decode()
    assert "Grace Hopper" in body and "Alan Turing" not in body
    assert f"The customer of ticket T-{ticket.pk}." in body


def test_list_shows_contact_points_tags_and_open_tickets(client, agent, grace):
    TicketFactory(customer=grace)
    body = logged_in(client, agent).get("/customers/", {"q": "grace"}).content.decode()
    row = re.search(rf'<tr data-customer="{grace.pk}">.*?</tr>', body, re.S).group(0)
    assert "+14155550123" in row and "grace@navy.example" in row and "Navy" in row
    assert ">1</a>" in row


def test_list_query_count_is_bounded(client, agent, django_assert_max_num_queries):
    for n in range(40):
        customer = CustomerFactory(
            name=f"Smith {n}", phones=[f"+1415555{n:04d}"], emails=[f"s{n}@example.com"]
        )
        TicketFactory(customer=customer)
    logged_in(client, agent)
    with django_assert_max_num_queries(10):
        response = client.get("/customers/", {"q": "smith"})
    assert response.content.decode().count("<tr data-customer=") == 40


def test_list_pages_by_keyset_both_ways(client, agent):
    customers = [CustomerFactory(name=f"Smith {n}") for n in range(53)]
    body = logged_in(client, agent).get("/customers/", {"q": "smith"}).content.decode()
    assert 'rel="prev"' not in body
    older = re.search(r'href="([^"]+)" rel="next"', body).group(1).replace("&amp;", "&")
    body = client.get(older).content.decode()
    assert body.count("<tr data-customer=") == 3 and f'data-customer="{customers[0].pk}"' in body
    newer = re.search(r'href="([^"]+)" rel="prev"', body).group(1).replace("&amp;", "&")
    assert client.get(newer).content.decode().count("<tr data-customer=") == 50


def test_list_with_a_broken_page_link_says_so_and_starts_over(client, agent, grace):
    response = logged_in(client, agent).get("/customers/", {"cursor": "!!"})
    assert response.status_code == 400
    assert "not valid any more" in response.content.decode()
    assert "Grace Hopper" in response.content.decode()


def test_no_match_on_a_number_offers_a_new_customer_with_it(client, agent):
    body = logged_in(client, agent).get("/customers/", {"q": "(415) 555-0188"}).content.decode()
    assert "No customer matches." in body
    assert "/customers/new/?phone=%2B14155550188" in body


# --- create ----------------------------------------------------------------------------------------
def test_new_customer_form_is_prefilled_with_the_number(client, agent):
    body = logged_in(client, agent).get("/customers/new/", {"phone": "+14155550188"}).content.decode()
    assert 'value="+14155550188"' in body


def test_create_adds_the_customer_and_opens_the_card(client, agent):
    response = logged_in(client, agent).post(
        "/customers/new/",
        {
            "name": "Grace Hopper",
            "phone_0": "(415) 555-0123",
            "phone_label_0": "mobile",
            "email_0": "Grace@Navy.Example",
            "tags": "vip, navy",
            "consent_calls": "on",
        },
    )
    customer = Customer.objects.get()
    assert response.status_code == 302 and response.url == f"/customers/{customer.pk}/"
    assert [(p.number, p.label) for p in customer.phones.all()] == [("+14155550123", "mobile")]
    assert list(customer.emails.values_list("email", flat=True)) == ["grace@navy.example"]
    assert (customer.consent_calls, customer.consent_email) == (True, False)


def test_create_with_a_bad_number_shows_the_error_next_to_it_and_adds_nobody(client, agent):
    response = logged_in(client, agent).post(
        "/customers/new/", {"name": "Grace", "phone_0": "+14155550123", "phone_1": "12345", "email_0": "nope"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    phone_error = re.search(r'data-testid="phone-error">(.*?)</div>', body, re.S).group(1)
    assert "12345" in phone_error
    assert 'name="phone_1" value="12345"' in body and 'aria-invalid="true"' in body
    assert "email-error" in body
    assert not Customer.objects.exists()


def test_create_warns_about_a_likely_duplicate(client, agent, grace):
    response = logged_in(client, agent).post(
        "/customers/new/", {"name": "G. Hopper", "phone_0": "415 555 0123"}, follow=True
    )
    assert "Grace Hopper (customer" in response.content.decode()


# --- edit ------------------------------------------------------------------------------------------
def test_card_shows_history_changes_and_the_edit_form(client, agent, grace):
    ticket = TicketFactory(customer=grace, subject="Compiler crash")
    customer_update(customer_id=grace.pk, actor=agent, version=1, company="US Navy")
    body = logged_in(client, agent).get(f"/customers/{grace.pk}/").content.decode()
    assert f"{ticket.number} Compiler crash" in body
    assert 'data-testid="customer-changes"' in body and "US Navy" in body
    assert 'value="grace@navy.example"' in body and 'name="version" value="2"' in body


def test_card_query_count_is_bounded(client, agent, grace, django_assert_max_num_queries):
    for _ in range(20):
        TicketFactory(customer=grace)
    logged_in(client, agent)
    with django_assert_max_num_queries(20):
        assert client.get(f"/customers/{grace.pk}/").status_code == 200


def test_edit_saves_and_goes_back_to_the_card(client, agent, grace):
    response = logged_in(client, agent).post(
        f"/customers/{grace.pk}/", edit_data(grace, email_0="hopper@navy.example", email_1="x@navy.example")
    )
    assert response.status_code == 302
    grace.refresh_from_db()
    assert grace.version == 2
    assert sorted(grace.emails.values_list("email", flat=True)) == ["hopper@navy.example", "x@navy.example"]


def test_edit_over_htmx_answers_the_saved_form(client, agent, grace):
    response = logged_in(client, agent).post(
        f"/customers/{grace.pk}/", edit_data(grace, company="US Navy"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="saved"' in body and 'name="version" value="2"' in body


def test_edit_with_a_bad_email_shows_the_error_next_to_it_and_writes_nothing(client, agent, grace):
    response = logged_in(client, agent).post(
        f"/customers/{grace.pk}/", edit_data(grace, name="Changed", email_0="grace at navy")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid email address." in re.search(
        r'data-testid="email-error">(.*?)</div>', body, re.S
    ).group(1)
    assert 'value="grace at navy"' in body
    grace.refresh_from_db()
    assert (grace.name, grace.version) == ("Grace Hopper", 1)
    assert list(grace.emails.values_list("email", flat=True)) == ["grace@navy.example"]


def test_edit_errors_over_htmx_come_back_as_200_so_they_are_shown(client, agent, grace):
    response = logged_in(client, agent).post(
        f"/customers/{grace.pk}/", edit_data(grace, phone_0="12"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'data-testid="phone-error"' in response.content.decode()
    grace.refresh_from_db()
    assert grace.version == 1


def test_conflict_names_who_changed_it_and_keeps_the_input(client, agent, other_agent, grace):
    customer_update(customer_id=grace.pk, actor=other_agent, version=1, company="US Navy")
    response = logged_in(client, agent).post(
        f"/customers/{grace.pk}/", edit_data(grace, notes="Mine", version=1)
    )
    assert response.status_code == 409
    body = response.content.decode()
    conflict = re.search(r'data-testid="conflict">(.*?)</div>', body, re.S).group(1)
    assert "Bob" in conflict and "US Navy" in conflict
    assert re.search(r'name="notes"[^>]*>\s*Mine</textarea>', body)
    assert 'name="version" value="2"' in body  # saving again is on purpose
    grace.refresh_from_db()
    assert (grace.company, grace.notes) == ("US Navy", "")
    assert CustomerEvent.objects.filter(customer=grace).count() == 1
