from __future__ import annotations

import pytest

from callcenter.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from tests.tickets.factories import CustomerFactory, TagFactory
from tickets.models import Customer, CustomerEvent, CustomerPhone
from tickets.services.customers import customer_create, customer_update


# --- create ----------------------------------------------------------------------------------------
def test_create_normalises_phones_and_emails(agent):
    customer = customer_create(
        actor=agent,
        name="  Grace Hopper ",
        phones=["(415) 555-0123", {"number": "+44 20 7946 0018", "label": "office"}, "415.555.0123"],
        emails=[" Grace@Example.COM "],
        tags=["VIP", "vip ", "navy"],
    )
    assert customer.name == "Grace Hopper"
    assert [(p.number, p.label) for p in customer.phones.order_by("id")] == [
        ("+14155550123", ""),
        ("+442079460018", "office"),
    ]
    assert list(customer.emails.values_list("email", flat=True)) == ["grace@example.com"]
    assert sorted(customer.tags.values_list("name", flat=True)) == ["navy", "vip"]


def test_create_records_who_added_the_customer(agent):
    customer = customer_create(actor=agent, name="Ada", phones=["+14155550142"])
    event = CustomerEvent.objects.get(customer=customer)
    assert (event.kind, event.actor) == ("created", agent)
    assert event.changes["phones"] == [None, ["+14155550142"]]


def test_create_names_every_bad_phone_and_email_and_writes_nothing(agent):
    with pytest.raises(ApplicationError) as error:
        customer_create(
            actor=agent, name="Ada", phones=["12", "+14155550123", "hello"], emails=["a@b.co", "not-mail"]
        )
    fields = error.value.fields
    assert len(fields["phones"]) == 2
    assert "“12”" in fields["phones"][0] and "“hello”" in fields["phones"][1]
    assert fields["emails"] == ["“not-mail” is not an e-mail address."]
    assert not Customer.objects.exists() and not CustomerPhone.objects.exists()


def test_qa_may_not_create_customers(qa):
    with pytest.raises(ForbiddenError):
        customer_create(actor=qa, name="Ada")
    assert not Customer.objects.exists()


# --- update ----------------------------------------------------------------------------------------
def test_update_changes_fields_and_moves_the_version_on(agent):
    customer = CustomerFactory(name="Grace", company="Navy")
    saved = customer_update(
        customer_id=customer.pk,
        actor=agent,
        version=1,
        name="Grace Hopper",
        consent_sms=True,
        notes="Calls late",
    )
    assert (saved.name, saved.company, saved.consent_sms, saved.notes, saved.version) == (
        "Grace Hopper",
        "Navy",
        True,
        "Calls late",
        2,
    )


def test_update_records_who_changed_what(agent):
    customer = CustomerFactory(name="Grace", phones=["+14155550123"])
    customer_update(customer_id=customer.pk, actor=agent, version=1, name="Grace H", phones=["+14155550142"])
    event = CustomerEvent.objects.get(customer=customer, kind="updated")
    assert event.actor == agent
    assert event.changes == {"name": ["Grace", "Grace H"], "phones": [["+14155550123"], ["+14155550142"]]}


def test_update_replaces_the_phone_set_and_keeps_labels_of_numbers_kept(agent):
    customer = CustomerFactory()
    kept = CustomerPhone.objects.create(customer=customer, number="+14155550123", label="mobile")
    CustomerPhone.objects.create(customer=customer, number="+14155550100", label="old")
    customer_update(
        customer_id=customer.pk, actor=agent, version=1, phones=["415-555-0123", "+1 415 555 0142"]
    )
    phones = {p.number: (p.pk, p.label) for p in customer.phones.all()}
    assert phones == {"+14155550123": (kept.pk, "mobile"), "+14155550142": (phones["+14155550142"][0], "")}


def test_update_replaces_emails_lower_case(agent):
    customer = CustomerFactory(emails=["old@example.com"])
    customer_update(customer_id=customer.pk, actor=agent, version=1, emails=["New@Example.com"])
    assert list(customer.emails.values_list("email", flat=True)) == ["new@example.com"]


def test_update_replaces_tags_creating_new_ones(agent):
    customer = CustomerFactory()
    customer.tags.add(TagFactory(name="vip"), TagFactory(name="press"))
    customer_update(customer_id=customer.pk, actor=agent, version=1, tags=["VIP", "reseller"])
    assert sorted(customer.tags.values_list("name", flat=True)) == ["reseller", "vip"]


def test_update_with_a_bad_phone_or_email_names_each_and_writes_nothing(agent):
    customer = CustomerFactory(name="Grace", phones=["+14155550123"], emails=["g@example.com"])
    with pytest.raises(ApplicationError) as error:
        customer_update(
            customer_id=customer.pk,
            actor=agent,
            version=1,
            name="Changed",
            phones=["+14155550142", "555"],
            emails=["g@example.com", "grace at example"],
        )
    assert "“555”" in error.value.fields["phones"][0]
    assert error.value.fields["emails"] == ["“grace at example” is not an e-mail address."]
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("Grace", 1)
    assert list(customer.phones.values_list("number", flat=True)) == ["+14155550123"]
    assert list(customer.emails.values_list("email", flat=True)) == ["g@example.com"]
    assert not CustomerEvent.objects.filter(customer=customer).exists()


def test_update_refuses_an_empty_name(agent):
    customer = CustomerFactory(name="Grace")
    with pytest.raises(ApplicationError) as error:
        customer_update(customer_id=customer.pk, actor=agent, version=1, name="  ")
    assert "name" in error.value.fields


def test_update_with_a_stale_version_says_who_changed_it_and_overwrites_nothing(agent, other_agent):
    customer = CustomerFactory(name="Grace")
    customer_update(customer_id=customer.pk, actor=other_agent, version=1, company="Navy")
    with pytest.raises(ConflictError) as error:
        customer_update(customer_id=customer.pk, actor=agent, version=1, company="Army", name="Mine")
    assert "Bob" in error.value.message and "Grace" in error.value.message
    customer.refresh_from_db()
    assert (customer.company, customer.name, customer.version) == ("Navy", "Grace", 2)


def test_update_without_differences_keeps_the_version(agent):
    customer = CustomerFactory(name="Grace", phones=["+14155550123"])
    saved = customer_update(
        customer_id=customer.pk, actor=agent, version=1, name="Grace", phones=["4155550123"]
    )
    assert saved.version == 1
    assert not CustomerEvent.objects.filter(customer=customer).exists()


def test_qa_may_not_update_customers(qa):
    customer = CustomerFactory(name="Grace")
    with pytest.raises(ForbiddenError):
        customer_update(customer_id=customer.pk, actor=qa, version=1, name="x")
    customer.refresh_from_db()
    assert customer.name == "Grace"


def test_update_of_a_missing_customer_is_not_found(agent):
    with pytest.raises(NotFoundError):
        customer_update(customer_id=999999, actor=agent, version=1, name="x")
