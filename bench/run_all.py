"""Run every benchmark in bench/ against PostgreSQL and Redis and print one table of DESIGN §5.

Run: make bench, or DATABASE_URL=postgres://…/callcenter_bench REDIS_URL=redis://…/14 python bench/run_all.py

Creates the database when missing, migrates it, generates the data set with `manage.py bench_data`
(1 M customers, 1 M tickets, 5 M calls; skipped when present), then runs each script BENCH_RUNS
times (default 3) as a subprocess with BENCH_JSON=1, collects the figures each prints as its last
line (bench/common.py `record`), and prints each target of DESIGN §5 with the median of the runs and
met/missed, then the other figures (CPU per operation, figures without a target). VACUUM ANALYZE
runs before each script, as autovacuum would between them on a live system.

BENCH_ONLY=ingest,rollup runs a subset; BENCH_DATA_ARGS passes flags to bench_data (e.g. smaller sizes).
Exit status 1 when a target is missed or a script failed.
"""

from __future__ import annotations

import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULT_PREFIX  # noqa: E402 - after the path set-up

# script, extra arguments (each subprocess is one run; the runner takes the median of the runs)
SCRIPTS: list[tuple[str, list[str]]] = [
    ("ingest.py", ["--runs", "1"]),
    ("queue_log_import.py", []),
    ("wallboard.py", []),
    ("rollup.py", []),
    ("desk_api.py", []),
    ("staffing.py", []),
    ("schedule_generation.py", ["--database"]),
    ("qa_sampling.py", []),
]


@dataclass(frozen=True)
class Target:
    what: str
    target: str
    key: str
    ok: Callable[[float], bool]
    fmt: str = "{:,.0f}"


TARGETS = [
    Target(
        "event ingest, HTTP API, batches of 500",
        ">= 5,000 events/s",
        "ingest_events_per_s",
        lambda v: v >= 5000,
    ),
    Target("import_queue_log bulk", ">= 20,000 lines/s", "queue_log_lines_per_s", lambda v: v >= 20000),
    Target(
        "event -> wallboard p95 (500 sockets, 500 ev/s)",
        "<= 1,000 ms",
        "wallboard_p95_ms",
        lambda v: v <= 1000,
    ),
    Target("wallboard: batches never shown", "0 (nothing lost)", "wallboard_lost", lambda v: v == 0),
    Target("wallboard: snapshot sequence gaps", "0 (nothing lost)", "wallboard_gaps", lambda v: v == 0),
    Target("nightly rollup of a day of 1 M calls", "<= 30 s", "rollup_day_s", lambda v: v <= 30, "{:,.1f}"),
    Target("kpi_report over 30 days from rollups", "<= 1,000 ms", "kpi_report_30d_ms", lambda v: v <= 1000),
    Target(
        "desk + ticket APIs p95, 50 users (all requests)",
        "<= 100 ms",
        "desk_p95_ms",
        lambda v: v <= 100,
        "{:,.1f}",
    ),
    Target(
        "desk + ticket APIs p95, slowest endpoint",
        "<= 100 ms",
        "desk_worst_p95_ms",
        lambda v: v <= 100,
        "{:,.1f}",
    ),
    Target("desk + ticket APIs: non-200 answers", "0", "desk_errors", lambda v: v == 0),
    Target(
        "staffing, 96 intervals, Erlang C", "<= 50 ms", "staffing_erlang_c_ms", lambda v: v <= 50, "{:,.1f}"
    ),
    Target(
        "staffing, 96 intervals, Erlang A", "<= 50 ms", "staffing_erlang_a_ms", lambda v: v <= 50, "{:,.1f}"
    ),
]
OTHER = [  # (what, key, format): figures with no target in DESIGN §5
    ("ingest: server + PostgreSQL CPU per event", "ingest_cpu_us_per_event", "{:,.0f} µs"),
    ("ingest: CPU-bound ceiling on 2 cores", "ingest_cpu_ceiling_events_per_s", "{:,.0f} events/s"),
    ("wallboard p50 / p99", "wallboard_p50_ms", "{:,.0f} ms"),
    ("", "wallboard_p99_ms", "{:,.0f} ms"),
    ("desk APIs: throughput", "desk_req_per_s", "{:,.0f} req/s"),
    ("desk APIs: server + PostgreSQL CPU per request", "desk_cpu_ms_per_request", "{:,.1f} ms"),
    ("schedule generation, 200 agents x 1 week (pure)", "schedule_pure_s", "{:,.2f} s"),
    ("schedule proposal from the database", "schedule_proposal_s", "{:,.2f} s"),
    ("schedule applied with conflict checks", "schedule_apply_s", "{:,.2f} s"),
    ("QA sampling run", "qa_sampling_ms", "{:,.0f} ms"),
    # The target's figure is by queue; by agent the 8,000 agents of the rolled-up day are 8,000 rows.
    ("kpi_report over 30 days by agent", "kpi_report_30d_agent_ms", "{:,.0f} ms"),
]


