from __future__ import annotations

import pytest

from callcenter.errors import ApplicationError
from tests.agents.factories import TeamFactory
from tests.tickets.factories import CustomerFactory, TicketFactory
from tickets.models import Customer
from tickets.selectors.customers import customer_search, customer_search_page


def found(user, q):
    return sorted(customer_search(user=user, q=q).queryset.values_list("name", flat=True))


@pytest.fixture
def people(db):
    return {
        "grace": CustomerFactory(
            name="Grace Hopper", company="Navy Labs", phones=["+14155550123"], emails=["grace@navy.example"]
        ),
        "alan": CustomerFactory(
            name="Alan Turing", company="Bletchley", phones=["+442079460018"], emails=["alan@bp.example"]
        ),
        "ada": CustomerFactory(name="Ada Lovelace", company="", phones=["+14155550199", "+14155550142"]),
    }


def test_name_matches_any_part_ignoring_case(agent, people):
    assert found(agent, "hopp") == ["Grace Hopper"]
    assert found(agent, "LOVE") == ["Ada Lovelace"]


def test_company_matches_too(agent, people):
    assert found(agent, "bletch") == ["Alan Turing"]


def test_every_word_must_match_in_any_order(agent, people):
    assert found(agent, "hopper grace") == ["Grace Hopper"]
    assert found(agent, "grace turing") == []


def test_short_text_matches_the_start_of_names(agent, people):
    search = customer_search(user=agent, q="Al")
    assert search.kind == "prefix"
    assert list(search.queryset.values_list("name", flat=True)) == ["Alan Turing"]


def test_full_number_in_national_form_finds_its_owner(agent, people):
    search = customer_search(user=agent, q="(415) 555-0123")
    assert (search.kind, search.number) == ("phone", "+14155550123")
    assert list(search.queryset.values_list("name", flat=True)) == ["Grace Hopper"]


def test_number_in_e164_finds_its_owner(agent, people):
    assert found(agent, "+44 20 7946 0018") == ["Alan Turing"]


def test_partial_digits_match_anywhere_in_stored_numbers(agent, people):
    assert found(agent, "555 01") == ["Ada Lovelace", "Grace Hopper"]
    assert found(agent, "0142") == ["Ada Lovelace"]


def test_a_leading_plus_matches_the_start_of_numbers(agent, people):
    assert found(agent, "+44 20") == ["Alan Turing"]
    assert found(agent, "+20") == []


def test_email_matches_part_of_an_address(agent, people):
    assert found(agent, "GRACE@navy") == ["Grace Hopper"]
    assert found(agent, "@bp.example") == ["Alan Turing"]


def test_a_whole_address_matches_exactly(agent, people):
    CustomerFactory(name="Other Grace", emails=["mygrace@navy.example"])
    assert found(agent, "Grace@Navy.Example") == ["Grace Hopper"]
    assert found(agent, "grace@navy") == ["Grace Hopper", "Other Grace"]


def test_a_domain_searches_email_addresses(agent, people):
    assert found(agent, "navy.example") == ["Grace Hopper"]


def test_ticket_number_finds_the_ticket_customer(agent, people):
    ticket = TicketFactory(customer=people["alan"])
    for text in (f"T-{ticket.pk}", f"t{ticket.pk}", f"#{ticket.pk}"):
        search = customer_search(user=agent, q=text)
        assert (search.kind, search.ticket_id) == ("ticket", ticket.pk)
        assert list(search.queryset.values_list("name", flat=True)) == ["Alan Turing"]


def test_ticket_number_of_a_ticket_the_agent_may_not_see_finds_nobody(agent, other_agent, people):
    team_b = TeamFactory(name="Team B", members=[other_agent])
    ticket = TicketFactory(customer=people["alan"], team=team_b)
    assert found(agent, f"T-{ticket.pk}") == []
    assert found(other_agent, f"T-{ticket.pk}") == ["Alan Turing"]


def test_empty_text_lists_everyone(agent, people):
    assert customer_search(user=agent, q="  ").kind == "all"
    assert len(found(agent, "")) == 3


