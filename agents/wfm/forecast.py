"""Forecast of calls and handle time per 15- or 30-minute interval from the stored history.

History: QueueVisit rows (each visit of a call to a queue, as the KPIs count them) grouped in SQL
by the center's local day and interval (Django's TruncDate/Extract with the zone, which PostgreSQL
and SQLite both evaluate, so both give the same rows).

Method, "same weekday with trend" (top-down, as WFM tools do it):
  * the day's total for a weekday is a straight line fitted (least squares) through the totals of
    the same weekday over the last weeks, extended to the target day (never below zero);
  * the day's intraday shape is each interval's share of those days' calls, pooled;
  * calls(day, interval) = total * share;
  * AHT(day, interval) = handle time ÷ handled calls of that weekday and interval, pulled towards the
    weekday's AHT when the interval has few calls (a weighted mean with 10 calls' worth of it).
Why not exponential smoothing: with weekly seasonality it needs two full seasons per interval
before it settles and it smooths noisy per-interval counts interval by interval; the top-down
split needs two or three weeks, keeps weekly and intraday patterns exactly, takes the trend from
the (much less noisy) daily totals, and is easy to explain to a supervisor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, ExpressionWrapper, F, FloatField, IntegerField, Q, Sum, Value
from django.db.models.functions import Coalesce, ExtractHour, ExtractMinute, Floor, TruncDate

from agents.wfm.clock import day_bounds, zone

DEFAULT_WEEKS = 8
MIN_WEEKS_FOR_TREND = 3
AHT_PRIOR_CALLS = 10.0
DEFAULT_AHT_S = 180.0
INTERVALS = (15, 30, 60)


@dataclass(frozen=True)
class Cell:
    """One interval of one day of history."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    handled: int = 0  # answered and ended, with talk time known
    handle_s: float = 0.0
    wait_s: float = 0.0  # over visits that left the queue (answered, abandoned, timed out)


@dataclass
class History:
    interval_minutes: int
    first_day: date
    last_day: date  # inclusive
    cells: dict[tuple[date, int], Cell] = field(default_factory=dict)

    @property
    def slots(self) -> int:
        return 24 * 60 // self.interval_minutes


def interval_history(
    *, queue_ids: list[int] | None, first_day: date, last_day: date, interval_minutes: int
) -> History:
    """Visits queued on local days first_day..last_day, per (day, interval index), in one query."""
    from telephony.models import QueueVisit  # telephony owns visits; this is a read of its table

    if interval_minutes not in INTERVALS:
        raise ValueError(f"interval_minutes must be one of {INTERVALS}")
    start, _end = day_bounds(first_day)
    end = day_bounds(last_day)[1]
    tz = zone()
    visits = QueueVisit.objects.filter(queued_at__gte=start, queued_at__lt=end)
    if queue_ids is not None:
        visits = visits.filter(queue_id__in=queue_ids)
    per_hour = 60 // interval_minutes
    handle = (
        Coalesce(F("talk_s"), Value(0.0))
        + Coalesce(F("hold_s"), Value(0.0))
        + Coalesce(F("acw_s"), Value(0.0))
    )
    handled = Q(outcome="answered", talk_s__isnull=False)
    rows = (
        visits.annotate(
            day=TruncDate("queued_at", tzinfo=tz),
            # EXTRACT is numeric on PostgreSQL (10:07 / 30 is 0.23, not 0): floor it explicitly.
            slot=ExpressionWrapper(
                ExtractHour("queued_at", tzinfo=tz) * per_hour
                + Floor(ExtractMinute("queued_at", tzinfo=tz) / Value(interval_minutes)),
                output_field=IntegerField(),
            ),
        )
        .values("day", "slot")
        .annotate(
            offered=Count("id"),
            answered=Count("id", filter=Q(outcome="answered")),
            abandoned=Count("id", filter=Q(outcome="abandoned")),
            handled=Count("id", filter=handled),
            handle_s=Coalesce(
                Sum(ExpressionWrapper(handle, output_field=FloatField()), filter=handled), Value(0.0)
            ),
            wait_s=Coalesce(
                Sum("wait_s", filter=Q(outcome__in=["answered", "abandoned", "timed_out"])), Value(0.0)
            ),
        )
        .order_by("day", "slot")
    )
    history = History(interval_minutes, first_day, last_day)
    for row in rows:
        history.cells[(row["day"], int(row["slot"]))] = Cell(
            offered=row["offered"],
            answered=row["answered"],
            abandoned=row["abandoned"],
            handled=row["handled"],
            handle_s=float(row["handle_s"]),
            wait_s=float(row["wait_s"]),
        )
    return history


