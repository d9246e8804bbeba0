"""Sampling calls for evaluation, and the policy that drives it.

Rules (SamplingPolicy): answered calls with CSAT at most X, on hold at least Y seconds, or
transferred; plus N random answered calls per agent per week. Calls are taken once they have ended
and settled (so the recording and survey are in). Random picks come from finished days of the
center's zone: after k finished days of a week the agent's random target is ⌈N·k/7⌉.

Every rule is capped: an agent gets at most C sampled calls per week (spread like the random target:
by the end of day k of the week at most ⌈C·k/7⌉, so Monday's first bad calls do not use up the
week), and one run creates at most M evaluations. When calls compete for a slot the most telling
win: lowest CSAT first, then transfers (most first), long holds (longest first), then random; ties
go to recorded calls, then to a shuffle fixed by the seed. Left-over calls of the week stay
candidates for later slots while they are in the look-back. The whole selection is one SQL query
(a row_number per agent-week, LIMIT M), so a run costs the same whatever the share of bad calls.

New evaluations go to the active QA analysts evenly: each to whoever has the fewest open ones.

Safe to run twice or at once: a run holds the policy row locked while it selects and inserts, so
runs take turns and each sees what the previous one picked; a call has at most one regular
evaluation (unique constraint, inserts ignore conflicts).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError
from qa.models import (
    OPEN_STATUSES,
    Evaluation,
    EvaluationEvent,
    EvaluationStatus,
    Origin,
    SampleReason,
    SamplingPolicy,
)
from qa.services.common import require_lead, user_label
from telephony.models import Call

POLICY_FIELDS = (
    "enabled",
    "random_per_agent_week",
    "csat_at_most",
    "long_hold_s",
    "transfers",
    "lookback_days",
    "settle_minutes",
    "dispute_days",
    "max_per_agent_week",
    "max_per_run",
)
# Inclusive bounds of the numeric fields (the rest: 0-10,000).
POLICY_LIMITS = {
    "csat_at_most": (0, 5),
    "lookback_days": (1, 60),
    "dispute_days": (0, 365),
    "max_per_agent_week": (1, 1_000),
    "max_per_run": (1, 100_000),
}


@dataclass
class SamplingResult:
    created: int = 0
    by_reason: Counter = field(default_factory=Counter)
    assigned: Counter = field(default_factory=Counter)  # username → new items
    unassigned: int = 0
    run_cap_reached: bool = False  # the run stopped at max_per_run: more calls wait for the next one

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "by_reason": dict(self.by_reason),
            "assigned": dict(self.assigned),
            "unassigned": self.unassigned,
            "run_cap_reached": self.run_cap_reached,
        }


class Balancer:
    """Hands out evaluators evenly: always the one with the fewest open evaluations (then lowest id)."""

    def __init__(self, staff: list[AbstractBaseUser]) -> None:
        open_counts = Counter(
            Evaluation.objects.filter(evaluator__in=staff, status__in=OPEN_STATUSES).values_list(
                "evaluator_id", flat=True
            )
        )
        self.users = {user.pk: user for user in staff}
        self.heap = [(open_counts.get(user.pk, 0), user.pk) for user in staff]
        heapq.heapify(self.heap)

    def next(self) -> AbstractBaseUser | None:
        if not self.heap:
            return None
        load, user_id = heapq.heappop(self.heap)
        heapq.heappush(self.heap, (load + 1, user_id))
        return self.users[user_id]


class VersionCache:
    """The default scorecard version per queue (None when there is no scorecard for it)."""

    def __init__(self) -> None:
        self.by_queue: dict[int | None, int | None] = {}

    def get(self, queue_id: int | None) -> int | None:
        from qa.selectors import scorecard_for_call

        if queue_id not in self.by_queue:
            scorecard = scorecard_for_call(Call(queue_id=queue_id))
            self.by_queue[queue_id] = scorecard.current_version_id if scorecard else None
        return self.by_queue[queue_id]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), zone)


def random_target(*, per_week: int, week: date, today: date) -> int:
    """How many random picks an agent should have for `week` (a Monday) when `today` is the local
    day: ⌈N x finished days ÷ 7⌉ (finished days of that week before today, 0-7)."""
    finished = max(0, min(7, (today - week).days))
    return math.ceil(per_week * finished / 7)


def agent_cap(*, per_week: int, week: date, today: date) -> int:
    """How many sampled calls (all rules) an agent may have for `week` (a Monday) when `today` is the
    local day: ⌈C x days begun ÷ 7⌉, today counted, so rule picks stay prompt but Monday morning's
    bad calls cannot take the whole week's slots; a past week allows C."""
    begun = max(0, min(7, (today - week).days + 1))
    return math.ceil(per_week * begun / 7)