# --- pages -----------------------------------------------------------------------------------------
def test_pages_go_newest_first_and_back(agent):
    customers = [CustomerFactory(name=f"Smith {n}") for n in range(5)]
    first = customer_search_page(user=agent, q="smith", size=2)
    assert [c.pk for c in first.customers] == [customers[4].pk, customers[3].pk]
    assert first.previous_cursor is None
    second = customer_search_page(user=agent, q="smith", size=2, cursor=first.next_cursor)
    assert [c.pk for c in second.customers] == [customers[2].pk, customers[1].pk]
    last = customer_search_page(user=agent, q="smith", size=2, cursor=second.next_cursor)
    assert [c.pk for c in last.customers] == [customers[0].pk]
    assert last.next_cursor is None
    back = customer_search_page(user=agent, q="smith", size=2, cursor=last.previous_cursor)
    assert [c.pk for c in back.customers] == [c.pk for c in second.customers]
    assert (
        customer_search_page(user=agent, q="smith", size=2, cursor=back.previous_cursor).previous_cursor
        is None
    )


def test_pages_of_several_words_use_the_same_order(agent):
    customers = [CustomerFactory(name=f"Ada Smith {n}") for n in range(3)]
    page = customer_search_page(user=agent, q="smith ada", size=2)
    assert [c.pk for c in page.customers] == [customers[2].pk, customers[1].pk]
    rest = customer_search_page(user=agent, q="smith ada", size=2, cursor=page.next_cursor)
    assert [c.pk for c in rest.customers] == [customers[0].pk]


def test_page_rows_carry_phones_emails_tags_and_open_tickets(agent):
    customer = CustomerFactory(name="Grace", phones=["+14155550123"], emails=["g@example.com"])
    TicketFactory(customer=customer)
    TicketFactory(customer=customer, status="closed")
    row = customer_search_page(user=agent, q="grace").customers[0]
    assert row.phone_list == [("+14155550123", "")]
    assert [e.email for e in row.email_list] == ["g@example.com"]
    assert row.open_tickets == 1


def test_card_data_keeps_contact_points_in_the_order_added_and_tags_by_name(agent):
    from tests.tickets.factories import TagFactory
    from tickets.selectors.customers import customers_attach_card_data

    grace = CustomerFactory(
        name="Grace", phones=["+14155550199", "+14155550100"], emails=["z@x.test", "a@x.test"]
    )
    grace.tags.add(TagFactory(name="vip"), TagFactory(name="complaint"))
    TicketFactory(customer=grace)
    TicketFactory(customer=grace, status="open")
    TicketFactory(customer=grace, status="resolved")
    nobody = CustomerFactory(name="Nobody")
    customers = [Customer.objects.get(pk=nobody.pk), Customer.objects.get(pk=grace.pk)]
    customers_attach_card_data(customers)
    empty, full = customers
    assert (empty.phone_list, empty.email_list, empty.tag_names, empty.open_tickets) == ([], [], [], 0)
    assert full.phone_list == [("+14155550199", ""), ("+14155550100", "")]
    assert [e.email for e in full.email_list] == ["z@x.test", "a@x.test"]
    assert full.tag_names == ["complaint", "vip"]
    assert full.open_tickets == 2


def test_page_reads_take_a_fixed_number_of_queries(agent, django_assert_max_num_queries):
    for n in range(30):
        customer = CustomerFactory(
            name=f"Smith {n}", phones=[f"+1415555{n:04d}"], emails=[f"s{n}@example.com"]
        )
        TicketFactory(customer=customer)
    with django_assert_max_num_queries(2):
        page = customer_search_page(user=agent, q="smith", size=50)
        assert sum(len(c.phone_list) + len(c.email_list) + c.open_tickets for c in page.customers) == 90


def test_a_made_up_cursor_is_refused(agent):
    with pytest.raises(ApplicationError) as error:
        customer_search_page(user=agent, cursor="bm9wZQ")
    assert "cursor" in error.value.fields


@pytest.mark.parametrize("size", [0, 201])
def test_page_size_is_bounded(agent, size):
    with pytest.raises(ApplicationError) as error:
        customer_search_page(user=agent, size=size)
    assert "page_size" in error.value.fields