def database_ensure(url: str) -> None:
    """Create the benchmark database when it does not exist (connecting to the `postgres` one)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def vacuum(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def run_script(script: str, args: list[str], env: dict[str, str]) -> tuple[int, dict]:
    """One run: the script's output goes to our stdout as it comes; returns (exit status, figures)."""
    process = subprocess.Popen(  # noqa: S603 - our own scripts
        [sys.executable, "-u", str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    figures: dict = {}
    for line in process.stdout or ():
        if line.startswith(RESULT_PREFIX):
            figures = json.loads(line[len(RESULT_PREFIX) :])
        else:
            print("    " + line, end="", flush=True)
    return process.wait(), figures


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of its own (make bench uses BENCH_DATABASE_URL).")
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL: the wallboard benchmark runs the Channels pub/sub layer on Redis.")
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    only = {name.strip().removesuffix(".py") for name in os.environ.get("BENCH_ONLY", "").split(",") if name}
    env = {
        **os.environ,
        "BENCH_JSON": "1",
        "DJANGO_SETTINGS_MODULE": "callcenter.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-key-0123456789abcdefghijklmnopqrstuvwxyz"),
        "DEBUG": "false",
        "DATABASE_POOL": os.environ.get("DATABASE_POOL", "true"),
    }
    database_ensure(url)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    data_args = shlex.split(os.environ.get("BENCH_DATA_ARGS", ""))
    subprocess.run([*manage, "bench_data", *data_args], cwd=ROOT, env=env, check=True)  # noqa: S603

    values: dict[str, list[float]] = {}
    extras: dict[str, dict] = {}
    failures: list[str] = []
    loads: list[float] = []
    began = time.monotonic()
    for script, args in SCRIPTS:
        if only and script.removesuffix(".py") not in only:
            continue
        vacuum(url)
        for n in range(1, runs + 1):
            load = os.getloadavg()[0]
            loads.append(load)
            print(f"== {script} {' '.join(args)} (run {n}/{runs}, load average {load:.2f})", flush=True)
            started = time.monotonic()
            status, figures = run_script(script, args, env)
            print(f"== {script}: exit {status} after {time.monotonic() - started:.0f} s", flush=True)
            if status != 0:
                failures.append(f"{script} run {n}: exit {status}")
            for key, figure in figures.items():
                values.setdefault(key, []).append(float(figure["value"]))
                extras.setdefault(key, {}).update(
                    {k: v for k, v in figure.items() if k not in ("value", "unit")}
                )
    print_table(values, extras, runs, loads, failures, time.monotonic() - began)
    missed = [t for t in TARGETS if t.key in values and not t.ok(statistics.median(values[t.key]))]
    sys.exit(1 if missed or failures else 0)


def print_table(
    values: dict[str, list[float]],
    extras: dict[str, dict],
    runs: int,
    loads: list[float],
    failures: list[str],
    seconds: float,
) -> None:
    def cell(key: str, fmt: str) -> tuple[str, str]:
        if key not in values:
            return "not run", ""
        median = statistics.median(values[key])
        spread = " / ".join(fmt.format(v).split()[0] for v in values[key])
        return fmt.format(median), spread

    width = 50
    print()
    print(f"DESIGN §5 targets: median of {runs} run(s) each")
    print(f"{'figure':<{width}} {'target':<18} {'median':>10}  {'result':<7} runs")
    print("-" * (width + 60))
    for target in TARGETS:
        median, spread = cell(target.key, target.fmt)
        result = ""
        if target.key in values:
            result = "met" if target.ok(statistics.median(values[target.key])) else "MISSED"
        note = extras.get(target.key, {}).get("endpoint", "")
        note = f" (last: {note})" if note else ""
        print(f"{target.what:<{width}} {target.target:<18} {median:>10}  {result:<7} {spread}{note}")
    print()
    print("other figures (no target; CPU per operation is what the shared machine's load moves least)")
    for what, key, fmt in OTHER:
        median, spread = cell(key, fmt)
        print(f"{what or '':<{width}} {median:>18}   runs {spread}")
    if loads:
        print(
            f"\nload average (1 min) at the start of the runs: min {min(loads):.2f},"
            f" median {statistics.median(loads):.2f}, max {max(loads):.2f} on {os.cpu_count()} cores;"
            f" {seconds / 60:.0f} min in all"
        )
    for failure in failures:
        print(f"FAILED: {failure}")


if __name__ == "__main__":
    main()
