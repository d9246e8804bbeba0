"""Additive measures behind the KPIs: what a rollup row stores and what reports add up.

Every field sums (histograms sum per bucket; `wait_max_s` takes the larger), so any grouping —
interval, day, week, queue, agent, team, total — is the sum of its rows, and the KPIs of that group
are `Totals.kpis()`, computed by `kpi.definitions`.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from kpi import definitions as d

COUNT_FIELDS = (
    "offered",
    "answered",
    "abandoned",
    "timed_out",
    "transferred",
    "departed",
    "handled",
    "answered_within_default",
    "short_abandoned_default",
    "csat_answers",
    "csat_satisfied",
    "nps_answers",
    "nps_promoters",
    "nps_detractors",
    "fcr_first",
    "fcr_resolved",
    "qa_count",
)
SUM_FIELDS = (
    "answered_wait_sum_s",
    "wait_sum_s",
    "talk_sum_s",
    "hold_sum_s",
    "acw_sum_s",
    "qa_sum",
)
# Seconds per presence state (the agent-state rollup); occupancy and logged-in time come from them.
STATE_FIELDS = ("available_s", "ringing_s", "on_call_s", "wrap_up_s", "not_ready_s", "break_s")
# Schedules belong to workforce management; until they feed kpi, adherence stays None.
ADHERENCE_FIELDS = ("scheduled_s", "in_adherence_s")
HIST_FIELDS = ("answered_hist", "abandoned_hist")
_FLOAT_SUMS = (*SUM_FIELDS, *STATE_FIELDS, *ADHERENCE_FIELDS)
# Float sums are taken over whole millionths (microseconds, for seconds): each value is rounded to
# the nearest one and the integers added, so a sum never depends on the order its rows come in —
# floats added in another order differ in their last bit, and a rollup rerun would rewrite an
# unchanged row for it. The data's own resolution is the microsecond (PostgreSQL timestamps), so
# nothing is lost; up to 2**53 millionths (285 years of seconds) a row's sum stays exact.
SUM_SCALE = 1_000_000


def scaled(value: float) -> int:
    """A float in whole millionths, rounded half to even (as PostgreSQL's round(float8) does)."""
    return round(value * SUM_SCALE)


def _counter_of(counts: dict[int, int]) -> Counter:
    """`Counter(counts)` at a fraction of the cost: a live wallboard makes and copies thousands of
    rows' histograms a second (most of them empty), and Counter's constructor updates in Python."""
    counter: Counter = Counter.__new__(Counter)
    if counts:
        dict.update(counter, counts)
    return counter


def exact_add(a: float, b: float) -> float:
    """a + b taken in whole millionths: the same result in any order of additions (and the same as
    the rollup SQL's sums of `scaled` values divided back)."""
    return (scaled(a) + scaled(b)) / SUM_SCALE


@dataclass
class Totals:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    timed_out: int = 0
    transferred: int = 0  # left unanswered by a transfer (not a §3 KPI; keeps offered = sum of outcomes)
    departed: int = 0  # answered + abandoned + timed out: the visits avg/max wait are over
    handled: int = 0  # answered visits that have ended: the visits AHT is over
    # Under the default T and S, kept as plain counts: reports with the default thresholds need not
    # expand the histograms (which stay exact for any other threshold).
    answered_within_default: int = 0
    short_abandoned_default: int = 0
    answered_wait_sum_s: float = 0.0
    wait_sum_s: float = 0.0
    wait_max_s: float | None = None
    talk_sum_s: float = 0.0
    hold_sum_s: float = 0.0
    acw_sum_s: float = 0.0
    answered_hist: Counter = field(default_factory=Counter)
    abandoned_hist: Counter = field(default_factory=Counter)
    csat_answers: int = 0
    csat_satisfied: int = 0
    nps_answers: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    fcr_first: int = 0
    fcr_resolved: int = 0
    qa_sum: float = 0.0
    qa_count: int = 0
    available_s: float = 0.0
    ringing_s: float = 0.0
    on_call_s: float = 0.0
    wrap_up_s: float = 0.0
    not_ready_s: float = 0.0
    break_s: float = 0.0
    scheduled_s: float = 0.0
    in_adherence_s: float = 0.0
    hists_loaded: bool = True  # False when summed without the histograms (default thresholds only)

    # --- building ----------------------------------------------------------------------------
    def add(self, other: Totals) -> Totals:
        # Reports add thousands of rows, most of whose fields are zero (a presence row has no
        # visits, a visit row no presence): zeros are skipped, and the fields read off __dict__.
        mine, theirs = self.__dict__, other.__dict__
        for name in COUNT_FIELDS:
            value = theirs[name]
            if value:
                mine[name] += value
        for name in _FLOAT_SUMS:
            value = theirs[name]
            if value:
                mine[name] = exact_add(mine[name], value)
        if other.wait_max_s is not None and (self.wait_max_s is None or other.wait_max_s > self.wait_max_s):
            self.wait_max_s = other.wait_max_s
        if other.answered_hist:
            self.answered_hist.update(other.answered_hist)
        if other.abandoned_hist:
            self.abandoned_hist.update(other.abandoned_hist)
        self.hists_loaded = self.hists_loaded and other.hists_loaded
        return self

    def copy(self) -> Totals:
        """A separate Totals with the same sums (what `Totals().add(self)` gives, for less)."""
        twin = object.__new__(Totals)
        twin.__dict__.update(self.__dict__)
        twin.answered_hist = _counter_of(self.answered_hist)
        twin.abandoned_hist = _counter_of(self.abandoned_hist)
        return twin

    def add_visit(
        self,
        *,
        outcome: str,
        wait_s: float | None,
        talk_s: float | None,
        hold_s: float | None,
        acw_s: float | None,
        ended: bool,
    ) -> None:
        """Count one queue visit (the Python twin of the rollup SQL, and its reference)."""
        self.offered += 1
        if outcome == "answered":
            self.answered += 1
            if wait_s is not None:
                self.answered_wait_sum_s = exact_add(self.answered_wait_sum_s, wait_s)
                self.answered_hist[d.answered_bucket(wait_s)] += 1
                self.answered_within_default += d.within_service_level(wait_s, d.SL_THRESHOLD_S)
            if ended:
                self.handled += 1
                self.talk_sum_s = exact_add(self.talk_sum_s, talk_s or 0.0)
                self.hold_sum_s = exact_add(self.hold_sum_s, hold_s or 0.0)
                self.acw_sum_s = exact_add(self.acw_sum_s, acw_s or 0.0)
        elif outcome == "abandoned":
            self.abandoned += 1
            if wait_s is not None:
                self.abandoned_hist[d.abandoned_bucket(wait_s)] += 1
                self.short_abandoned_default += d.is_short_abandon(wait_s, d.SHORT_ABANDON_S)
        elif outcome == "timed_out":
            self.timed_out += 1
        elif outcome == "transferred":
            self.transferred += 1
        if outcome in ("answered", "abandoned", "timed_out"):
            self.departed += 1
            if wait_s is not None:
                self.wait_sum_s = exact_add(self.wait_sum_s, wait_s)
                if self.wait_max_s is None or wait_s > self.wait_max_s:
                    self.wait_max_s = wait_s

    def add_survey(self, *, csat: int | None, nps: int | None) -> None:
        if csat is not None and 1 <= csat <= 5:
            self.csat_answers += 1
            self.csat_satisfied += d.csat_satisfied(csat)
        if nps is not None and 0 <= nps <= 10:
            self.nps_answers += 1
            self.nps_promoters += d.nps_promoter(nps)
            self.nps_detractors += d.nps_detractor(nps)

    # --- storage -----------------------------------------------------------------------------
    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Totals:
        """From a rollup row's values (histogram keys may be strings, as JSON stores them)."""
        # Filled in place rather than through __init__: a month's report by agent builds 16,000.
        totals = object.__new__(cls)
        values = totals.__dict__
        values.update(_DEFAULTS)
        for name in _SCALARS:
            value = row.get(name)
            if value is not None:
                values[name] = value
        for name in HIST_FIELDS:
            hist = row.get(name)
            if hist:
                if isinstance(hist, str):  # raw SQL hands jsonb over as text
                    hist = json.loads(hist)
                values[name] = _counter_of({int(bucket): int(count) for bucket, count in hist.items()})
            else:
                values[name] = _counter_of({})
        return totals

    @classmethod
    def from_sums(cls, sums: dict[str, Any]) -> Totals:
        """From plain field values (no histograms, no None): what summed rollup rows give."""
        totals = object.__new__(cls)
        values = totals.__dict__
        values.update(_DEFAULTS)
        values.update(sums)
        values["answered_hist"] = Counter()
        values["abandoned_hist"] = Counter()
        return totals

    def visit_values(self) -> dict[str, Any]:
        """The columns of a queue/agent rollup row."""
        values: dict[str, Any] = {name: getattr(self, name) for name in (*COUNT_FIELDS, *SUM_FIELDS)}
        values["wait_max_s"] = self.wait_max_s
        for name in HIST_FIELDS:
            values[name] = {str(bucket): count for bucket, count in sorted(getattr(self, name).items())}
        return values

    def state_values(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in STATE_FIELDS}

    # --- KPIs --------------------------------------------------------------------------------
    def short_abandoned(self, params: d.Params) -> int:
        if params.short_abandon_s == d.SHORT_ABANDON_S:
            return self.short_abandoned_default
        self._need_hists()
        return d.short_abandoned(self.abandoned_hist, params.short_abandon_s)

    def answered_within(self, params: d.Params) -> int:
        if params.sl_threshold_s == d.SL_THRESHOLD_S:
            return self.answered_within_default
        self._need_hists()
        return d.answered_within(self.answered_hist, params.sl_threshold_s)

    def _need_hists(self) -> None:
        if not self.hists_loaded:
            raise ValueError("these totals were summed without histograms: only the default T and S apply")

    def kpis(self, params: d.Params | None = None) -> dict[str, Any]:
        """The KPIs of DESIGN §3 (keys in `definitions.KPI_KEYS` order); None where undefined."""
        params = params or d.Params()
        short = self.short_abandoned(params)
        handle_s = self.on_call_s + self.wrap_up_s
        idle_s = self.available_s + self.ringing_s
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "short_abandoned": short,
            "timed_out": self.timed_out,
            "service_level": d.service_level(
                answered_within_t=self.answered_within(params), offered=self.offered, short_abandoned=short
            ),
            "abandon_rate": d.abandon_rate(
                abandoned=self.abandoned, short_abandoned=short, offered=self.offered
            ),
            "asa_s": d.asa_s(answered_wait_sum_s=self.answered_wait_sum_s, answered=self.answered),
            "avg_wait_s": d.avg_wait_s(wait_sum_s=self.wait_sum_s, departed=self.departed),
            "max_wait_s": d.max_wait_s(wait_max_s=self.wait_max_s, departed=self.departed),
            "aht_s": d.aht_s(
                talk_sum_s=self.talk_sum_s,
                hold_sum_s=self.hold_sum_s,
                acw_sum_s=self.acw_sum_s,
                handled=self.handled,
            ),
            "avg_talk_s": d.average_part_s(part_sum_s=self.talk_sum_s, handled=self.handled),
            "avg_hold_s": d.average_part_s(part_sum_s=self.hold_sum_s, handled=self.handled),
            "avg_acw_s": d.average_part_s(part_sum_s=self.acw_sum_s, handled=self.handled),
            "fcr": d.fcr(resolved_first_contacts=self.fcr_resolved, first_contacts=self.fcr_first),
            "csat": d.csat(satisfied=self.csat_satisfied, answers=self.csat_answers),
            "nps": d.nps(
                promoters=self.nps_promoters, detractors=self.nps_detractors, answers=self.nps_answers
            ),
            "occupancy": d.occupancy(handle_s=handle_s, idle_s=idle_s),
            "adherence": d.adherence(in_adherence_s=self.in_adherence_s, scheduled_s=self.scheduled_s),
            "qa_score": d.qa_score(score_sum=self.qa_sum, evaluations=self.qa_count),
        }

    @property
    def logged_in_s(self) -> float:
        return sum(getattr(self, name) for name in STATE_FIELDS)


_SCALARS = tuple(
    item.name for item in fields(Totals) if item.name not in HIST_FIELDS and item.name != "hists_loaded"
)
_DEFAULTS = {item.name: item.default for item in fields(Totals) if item.name not in HIST_FIELDS}
