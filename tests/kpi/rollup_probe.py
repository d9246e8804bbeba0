"""The same calls, presence, QA scores and wrap-up logs rolled up on any database: the SQLite test
runs this file as a script on a fresh SQLite file and compares its rollup rows and reports with
PostgreSQL's."""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPORTS = ("total", "queue", "agent", "day")
# (call, score, status): submitted scores count, the draft does not.
SCORES = ((0, 70.0, "submitted"), (1, 85.5, "submitted"), (2, 100.0, "submitted"), (3, 5.0, "draft"))


def build() -> None:
    """The random calls and presence of tests/kpi/test_rollups.py (its seed), ingested; QA scores on
    four answered calls (one a draft) and wrap-up logs on six, two of them the same ticket twice."""
    from qa.models import EvaluationStatus
    from telephony.models import Call
    from telephony.services import call_events_ingest
    from tests.callcenter.factories import UserFactory
    from tests.kpi.test_rollups import T0, random_calls, random_presence
    from tests.qa.factories import EvaluationFactory, make_scorecard
    from tests.telephony.factories import FeedSourceFactory
    from tickets.models import CallLog, Customer, Ticket

    rng = random.Random(20261123)
    events = random_calls(rng, 400) + random_presence(rng)
    for n, event in enumerate(events):
        # ev() numbers events from a counter of the process: the same ids on both sides, so events
        # at the same instant sort alike.
        event["event_id"] = f"probe-{n:05d}"
    result = call_events_ingest(source=FeedSourceFactory(name="pbx1"), raw_events=events)
    assert result.rejected == []

    answered = list(
        Call.objects.filter(outcome="answered", queued_at__gte=T0).order_by("queued_at", "call_id")[:6]
    )
    version = make_scorecard().current_version
    for n, score, status in SCORES:
        EvaluationFactory(
            call=answered[n], scorecard_version=version, status=EvaluationStatus(status), score=score
        )
    logger = UserFactory(username="probe-logger", roles=["agent"])
    repeat = Customer.objects.create(name="Probe Repeat")
    ticket = Ticket.objects.create(subject="Probe", customer=repeat)
    for n, call in enumerate(answered):
        customer, linked = (
            (repeat, ticket) if n in (1, 4) else (Customer.objects.create(name=f"Probe {n}"), None)
        )
        log = CallLog.objects.create(call_id=call.call_id, agent=logger, customer=customer, ticket=linked)
        CallLog.objects.filter(pk=log.pk).update(created_at=call.queued_at + timedelta(minutes=5))


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _rows(model: type) -> list[dict[str, Any]]:
    names = [f.name for f in model._meta.fields if f.name not in ("id", "computed_at")]
    ordering = ["grain", "period_start", *(["queue"] if "queue" in names else []), "agent_code"]
    return [
        {name: _plain(value) for name, value in row.items()}
        for row in model.objects.order_by(*ordering).values(*names)
    ]


def answers() -> dict[str, Any]:
    """Rolls up the two days, then: the rollup rows (without ids and run stamps) and the reports."""
    from kpi.models import PresenceRollup, VisitRollup
    from kpi.selectors import ReportQuery, kpi_report
    from kpi.services.rollups import rollup_compute
    from tests.kpi.test_rollups import END, NOW, START

    rollup_compute(start=START, end=END, now=NOW)
    out: dict[str, Any] = {"visit_rollups": _rows(VisitRollup), "presence_rollups": _rows(PresenceRollup)}
    for by in REPORTS:
        query = ReportQuery(first_day=START.date(), last_day=(END - timedelta(seconds=1)).date(), by=by)
        out[by] = [row.as_dict() for row in kpi_report(query, now=NOW)]
    # Through JSON as the script's answers are, so both sides compare as the same kinds of values.
    return json.loads(json.dumps(out))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.sqlite_run import probe_main

    probe_main(build, answers)
