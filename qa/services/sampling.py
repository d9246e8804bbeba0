"""Sampling calls for evaluation, and the policy that drives it.

Rules (SamplingPolicy): every answered call with CSAT at most X, on hold at least Y seconds, or
transferred; plus N random answered calls per agent per week. Calls are taken once they have ended
and settled (so the recording and survey are in). Random picks come from finished days of the
center's zone: after k finished days of a week the agent's target is ⌈N·k/7⌉, so picks spread over
the week instead of taking Monday morning's first calls, and the week's N are in after Sunday.

New evaluations go to the active QA analysts evenly: each to whoever has the fewest open ones.

Safe to run twice or at once: a call has at most one regular evaluation (unique constraint, inserts
ignore conflicts), and the random picks of one agent-week are made while its SamplingQuota row is
locked, counting what is already picked, so the quota is never exceeded.
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
from django.db import transaction
from django.db.models import Case, Count, DateField, Exists, F, OuterRef, Q, QuerySet, Value, When, Window
from django.db.models.functions import Random, RowNumber, TruncWeek
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
    SamplingQuota,
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
)


@dataclass
class SamplingResult:
    created: int = 0
    by_reason: Counter = field(default_factory=Counter)
    assigned: Counter = field(default_factory=Counter)  # username → new items
    unassigned: int = 0

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "by_reason": dict(self.by_reason),
            "assigned": dict(self.assigned),
            "unassigned": self.unassigned,
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


def _eligible(now: datetime, policy: SamplingPolicy) -> QuerySet[Call]:
    evaluated = Evaluation.objects.filter(call_id=OuterRef("pk"), calibration__isnull=True)
    return (
        Call.objects.filter(
            answered_at__isnull=False,
            answered_at__gte=now - timedelta(days=policy.lookback_days),
            ended_at__isnull=False,
            ended_at__lte=now - timedelta(minutes=policy.settle_minutes),
        )
        .exclude(agent_code="")
        .annotate(evaluated=Exists(evaluated))
        .filter(evaluated=False)
    )


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


def _new(
    call: dict,
    reasons: list[str],
    now: datetime,
    balancer: Balancer,
    versions: VersionCache,
    week: date | None = None,
) -> Evaluation:
    return Evaluation(
        call_id=call["pk"],
        agent_id=call["agent_id"],
        agent_code=call["agent_code"],
        evaluator=balancer.next(),
        scorecard_version_id=versions.get(call["queue_id"]),
        origin=Origin.SAMPLED,
        reasons=reasons,
        sample_week=week,
        status=EvaluationStatus.ASSIGNED,
        assigned_at=now,
    )


def _rule_calls(
    now: datetime, policy: SamplingPolicy, balancer: Balancer, versions: VersionCache, result: SamplingResult
) -> None:
    rules = Q(pk__in=[])
    if policy.csat_at_most:
        rules |= Q(csat__lte=policy.csat_at_most)
    if policy.long_hold_s:
        rules |= Q(hold_s__gte=policy.long_hold_s)
    if policy.transfers:
        rules |= Q(transfers__gte=1)
    calls = (
        _eligible(now, policy)
        .filter(rules)
        .order_by("answered_at", "id")
        .values("pk", "agent_id", "agent_code", "queue_id", "csat", "hold_s", "transfers")
    )
    rows = []
    for call in calls.iterator(chunk_size=2000):
        reasons = []
        if policy.csat_at_most and call["csat"] is not None and call["csat"] <= policy.csat_at_most:
            reasons.append(SampleReason.LOW_CSAT.value)
        if policy.long_hold_s and (call["hold_s"] or 0) >= policy.long_hold_s:
            reasons.append(SampleReason.LONG_HOLD.value)
        if policy.transfers and call["transfers"]:
            reasons.append(SampleReason.TRANSFER.value)
        rows.append(_new(call, reasons, now, balancer, versions))
    _insert(rows, now, result)


def _random_calls(
    now: datetime, policy: SamplingPolicy, balancer: Balancer, versions: VersionCache, result: SamplingResult
) -> None:
    per_week = policy.random_per_agent_week
    if not per_week:
        return
    zone = ZoneInfo(settings.TIME_ZONE)
    today = now.astimezone(zone).date()
    finished = _eligible(now, policy).filter(answered_at__lt=_local_midnight(today, zone))
    groups = (
        finished.annotate(week=TruncWeek("answered_at", tzinfo=zone, output_field=DateField()))
        .values("agent_code", "week")
        .annotate(n=Count("id"))
        .order_by("agent_code", "week")
    )
    targets = {
        (row["agent_code"], row["week"]): random_target(per_week=per_week, week=row["week"], today=today)
        for row in groups
    }
    # One query for what is picked already, so agent-weeks at their target cost no lock (re-checked
    # under the lock for the others, since another run may be picking at the same time).
    picked_before = {
        (code, week): n
        for code, week, n in Evaluation.objects.filter(sample_week__in={week for _c, week in targets})
        .values_list("agent_code", "sample_week")
        .annotate(n=Count("id"))
    }
    wanted = [key for key, target in targets.items() if target > picked_before.get(key, 0)]
    if not wanted:
        return
    SamplingQuota.objects.bulk_create(
        [SamplingQuota(agent_code=code, week=week) for code, week in wanted], ignore_conflicts=True
    )
    candidates = _random_candidates(finished, zone, wanted, per_week)
    for code, week in wanted:
        with transaction.atomic():
            quota = SamplingQuota.objects.select_for_update().get(agent_code=code, week=week)
            picked = Evaluation.objects.filter(agent_code=code, sample_week=week).count()
            need = targets[(code, week)] - picked
            if need > 0:
                chosen = candidates.get((code, week), [])[:need]
                new = [
                    _new(call, [SampleReason.RANDOM.value], now, balancer, versions, week) for call in chosen
                ]
                _insert(new, now, result)
            quota.picked = Evaluation.objects.filter(agent_code=code, sample_week=week).count()
            quota.save(update_fields=["picked"])


def _random_candidates(
    finished: QuerySet[Call], zone: ZoneInfo, wanted: list[tuple[str, date]], per_week: int
) -> dict[tuple[str, date], list[dict]]:
    """Up to `per_week` random calls per wanted agent-week, recorded ones first, in one query: each
    call is ranked within its agent and week, and only the top ranks come back."""
    week = TruncWeek("answered_at", tzinfo=zone, output_field=DateField())
    unrecorded_last = Case(When(recording_url="", then=Value(1)), default=Value(0))
    rank = Window(
        RowNumber(), partition_by=[F("agent_code"), week], order_by=[unrecorded_last.asc(), Random().asc()]
    )
    rows = (
        finished.filter(agent_code__in={code for code, _week in wanted})
        .annotate(week=week, rank=rank)
        .filter(rank__lte=per_week)
        .values("pk", "agent_id", "agent_code", "queue_id", "week", "rank")
    )
    keys = set(wanted)
    found: dict[tuple[str, date], list[dict]] = {}
    for row in sorted(rows, key=lambda row: row["rank"]):
        if (row["agent_code"], row["week"]) in keys:
            found.setdefault((row["agent_code"], row["week"]), []).append(row)
    return found


def calls_sample(*, now: datetime) -> SamplingResult:
    """Run the sampling rules at `now` and assign what they pick; returns what was created.
    Does nothing when the policy is switched off."""
    from qa.selectors import qa_staff, sampling_policy

    policy = sampling_policy()
    result = SamplingResult()
    if not policy.enabled:
        return result
    balancer = Balancer(list(qa_staff()))
    versions = VersionCache()
    with transaction.atomic():
        _rule_calls(now, policy, balancer, versions, result)
    _random_calls(now, policy, balancer, versions, result)
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
        limits = {"csat_at_most": (0, 5), "lookback_days": (1, 60), "dispute_days": (0, 365)}
        low, high = limits.get(name, (0, 10_000))
        if not low <= number <= high:
            errors[name] = [_("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
            continue
        setattr(policy, name, number)
    if errors:
        raise ApplicationError(_("The policy has errors; see the marked fields."), fields=errors)
    policy.save()
    return policy
