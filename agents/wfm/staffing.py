"""Staffing plan for a day: forecast calls and AHT per interval, the agents Erlang C (or Erlang A,
when callers' patience is known) says the queue's service level target needs, the agents scheduled
(the time they are on the phones in each interval, breaks excluded), and the gaps."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from agents.models import ActivityKind, AgentSkill, ScheduledShift
from agents.skills import agent_users
from agents.wfm.clock import day_bounds
from agents.wfm.forecast import DayForecast, History, forecast, forecast_day
from agents.wfm.shifts import shift_activities
from kpi.erlang import erlang_a, scheduled_for, service_level, staffing

DEFAULT_SHRINKAGE = 0.15  # absence, meetings, coaching: breaks and lunches are in the schedule itself
MODELS = ("auto", "erlang_c", "erlang_a")


@dataclass(frozen=True)
class PlanInterval:
    start: datetime
    calls: float
    aht_s: float
    required: int  # agents on the phones for the target
    needed: int  # agents to schedule for it (shrinkage added)
    scheduled: float  # agents scheduled on the phones (a half-covered interval counts half)
    service_level: float | None  # what the scheduled agents are expected to reach

    @property
    def gap(self) -> float:
        """Scheduled minus needed: below zero is understaffed."""
        return self.scheduled - self.needed

    @property
    def short(self) -> bool:
        return self.gap < -0.05

    @property
    def over(self) -> bool:
        return self.gap >= 1


@dataclass
class StaffingPlan:
    day: date
    interval_minutes: int
    queue: Any  # a Queue, or None for every queue together
    target_sl: float
    target_time_s: int
    shrinkage: float
    patience_s: float | None  # used (Erlang A) when set
    forecast: DayForecast
    intervals: list[PlanInterval]

    @property
    def model(self) -> str:
        return f"Erlang A (patience {self.patience_s:.0f} s)" if self.patience_s else "Erlang C"

    def agent_hours(self, attribute: str) -> float:
        return sum(getattr(interval, attribute) for interval in self.intervals) * self.interval_minutes / 60

    @property
    def short_intervals(self) -> int:
        return sum(1 for interval in self.intervals if interval.short)

    @property
    def peak_needed(self) -> int:
        return max((interval.needed for interval in self.intervals), default=0)


def eligible_agent_ids(queue: Any) -> list[int]:
    """Agents who can take the queue's calls: those with a skill for it, or everyone when no agent
    has one (skills not set up for the queue); every agent for all queues together."""
    everyone = list(agent_users().values_list("pk", flat=True))
    if queue is None:
        return everyone
    skilled = set(
        AgentSkill.objects.filter(skill__queues=queue, user__is_active=True).values_list("user_id", flat=True)
    )
    return [pk for pk in everyone if pk in skilled] if skilled else everyone


def coverage(shifts: list[ScheduledShift], start: datetime, interval_minutes: int, slots: int) -> list[float]:
    """Agents on the phones per interval from `start`: each shift's work time, breaks left out."""
    covered = [0.0] * slots
    span = timedelta(minutes=interval_minutes)
    for shift in shifts:
        for activity in shift_activities(shift.starts_at, shift.ends_at, shift.breaks):
            if activity.kind != ActivityKind.WORK:
                continue
            first = max(0, int((activity.start - start) / span))
            last = min(slots - 1, int((activity.end - start - timedelta(microseconds=1)) / span))
            for slot in range(first, last + 1):
                slot_start = start + slot * span
                overlap = min(activity.end, slot_start + span) - max(activity.start, slot_start)
                if overlap.total_seconds() > 0:
                    covered[slot] += overlap / span
    return covered


