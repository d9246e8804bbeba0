"""Every KPI of DESIGN §3, once: pure functions over plain counts and sums, plus what each one means.

Live wallboards, interval rollups, reports and exports all call these functions; nothing else
divides. A zero denominator gives None (shown as "—"), never 0 and never an error.

Classifying one queue visit (is it within the service level? a short abandon?) is also here, as
`within_service_level` and `is_short_abandon`, and as the histogram buckets the rollups keep so a
report can apply any whole-second threshold to stored rows: an answered visit is counted under
`ceil(wait)` and an abandoned one under `floor(wait)`, which makes "wait ≤ T" and "wait < S" exact
for whole-second T and S.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SL_THRESHOLD_S = 20  # T: answered within T seconds counts within the service level (wait ≤ T)
SHORT_ABANDON_S = 5  # S: abandoned with a wait under S seconds is a short abandon (wait < S)
# Waits are bucketed per second up to here; anything longer shares the last bucket.
HIST_MAX_S = 3600
FCR_WINDOW_DAYS = 7


@dataclass(frozen=True)
class Params:
    """The two thresholds the KPIs take; whole seconds, 0 ≤ value ≤ HIST_MAX_S."""

    sl_threshold_s: int = SL_THRESHOLD_S
    short_abandon_s: int = SHORT_ABANDON_S

    def __post_init__(self) -> None:
        for name in ("sl_threshold_s", "short_abandon_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= HIST_MAX_S:
                raise ValueError(f"{name} must be a whole number of seconds from 0 to {HIST_MAX_S}")


# --- one visit ---------------------------------------------------------------------------------
def within_service_level(wait_s: float, threshold_s: float) -> bool:
    """An answered visit is within the service level when its wait is at most T (Asterisk's rule)."""
    return wait_s <= threshold_s


def is_short_abandon(wait_s: float, short_abandon_s: float) -> bool:
    """An abandoned visit is short when the caller hung up within S seconds (wait < S)."""
    return wait_s < short_abandon_s


def answered_bucket(wait_s: float) -> int:
    """Histogram bucket of an answered visit: ceil(wait), so bucket ≤ T ⇔ wait ≤ T for whole T."""
    return min(max(math.ceil(wait_s), 0), HIST_MAX_S + 1)


def abandoned_bucket(wait_s: float) -> int:
    """Histogram bucket of an abandoned visit: floor(wait), so bucket < S ⇔ wait < S for whole S."""
    return min(max(math.floor(wait_s), 0), HIST_MAX_S + 1)


def answered_within(answered_hist: Mapping[int, int], threshold_s: int) -> int:
    """Answered visits with wait ≤ T, from a histogram of `answered_bucket`s."""
    return sum(count for bucket, count in answered_hist.items() if int(bucket) <= threshold_s)


def short_abandoned(abandoned_hist: Mapping[int, int], short_abandon_s: int) -> int:
    """Abandoned visits with wait < S, from a histogram of `abandoned_bucket`s."""
    return sum(count for bucket, count in abandoned_hist.items() if int(bucket) < short_abandon_s)


# --- ratios ------------------------------------------------------------------------------------
def _ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else numerator / denominator


def _percent(numerator: float, denominator: float) -> float | None:
    value = _ratio(numerator, denominator)
    return None if value is None else 100.0 * value


def service_level(*, answered_within_t: int, offered: int, short_abandoned: int) -> float | None:
    """Answered with wait ≤ T ÷ (offered - short abandoned), percent."""
    return _percent(answered_within_t, offered - short_abandoned)


def abandon_rate(*, abandoned: int, short_abandoned: int, offered: int) -> float | None:
    """(Abandoned - short abandoned) ÷ (offered - short abandoned), percent."""
    return _percent(abandoned - short_abandoned, offered - short_abandoned)


def asa_s(*, answered_wait_sum_s: float, answered: int) -> float | None:
    """Average speed of answer: mean wait of answered visits, seconds."""
    return _ratio(answered_wait_sum_s, answered)


def avg_wait_s(*, wait_sum_s: float, departed: int) -> float | None:
    """Mean wait of visits that have left the queue (answered, abandoned or timed out), seconds."""
    return _ratio(wait_sum_s, departed)


def max_wait_s(*, wait_max_s: float | None, departed: int) -> float | None:
    """Longest wait of visits that have left the queue, seconds (None when none has)."""
    return wait_max_s if departed else None


def aht_s(*, talk_sum_s: float, hold_sum_s: float, acw_sum_s: float, handled: int) -> float | None:
    """Average handle time: mean talk + hold + after-call work of answered visits that have ended."""
    return _ratio(talk_sum_s + hold_sum_s + acw_sum_s, handled)


def average_part_s(*, part_sum_s: float, handled: int) -> float | None:
    """One part of the handle time (talk, hold or after-call work) per handled visit, seconds."""
    return _ratio(part_sum_s, handled)


def fcr(*, resolved_first_contacts: int, first_contacts: int) -> float | None:
    """Answered first contacts with no further contact on the same issue within 7 days ÷ answered
    first contacts, percent."""
    return _percent(resolved_first_contacts, first_contacts)


def csat(*, satisfied: int, answers: int) -> float | None:
    """Survey answers of 4 or 5 ÷ answers (1-5 scale), percent."""
    return _percent(satisfied, answers)


def nps(*, promoters: int, detractors: int, answers: int) -> float | None:
    """Percent of 9-10 minus percent of 0-6 (0-10 scale): -100 to 100."""
    return _percent(promoters - detractors, answers)


def occupancy(*, handle_s: float, idle_s: float) -> float | None:
    """Handle time ÷ (handle time + available idle time), percent.

    From the presence log: handle = on a call + wrap-up; idle = available + ringing (free, not yet
    handling). Not ready, breaks and logged-out time count in neither.
    """
    return _percent(handle_s, handle_s + idle_s)


def adherence(*, in_adherence_s: float, scheduled_s: float) -> float | None:
    """Time in the scheduled activity ÷ scheduled time, percent."""
    return _percent(in_adherence_s, scheduled_s)


def qa_score(*, score_sum: float, evaluations: int) -> float | None:
    """Mean evaluation score, percent (each evaluation's score is already 0-100)."""
    return _ratio(score_sum, evaluations)


def csat_satisfied(score: int) -> bool:
    return score >= 4


def nps_promoter(score: int) -> bool:
    return score >= 9


def nps_detractor(score: int) -> bool:
    return score <= 6


# --- what each key means (reports show it on hover) ----------------------------------------------
@dataclass(frozen=True)
class Kpi:
    key: str
    label: Promise
    definition: Promise
    unit: str  # "count", "percent", "seconds" or "score" (NPS, -100 to 100)
    better: str = ""  # "higher", "lower" or "" (neither): drives colours


KPIS: tuple[Kpi, ...] = (
    Kpi("offered", _("Offered"), _("Calls queued in the period (each queue visit counts)."), "count"),
    Kpi("answered", _("Answered"), _("Offered calls answered by an agent."), "count", "higher"),
    Kpi(
        "abandoned",
        _("Abandoned"),
        _("Offered calls the caller left while waiting (short abandons included)."),
        "count",
        "lower",
    ),
    Kpi(
        "short_abandoned",
        _("Short abandons"),
        _("Abandoned with a wait under the short-abandon threshold S."),
        "count",
    ),
    Kpi(
        "timed_out",
        _("Timed out"),
        _("Offered calls that left the queue by timeout, overflow or key press."),
        "count",
        "lower",
    ),
    Kpi(
        "service_level",
        _("Service level"),
        _("Answered with a wait ≤ T ÷ (offered − short abandons), percent."),
        "percent",
        "higher",
    ),
    Kpi(
        "abandon_rate",
        _("Abandon rate"),
        _("(Abandoned − short abandons) ÷ (offered − short abandons), percent."),
        "percent",
        "lower",
    ),
    Kpi("asa_s", _("ASA"), _("Average speed of answer: mean wait of answered calls."), "seconds", "lower"),
    Kpi(
        "avg_wait_s",
        _("Average wait"),
        _("Mean wait of offered calls that have left the queue (answered, abandoned or timed out)."),
        "seconds",
        "lower",
    ),
    Kpi(
        "max_wait_s",
        _("Longest wait"),
        _("Longest wait of offered calls that have left the queue."),
        "seconds",
        "lower",
    ),
    Kpi(
        "aht_s",
        _("AHT"),
        _("Average handle time: mean talk + hold + after-call work of answered calls that have ended."),
        "seconds",
    ),
    Kpi("avg_talk_s", _("Average talk"), _("Mean talk time of answered calls that have ended."), "seconds"),
    Kpi("avg_hold_s", _("Average hold"), _("Mean hold time of answered calls that have ended."), "seconds"),
    Kpi(
        "avg_acw_s",
        _("Average wrap-up"),
        _("Mean after-call work of answered calls that have ended."),
        "seconds",
    ),
    Kpi(
        "fcr",
        _("FCR"),
        _(
            "First-contact resolution: answered first contacts with no further contact from the same "
            "customer on the same ticket or category within 7 days ÷ answered first contacts, percent."
        ),
        "percent",
        "higher",
    ),
    Kpi(
        "csat",
        _("CSAT"),
        _("Survey answers of 4 or 5 ÷ answers (1–5 scale), percent."),
        "percent",
        "higher",
    ),
    Kpi(
        "nps",
        _("NPS"),
        _("Percent of 9–10 minus percent of 0–6 (0–10 scale)."),
        "score",
        "higher",
    ),
    Kpi(
        "occupancy",
        _("Occupancy"),
        _("Handle time ÷ (handle time + available idle time), percent."),
        "percent",
    ),
    Kpi(
        "adherence",
        _("Adherence"),
        _("Minutes in the scheduled activity ÷ scheduled minutes, percent."),
        "percent",
        "higher",
    ),
    Kpi("qa_score", _("QA score"), _("Mean evaluation score, percent."), "percent", "higher"),
)
KPI_KEYS: tuple[str, ...] = tuple(kpi.key for kpi in KPIS)
KPI_BY_KEY: dict[str, Kpi] = {kpi.key: kpi for kpi in KPIS}