@dataclass(frozen=True)
class SampleWeek:
    """One local week the look-back touches, with what an agent may have in it by now."""

    monday: date
    start: datetime
    cap: int
    random_target: int


def sample_weeks(*, now: datetime, policy: SamplingPolicy, zone: ZoneInfo) -> list[SampleWeek]:
    """The weeks from the one holding `now - lookback_days` to the current one, oldest first."""
    today = now.astimezone(zone).date()
    monday = _monday((now - timedelta(days=policy.lookback_days)).astimezone(zone).date())
    weeks = []
    while monday <= today:
        following = monday + timedelta(days=7)
        weeks.append(
            SampleWeek(
                monday=monday,
                start=_local_midnight(monday, zone),
                cap=agent_cap(per_week=policy.max_per_agent_week, week=monday, today=today),
                random_target=random_target(per_week=policy.random_per_agent_week, week=monday, today=today),
            )
        )
        monday = following
    return weeks


# The selection, in SQL that PostgreSQL and SQLite both run.
# - `used`: what each agent-week already has (sampled evaluations by the week of their call,
#   cancelled ones freeing their slot; random picks carry sample_week).
# - `rule_calls`: settled calls nobody evaluates yet that match a rule, with their local week (its
#   number in the look-back) and its cap: tier 0 low CSAT, 1 transfer, 2 long hold, and how bad
#   they are within the tier (`badness`, lowest first).
# - `rule_kept`: the best of them per agent-week, as many as the agent-week has room for.
# - `random_calls`, `random_ranked`: ordinary calls of finished days, kept only in agent-weeks
#   short of random picks that the rule calls leave room in, recorded first, then the shuffle.
#   MATERIALIZED: filtered first (a hash join), then ranked; else the planner sorts every ordinary
#   call of the look-back to rank them and only then drops most of them.
# The final ORDER BY + LIMIT takes the best of the run: tier and badness first, then the agent's
# rank, so every agent's worst call comes before anyone's second one of the same badness.
SELECTION_SQL = """
WITH used AS (
    SELECT c.agent_code, {week} AS week, COUNT(*) AS total, COUNT(e.sample_week) AS random
    FROM {evaluation} e
    JOIN {call} c ON c.id = e.call_id
    WHERE e.origin = %(sampled)s AND e.calibration_id IS NULL AND e.status <> %(cancelled)s
        AND e.assigned_at >= %(first)s AND c.answered_at >= %(first)s
    GROUP BY c.agent_code, {week}
),
rule_calls AS (
    SELECT {columns}, {week} AS week, {cap} AS cap, {tier} AS tier, {badness} AS badness
    FROM {call} c
    WHERE {settled_unevaluated} AND ({rules})
),
rule_ranked AS (
    SELECT calls.*, calls.cap - COALESCE(u.total, 0) AS room, ROW_NUMBER() OVER (
        PARTITION BY calls.agent_code, calls.week
        ORDER BY calls.tier, calls.badness, calls.unrecorded, calls.shuffle, calls.id
    ) AS agent_rank
    FROM rule_calls calls
    LEFT JOIN used u ON u.agent_code = calls.agent_code AND u.week = calls.week
    WHERE calls.cap > COALESCE(u.total, 0)
),
rule_kept AS (SELECT * FROM rule_ranked WHERE agent_rank <= room),
rule_counts AS (
    SELECT agent_code, week, COUNT(*) AS n FROM rule_kept GROUP BY agent_code, week
),
random_calls AS (
    SELECT {columns}, {week} AS week, {cap} AS cap, {random_target} AS random_target
    FROM {call} c
    WHERE {settled_unevaluated} AND NOT COALESCE({rules}, 1 = 0) AND c.answered_at < %(random_before)s
),
random_needed AS MATERIALIZED (
    SELECT calls.*,
        calls.cap - COALESCE(u.total, 0) - COALESCE(k.n, 0) AS room,
        calls.random_target - COALESCE(u.random, 0) AS random_room,
        COALESCE(k.n, 0) AS rule_n
    FROM random_calls calls
    LEFT JOIN used u ON u.agent_code = calls.agent_code AND u.week = calls.week
    LEFT JOIN rule_counts k ON k.agent_code = calls.agent_code AND k.week = calls.week
    WHERE calls.random_target > COALESCE(u.random, 0)
        AND calls.cap > COALESCE(u.total, 0) + COALESCE(k.n, 0)
),
random_ranked AS (
    SELECT random_needed.*, 3 AS tier, 0 AS badness, ROW_NUMBER() OVER (
        PARTITION BY agent_code, week ORDER BY unrecorded, shuffle, id
    ) AS random_rank
    FROM random_needed
),
kept AS (
    SELECT id, agent_id, agent_code, queue_id, csat, hold_s, transfers, week, tier, badness,
        unrecorded, shuffle, agent_rank
    FROM rule_kept
    UNION ALL
    SELECT id, agent_id, agent_code, queue_id, csat, hold_s, transfers, week, tier, badness,
        unrecorded, shuffle, rule_n + random_rank AS agent_rank
    FROM random_ranked
    WHERE random_rank <= random_room AND random_rank <= room
)
SELECT id, agent_id, agent_code, queue_id, csat, hold_s, transfers, week, tier
FROM kept
ORDER BY tier, badness, agent_rank, unrecorded, shuffle, id
LIMIT %(per_run)s
"""
# Calls the rules may take: answered in the look-back, ended and settled, of an agent, and without
# a regular evaluation yet.
SETTLED_UNEVALUATED_SQL = """c.answered_at >= %(since)s AND c.ended_at <= %(settled)s AND c.agent_code <> ''
        AND NOT EXISTS (
            SELECT 1 FROM {evaluation} x WHERE x.call_id = c.id AND x.calibration_id IS NULL
        )"""
