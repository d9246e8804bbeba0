"""Interval and daily rollups: computing them, keeping them current when late data arrives.

A run recomputes whole intervals and upserts their rows, then deletes rows of those intervals it
did not write, so a rerun gives the same rows. Late data (an event for a call queued in a closed
interval, a late presence event, a QA score, a repeat contact) bumps the interval's generation;
reports read raw data for such intervals until the next run recomputes them.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from callcenter.bulk import bulk_insert
from kpi import aggregate, inputs
from kpi.definitions import FCR_WINDOW_DAYS
from kpi.models import Grain, PresenceRollup, RollupDay, RollupInterval, VisitRollup
from kpi.periods import INTERVAL, day_bounds, interval_floor, intervals, local_day, runs
from kpi.totals import STATE_FIELDS, Totals
from telephony.models import QueueVisit

logger = logging.getLogger(__name__)

# Beat keeps the last two days current by itself; older days are backfilled with kpi_rollup.
LOOKBACK = timedelta(days=2)
DAY_LOOKBACK_DAYS = 7
PRESENCE_ROLLUP_APPLICATION = "kpi-presence-rollup"
_LOCK_KEY = 0x6B70695F726F6C6C  # "kpi_roll": one rollup at a time (PostgreSQL advisory lock)
VISIT_FIELDS = [*aggregate.VISIT_COLUMNS, "fcr_first", "fcr_resolved", "qa_sum", "qa_count", "computed_at"]
ANNOTATION_FIELDS = ["fcr_first", "fcr_resolved", "qa_sum", "qa_count", "computed_at"]
PRESENCE_FIELDS = [*STATE_FIELDS, "computed_at"]
PRESENCE_TYPES = (
    "agent.login",
    "agent.logout",
    "agent.state",
    "call.ringing",
    "call.answered",
    "call.ended",
    "call.transferred",
    "call.abandoned",
    "call.timeout",
    "call.wrapup_ended",
)


@dataclass
class RollupStats:
    intervals: int = 0
    visit_rows: int = 0
    presence_rows: int = 0
    days: int = 0
    rows_written: int = 0  # rows the SQL engine inserted, changed or deleted (a rerun writes few)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step, for operators and bench/

    def add(self, other: RollupStats) -> None:
        self.intervals += other.intervals
        self.visit_rows += other.visit_rows
        self.presence_rows += other.presence_rows
        self.days += other.days
        self.rows_written += other.rows_written
        for name, seconds in other.phases.items():
            self.phases[name] = self.phases.get(name, 0.0) + seconds

    def time(self, name: str, began: float) -> float:
        now = time.perf_counter()
        self.phases[name] = self.phases.get(name, 0.0) + now - began
        return now


def rollup_compute(
    *, start: datetime, end: datetime, now: datetime | None = None, engine: str | None = None
) -> RollupStats:
    """Recompute every closed interval overlapping [start, end), then the day rows of the days
    they belong to that have ended. Returns what was written.

    Intervals that have not ended by `now` are left alone (reports compute them live). Safe to
    run twice, late or concurrently: runs are serialised and upsert the same rows.
    """
    now = now or timezone.now()
    began = time.perf_counter()
    start = interval_floor(start)
    end = min(end, interval_floor(now))
    stats = RollupStats()
    touched_days: set[date] = set()
    # A second connection would not see the data of a transaction the caller has open.
    alongside = not connection.in_atomic_block
    cursor = start
    while cursor < end:
        # One transaction per day at most: a backfill of a month never holds one open for minutes.
        chunk_end = min(end, day_bounds(local_day(cursor))[1])
        stats.add(_compute_intervals(cursor, chunk_end, now=now, engine=engine, alongside=alongside))
        touched_days.add(local_day(cursor))
        cursor = chunk_end
    began_days = time.perf_counter()
    stats.days = _days_refresh(touched_days, now=now, engine=engine)
    stats.time("days", began_days)
    stats.seconds = time.perf_counter() - began
    return stats


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        _aggregate_settings()


def _aggregate_settings() -> None:
    with connection.cursor() as cursor:
        # Compiling these one-off aggregates costs more than it saves; a day's visits aggregate
        # in memory rather than in temporary files.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '256MB'")


@contextmanager
def _presence_alongside(
    start: datetime, end: datetime, now: datetime, stamp: datetime, *, enabled: bool
) -> Iterator[Future | None]:
    """The presence rollup of [start, end) running on another thread (None when not `enabled`);
    the block never ends with that thread still running."""
    if not enabled:
        yield None
        return
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="presence-rollup")
    try:
        yield pool.submit(_presence_rollup_own_transaction, start, end, now, stamp)
    finally:
        pool.shutdown(wait=True)


def _presence_rollup_own_transaction(start: datetime, end: datetime, now: datetime, stamp: datetime) -> tuple:
    """The presence interval rows of [start, end) on this thread's own connection, committed on
    their own: (rows computed, written, deleted). The caller holds the rollup lock meanwhile."""
    try:
        with transaction.atomic():
            _aggregate_settings()
            with connection.cursor() as cursor:
                # Named, so an operator (and bench/rollup.py) can tell this backend's work apart.
                cursor.execute("SET LOCAL application_name = %s", [PRESENCE_ROLLUP_APPLICATION])
            return _presence_rollup_run(start, end, now, stamp)
    finally:
        connection.close()


def _presence_rollup_run(start: datetime, end: datetime, now: datetime, stamp: datetime) -> tuple:
    """The presence interval rows of [start, end) by SQL on this thread's connection: (rows
    computed, written, deleted)."""
    text, params = aggregate.presence_rollup_sql(start=start, end=end, now=now, stamp=stamp)
    with connection.cursor() as cursor:
        cursor.execute(text, params)
        return cursor.fetchone()


def _compute_intervals(
    start: datetime, end: datetime, *, now: datetime, engine: str | None, alongside: bool = False
) -> RollupStats:
    """With `alongside` (PostgreSQL), the presence rows are rolled up on a second connection while
    this one rolls up the visits: the two statements are most of a run's time and read different
    tables, so two cores finish sooner. The presence rows then commit first, on their own; if the
    rest fails, the intervals stay stale and the next run recomputes both."""
    starts = intervals(start, end)
    RollupInterval.objects.bulk_create([RollupInterval(start=s) for s in starts], ignore_conflicts=True)
    # Read the generations before any data: late data committed after this bumps them again.
    generations = dict(
        RollupInterval.objects.filter(start__gte=start, start__lt=end).values_list("start", "generation")
    )
    stats = RollupStats(intervals=len(starts))
    sql = aggregate.engine_for(engine) == "sql"
    with transaction.atomic():
        _lock()
        stamp = timezone.now()
        began = time.perf_counter()
        with _presence_alongside(start, end, now, stamp, enabled=sql and alongside) as presence_job:
            annotations = _with_whole_queues(aggregate.call_annotations(start=start, end=end, engine=engine))
            began = stats.time("qa_fcr", began)
            if sql:
                # Writes only what changed and deletes the range's rows the visits no longer give.
                text, params = aggregate.visit_rollup_sql(
                    start=start, end=end, stamp=stamp, annotations=annotations
                )
                with connection.cursor() as cursor:
                    cursor.execute(text, params)
                    stats.visit_rows, changed, deleted = cursor.fetchone()
                    stats.rows_written += changed + deleted
            else:
                rows = aggregate.visit_totals(start=start, end=end, engine="python")
                stats.visit_rows = _visit_rows_write(_with_whole_queues(rows), stamp, update=VISIT_FIELDS)
                _visit_rows_write(annotations, stamp, update=ANNOTATION_FIELDS)
            began = stats.time("visits", began)
            if sql:
                # The other thread's result (its error is raised here), or the same SQL on this one.
                outcome = (
                    presence_job.result() if presence_job else _presence_rollup_run(start, end, now, stamp)
                )
                stats.presence_rows, changed, deleted = outcome
                stats.rows_written += changed + deleted
            else:
                presence = aggregate.presence_totals(start=start, end=end, now=now, engine="python")
                stats.presence_rows = _presence_rows_write(
                    {(Grain.INTERVAL, moment, agent): totals for (moment, agent), totals in presence.items()},
                    stamp,
                )
            began = stats.time("presence", began)
            span = {"period_start__gte": start, "period_start__lt": end}
            if not sql:
                VisitRollup.objects.filter(grain__in=[Grain.INTERVAL, Grain.QUEUE_INTERVAL], **span).exclude(
                    computed_at=stamp
                ).delete()
                PresenceRollup.objects.filter(grain=Grain.INTERVAL, **span).exclude(
                    computed_at=stamp
                ).delete()
            by_generation: dict[int, list[datetime]] = defaultdict(list)
            for moment, generation in generations.items():
                by_generation[generation].append(moment)
            # Last, so the rows other writers bump are locked only for the commit.
            for generation, moments in by_generation.items():
                RollupInterval.objects.filter(start__in=moments).update(
                    computed_generation=generation, computed_at=stamp
                )
        began = stats.time("bookkeeping", began)
    stats.time("commit", began)
    return stats


def _with_whole_queues(rows: dict[tuple, Totals]) -> dict[tuple, Totals]:
    """(grain, period, queue, agent) rows: each agent row, and per queue the sum over its agents."""
    out: dict[tuple, Totals] = {}
    for (moment, queue, agent), totals in rows.items():
        out[(Grain.INTERVAL, moment, queue, agent)] = totals
        out.setdefault((Grain.QUEUE_INTERVAL, moment, queue, ""), Totals()).add(totals)
    return out


def _visit_rows_write(rows: dict[tuple, Totals], stamp: datetime, *, update: list[str]) -> int:
    """Upsert rows keyed (grain, period_start, queue, agent_code); only `update` columns change on
    rows that exist (new rows are written whole)."""
    values = [
        {
            "grain": grain,
            "period_start": moment,
            "queue": queue,
            "agent_code": agent,
            **totals.visit_values(),
            "computed_at": stamp,
        }
        for (grain, moment, queue, agent), totals in rows.items()
    ]
    for offset in range(0, len(values), 5000):
        bulk_insert(
            VisitRollup,
            values[offset : offset + 5000],
            conflict=["grain", "period_start", "queue", "agent_code"],
            update=update,
        )
    return len(values)


def _presence_rows_write(rows: dict[tuple, Totals], stamp: datetime) -> int:
    values = [
        {
            "grain": grain,
            "period_start": moment,
            "agent_code": agent,
            **totals.state_values(),
            "computed_at": stamp,
        }
        for (grain, moment, agent), totals in rows.items()
    ]
    for offset in range(0, len(values), 5000):
        bulk_insert(
            PresenceRollup,
            values[offset : offset + 5000],
            conflict=["grain", "period_start", "agent_code"],
            update=PRESENCE_FIELDS,
        )
    return len(values)


def _days_sum_python(start: datetime, end: datetime, stamp: datetime) -> None:
    span = [(start, end)]
    agents = aggregate.rollup_rows_sum(
        model=VisitRollup, grain=Grain.INTERVAL, ranges=span, group_by=("queue", "agent_code")
    )
    queues = aggregate.rollup_rows_sum(
        model=VisitRollup, grain=Grain.QUEUE_INTERVAL, ranges=span, group_by=("queue",)
    )
    presence = aggregate.rollup_rows_sum(
        model=PresenceRollup, grain=Grain.INTERVAL, ranges=span, group_by=("agent_code",)
    )
    rows = {(Grain.DAY, start, queue, agent): t for (queue, agent), t in agents.items()}
    rows |= {(Grain.QUEUE_DAY, start, queue, ""): t for (queue,), t in queues.items()}
    _visit_rows_write(rows, stamp, update=VISIT_FIELDS)
    _presence_rows_write({(Grain.DAY, start, agent): t for (agent,), t in presence.items()}, stamp)


def _days_refresh(days: Iterable[date], *, now: datetime, engine: str | None = None) -> int:
    """Sum the interval rows of each ended day whose intervals are all computed into day rows."""
    done = 0
    for day in sorted(days):
        start, end = day_bounds(day)
        if end > now:
            continue
        expected = len(intervals(start, end))
        computed = RollupInterval.objects.filter(
            start__gte=start, start__lt=end, computed_generation__isnull=False
        ).count()
        if computed < expected:
            continue
        with transaction.atomic():
            _lock()
            stamp = timezone.now()
            if aggregate.engine_for(engine) == "sql":
                with connection.cursor() as cursor:
                    for source, target in (
                        (Grain.INTERVAL, Grain.DAY),
                        (Grain.QUEUE_INTERVAL, Grain.QUEUE_DAY),
                    ):
                        cursor.execute(
                            *aggregate.day_rollup_sql(
                                source_grain=source, target_grain=target, start=start, end=end, stamp=stamp
                            )
                        )
                    cursor.execute(*aggregate.presence_day_sql(start=start, end=end, stamp=stamp))
            else:
                _days_sum_python(start, end, stamp)
            VisitRollup.objects.filter(grain__in=[Grain.DAY, Grain.QUEUE_DAY], period_start=start).exclude(
                computed_at=stamp
            ).delete()
            PresenceRollup.objects.filter(grain=Grain.DAY, period_start=start).exclude(
                computed_at=stamp
            ).delete()
            RollupDay.objects.update_or_create(day=day, defaults={"computed_at": stamp})
        done += 1
    return done


def rollup_due(*, now: datetime | None = None, new: bool = True) -> RollupStats:
    """What beat runs: recompute stale intervals (late data) and, with `new`, compute the closed
    intervals of the last two days that were never computed. Nothing to do costs two queries."""
    now = now or timezone.now()
    closed = interval_floor(now)
    due: set[datetime] = set(
        RollupInterval.objects.filter(start__lt=closed)
        .exclude(computed_generation=F("generation"))
        .values_list("start", flat=True)
    )
    if new:
        first = interval_floor(now - LOOKBACK)
        have = set(
            RollupInterval.objects.filter(
                start__gte=first, start__lt=closed, computed_generation__isnull=False
            ).values_list("start", flat=True)
        )
        due |= {moment for moment in intervals(first, closed) if moment not in have}
    stats = RollupStats()
    began = time.perf_counter()
    for start, end in runs(due):
        stats.add(rollup_compute(start=start, end=end, now=now))
    stats.seconds = time.perf_counter() - began
    return stats


def rollup_days_due(*, now: datetime | None = None) -> RollupStats:
    """What beat runs after midnight: each of the last seven local days that has ended but has no
    day rows yet is computed (its intervals first). Also re-checks recent first-contact resolution."""
    now = now or timezone.now()
    today = local_day(now)
    wanted = [today - timedelta(days=n) for n in range(1, DAY_LOOKBACK_DAYS + 1)]
    have = set(RollupDay.objects.filter(day__in=wanted).values_list("day", flat=True))
    stats = RollupStats()
    for day in sorted(set(wanted) - have):
        start, end = day_bounds(day)
        stats.add(rollup_compute(start=start, end=end, now=now))
    rollup_fcr_recheck(now=now)
    return stats


# --- late data --------------------------------------------------------------------------------
def rollup_mark_stale(*, starts: Iterable[datetime]) -> int:
    """Bump the generation of these intervals (those ever computed or being computed)."""
    moments = sorted({interval_floor(moment) for moment in starts})
    if not moments:
        return 0
    return RollupInterval.objects.filter(start__in=moments).update(generation=F("generation") + 1)


def rollup_mark_stale_since(*, since: datetime) -> int:
    """Bump every interval from `since` on: a late presence event may change all that follows."""
    return RollupInterval.objects.filter(start__gte=interval_floor(since)).update(
        generation=F("generation") + 1
    )


def _visit_intervals(visits: Any, before: datetime) -> set[datetime]:
    return {
        interval_floor(moment)
        for moment in visits.filter(queued_at__lt=before).values_list("queued_at", flat=True).distinct()
    }


def rollup_events_note(
    *, source_id: int, events: Iterable[Any], visit_starts: Iterable[datetime] | None = None
) -> int:
    """After an ingest batch commits: mark stale the closed intervals its events change — those
    holding the visits of the calls it touched, and (for a late presence event) every interval
    from the event on. `visit_starts`, when ingest knows them, are the queue times of those
    visits (before and after the batch); otherwise they are read. Returns the intervals marked;
    never raises for a database error (the events are stored; the next full recompute catches up)."""
    now = timezone.now()
    current = interval_floor(now)
    call_ids: set[str] = set()
    earliest_presence: datetime | None = None
    for event in events:
        if visit_starts is None and event.call_id:
            call_ids.add(event.call_id)  # to read the visits with, when ingest did not say
        if event.type in PRESENCE_TYPES and event.ts < current:
            earliest_presence = event.ts if earliest_presence is None else min(earliest_presence, event.ts)
    try:
        marked = 0
        if earliest_presence is not None:
            marked += rollup_mark_stale_since(since=earliest_presence)
        if visit_starts is not None:
            late = {interval_floor(moment) for moment in visit_starts if moment < current}
        elif call_ids:
            visits = QueueVisit.objects.filter(call__source_id=source_id, call__call_id__in=sorted(call_ids))
            late = _visit_intervals(visits, current)
        else:
            late = set()
        if late:
            if earliest_presence is not None:
                late = {moment for moment in late if moment < interval_floor(earliest_presence)}
            marked += rollup_mark_stale(starts=late)
        return marked
    except DatabaseError:
        logger.warning("could not mark KPI intervals stale after ingest; a full kpi_rollup catches up")
        return 0


def rollup_calls_changed(*, call_ids: Collection[int]) -> int:
    """Call-level data of these calls (pks) changed — a QA evaluation, a wrap-up log: mark the
    intervals holding their visits stale so the next run recomputes them."""
    if not call_ids:
        return 0
    visits = QueueVisit.objects.filter(call_id__in=sorted(call_ids))
    return rollup_mark_stale(starts=_visit_intervals(visits, interval_floor(timezone.now())))


def rollup_fcr_recheck(*, now: datetime) -> int:
    """A contact in the last day can end the "resolved" status of the same customer's contacts of
    the week before: mark the intervals of those earlier calls stale."""
    recent = inputs.contacts_created_between(start=now - timedelta(days=1, hours=1), end=now)
    if not recent:
        return 0
    earlier = inputs.contacts_of_customers(
        customer_ids={contact.customer_id for contact in recent},
        start=now - timedelta(days=FCR_WINDOW_DAYS + 1),
        end=now,
    )
    call_ids = sorted({contact.call_id for contact in earlier})
    visits = QueueVisit.objects.filter(call__call_id__in=call_ids)
    return rollup_mark_stale(starts=_visit_intervals(visits, interval_floor(now)))


@dataclass(frozen=True)
class RollupState:
    current: frozenset[datetime]  # intervals whose rows are current
    clean_days: frozenset[date]  # days whose day rows can stand in for their intervals
    version: tuple  # changes whenever a rollup run rewrites any of these rows


def rollup_status(*, start: datetime, end: datetime) -> RollupState:
    """Which intervals in [start, end) have current rows, and which whole days within it have day
    rows that can stand in for their intervals (rolled up, every interval current)."""
    rows = list(
        RollupInterval.objects.filter(
            start__gte=start, start__lt=end, computed_generation__isnull=False
        ).values_list("start", "generation", "computed_generation", "computed_at")
    )
    current = frozenset(moment for moment, generation, computed, _at in rows if generation == computed)
    rolled = list(
        RollupDay.objects.filter(day__gte=local_day(start), day__lte=local_day(end - INTERVAL)).values_list(
            "day", "computed_at"
        )
    )
    clean_days = set()
    for day, _at in rolled:
        day_start, day_end = day_bounds(day)
        if day_start >= start and day_end <= end and all(m in current for m in intervals(day_start, day_end)):
            clean_days.add(day)
    version = (
        max((at for *_rest, at in rows), default=None),
        max((at for _day, at in rolled), default=None),
        len(rows),
        len(rolled),
    )
    return RollupState(current, frozenset(clean_days), version)
