"""Benchmark schedule generation for 200 agents x 1 week (target: seconds).

Pure run (default): a week of 30-minute requirement from Erlang C on a two-peak day curve (weekends
lighter), 8 shift templates with breaks, 200 agents with 40-hour weeks, 10 of them on leave, and the
greedy of agents.wfm.generate. With --database (DATABASE_URL must be PostgreSQL): the same through the
database end to end: 200 agent users, four weeks of call history, the proposal (forecast, staffing,
greedy) and its application as shifts, each step timed.

    python bench/schedule_generation.py [--agents 200] [--database]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callcenter.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-key-0123456789abcdefghijklmnopqrstuvwxyz")

TEMPLATES = [
    ("Early", time(6, 0), 510),
    ("Morning", time(7, 30), 510),
    ("Day", time(9, 0), 510),
    ("Mid", time(10, 30), 510),
    ("Late", time(12, 0), 510),
    ("Evening", time(14, 0), 510),
    ("Short AM", time(9, 0), 300),
    ("Short PM", time(16, 0), 300),
]
BREAKS = [
    {"kind": "break", "offset_minutes": 120, "minutes": 15},
    {"kind": "lunch", "offset_minutes": 240, "minutes": 30},
]


def week_need(slot_minutes: int, peak_calls: float) -> list[float]:
    from kpi.erlang import staffing

    need = []
    for day in range(7):
        weight = 1.0 if day < 5 else 0.5 if day == 5 else 0.3
        for slot in range(24 * 60 // slot_minutes):
            hour = slot * slot_minutes / 60
            curve = max(math.exp(-(((hour - 10.5) / 2.2) ** 2)), 0.8 * math.exp(-(((hour - 15) / 2.5) ** 2)))
            calls = peak_calls * weight * curve if 7 <= hour < 21 else 0.0
            answer = staffing(
                calls_per_interval=calls,
                interval_s=slot_minutes * 60,
                aht_s=240,
                target_sl=0.8,
                target_time_s=20,
                shrinkage=0.15,
            )
            need.append(float(answer.scheduled_agents))
    return need


def pure(agents: int, slot_minutes: int, peak_calls: float) -> None:
    import django

    django.setup()
    from agents.wfm.generate import Candidate, Staff, generate
    from agents.wfm.shifts import shift_activities

    monday = datetime(2030, 3, 4, tzinfo=UTC)
    need = week_need(slot_minutes, peak_calls)
    required = sum(need) * slot_minutes / 60
    candidates = []
    span = timedelta(minutes=slot_minutes)
    for day in range(7):
        for _name, start_time, length in TEMPLATES:
            start = monday + timedelta(days=day, hours=start_time.hour, minutes=start_time.minute)
            cover: dict[int, float] = {}
            for activity in shift_activities(
                start, start + timedelta(minutes=length), BREAKS if length > 360 else []
            ):
                if activity.kind != "work":
                    continue
                moment = activity.start
                while moment < activity.end:
                    slot = int((moment - monday) / span)
                    slot_end = monday + (slot + 1) * span
                    cover[slot] = cover.get(slot, 0.0) + (min(activity.end, slot_end) - moment) / span
                    moment = min(activity.end, slot_end)
            candidates.append(
                Candidate(
                    len(candidates),
                    (monday + timedelta(days=day)).date(),
                    len(candidates) % len(TEMPLATES),
                    start,
                    start + timedelta(minutes=length),
                    tuple(sorted(cover.items())),
                    length,
                )
            )
    staff = [Staff(id=n, limit_minutes=40 * 60) for n in range(agents)]
    for person in staff[:10]:
        person.off.append((monday + timedelta(days=1), monday + timedelta(days=4)))
    began = clock.perf_counter()
    chosen = generate(need=need, candidates=candidates, staff=staff, slot_minutes=slot_minutes)
    elapsed = clock.perf_counter() - began
    from common import record

    record("schedule_pure_s", elapsed, "s")
    hours = sum(c.paid_minutes for _a, c in chosen) / 60
    unmet = sum(max(0.0, v) for v in need) * slot_minutes / 60
    busy = len({agent for agent, _c in chosen})
    print(
        f"pure greedy: {agents} agents, {len(candidates)} candidate shifts, {len(need)} slots: "
        f"{elapsed:.2f} s; "
        f"{len(chosen)} shifts, {hours:.0f} agent-hours for {required:.0f} needed; "
        f"covered {100 * (1 - unmet / required):.1f} %, {busy} agents used"
    )


def database(agents: int) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("--database needs DATABASE_URL pointing at a PostgreSQL database")
    from bench.common import django_setup

    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from agents.models import ScheduledShift, ShiftTemplate
    from agents.wfm.clock import local_day, week_start
    from agents.wfm.demo import _history_seed
    from agents.wfm.generate import schedule_proposal, schedule_proposal_apply
    from callcenter.services import roles_sync, user_roles_set
    from telephony.models import Queue

    User = get_user_model()
    roles_sync()
    for name in ("sales", "support"):
        Queue.objects.get_or_create(name=name)
    began = clock.perf_counter()
    with transaction.atomic():
        existing = set(User.objects.filter(username__startswith="bench").values_list("username", flat=True))
        for n in range(agents):
            username = f"bench{n:03d}"
            if username not in existing:
                user = User.objects.create(username=username)
                user_roles_set(user=user, roles=["agent"])
        for name, start_time, length in TEMPLATES:
            ShiftTemplate.objects.get_or_create(
                name=f"Bench {name}",
                defaults={
                    "start_time": start_time,
                    "length_minutes": length,
                    "breaks": BREAKS if length > 360 else [],
                },
            )
    history = _history_seed()
    print(f"setup: {agents} agents, {history} history calls in {clock.perf_counter() - began:.1f} s")
    today = local_day(timezone.now())
    monday = week_start(today) + timedelta(days=7)
    ScheduledShift.objects.filter(day__gte=monday, day__lt=monday + timedelta(days=7)).delete()
    templates = list(ShiftTemplate.objects.filter(name__startswith="Bench"))
    began = clock.perf_counter()
    proposal = schedule_proposal(monday=monday, queue=None, today=today, templates=templates, slot_minutes=30)
    proposed = clock.perf_counter() - began
    began = clock.perf_counter()
    created, skipped = schedule_proposal_apply(actor=None, proposal=proposal)
    applied = clock.perf_counter() - began
    from common import record

    record("schedule_proposal_s", proposed, "s")
    record("schedule_apply_s", applied, "s")
    print(
        f"proposal (forecast + staffing for 7 days + greedy): {proposed:.2f} s, "
        f"{len(proposal.assignments)} shifts, "
        f"{proposal.agent_hours:.0f} agent-hours, covered {100 * (proposal.covered_share or 0):.1f} %; "
        f"applied with conflict checks: {applied:.2f} s ({created} created, {len(skipped)} skipped)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--slot-minutes", type=int, default=30, choices=[15, 30])
    parser.add_argument("--peak-calls", type=float, default=300.0, help="calls in the busiest 30 minutes")
    parser.add_argument("--database", action="store_true", help="also run end to end through DATABASE_URL")
    args = parser.parse_args()
    pure(args.agents, args.slot_minutes, args.peak_calls * args.slot_minutes / 30)
    if args.database:
        database(args.agents)


if __name__ == "__main__":
    main()