# A fixed shuffle of call ids for a seed (a Lehmer step, then a square to break its linearity);
# integer arithmetic only, so both databases give the same order.
SHUFFLE_SQL = "((({x}) * ({x}) + %(seed)s) %% 2147483647)".format(
    x="(CAST(c.id AS BIGINT) %% 2147483647 * 48271 + %(seed)s) %% 2147483647"
)


def _selection(
    *, now: datetime, policy: SamplingPolicy, weeks: list[SampleWeek], seed: int, zone: ZoneInfo
) -> tuple[str, dict[str, object]]:
    """The selection query and its parameters for this run."""
    ops = connection.ops
    today = _local_midnight(now.astimezone(zone).date(), zone)
    params: dict[str, object] = {
        "sampled": Origin.SAMPLED.value,
        "cancelled": EvaluationStatus.CANCELLED.value,
        "first": ops.adapt_datetimefield_value(weeks[0].start),
        "since": ops.adapt_datetimefield_value(now - timedelta(days=policy.lookback_days)),
        "settled": ops.adapt_datetimefield_value(now - timedelta(minutes=policy.settle_minutes)),
        # Random picks come from finished days; with the rule off, from no day at all.
        "random_before": ops.adapt_datetimefield_value(
            today if policy.random_per_agent_week else weeks[0].start
        ),
        "seed": seed % 2147483647,
        "per_run": policy.max_per_run,
        "csat": policy.csat_at_most,
        "hold": policy.long_hold_s,
    }
    starts, caps, targets = [], [], []
    for n, week in enumerate(weeks):
        params |= {f"w{n}_cap": week.cap, f"w{n}_random": week.random_target}
        caps.append(f"WHEN {n} THEN %(w{n}_cap)s")
        targets.append(f"WHEN {n} THEN %(w{n}_random)s")
        if n:
            params[f"w{n}_start"] = ops.adapt_datetimefield_value(week.start)
            starts.append(f"WHEN c.answered_at >= %(w{n}_start)s THEN {n}")
    # The week of a call by its local Monday, newest first (calls before the first week are not
    # read); its cap and random target by the week's number. Expressions, not a join with a table of
    # weeks, so the planner sees how many calls there are and hashes instead of sorting them.
    week_sql = "CASE " + " ".join(reversed(starts)) + " ELSE 0 END" if starts else "0"
    cap_sql = f"CASE {week_sql} " + " ".join(caps) + " END"
    target_sql = f"CASE {week_sql} " + " ".join(targets) + " END"
    # Only the rules switched on take part; tiers keep their numbers so the order stays fixed.
    rules = []
    if policy.csat_at_most:
        rules.append(("c.csat <= %(csat)s", 0, "c.csat"))
    if policy.transfers:
        rules.append(("c.transfers >= 1", 1, "-c.transfers"))
    if policy.long_hold_s:
        rules.append(("c.hold_s >= %(hold)s", 2, "-c.hold_s"))
    tier = "CASE " + " ".join(f"WHEN {cond} THEN {n}" for cond, n, _b in rules) + " ELSE 3 END"
    badness = "CASE " + " ".join(f"WHEN {cond} THEN {bad}" for cond, _n, bad in rules) + " ELSE 0 END"
    if not rules:
        tier, badness = "3", "0"
    unrecorded = "CASE WHEN c.recording_url = '' THEN 1 ELSE 0 END"
    sql = SELECTION_SQL.format(
        week=week_sql,
        cap=cap_sql,
        random_target=target_sql,
        columns=(
            "c.id, c.agent_id, c.agent_code, c.queue_id, c.csat, c.hold_s, c.transfers, "
            f"{unrecorded} AS unrecorded, {SHUFFLE_SQL} AS shuffle"
        ),
        unrecorded=unrecorded,
        settled_unevaluated=SETTLED_UNEVALUATED_SQL.format(
            evaluation=ops.quote_name(Evaluation._meta.db_table)
        ),
        evaluation=ops.quote_name(Evaluation._meta.db_table),
        call=ops.quote_name(Call._meta.db_table),
        tier=tier,
        badness=badness,
        shuffle=SHUFFLE_SQL,
        rules=" OR ".join(f"({cond})" for cond, _n, _b in rules) or "1 = 0",
    )
    return sql, params


