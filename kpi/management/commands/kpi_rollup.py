"""python manage.py kpi_rollup --from --to: (re)compute the interval and daily rollups of those days."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kpi.periods import day_bounds
from kpi.services.rollups import rollup_compute


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{flag} {text!r} is not a date: use YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Recompute the 15-minute and daily KPI rollups of the local days --from … --to (backfill, or "
        "after importing old data). Intervals that have not ended are left to the live figures. "
        "Running it again gives the same rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", required=True, help="First day, YYYY-MM-DD (local).")
        parser.add_argument("--to", dest="last", required=True, help="Last day, YYYY-MM-DD (included).")

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = _day(options["first"], "--from"), _day(options["last"], "--to")
        if last < first:
            raise CommandError("--to comes before --from")
        stats = rollup_compute(start=day_bounds(first)[0], end=day_bounds(last)[1])
        self.stdout.write(
            f"Rolled up {stats.intervals} intervals ({stats.visit_rows} queue/agent rows, "
            f"{stats.presence_rows} presence rows) and {stats.days} days in {stats.seconds:.2f} s."
        )
