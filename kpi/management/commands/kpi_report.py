"""python manage.py kpi_report: KPIs of DESIGN §3 for a date range, as a table, JSON or CSV."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kpi import inputs
from kpi.definitions import HIST_MAX_S, SHORT_ABANDON_S, SL_THRESHOLD_S, Params
from kpi.exports import rows_csv, rows_json, rows_table
from kpi.selectors import MAX_DAYS, ReportQuery, kpi_report
from telephony.models import Queue

BY = ("total", "queue", "agent", "day", "interval")


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{flag} {text!r} is not a date: use YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Print the KPIs (DESIGN §3) for the local days --from … --to, read from the rollups and, for "
        "today and anything not rolled up yet, from the calls themselves. JSON prints a list of rows "
        "with the group key(s) and every KPI key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", required=True, help="First day, YYYY-MM-DD (local).")
        parser.add_argument("--to", dest="last", required=True, help="Last day, YYYY-MM-DD (included).")
        parser.add_argument("--queue", help="Only this queue (its name).")
        parser.add_argument("--by", choices=BY, default="total", help="One row per … (default total).")
        parser.add_argument(
            "--sl-threshold",
            type=int,
            default=SL_THRESHOLD_S,
            help=f"Service-level threshold T in whole seconds (default {SL_THRESHOLD_S}).",
        )
        parser.add_argument(
            "--short-abandon",
            type=int,
            default=SHORT_ABANDON_S,
            help=f"Short-abandon threshold S in whole seconds (default {SHORT_ABANDON_S}).",
        )
        parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
        parser.add_argument("--team", help="Only the agents of this team (name or id).")
        parser.add_argument("--agent", help="Only this agent (their code at the PBX).")

    def handle(self, *args: Any, **options: Any) -> None:
        first, last = _day(options["first"], "--from"), _day(options["last"], "--to")
        if last < first:
            raise CommandError("--to comes before --from")
        if (last - first).days >= MAX_DAYS:
            raise CommandError(f"report at most {MAX_DAYS} days at a time")
        for flag in ("sl_threshold", "short_abandon"):
            if not 0 <= options[flag] <= HIST_MAX_S:
                raise CommandError(f"--{flag.replace('_', '-')} must be between 0 and {HIST_MAX_S} seconds")
        queue = options["queue"]
        if queue and not Queue.objects.filter(name=queue).exists():
            raise CommandError(f"no queue is named {queue!r}")
        query = ReportQuery(
            first_day=first,
            last_day=last,
            by=options["by"],
            queue=queue or None,
            team_id=self._team(options["team"]),
            agent_code=options["agent"] or None,
            params=Params(sl_threshold_s=options["sl_threshold"], short_abandon_s=options["short_abandon"]),
        )
        rows = kpi_report(query)
        if options["format"] == "json":
            self.stdout.write(rows_json(rows))
        elif options["format"] == "csv":
            self.stdout.write(rows_csv(rows, query.by), ending="")
        else:
            self.stdout.write(rows_table(rows, query.by), ending="")

    def _team(self, text: str | None) -> int | None:
        if not text:
            return None
        for team_id, name in inputs.team_choices():
            if text in (str(team_id), name):
                return team_id
        raise CommandError(f"no team is named {text!r}")
