"""What the platform made of a feed, as plain comparable values: calls, queue visits, presence and
the KPI report. Fault tests compare these between a clean run and a disturbed one."""

from __future__ import annotations

import json
from datetime import datetime
from io import StringIO
from typing import Any

from django.core.management import call_command

from agents.models import PresenceCursor, PresenceSegment
from kpi.models import PresenceRollup, RollupDay, RollupInterval, VisitRollup
from telephony.models import Call, CallEvent, QueueVisit
from telephony.services import CALL_FIELDS

# Every field ingest derives for a call (telephony's own list), related rows by their natural keys.
_NATURAL = {"queue": "queue__name", "agent": "agent_id"}
CALL_COLUMNS = ("call_id", *(_NATURAL.get(field, field) for field in CALL_FIELDS))
VISIT_COLUMNS = (
    "call__call_id",
    "seq",
    "queue__name",
    "queued_at",
    "answered_at",
    "left_at",
    "ended_at",
    "outcome",
    "agent_code",
    "wait_s",
    "talk_s",
    "hold_s",
    "acw_s",
)
PRESENCE_COLUMNS = ("agent_code", "agent_id", "state", "reason", "call_id", "queue", "started_at", "ended_at")


def _rows(queryset: Any, columns: tuple[str, ...]) -> list[tuple]:
    return sorted(queryset.values_list(*columns), key=repr)


def calls_state() -> dict[str, list[tuple]]:
    """Every call summary, queue visit and presence segment (ids left out: they depend on order)."""
    return {
        "calls": _rows(Call.objects.all(), CALL_COLUMNS),
        "visits": _rows(QueueVisit.objects.all(), VISIT_COLUMNS),
        "presence": _rows(PresenceSegment.objects.all(), PRESENCE_COLUMNS),
    }


def kpi_reports(day: str) -> dict[str, Any]:
    """`kpi_report --format json` of `day` by total, queue, agent and interval."""
    reports = {}
    for by in ("total", "queue", "agent", "interval"):
        out = StringIO()
        call_command("kpi_report", "--from", day, "--to", day, "--by", by, "--format", "json", stdout=out)
        reports[by] = json.loads(out.getvalue())
    return reports


def rollup(day: str) -> None:
    call_command("kpi_rollup", "--from", day, "--to", day, stdout=StringIO())


def _settled(value: Any) -> Any:
    # PostgreSQL adds floats in the order it meets the rows, which moves the last bits (1e-12 s) of
    # a sum between runs; seconds are kept to the microsecond, so that is where they are compared.
    return round(value, 6) if isinstance(value, float) else value


def rollup_rows() -> dict[str, list[tuple]]:
    """Every rollup row but its id and the time it was computed."""

    def rows(model: Any) -> list[tuple]:
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", "computed_at")]
        return sorted((tuple(map(_settled, row)) for row in model.objects.values_list(*names)), key=repr)

    return {"visits": rows(VisitRollup), "presence": rows(PresenceRollup), "days": rows_days()}


def rows_days() -> list[Any]:
    return sorted(RollupDay.objects.values_list("day", flat=True))


def forget_feed() -> None:
    """Remove everything a feed made, so the same events can be sent again another way."""
    for model in (VisitRollup, PresenceRollup, RollupInterval, RollupDay, PresenceSegment, PresenceCursor):
        model.objects.all().delete()
    Call.objects.all().delete()
    CallEvent.objects.all().delete()


def ts(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["ts"].replace("Z", "+00:00"))
