"""Reads of kpi: KPI sums for any period and grouping (rollups where current, raw data elsewhere),
the report rows behind `kpi_report`, the reports page and exports, and an agent's own numbers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from kpi import aggregate, inputs
from kpi.definitions import Params
from kpi.models import AGENT_GRAINS, QUEUE_GRAINS, Grain, PresenceRollup, VisitRollup
from kpi.periods import day_bounds, days, interval_floor, intervals, local_day, runs, week_start, zone
from kpi.services.rollups import rollup_status
from kpi.totals import Totals

BY_CHOICES = ("total", "queue", "agent", "team", "day", "week", "interval")
MAX_DAYS = 366
MAX_INTERVAL_DAYS = 31
_GROUPS = {
    "total": (),
    "queue": ("queue",),
    "agent": ("agent_code",),
    "team": ("agent_code",),
    "day": ("day",),
    "week": ("week",),
    "interval": ("interval",),
}


def kpi_totals(
    *,
    start: datetime,
    end: datetime,
    group_by: tuple[str, ...],
    queue: str | None = None,
    agent_codes: Collection[str] | None = None,
    presence: bool = True,
    annotations: bool = True,
    hists: bool = True,
    now: datetime | None = None,
) -> dict[tuple, Totals]:
    """Sums over [start, end) (interval-aligned) per group (`aggregate.GROUPS` names).

    Day rows stand in for days whose intervals are all current; current interval rows for the
    rest; everything else — today's open interval, intervals never rolled up or made stale by
    late data — is computed from the raw visits and presence log, so the answer is always the
    same as a full recompute. Presence (occupancy) is left out of queue-scoped figures. The Totals
    are read-only, as `kpi_totals_many` says.
    """
    return kpi_totals_many(
        start=start,
        end=end,
        groupings={"": (group_by, hists)},
        queue=queue,
        agent_codes=agent_codes,
        presence=presence,
        annotations=annotations,
        now=now,
    )[""]


def kpi_totals_many(
    *,
    start: datetime,
    end: datetime,
    groupings: dict[str, tuple[tuple[str, ...], bool]],
    queue: str | None = None,
    agent_codes: Collection[str] | None = None,
    presence: bool = True,
    annotations: bool = True,
    now: datetime | None = None,
) -> dict[str, dict[tuple, Totals]]:
    """`kpi_totals` for several groupings ({name: (group_by, hists)}) of one range at once: the
    raw part (today's open interval) is read once and summed into each.

    The Totals returned may be shared with this process's cache of stored rows: read them, and
    `copy()` one before adding to it."""
    now = now or timezone.now()
    live_end = min(end, now)
    results: dict[str, dict[tuple, Totals]] = {name: {} for name in groupings}
    if start >= live_end:
        return results
    state = rollup_status(start=start, end=interval_floor(live_end))
    current = state.current
    live = [moment for moment in intervals(start, live_end) if moment not in current]
    codes = set(agent_codes) if agent_codes is not None else None

    def keep(queue_name: str, agent: str) -> bool:
        return (queue is None or queue_name == queue) and (codes is None or agent in codes)

    raw_parts: list[tuple[dict, dict]] = []
    for first, last in runs(live):
        last = min(last, live_end)
        raw = aggregate.visit_totals(start=first, end=last, queue=queue, agent_codes=codes)
        if annotations:
            for key, totals in aggregate.call_annotations(start=first, end=last).items():
                if keep(key[1], key[2]):
                    raw.setdefault(key, Totals()).add(totals)
        states: dict = {}
        if presence and queue is None and any("queue" not in g for g, _h in groupings.values()):
            states = aggregate.presence_totals(start=first, end=last, now=now, agent_codes=codes)
        raw_parts.append((raw, states))

    for name, (group_by, hists) in groupings.items():
        found = _Sums(results[name])
        clean_days = frozenset() if "interval" in group_by else state.clean_days
        day_ranges = [day_bounds(day) for day in sorted(clean_days)]
        in_days = {moment for first, last in day_ranges for moment in intervals(first, last)}
        interval_ranges = list(runs(sorted(moment for moment in current if moment not in in_days)))
        # Whole-queue rows answer anything not about agents: a few rows a day instead of thousands.
        grains = AGENT_GRAINS if "agent_code" in group_by or codes is not None else QUEUE_GRAINS
        with_presence = presence and queue is None and "queue" not in group_by
        visit_options = {"group_by": group_by, "queue": queue, "agent_codes": codes, "hists": hists}
        presence_options = {"group_by": group_by, "agent_codes": codes}
        stored = [
            (VisitRollup, grains["day"], day_ranges, visit_options),
            (VisitRollup, grains["interval"], interval_ranges, visit_options),
        ]
        if with_presence:
            stored += [
                (PresenceRollup, Grain.DAY, day_ranges, presence_options),
                (PresenceRollup, Grain.INTERVAL, interval_ranges, presence_options),
            ]
        for model, grain, ranges, options in stored:
            found.add_rows(
                _rows_sum_cached(state.version, model=model, grain=grain, ranges=ranges, **options)
            )
        for raw, states in raw_parts:
            for (period, queue_name, agent), totals in raw.items():
                found.add(aggregate.group_key(period, queue_name, agent, group_by), totals)
            if with_presence:
                for (period, agent), totals in states.items():
                    found.add(aggregate.group_key(period, "", agent, group_by), totals)
    return results


class _Sums:
    """Totals summed per group into `groups`. A group's first Totals is taken as it is and copied
    only when a second one adds to it: the parts summed (the cache's stored rows, raw rows that
    serve several groupings) stay as they are, and the many groups made of one part (most of a
    wallboard's thousands) cost no copy — copying them all was a fifth of a snapshot's time."""

    def __init__(self, groups: dict[tuple, Totals]):
        self.groups = groups
        self._owned: set[tuple] = set()

    def add(self, key: tuple, totals: Totals) -> None:
        mine = self.groups.get(key)
        if mine is None:
            self.groups[key] = totals
            return
        if key not in self._owned:
            mine = self.groups[key] = mine.copy()
            self._owned.add(key)
        mine.add(totals)

    def add_rows(self, rows: dict[tuple, Totals]) -> None:
        for key, totals in rows.items():
            self.add(key, totals)


_CACHE: OrderedDict[tuple, dict[tuple, Totals]] = OrderedDict()
_CACHE_SIZE = 32
_CACHE_LOCK = threading.Lock()


def _rows_sum_cached(version: tuple, **options: Any) -> dict[tuple, Totals]:
    """`rollup_rows_sum`, remembered in this process until a rollup run changes the rows: the
    wallboard asks for today's figures twice a second, and stored rows change every few minutes."""
    codes = options.get("agent_codes")
    key = (
        version,
        options["model"].__name__,
        options["grain"],
        tuple(options["ranges"]),
        options["group_by"],
        options.get("queue"),
        frozenset(codes) if codes is not None else None,
        options.get("hists", True),
    )
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    rows = aggregate.rollup_rows_sum(**options)
    with _CACHE_LOCK:
        _CACHE[key] = rows
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return rows


@dataclass(frozen=True)
class ReportQuery:
    first_day: date
    last_day: date
    by: str = "total"
    queue: str | None = None
    team_id: int | None = None
    agent_code: str | None = None
    params: Params = field(default_factory=Params)

    def __post_init__(self) -> None:
        if self.by not in BY_CHOICES:
            raise ValueError(f"by must be one of {', '.join(BY_CHOICES)}")
        if self.last_day < self.first_day:
            raise ValueError("the last day comes before the first")


@dataclass
class ReportRow:
    key: dict[str, Any]
    totals: Totals
    kpis: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {**self.key, **self.kpis}


def kpi_report(query: ReportQuery, *, now: datetime | None = None) -> list[ReportRow]:
    """KPI rows for the local days first_day…last_day, one per group of `query.by`.

    total: one row; day and week: every day (week) of the range, zeros included; queue, agent,
    team and interval: the groups that have data, in order. Agents' rows leave out visits no agent
    answered; a team's rows are the sums of its current members'.
    """
    start, end = day_bounds(query.first_day)[0], day_bounds(query.last_day)[1]
    codes: set[str] | None = None
    if query.agent_code is not None:
        codes = {query.agent_code}
    team_codes: dict[int, set[str]] = {}
    if query.team_id is not None or query.by == "team":
        team_codes = inputs.team_agent_codes([query.team_id] if query.team_id is not None else None)
    if query.team_id is not None:
        members = team_codes.get(query.team_id, set())
        codes = members if codes is None else codes & members
    params = query.params
    rows = kpi_totals(
        start=start,
        end=end,
        group_by=_GROUPS[query.by],
        queue=query.queue,
        agent_codes=codes,
        # The default thresholds read plain columns; others need the wait histograms.
        hists=params != Params(),
        now=now,
    )
    if query.by == "total":
        totals = rows.get((), Totals())
        key = {"from": query.first_day.isoformat(), "to": query.last_day.isoformat()}
        return [ReportRow(key, totals, totals.kpis(params))]
    if query.by in ("day", "week"):
        periods = days(query.first_day, query.last_day)
        if query.by == "week":
            periods = sorted({week_start(day) for day in periods})
        filled = [(period, rows.get((period,), Totals())) for period in periods]
        return [
            ReportRow({query.by: period.isoformat()}, totals, totals.kpis(params))
            for period, totals in filled
        ]
    if query.by == "interval":
        return [
            ReportRow({"interval": moment.astimezone(zone()).isoformat()}, totals, totals.kpis(params))
            for (moment,), totals in sorted(rows.items())
        ]
    if query.by == "team":
        names = dict(inputs.team_choices())
        grouped: dict[int, Totals] = {}
        for team_id, members in team_codes.items():
            for (code,), totals in rows.items():
                if code in members:
                    grouped.setdefault(team_id, Totals()).add(totals)
        return [
            ReportRow({"team": names.get(team_id, str(team_id))}, totals, totals.kpis(params))
            for team_id, totals in sorted(grouped.items(), key=lambda item: names.get(item[0], ""))
        ]
    if query.by == "agent":
        return [
            ReportRow({"agent": code}, totals, totals.kpis(params))
            for (code,), totals in sorted(rows.items())
            if code
        ]
    return [
        ReportRow({"queue": name or "-"}, totals, totals.kpis(params))
        for (name,), totals in sorted(rows.items())
        if totals.offered or name
    ]


def agent_numbers(*, agent_code: str, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    """An agent's own KPIs today and this week (local calendar), with logged-in and not-ready time."""
    now = now or timezone.now()
    today = local_day(now)
    periods = {"today": day_bounds(today)[0], "week": day_bounds(week_start(today))[0]}
    numbers = {}
    for name, start in periods.items():
        rows = kpi_totals(
            start=start, end=day_bounds(today)[1], group_by=(), agent_codes={agent_code}, now=now
        )
        totals = rows.get((), Totals())
        numbers[name] = {
            **totals.kpis(),
            "logged_in_s": totals.logged_in_s,
            "not_ready_s": totals.not_ready_s + totals.break_s,
        }
    return numbers


def report_day_range(first_day: date, last_day: date) -> int:
    return (last_day - first_day).days + 1


def default_range(now: datetime | None = None) -> tuple[date, date]:
    """The last seven local days, today included."""
    today = local_day(now or timezone.now())
    return today - timedelta(days=6), today
