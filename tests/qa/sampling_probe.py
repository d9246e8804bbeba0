"""The same calls sampled on any database: the SQLite test runs this file as a script on a fresh
SQLite file and compares the calls its sampling runs pick with PostgreSQL's."""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday; the look-back reaches last Tuesday
RUNS = (NOW, NOW + timedelta(minutes=30))  # the first stops at the run cap, the second goes on
SEED = 7
AGENTS = ("alice", "bob", "carol", "dave")
FIRST_CALL_PK = 5001


def _kind(rng: random.Random) -> dict[str, Any]:
    """What makes a call telling, or not: low or fine CSAT, transfers, holds about the threshold."""
    roll = rng.random()
    if roll < 0.06:
        return {"csat": rng.choice([1, 2])}
    if roll < 0.16:
        return {"csat": rng.choice([3, 4, 5])}
    if roll < 0.22:
        return {"transfers": rng.choice([1, 1, 2])}
    if roll < 0.30:
        return {"hold_s": rng.choice([119.5, 120.0, 120.0, round(rng.uniform(120, 400), 3)])}
    if roll < 0.33:
        return {"csat": 1, "transfers": 1, "hold_s": 200.0}
    return {}


def build() -> None:
    """Users (four agents and two for the edges of the weeks, two analysts), a scorecard, the policy
    with a run cap, calls of the last two weeks (random shapes from a fixed seed, and calls on the
    edges of the look-back, the settling time, the week and today) and evaluations already made."""
    from django.conf import settings

    from qa.models import Evaluation, EvaluationStatus, Origin, SamplingPolicy
    from telephony.models import Call
    from tests.callcenter.factories import UserFactory
    from tests.qa.factories import CallFactory, make_scorecard

    make_scorecard()
    users = {name: UserFactory(username=name, roles=["agent"]) for name in (*AGENTS, "erin", "frank")}
    analysts = [UserFactory(username=f"probe-qa-{n}", roles=["qa"]) for n in (1, 2)]
    SamplingPolicy.objects.update_or_create(pk=1, defaults={"max_per_run": 20})
    pks = iter(range(FIRST_CALL_PK, FIRST_CALL_PK + 10_000))

    def call(call_id: str, agent: str | None, answered: datetime, **values: Any) -> Call:
        # Explicit pks: the seeded shuffle orders calls by pk, so both databases shuffle the same.
        user = users.get(agent) if agent else None
        return CallFactory(
            id=next(pks),
            call_id=call_id,
            agent=user,
            agent_code=agent or "",
            at=answered - timedelta(seconds=12),
            **values,
        )

    # Calls of last week from the start of the look-back, and of this week up to this afternoon.
    zone = ZoneInfo(settings.TIME_ZONE)
    this_week, today = datetime(2026, 11, 23, tzinfo=zone), datetime(2026, 11, 25, tzinfo=zone)
    rng = random.Random(20261125)
    for agent in AGENTS:
        spans = (
            ("w1", NOW - timedelta(days=8), this_week, 14),
            ("w2", this_week, NOW - timedelta(minutes=30), 10),
        )
        for week, first, last, calls in spans:
            for n in range(calls):
                call_id = f"{agent}-{week}-{n:02d}"
                answered = first + (last - first) * rng.random()
                recording = f"recordings/{call_id}.wav" if rng.random() < 0.5 else ""
                call(call_id, agent, answered, recording_url=recording, **_kind(rng))

    since, settled = NOW - timedelta(days=8), NOW - timedelta(minutes=10)
    tick = timedelta(microseconds=1)
    call("edge-since", "erin", since, csat=1)
    call("edge-before-since", "erin", since - tick, csat=1)
    call("edge-settled", "frank", settled - timedelta(seconds=178), csat=2)  # ends at `settled`
    call("edge-unsettled", "frank", settled - timedelta(seconds=178) + tick, csat=2)
    # Plain calls for random picks: which week they count for shows in sample_week.
    call("edge-sunday", "erin", this_week - tick)
    call("edge-monday", "erin", this_week)
    call("edge-yesterday", "frank", today - tick)
    call("edge-today", "frank", today)  # today has not finished: no random pick
    call("no-agent", None, NOW - timedelta(hours=3), csat=1)
    call("abandoned", "alice", NOW - timedelta(hours=3), csat=1, answered_at=None, outcome="abandoned")

    # Made before: a random and a rule pick (they fill slots), a cancelled pick (frees its slot) and
    # a manual evaluation (leaves the cap alone); none of their calls is sampled again.
    made = [
        ("bob-w1-00", Origin.SAMPLED, EvaluationStatus.ASSIGNED, ["random"], "2026-11-16"),
        ("alice-w1-01", Origin.SAMPLED, EvaluationStatus.DRAFT, ["transfer"], None),
        ("carol-w1-02", Origin.SAMPLED, EvaluationStatus.CANCELLED, ["low_csat"], None),
        ("dave-w1-03", Origin.MANUAL, EvaluationStatus.ASSIGNED, [], None),
    ]
    for call_id, origin, status, reasons, week in made:
        picked = Call.objects.get(call_id=call_id)
        Evaluation.objects.create(
            call=picked,
            agent=picked.agent,
            agent_code=picked.agent_code,
            evaluator=analysts[0],
            origin=origin,
            status=status,
            reasons=reasons,
            sample_week=week,
            assigned_at=NOW - timedelta(days=1),
        )


def answers() -> dict[str, Any]:
    """Runs the sampling at each of RUNS with SEED: what each created (its counts) and picked."""
    from qa.models import Evaluation, Origin
    from qa.services.sampling import calls_sample

    runs = []
    for now in RUNS:
        result = calls_sample(now=now, seed=SEED)
        created = Evaluation.objects.filter(origin=Origin.SAMPLED, assigned_at=now).select_related(
            "call", "evaluator", "scorecard_version__scorecard"
        )
        picked = {
            e.call.call_id: {
                "agent": e.agent_code,
                "reasons": e.reasons,
                "sample_week": e.sample_week.isoformat() if e.sample_week else None,
                "evaluator": e.evaluator.get_username() if e.evaluator else None,
                "scorecard": e.scorecard_version.scorecard.name if e.scorecard_version else None,
            }
            for e in created
        }
        runs.append({"result": result.as_dict(), "picked": picked})
    return json.loads(json.dumps({"runs": runs}))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.sqlite_run import probe_main

    probe_main(build, answers)
