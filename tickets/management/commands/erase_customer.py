"""python manage.py erase_customer ID: the right to erasure — erase one customer's personal data."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from callcenter.errors import NotFoundError
from tickets.models import Customer
from tickets.services.erasure import customer_erase


class Command(BaseCommand):
    help = (
        "Erase a customer's personal data (right to erasure): name, company, notes, phones and "
        "e-mails; those numbers on calls and call events; the recordings of those calls; ticket "
        "descriptions and replies to the customer; agents' call and callback notes about them. Calls, "
        "tickets and KPI rollups stay, so aggregate KPIs do not change. One transaction; recorded in "
        "the audit log (counts only). Asks for confirmation unless --yes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_id", type=int, help="The customer's id (as in /customers/<id>/).")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        parser.add_argument(
            "--by", metavar="USERNAME", help="Who asked for it, for the audit log (default: the system)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        customer_id = options["customer_id"]
        actor = None
        if options["by"]:
            actor = get_user_model().objects.filter(username=options["by"]).first()
            if actor is None:
                raise CommandError(f"There is no user {options['by']!r}; nothing was changed.")
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise CommandError(f"There is no customer with id {customer_id}; nothing was changed.")
        if not options["yes"]:
            if not self.stdin_is_interactive():
                raise CommandError("Not a terminal: pass --yes to erase without a question.")
            answer = input(
                f"Erase the personal data of customer {customer_id} ({customer.name})? "
                "This cannot be undone. Type 'yes' to go on: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Not erased: the answer was not 'yes'.")
        try:
            result = customer_erase(customer_id=customer_id, actor=actor)
        except NotFoundError as error:  # deleted in the meantime
            raise CommandError(error.message) from None
        counts = ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in result.counts().items())
        self.stdout.write(self.style.SUCCESS(f"Erased customer {customer_id}: {counts}."))

    def stdin_is_interactive(self) -> bool:
        import sys

        return sys.stdin.isatty()