def _reasons(row: dict, policy: SamplingPolicy) -> list[str]:
    """Every rule a picked call matches (random only when it matches none)."""
    reasons = []
    if policy.csat_at_most and row["csat"] is not None and row["csat"] <= policy.csat_at_most:
        reasons.append(SampleReason.LOW_CSAT.value)
    if policy.long_hold_s and (row["hold_s"] or 0) >= policy.long_hold_s:
        reasons.append(SampleReason.LONG_HOLD.value)
    if policy.transfers and row["transfers"]:
        reasons.append(SampleReason.TRANSFER.value)
    return reasons or [SampleReason.RANDOM.value]


def _insert(rows: list[Evaluation], now: datetime, result: SamplingResult) -> None:
    """Insert new sampled evaluations, skipping calls another run took first; record the timeline."""
    if not rows:
        return
    Evaluation.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    # Rows of this run carry its instant; a concurrent run's rows for the same calls have their own.
    created = list(
        Evaluation.objects.filter(
            call_id__in=[row.call_id for row in rows], origin=Origin.SAMPLED, assigned_at=now
        ).select_related("evaluator")
    )
    EvaluationEvent.objects.bulk_create(
        [
            EvaluationEvent(
                evaluation=evaluation,
                kind="assigned",
                data={"evaluator": user_label(evaluation.evaluator), "reasons": evaluation.reasons},
            )
            for evaluation in created
        ],
        batch_size=1000,
    )
    result.created += len(created)
    for evaluation in created:
        result.by_reason.update(evaluation.reasons)
        if evaluation.evaluator is None:
            result.unassigned += 1
        else:
            result.assigned[evaluation.evaluator.get_username()] += 1


