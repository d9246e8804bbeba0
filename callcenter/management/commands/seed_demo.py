"""python manage.py seed_demo: demo users per role (and, as apps land, their demo data). Idempotent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from callcenter.services import DEMO_PASSWORD, demo_users_seed, roles_sync


class Command(BaseCommand):
    help = "Load demo users for every role and demo data; running it again changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-insecure",
            action="store_true",
            help=f"Seed even with DEBUG off (demo users have the password '{DEMO_PASSWORD}').",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_insecure"]:
            raise CommandError(
                f"Demo users have the password '{DEMO_PASSWORD}'; with DEBUG off this looks like "
                "production. Pass --allow-insecure if this really is a demo."
            )
        from agents.wfm.demo import wfm_demo_seed
        from kpi.services.demo import kpi_demo_seed
        from qa.services.demo import qa_demo_seed
        from telephony.services import demo_telephony_seed
        from tickets.services.demo import crm_demo_seed

        roles_sync()
        users = demo_users_seed()
        feed = demo_telephony_seed()
        crm = crm_demo_seed()
        wfm_demo_seed()  # queue settings, skills, the IVR, shift templates, this week's schedule, history
        kpi = kpi_demo_seed()
        qa_demo_seed()  # after the KPI demo: it scores recorded calls when there are some
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(users)} demo users, queues, feed source {feed.name!r}, "
                f"team {crm.team.name!r}, {crm.customers} new customers, SLA policies, dispositions, "
                f"scripts, wallboard thresholds, {kpi.history_calls} simulated calls of yesterday."
            )
        )