@dataclass(frozen=True)
class IntervalForecast:
    slot: int
    calls: float
    aht_s: float


@dataclass
class DayForecast:
    day: date
    interval_minutes: int
    intervals: list[IntervalForecast]
    weeks_used: int
    trend_per_week: float  # calls per day, per week
    patience_s: float | None  # mean caller patience estimated from the history (None: too few abandons)

    @property
    def total_calls(self) -> float:
        return sum(interval.calls for interval in self.intervals)


def _line(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares intercept and slope (slope 0 with fewer than MIN_WEEKS_FOR_TREND points)."""
    if not points:
        return 0.0, 0.0
    mean_x = sum(x for x, _y in points) / len(points)
    mean_y = sum(y for _x, y in points) / len(points)
    if len(points) < MIN_WEEKS_FOR_TREND:
        return mean_y, 0.0
    spread = sum((x - mean_x) ** 2 for x, _y in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0
    return mean_y - slope * mean_x, slope


def patience_estimate(history: History, *, min_abandons: int = 30) -> float | None:
    """Mean caller patience: total time waited by all callers ÷ abandons (the maximum-likelihood
    estimate for exponential patience when answered and overflowed callers are censored)."""
    waited = sum(cell.wait_s for cell in history.cells.values())
    abandons = sum(cell.abandoned for cell in history.cells.values())
    if abandons < min_abandons or waited <= 0:
        return None
    return waited / abandons


def forecast_day(history: History, day: date, *, today: date) -> DayForecast:
    """The forecast for `day` (after `today`) from the same weekdays in `history` (see the module)."""
    # Days before the first call in the history are not "no calls": the queue (or the history) had
    # not started. Closed days after it are real zeros.
    observed = min((cell_day for cell_day, _slot in history.cells), default=None)
    earliest = max(history.first_day, observed) if observed else history.last_day + timedelta(days=1)
    same_days = []
    probe = day - timedelta(days=7)
    while probe >= earliest:
        if probe <= min(history.last_day, today):
            same_days.append(probe)
        probe -= timedelta(days=7)
    slots = history.slots
    totals = []
    for past in same_days:
        total = sum(history.cells.get((past, slot), Cell()).offered for slot in range(slots))
        weeks_back = (day - past).days / 7
        totals.append((-weeks_back, float(total)))
    intercept, slope = _line(totals)
    expected_total = max(0.0, intercept)  # x = 0 is the target day
    pooled = [
        sum(history.cells.get((past, slot), Cell()).offered for past in same_days) for slot in range(slots)
    ]
    pooled_total = sum(pooled)
    handled = [
        sum(history.cells.get((past, slot), Cell()).handled for past in same_days) for slot in range(slots)
    ]
    handle_s = [
        sum(history.cells.get((past, slot), Cell()).handle_s for past in same_days) for slot in range(slots)
    ]
    day_handled, day_handle = sum(handled), sum(handle_s)
    all_cells = history.cells.values()
    overall_handled = sum(cell.handled for cell in all_cells)
    overall_aht = (
        sum(cell.handle_s for cell in all_cells) / overall_handled if overall_handled else DEFAULT_AHT_S
    )
    day_aht = (day_handle + AHT_PRIOR_CALLS * overall_aht) / (day_handled + AHT_PRIOR_CALLS)
    intervals = []
    for slot in range(slots):
        share = pooled[slot] / pooled_total if pooled_total else 0.0
        aht = (handle_s[slot] + AHT_PRIOR_CALLS * day_aht) / (handled[slot] + AHT_PRIOR_CALLS)
        intervals.append(IntervalForecast(slot=slot, calls=expected_total * share, aht_s=aht))
    return DayForecast(
        day=day,
        interval_minutes=history.interval_minutes,
        intervals=intervals,
        weeks_used=len(same_days),
        trend_per_week=slope,
        patience_s=patience_estimate(history),
    )


def forecast(
    *,
    queue_ids: list[int] | None,
    day: date,
    today: date,
    interval_minutes: int = 30,
    weeks: int = DEFAULT_WEEKS,
) -> DayForecast:
    """Forecast `day` from the `weeks` before `today` (the history ends yesterday)."""
    history = interval_history(
        queue_ids=queue_ids,
        first_day=today - timedelta(days=7 * weeks),
        last_day=today - timedelta(days=1),
        interval_minutes=interval_minutes,
    )
    return forecast_day(history, day, today=today)