def calls_sample(*, now: datetime, seed: int | None = None) -> SamplingResult:
    """Run the sampling rules at `now`, within the caps, and assign what they pick; returns what was
    created. The same data, `now` and `seed` pick the same calls; without a seed the local day is
    used, so the runs of one day agree and each day shuffles anew. Does nothing when the policy is
    switched off."""
    from qa.selectors import qa_staff, sampling_policy

    sampling_policy()  # make sure the row exists before locking it
    result = SamplingResult()
    zone = ZoneInfo(settings.TIME_ZONE)
    with transaction.atomic():
        # Runs take turns on the policy row: the caps count what the previous run inserted.
        policy = SamplingPolicy.objects.select_for_update().get(pk=1)
        if not policy.enabled:
            return result
        weeks = sample_weeks(now=now, policy=policy, zone=zone)
        if seed is None:
            seed = now.astimezone(zone).date().toordinal()
        sql, params = _selection(now=now, policy=policy, weeks=weeks, seed=seed, zone=zone)
        with connection.cursor() as cursor:
            postgres = connection.vendor == "postgresql"
            if postgres:
                # Measured on 1 M calls in the look-back: the rankings sort tens of thousands of rows
                # (in memory, not in temporary files); the CTEs' row counts are rough guesses, and
                # with merge joins allowed the planner sorts every ordinary call by agent to join
                # it with a few hundred agent-weeks (+7 s); the high cost estimate then makes it
                # JIT-compile the query with inlining and optimisation (+8 s for a 1 s query).
                for setting in ("work_mem = '64MB'", "enable_mergejoin = off", "jit = off"):
                    cursor.execute(f"SET LOCAL {setting}")
            cursor.execute(sql, params)
            names = [column[0] for column in cursor.description]
            picked = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            if postgres:
                for setting in ("work_mem", "enable_mergejoin", "jit"):
                    cursor.execute(f"RESET {setting}")
        result.run_cap_reached = len(picked) >= policy.max_per_run
        balancer = Balancer(list(qa_staff()))
        versions = VersionCache()
        rows = []
        for row in picked:
            reasons = _reasons(row, policy)
            is_random = reasons == [SampleReason.RANDOM.value]
            rows.append(
                Evaluation(
                    call_id=row["id"],
                    agent_id=row["agent_id"],
                    agent_code=row["agent_code"],
                    evaluator=balancer.next(),
                    scorecard_version_id=versions.get(row["queue_id"]),
                    origin=Origin.SAMPLED,
                    reasons=reasons,
                    sample_week=weeks[row["week"]].monday if is_random else None,
                    status=EvaluationStatus.ASSIGNED,
                    assigned_at=now,
                )
            )
        _insert(rows, now, result)
    _tell_analysts(result, balancer)
    return result


def _tell_analysts(result: SamplingResult, balancer: Balancer) -> None:
    from django.urls import reverse

    from qa.services.alerts import qa_alert

    ids = {user.get_username(): user.pk for user in balancer.users.values()}
    for username, count in result.assigned.items():
        qa_alert(
            user_ids=[ids.get(username)],
            kind="qa_work",
            title=_("%(n)s new call(s) to score") % {"n": count},
            message=_("Sampling put them in your QA queue."),
            url=reverse("qa:queue"),
        )


@transaction.atomic
def sampling_policy_update(*, actor: AbstractBaseUser, **values: object) -> SamplingPolicy:
    """Change the sampling rules (QA leads). Unknown names raise TypeError; bad values
    ApplicationError with the field."""
    from qa.selectors import sampling_policy

    require_lead(actor)
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"unknown policy fields: {sorted(unknown)}")
    policy = sampling_policy()
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if name in ("enabled", "transfers"):
            setattr(policy, name, bool(value))
            continue
        try:
            number = int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            errors[name] = [_("Enter a whole number.")]
            continue
        low, high = POLICY_LIMITS.get(name, (0, 10_000))
        if not low <= number <= high:
            errors[name] = [_("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
            continue
        setattr(policy, name, number)
    if not errors and policy.random_per_agent_week > policy.max_per_agent_week:
        # The cap would silently win; say so instead of storing a rule that cannot be met.
        errors["random_per_agent_week"] = [
            _("At most the cap per agent per week (%(cap)s).") % {"cap": policy.max_per_agent_week}
        ]
    if errors:
        raise ApplicationError(_("The policy has errors; see the marked fields."), fields=errors)
    policy.save()
    return policy
