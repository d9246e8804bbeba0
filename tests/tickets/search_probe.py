"""The same customers and searches on any database: the SQLite fallback test runs this file as a
script on a fresh SQLite file and compares its answers with PostgreSQL's."""

from __future__ import annotations

import sys
from pathlib import Path

QUERIES = [
    "",
    "hopp",
    "LOVE",
    "bletch",
    "hopper grace",
    "ada labs",
    "Al",
    "zz",
    "(415) 555-0123",
    "+44 20 7946 0018",
    "555 01",
    "0142",
    "+44 20",
    "GRACE@navy",
    "@bp.example",
    "ALAN@bp.example",
    "navy.example",
    "T-{ticket}",
    "100%",
    "o_l",
]


def build() -> tuple[object, dict]:
    """An agent, three customers (phones, e-mails, companies) and a ticket; returns (agent, context)."""
    from django.contrib.auth import get_user_model

    from callcenter.services import user_roles_set
    from tickets.models import Ticket
    from tickets.services.customers import customer_create

    agent = get_user_model().objects.create_user(username="probe-agent", password="x")
    user_roles_set(user=agent, roles=["agent"])
    agent = get_user_model().objects.get(pk=agent.pk)
    grace = customer_create(
        actor=None,
        name="Grace Hopper",
        company="Navy Labs",
        phones=["+14155550123"],
        emails=["grace@navy.example"],
    )
    alan = customer_create(
        actor=None,
        name="Alan Turing",
        company="Bletchley",
        phones=["+442079460018"],
        emails=["alan@bp.example"],
    )
    customer_create(actor=None, name="Ada Lovelace", company="100% Analytical", phones=["+14155550199"])
    customer_create(actor=None, name="Bo_l Smith", company="")
    ticket = Ticket.objects.create(subject="Probe", customer=alan)
    del grace
    return agent, {"ticket": ticket.pk}


def answers(agent: object, context: dict) -> dict[str, list[str]]:
    from tickets.selectors.customers import customer_search_page

    out = {}
    for query in QUERIES:
        text = query.format(**context)
        page = customer_search_page(user=agent, q=text, size=50)
        out[query] = [customer.name for customer in page.customers]
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.sqlite_run import probe_main

    probe_main(build, answers)
