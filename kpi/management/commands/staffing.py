"""python manage.py staffing: agents needed for one interval by Erlang C (or Erlang A with --patience)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kpi.erlang import staffing


class Command(BaseCommand):
    help = (
        "Agents needed for one interval: the fewest whose service level reaches --target-sl within "
        "--target-time seconds, by Erlang C, or by Erlang A when --patience (mean caller patience) is "
        "given; scheduled agents add --shrinkage. Fractions are 0-1, times in seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--calls", type=float, required=True, help="Calls offered in the interval.")
        parser.add_argument("--interval", type=float, required=True, help="Interval length in minutes.")
        parser.add_argument("--aht", type=float, required=True, help="Average handle time in seconds.")
        parser.add_argument(
            "--target-sl", type=float, required=True, help="Service level target as a fraction, e.g. 0.8."
        )
        parser.add_argument(
            "--target-time", type=float, required=True, help="Service level threshold in seconds, e.g. 20."
        )
        parser.add_argument(
            "--shrinkage",
            type=float,
            default=0.3,
            help="Share of scheduled time not on the phones (breaks, meetings, absence); default 0.3.",
        )
        parser.add_argument(
            "--patience",
            type=float,
            default=None,
            help="Mean caller patience in seconds: use Erlang A (callers abandon) instead of Erlang C.",
        )
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        calls, interval, aht = options["calls"], options["interval"], options["aht"]
        target_sl, target_time = options["target_sl"], options["target_time"]
        shrinkage, patience = options["shrinkage"], options["patience"]
        problems = []
        if not calls >= 0:
            problems.append("--calls must be 0 or more")
        if not interval > 0:
            problems.append("--interval must be a positive number of minutes")
        if not aht > 0:
            problems.append("--aht must be a positive number of seconds")
        if not 0 < target_sl < 1:
            problems.append("--target-sl must be a fraction between 0 and 1, e.g. 0.8 for 80 %")
        if not target_time >= 0:
            problems.append("--target-time must be 0 or more seconds")
        if not 0 <= shrinkage < 1:
            problems.append("--shrinkage must be a fraction from 0 up to (not including) 1, e.g. 0.3")
        if patience is not None and not 0 < patience < float("inf"):
            problems.append("--patience must be a positive number of seconds")
        if problems:
            raise CommandError("; ".join(problems))
        try:
            answer = staffing(
                calls_per_interval=calls,
                interval_s=interval * 60,
                aht_s=aht,
                target_sl=target_sl,
                target_time_s=target_time,
                shrinkage=shrinkage,
                patience_s=patience,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(answer.as_json()))
            return
        model = f"Erlang A (patience {patience:g} s)" if patience else "Erlang C"
        rows = [
            ("model", model),
            ("agents", str(answer.agents)),
            (f"scheduled agents (shrinkage {shrinkage:.0%})", str(answer.scheduled_agents)),
            (f"service level (≤ {target_time:g} s)", f"{answer.service_level:.1%}"),
            ("occupancy", f"{answer.occupancy:.1%}"),
            ("probability of waiting", f"{answer.p_wait:.1%}"),
            ("ASA (all calls)", f"{answer.asa_s:.1f} s"),
        ]
        if answer.p_abandon is not None:
            rows.append(("abandoned", f"{answer.p_abandon:.1%}"))
        width = max(len(name) for name, _value in rows)
        for name, value in rows:
            self.stdout.write(f"{name:<{width}}  {value}")
