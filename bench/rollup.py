"""Benchmark: the nightly rollup of a day of 1,000,000 calls, and kpi_report over 30 days of rollups.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_kpi_bench python bench/rollup.py
Targets (DESIGN §5): rollup of the day ≤ 30 s; kpi_report over 30 days from rollups ≤ 1 s.

The day is written straight into the tables with COPY (what ingest would have derived): 1,000,000
calls of which 5 % were transferred into a second queue (1,050,000 queue visits), 50 queues, 8,000
agents on three shifts each handling two queues, one presence segment per state change (about
three per call), 20 % surveyed. It is generated once per database and reused by later runs. For the
report, the day's day rows are copied onto the 29 days before it (with their intervals marked
current), so the report reads 30 days of rollups; the interval rollup itself is measured on the
real day.
"""

from __future__ import annotations

import argparse
import heapq
import io
import os
import random
import threading
import time
from datetime import UTC, datetime, timedelta

from common import cpu_of, django_setup, record, report

SOURCE = "bench-rollup"
QUEUES = 50
AGENTS = 8000
SHIFT_S = 8 * 3600


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row))
        buffer.write("\n")
    buffer.seek(0)
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def generate_day(day_start: datetime, calls: int, seed: int) -> None:
    """A day of calls, visits and presence, written with COPY."""
    from django.db import connection

    from agents.models import PresenceCursor, PresenceSegment
    from callcenter.bulk import table_columns
    from telephony.models import Call, FeedSource, Queue, QueueVisit

    rng = random.Random(seed)
    source, _ = FeedSource.objects.get_or_create(name=SOURCE)
    queues = []
    for n in range(QUEUES):
        queue, _ = Queue.objects.get_or_create(name=f"bq{n:02d}")
        queues.append(queue.id)
    # Agent a works shift a % 3 (00-08, 08-16, 16-24) in home queue a % QUEUES; the longest-free
    # agent of the queue's shift takes the next call (a heap per queue and shift).
    free_at = {a: day_start + timedelta(seconds=(a % 3) * SHIFT_S) for a in range(AGENTS)}
    pools: dict[tuple[int, int], list[tuple[datetime, int]]] = {}
    for a in range(AGENTS):
        pools.setdefault((a % QUEUES, a % 3), []).append((free_at[a], a))
    for pool in pools.values():
        heapq.heapify(pool)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM telephony_call")
        call_pk = cursor.fetchone()[0]
    call_rows, visit_rows, segments = [], [], []
    epoch = day_start
    arrivals = sorted(rng.uniform(0, 86_400 - 900) for _ in range(calls))
    for n, offset in enumerate(arrivals):
        call_pk += 1
        queued = epoch + timedelta(seconds=offset)
        q = rng.randrange(QUEUES)
        roll = rng.random()
        wait = rng.expovariate(1 / 25)
        visits = []
        agent_code = ""
        answered_at = ended_at = wrap_end = None
        talk = hold = acw = None
        outcome = "answered"
        pool = pools[(q, int(offset // SHIFT_S))]
        agent = pool[0][1]
        if roll < 0.12:
            outcome = "abandoned"
            wait = rng.choice([rng.uniform(0, 5), rng.expovariate(1 / 40)])
            visits.append(
                (
                    1,
                    q,
                    queued,
                    None,
                    queued + timedelta(seconds=wait),
                    None,
                    "abandoned",
                    "",
                    wait,
                    None,
                    None,
                    None,
                )
            )
        elif roll < 0.15:
            outcome = "timed_out"
            wait = 120.0
            visits.append(
                (
                    1,
                    q,
                    queued,
                    None,
                    queued + timedelta(seconds=wait),
                    None,
                    "timed_out",
                    "",
                    wait,
                    None,
                    None,
                    None,
                )
            )
        else:
            start = max(queued + timedelta(seconds=wait), free_at[agent])
            wait = (start - queued).total_seconds()
            talk = rng.expovariate(1 / 150)
            hold = rng.choice([0.0, 0.0, 0.0, rng.uniform(5, 40)])
            acw = rng.uniform(5, 45)
            answered_at = start
            ended_at = start + timedelta(seconds=talk + hold)
            wrap_end = ended_at + timedelta(seconds=acw)
            agent_code = f"ba{agent}"
            free_at[agent] = wrap_end + timedelta(seconds=rng.uniform(1, 20))
            heapq.heapreplace(pool, (free_at[agent], agent))
            segments += [
                (agent_code, "on_call", start, ended_at),
                (agent_code, "wrap_up", ended_at, wrap_end),
                (agent_code, "available", wrap_end, free_at[agent]),
            ]
            if roll < 0.20:  # transferred to a second queue after talking a while
                q2 = (q + 1) % QUEUES
                moved = start + timedelta(seconds=talk / 2)
                visits.append(
                    (1, q, queued, start, moved, moved, "answered", agent_code, wait, talk / 2, hold, None)
                )
                visits.append(
                    (
                        2,
                        q2,
                        moved,
                        moved + timedelta(seconds=8),
                        None,
                        ended_at,
                        "answered",
                        f"ba{(agent + 1) % AGENTS}",
                        8.0,
                        talk / 2,
                        0.0,
                        acw,
                    )
                )
            else:
                visits.append(
                    (1, q, queued, start, None, ended_at, "answered", agent_code, wait, talk, hold, acw)
                )
        csat = rng.randint(1, 5) if rng.random() < 0.2 else None
        nps = rng.randint(0, 10) if csat is not None else None
        last = wrap_end or (queued + timedelta(seconds=wait))
        call_rows.append(
            (
                call_pk,
                source.id,
                f"b{n}",
                "inbound",
                "+14155550100",
                "",
                queues[visits[-1][1]],
                agent_code,
                None,
                queued - timedelta(seconds=5),
                queued,
                answered_at,
                ended_at,
                wrap_end,
                wait,
                talk,
                hold,
                acw,
                outcome,
                "caller" if ended_at else "",
                len(visits) - 1,
                "[]",
                "",
                None,
                csat,
                nps,
                queued - timedelta(seconds=5),
                last,
            )
        )
        for seq, vq, vqueued, vans, vleft, vend, vout, vagent, vwait, vtalk, vhold, vacw in visits:
            visit_rows.append(
                (
                    call_pk,
                    seq,
                    queues[vq],
                    vqueued,
                    vans,
                    vleft,
                    vend,
                    vout,
                    vagent,
                    vwait,
                    vtalk,
                    vhold,
                    vacw,
                )
            )
    call_columns = table_columns(Call)
    visit_columns = table_columns(QueueVisit, exclude=["id"])
    segment_columns = [
        "agent_code",
        "state",
        "reason",
        "call_id",
        "queue",
        "started_at",
        "ended_at",
        "pending_state",
        "pending_reason",
    ]
    with connection.cursor() as cursor:
        _copy(cursor, Call._meta.db_table, call_columns, call_rows)
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{Call._meta.db_table}', 'id'), {call_pk})")
        _copy(cursor, QueueVisit._meta.db_table, visit_columns, visit_rows)
        _copy(
            cursor,
            PresenceSegment._meta.db_table,
            segment_columns,
            ((code, state, "", "", "", a, b, "", "") for code, state, a, b in segments),
        )
    PresenceCursor.objects.bulk_create(
        [PresenceCursor(agent_code=f"ba{a}", last_event_at=free_at[a]) for a in range(AGENTS)],
        ignore_conflicts=True,
        batch_size=2000,
    )
    counts = f"{len(call_rows):,} calls, {len(visit_rows):,} visits, {len(segments):,} presence segments"
    print(f"  generated {counts}")


def replicate_day_rows(day, days_before: int) -> None:
    """Copy the day's day rows and interval states onto the days before it (a month of rollups)."""
    from django.db import connection

    from kpi.models import PresenceRollup, RollupDay, RollupInterval, VisitRollup
    from kpi.periods import day_bounds, intervals

    start, end = day_bounds(day)
    visit_cols = [f.column for f in VisitRollup._meta.fields if f.column not in ("id", "period_start")]
    presence_cols = [f.column for f in PresenceRollup._meta.fields if f.column not in ("id", "period_start")]
    with connection.cursor() as cursor:
        for k in range(1, days_before + 1):
            other_start, other_end = day_bounds(day - timedelta(days=k))
            for model, cols in ((VisitRollup, visit_cols), (PresenceRollup, presence_cols)):
                table = model._meta.db_table
                cursor.execute(
                    f"DELETE FROM {table} WHERE grain = 'day' AND period_start = %s",  # noqa: S608 - model table
                    [other_start],
                )
                listed = ", ".join(f'"{c}"' for c in cols)
                cursor.execute(
                    f"INSERT INTO {table} (period_start, {listed}) SELECT %s, {listed} FROM {table} "  # noqa: S608
                    "WHERE grain = 'day' AND period_start = %s",
                    [other_start, start],
                )
            moments = intervals(other_start, other_end)
            RollupInterval.objects.filter(start__in=moments).delete()
            RollupInterval.objects.bulk_create(
                [
                    RollupInterval(start=m, generation=1, computed_generation=1, computed_at=end)
                    for m in moments
                ]
            )
            RollupDay.objects.update_or_create(day=day - timedelta(days=k), defaults={"computed_at": end})


class PostgresCpu:
    """CPU seconds of this connection's PostgreSQL backend and of any parallel workers it starts
    (sampled every 50 ms while measuring: workers end with their query), and of this process.
    Wall time on a shared machine depends on the load; CPU time much less."""

    def __init__(self, backend_pid: int):
        self.backend_pid = backend_pid
        self.workers: dict[int, float] = {}
        # The backend of the presence rollup's own connection: (CPU when first seen, last seen).
        self.helpers: dict[int, tuple[float, float]] = {}
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def _sample(self) -> None:
        import psycopg
        from django.conf import settings

        db = settings.DATABASES["default"]
        watcher = psycopg.connect(
            dbname=db["NAME"],
            user=db["USER"],
            password=db["PASSWORD"] or None,
            host=db["HOST"],
            port=db["PORT"],
            autocommit=True,
        )
        with watcher:
            self._sample_with(watcher)

    def _sample_with(self, watcher) -> None:
        from kpi.services.rollups import PRESENCE_ROLLUP_APPLICATION

        tag = f"parallel worker for PID {self.backend_pid}".encode()
        while not self.stop.wait(0.05):
            for (pid,) in watcher.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [PRESENCE_ROLLUP_APPLICATION]
            ).fetchall():
                used = cpu_of(pid)
                first = self.helpers.get(pid, (used, used))[0]
                self.helpers[pid] = (first, used)
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                        if tag not in cmdline.read():
                            continue
                except OSError:
                    continue
                used = cpu_of(int(entry))
                if used:
                    self.workers[int(entry)] = used

    def phases(self, stats_class: type) -> dict[str, float]:
        """The backend's CPU seconds per rollup step (RollupStats.time marks each step's end)."""
        found: dict[str, float] = {}
        original = stats_class.time
        last = [cpu_of(self.backend_pid)]

        def timed(stats, name: str, began: float) -> float:
            now = cpu_of(self.backend_pid)
            found[name] = found.get(name, 0.0) + now - last[0]
            last[0] = now
            return original(stats, name, began)

        stats_class.time = timed
        return found

    def __enter__(self) -> PostgresCpu:
        self.backend_start = cpu_of(self.backend_pid)
        self.process_start = time.process_time()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.backend = cpu_of(self.backend_pid) - self.backend_start
        self.parallel = sum(self.workers.values())
        self.helper = sum(last - first for first, last in self.helpers.values())
        self.process = time.process_time() - self.process_start

    def line(self) -> str:
        load = " ".join(f"{n:.2f}" for n in os.getloadavg())
        return (
            f"  CPU: PostgreSQL {self.backend + self.parallel + self.helper:.1f} s (backend"
            f" {self.backend:.1f} s, parallel workers {self.parallel:.1f} s, presence connection"
            f" {self.helper:.1f} s), bench process {self.process:.1f} s; "
            f"load average {load}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--regenerate", action="store_true", help="Delete and generate the bench day again.")
    args = parser.parse_args()
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    from kpi.periods import day_bounds, local_day
    from kpi.services.rollups import RollupStats, rollup_compute
    from telephony.models import Call, FeedSource

    day = (datetime.now(UTC) - timedelta(days=40)).date()
    source = FeedSource.objects.filter(name=SOURCE).first()
    have = Call.objects.filter(source=source).count() if source else 0
    if have and args.regenerate:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE telephony_queuevisit, telephony_call, agents_presencesegment CASCADE")
        have = 0
    if have:
        # The day the data was generated for (40 days before the day it was generated on).
        calls = Call.objects.filter(source=source).order_by("queued_at")
        day = local_day(calls.values_list("queued_at", flat=True)[0])
    start, end = day_bounds(day)
    if not have:
        began = time.perf_counter()
        generate_day(start, args.calls, args.seed)
        # autovacuum may be off (it is on the shared bench machine): the visibility map and hint
        # bits a running system would have, set now rather than by the first rollup.
        with connection.cursor() as cursor:
            for table in ("telephony_call", "telephony_queuevisit", "agents_presencesegment"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        print(f"  (generation {time.perf_counter() - began:.1f} s, not part of the figures)")
    else:
        print(f"  reusing {have:,} generated calls")

    # From scratch, as a backfill or the first run of the day would: no rows of the day yet.
    from kpi.models import PresenceRollup, RollupDay, RollupInterval, VisitRollup

    for model in (VisitRollup, PresenceRollup):
        model.objects.filter(period_start__gte=start, period_start__lt=end).delete()
    RollupInterval.objects.filter(start__gte=start, start__lt=end).delete()
    RollupDay.objects.filter(day=day).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE kpi_visitrollup")
        cursor.execute("VACUUM ANALYZE kpi_presencerollup")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend_pid = cursor.fetchone()[0]
    began = time.perf_counter()
    with PostgresCpu(backend_pid) as cpu:
        cpu_steps = cpu.phases(RollupStats)
        stats = rollup_compute(start=start, end=end)
    rollup_s = time.perf_counter() - began
    print(
        f"  rollup: {stats.intervals} intervals, {stats.visit_rows:,} queue/agent rows, "
        f"{stats.presence_rows:,} presence rows, {stats.days} day"
    )
    print("  steps: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in stats.phases.items()))
    print("  steps, PostgreSQL CPU: " + ", ".join(f"{name} {sec:.1f} s" for name, sec in cpu_steps.items()))
    print(cpu.line())
    report("rollup of the day (1M calls), from scratch", rollup_s, "s", "<= 30 s", key="rollup_day_s")
    began = time.perf_counter()
    with PostgresCpu(backend_pid) as cpu:
        again = rollup_compute(start=start, end=end)
    print(
        f"  rerun (every row recomputed, changed rows written): {time.perf_counter() - began:.1f} s; "
        f"{again.rows_written:,} rows written (only those that changed)"
    )
    print(cpu.line())

    replicate_day_rows(day, 29)
    # The month of day rows just copied is one a live system's autovacuum would long since have
    # marked visible (it may be off here): then reports read them from the covering indexes alone.
    with connection.cursor() as cursor:
        for table in ("kpi_visitrollup", "kpi_presencerollup"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    first = (day - timedelta(days=29)).isoformat()
    # Each grouping asked once, the target's first: a process remembers the stored rows it has
    # summed (kpi.selectors), so a second ask of the same report would measure that memory.
    asked: dict[str, float] = {}
    for by in ("queue", "total", "day", "agent"):
        out = io.StringIO()
        began = time.perf_counter()
        call_command(
            "kpi_report", "--from", first, "--to", day.isoformat(), "--by", by, "--format", "json", stdout=out
        )
        asked[by] = (time.perf_counter() - began) * 1000
        rows = out.getvalue().count('"offered"')
        print(f"  kpi_report --by {by:<6} over 30 days: {asked[by]:,.0f} ms ({rows} rows)")
    report("kpi_report over 30 days (by queue)", asked["queue"], "ms", "<= 1,000 ms", key="kpi_report_30d_ms")
    record("kpi_report_30d_agent_ms", asked["agent"], "ms")


if __name__ == "__main__":
    main()