def staffing_plan(
    *,
    queue: Any,
    day: date,
    today: date,
    interval_minutes: int = 30,
    shrinkage: float = DEFAULT_SHRINKAGE,
    model: str = "auto",
    patience_s: float | None = None,
    history: History | None = None,
) -> StaffingPlan:
    """The plan for `day`. `model`: erlang_c; erlang_a (patience from `patience_s` or the history);
    auto (Erlang A when the history gives a patience, else Erlang C)."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}")
    scheduled_for(0, shrinkage)  # validates the shrinkage
    target_sl = (queue.sl_target_percent if queue else 80) / 100
    target_time_s = queue.sl_threshold_s if queue else 20
    if history is None:
        day_forecast = forecast(
            queue_ids=[queue.pk] if queue else None, day=day, today=today, interval_minutes=interval_minutes
        )
    else:
        day_forecast = forecast_day(history, day, today=today)
        interval_minutes = history.interval_minutes
    patience = None
    if model == "erlang_a":
        patience = patience_s or day_forecast.patience_s
        if not patience:
            raise ValueError("Erlang A needs the callers' patience: give it, or use Erlang C")
    elif model == "auto":
        patience = day_forecast.patience_s
    start, end = day_bounds(day)
    slots = len(day_forecast.intervals)
    shifts = list(
        ScheduledShift.objects.filter(
            agent_id__in=eligible_agent_ids(queue), starts_at__lt=end, ends_at__gt=start
        )
    )
    scheduled = coverage(shifts, start, interval_minutes, slots)
    interval_s = interval_minutes * 60
    # Never ask for 100 %: Erlang's targets are below 1 (an unreachable target has no answer).
    target = min(target_sl, 0.999)
    intervals = []
    for item in day_forecast.intervals:
        answer = staffing(
            calls_per_interval=item.calls,
            interval_s=interval_s,
            aht_s=item.aht_s,
            target_sl=target,
            target_time_s=target_time_s,
            shrinkage=shrinkage,
            patience_s=patience,
        )
        on_phones = math.floor(scheduled[item.slot] * (1 - shrinkage) + 1e-9)
        if item.calls <= 0:
            level = None
        elif patience:
            level = erlang_a(
                item.calls, interval_s, item.aht_s, on_phones, patience, target_time_s
            ).service_level
        else:
            level = service_level(item.calls, interval_s, item.aht_s, on_phones, target_time_s)
        intervals.append(
            PlanInterval(
                start=start + timedelta(minutes=interval_minutes * item.slot),
                calls=item.calls,
                aht_s=item.aht_s,
                required=answer.agents,
                needed=answer.scheduled_agents,
                scheduled=scheduled[item.slot],
                service_level=level,
            )
        )
    return StaffingPlan(
        day=day,
        interval_minutes=interval_minutes,
        queue=queue,
        target_sl=target_sl,
        target_time_s=target_time_s,
        shrinkage=shrinkage,
        patience_s=patience,
        forecast=day_forecast,
        intervals=intervals,
    )


@dataclass(frozen=True)
class ChartBar:
    x: float
    width: float
    needed_y: float
    scheduled_y: float
    short: bool
    over: bool
    label: str
    interval: PlanInterval


def staffing_chart(
    plan: StaffingPlan, *, width: int = 960, height: int = 260, pad: int = 32
) -> dict[str, Any]:
    """Geometry of the inline SVG chart: needed agents as a step line, scheduled as bars, gaps red."""
    from callcenter.formatting import to_local

    count = len(plan.intervals) or 1
    top = max(
        [interval.needed for interval in plan.intervals]
        + [interval.scheduled for interval in plan.intervals]
        + [1]
    )
    scale = (height - 2 * pad) / top
    step = (width - 2 * pad) / count
    bars, line = [], []
    for index, interval in enumerate(plan.intervals):
        x = pad + index * step
        local = to_local(interval.start)
        needed_y = height - pad - interval.needed * scale
        bars.append(
            ChartBar(
                x=round(x + 1, 2),
                width=round(max(step - 2, 1), 2),
                needed_y=round(needed_y, 2),
                scheduled_y=round(height - pad - interval.scheduled * scale, 2),
                short=interval.short,
                over=interval.over,
                label=local.strftime("%H:%M"),
                interval=interval,
            )
        )
        line += [f"{x:.2f},{needed_y:.2f}", f"{x + step:.2f},{needed_y:.2f}"]
    ticks = []
    tick_step = max(1, math.ceil(top / 5))
    for value in range(0, int(top) + 1, tick_step):
        ticks.append({"value": value, "y": round(height - pad - value * scale, 2)})
    hours = [
        {"x": round(pad + index * step, 2), "label": bar.label}
        for index, bar in enumerate(bars)
        if bar.label.endswith(":00") and int(bar.label[:2]) % 3 == 0
    ]
    return {
        "width": width,
        "height": height,
        "pad": pad,
        "bars": bars,
        "needed_points": " ".join(line),
        "ticks": ticks,
        "hours": hours,
        "baseline": height - pad,
        "right": width - pad,
    }
