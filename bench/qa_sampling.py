"""Benchmark QA sampling and the qa_score selector on a realistic volume of calls.

DATABASE_URL=postgres://…/scratch python bench/qa_sampling.py [--agents 100] [--days 8] [--per-day 150]

Fills the database with answered calls (a week and a day of them), then times one sampling run
(rules + random picks within the caps, assignment to 5 analysts), the runs after it until every
agent-week is at its cap (each stops at the per-run cap), a rerun (nothing left to pick), and
`evaluation_scores` over the period once every sampled evaluation is submitted.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import django_setup, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--days", type=int, default=8)
    parser.add_argument("--per-day", type=int, default=150, help="Answered calls per agent per day.")
    parser.add_argument(
        "--lookback-days", type=int, default=None, help="Set the policy's look-back (default: keep it)."
    )
    args = parser.parse_args()
    django_setup()

    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.db.models.functions import TruncWeek

    from callcenter.services import user_roles_set
    from qa.models import Evaluation, EvaluationStatus
    from qa.selectors import evaluation_scores, sampling_policy
    from qa.services.sampling import calls_sample
    from telephony.models import Call, FeedSource, Queue

    Evaluation.objects.all().delete()
    source, _ = FeedSource.objects.get_or_create(name="bench-qa")
    Call.objects.filter(source=source).delete()
    queue, _ = Queue.objects.get_or_create(name="bench-qa")
    users = get_user_model().objects
    for n in range(5):
        analyst, _ = users.get_or_create(username=f"bench-qa-{n}")
        user_roles_set(user=analyst, roles=["qa"])
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rng = random.Random(1)
    rows = []
    for agent in range(args.agents):
        for day in range(args.days):
            for n in range(args.per_day):
                at = now - timedelta(days=day, minutes=rng.randrange(1, 600))
                rows.append(
                    Call(
                        source=source,
                        call_id=f"bq-{agent}-{day}-{n}",
                        queue=queue,
                        agent_code=f"bench-agent-{agent}",
                        queued_at=at,
                        answered_at=at + timedelta(seconds=10),
                        ended_at=at + timedelta(seconds=200),
                        hold_s=rng.choice([0, 0, 0, 0, 30, 150]),
                        transfers=1 if rng.random() < 0.03 else 0,
                        csat=rng.choice([None, None, 1, 3, 4, 5, 5]),
                        recording_url="r.wav" if rng.random() < 0.9 else "",
                        first_event_at=at,
                        last_event_at=at + timedelta(seconds=230),
                        outcome="answered",
                    )
                )
    started = time.perf_counter()
    Call.objects.bulk_create(rows, batch_size=5000)
    print(f"{len(rows):,} calls stored in {time.perf_counter() - started:.1f} s")

    policy = sampling_policy()
    if args.lookback_days:
        policy.lookback_days = args.lookback_days
        policy.save()
    in_lookback = Call.objects.filter(
        answered_at__gte=now - timedelta(days=policy.lookback_days), answered_at__lte=now
    ).count()
    print(
        f"{in_lookback:,} answered calls in the {policy.lookback_days}-day look-back; caps "
        f"{policy.max_per_agent_week} per agent-week, {policy.max_per_run} per run"
    )

    started = time.perf_counter()
    first = calls_sample(now=now)
    elapsed = time.perf_counter() - started
    report(
        "sampling run (calls in the look-back)",
        elapsed * 1000,
        "ms",
        "none set; runs every 10 min",
        key="qa_sampling_ms",
    )
    print(
        f"  picked {first.created:,}: {dict(first.by_reason)}; per analyst {sorted(first.assigned.values())}"
    )
    # With the run cap reached, the next runs take the next most telling calls, until every
    # agent-week is at its cap; then a run must pick nothing.
    runs, drain_s, total = 0, 0.0, first.created
    result = first
    while result.run_cap_reached and runs < 200:
        started = time.perf_counter()
        result = calls_sample(now=now)
        drain_s += time.perf_counter() - started
        runs += 1
        total += result.created
    if runs:
        report(f"next runs, until the caps are full ({runs} runs)", drain_s / runs * 1000, "ms each", "-")
    print(f"  picked {total:,} in all")
    started = time.perf_counter()
    again = calls_sample(now=now)
    report("rerun (nothing new)", (time.perf_counter() - started) * 1000, "ms", "-")
    if again.created:
        sys.exit("a run after the caps were full picked calls again: sampling is not idempotent")
    most = (
        Evaluation.objects.annotate(week=TruncWeek("call__answered_at"))
        .values("agent_code", "week")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
    )
    print(f"  most picks of one agent in one week: {most} (cap {policy.max_per_agent_week})")
    if most and most > policy.max_per_agent_week:
        sys.exit("an agent-week got more picks than the cap")

    Evaluation.objects.update(status=EvaluationStatus.SUBMITTED, score=85.0, submitted_at=now)
    started = time.perf_counter()
    scores = evaluation_scores(start=now - timedelta(days=args.days + 1), end=now + timedelta(days=1))
    report(f"evaluation_scores ({len(scores):,} rows)", (time.perf_counter() - started) * 1000, "ms", "-")


if __name__ == "__main__":
    main()
