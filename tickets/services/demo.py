"""Demo data for the CRM and ticketing app: a team, business hours, SLA policies, dispositions,
scripts, and a customer for every number the simulator calls from. Idempotent."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from agents.models import Team
from tickets.models import (
    BusinessHours,
    BusinessSchedule,
    CallScript,
    CallScriptStep,
    Category,
    Customer,
    CustomerEmail,
    CustomerPhone,
    Disposition,
    Holiday,
    Priority,
    SlaPolicy,
    Tag,
)

FIRST = (
    "Ava",
    "Ben",
    "Chloe",
    "Dan",
    "Elif",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jamal",
    "Keiko",
    "Leo",
    "Mina",
    "Noah",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Yara",
)
LAST = (
    "Adams",
    "Bauer",
    "Costa",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kim",
    "Larsen",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Rossi",
    "Silva",
    "Tanaka",
    "Weber",
)
COMPANIES = ("", "", "Acme Corp", "Globex", "Initech", "Umbrella Foods", "Stark Logistics", "Wayne Retail")
DISPOSITIONS = (
    ("resolved", "Resolved on the call", False),
    ("sale", "Sale made", False),
    ("follow-up", "Follow-up needed", True),
    ("complaint", "Complaint", True),
    ("wrong-number", "Wrong number", False),
    ("no-answer", "No answer (outbound)", False),
)
SCRIPTS = {
    ("Sales welcome", "sales", "inbound"): (
        ("Greet", "Thank the caller by name and say who you are."),
        ("Find the need", "Ask what they would like to achieve; note the product and budget."),
        ("Offer", "Suggest the plan that fits; mention the current offer."),
        ("Close", "Confirm the next step and the callback time if one is needed."),
    ),
    ("Support triage", "support", "inbound"): (
        ("Verify", "Confirm the customer's name and postcode before discussing the account."),
        ("Describe", "Ask what happens, since when, and what they tried."),
        ("Resolve or ticket", "Fix it on the call, or open a ticket with the details and set expectations."),
    ),
    ("Callback", "", "outbound"): (
        ("Introduce", "Say you are calling back as promised and why."),
        ("Follow up", "Pick up from the notes of the last contact."),
    ),
}
# business minutes: first response, resolution
SLA_TARGETS = {
    Priority.URGENT: (15, 240),
    Priority.HIGH: (60, 480),
    Priority.NORMAL: (240, 1440),
    Priority.LOW: (480, 2880),
}


@dataclass(frozen=True)
class CrmDemo:
    customers: int
    team: Team


def _numbers() -> list[str]:
    from telephony.simulator import AREA_CODES

    return [f"+1{area}5550{n}" for area in AREA_CODES for n in range(100, 200)]


@transaction.atomic
def crm_demo_seed() -> CrmDemo:
    users = get_user_model().objects
    team, _ = Team.objects.get_or_create(
        name="Front line", defaults={"supervisor": users.filter(username="supervisor").first()}
    )
    team.members.add(*users.filter(username__in=["agent1", "agent2", "agent3"]))
    schedule, created = BusinessSchedule.objects.get_or_create(
        name="Office hours", defaults={"time_zone": settings.TIME_ZONE, "is_default": True}
    )
    if created:
        BusinessHours.objects.bulk_create(
            [
                BusinessHours(schedule=schedule, weekday=day, opens=time(8), closes=time(18))
                for day in range(5)
            ]
        )
        Holiday.objects.create(schedule=schedule, date=date(2026, 12, 25), name="Christmas Day")
    for name in ("Billing", "Technical", "Sales", "Complaint"):
        Category.objects.get_or_create(name=name)
    for priority, (first, resolution) in SLA_TARGETS.items():
        SlaPolicy.objects.get_or_create(
            name=f"{priority.label} tickets",
            defaults={
                "priority": priority,
                "first_response_minutes": first,
                "resolution_minutes": resolution,
                "escalate_to_supervisor": priority >= Priority.HIGH,
            },
        )
    for order, (code, label, requires_ticket) in enumerate(DISPOSITIONS):
        Disposition.objects.get_or_create(
            code=code, defaults={"label": label, "requires_ticket": requires_ticket, "order": order}
        )
    for (name, queue, direction), steps in SCRIPTS.items():
        script, created = CallScript.objects.get_or_create(
            name=name, defaults={"queue": queue, "direction": direction}
        )
        if created:
            CallScriptStep.objects.bulk_create(
                [
                    CallScriptStep(script=script, order=n, title=title, body=body)
                    for n, (title, body) in enumerate(steps)
                ]
            )
    return CrmDemo(customers=_customers_seed(), team=team)


def _customers_seed() -> int:
    """A customer for each simulated caller number, so screen pops find someone."""
    numbers = _numbers()
    have = set(CustomerPhone.objects.filter(number__in=numbers).values_list("number", flat=True))
    wanted = [number for number in numbers if number not in have]
    if not wanted:
        return 0
    rng = random.Random(2026)
    people = [(rng.choice(FIRST), rng.choice(LAST), rng.choice(COMPANIES)) for _ in wanted]
    customers = Customer.objects.bulk_create(
        [Customer(name=f"{first} {last}", company=company) for first, last, company in people]
    )
    CustomerPhone.objects.bulk_create(
        [CustomerPhone(customer=c, number=n, label="mobile") for c, n in zip(customers, wanted, strict=True)]
    )
    CustomerEmail.objects.bulk_create(
        [
            CustomerEmail(customer=c, email=f"{first}.{last}.{c.pk}@example.com".lower())
            for c, (first, last, _company) in zip(customers, people, strict=True)
        ]
    )
    vip, _ = Tag.objects.get_or_create(name="vip")
    vip.customers.add(*customers[::25])
    return len(customers)
