"""Benchmark: call events through POST /api/telephony/events in batches of 500 into PostgreSQL.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/callcenter_bench python bench/ingest.py
Target (DESIGN §5): >= 5,000 events/s sustained on 2 cores.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from common import CpuMeter, django_setup, record, report, start_server


def call_events(source: str, run: str, n_calls: int, start: datetime, site: str = "") -> list[dict]:
    """Realistic native events: offered, ivr, queued, ringing, answered, hold, unhold, ended, wrap-up.
    `site` prefixes the agent codes, so several PBXs have their own agents."""
    events = []
    for n in range(n_calls):
        t0 = start + timedelta(seconds=n * 2)
        call_id = f"{run}-c{n}"
        # 200 agents in turn: a call every 2 s and at most 330 s handling keeps each on one call.
        agent = f"{site}agent{n % 200}"
        queue = ("sales", "support", "billing")[n % 3]
        steps = [
            (0, "call.offered", {}),
            (2, "call.ivr", {"node": "main", "digits": str(n % 3 + 1)}),
            (5, "call.queued", {}),
            (5 + n % 30, "call.ringing", {}),
            (8 + n % 30, "call.answered", {}),
            (60, "call.hold", {}),
            (75, "call.unhold", {}),
            (200 + n % 100, "call.ended", {"by": "caller"}),
            (230 + n % 100, "call.wrapup_ended", {}),
        ]
        for k, (offset, type_, data) in enumerate(steps):
            event = {
                "source": source,
                "event_id": f"{call_id}-{k}",
                "ts": (t0 + timedelta(seconds=offset)).isoformat(),
                "type": type_,
                "call_id": call_id,
                "queue": queue,
                "caller": f"+1415555{n % 10000:04d}",
                "direction": "inbound",
                "data": data,
            }
            if type_ in ("call.ringing", "call.answered", "call.ended", "call.wrapup_ended"):
                event["agent"] = agent
            events.append(event)
    # A feed streams events as they happen: in time order across calls.
    events.sort(key=lambda event: event["ts"])
    return events


def _clock_after_stored_data() -> datetime:
    """Now, or later than anything already applied, so reruns on one database stay a live feed."""
    from django.db.models import Max

    from agents.models import PresenceCursor

    latest = PresenceCursor.objects.aggregate(latest=Max("last_event_at"))["latest"]
    now = datetime.now(UTC).replace(microsecond=0)
    return max(now, latest + timedelta(hours=1)) if latest else now


def post_batches(base: str, secret: str, batches: list[bytes], latencies: list[float]) -> None:
    url = urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"}
    for body in batches:
        started = time.perf_counter()
        connection.request("POST", "/api/telephony/events", body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}: {payload[:300]!r}")
        latencies.append(time.perf_counter() - started)
    connection.close()


def _one_run(
    base: str, secrets: list[str], args: argparse.Namespace, clock: datetime
) -> tuple[int, float, float]:
    """Post one stretch of calls; returns (events, seconds, batch p95 seconds)."""
    run = uuid.uuid4().hex[:8]
    if args.shared_source:
        # One PBX stream cut into batches that the clients post in turn: batches overtake each other,
        # so agents see late events and their presence is rebuilt (the harder case).
        events = call_events("bench", run, args.calls, clock)
        batches = [json.dumps(events[i : i + args.batch]).encode() for i in range(0, len(events), args.batch)]
        work = [(secrets[0], batches[k :: args.clients]) for k in range(args.clients)]
        total = len(events)
    else:
        # One PBX (site) per client, each streaming its own calls and agents in time order.
        work, total = [], 0
        for k in range(args.clients):
            events = call_events(f"bench{k}", run, args.calls // args.clients, clock, site=f"s{k}-")
            total += len(events)
            batches = [
                json.dumps(events[i : i + args.batch]).encode() for i in range(0, len(events), args.batch)
            ]
            work.append((secrets[k], batches))
    latencies: list[float] = []
    threads = [
        threading.Thread(target=post_batches, args=(base, secret, batches, latencies))
        for secret, batches in work
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return total, elapsed, sorted(latencies)[int(len(latencies) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=12_000, help="calls per run (9 events each)")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--clients", type=int, default=2, help="concurrent posters (one PBX each)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--shared-source", action="store_true", help="all clients post batches of one PBX's stream in turn"
    )
    args = parser.parse_args()
    django_setup()
    from telephony.services import feed_source_ensure

    names = ["bench"] if args.shared_source else [f"bench{k}" for k in range(args.clients)]
    secrets = [feed_source_ensure(name=name).secret for name in names]
    server, base = start_server(workers=args.workers)
    meter = CpuMeter(server.pid)
    rates, cpu_per_event = [], []
    try:
        # Each run is a later stretch of time, as a live feed is; late events are the fault tests' job.
        clock = _clock_after_stored_data()
        for _ in range(args.runs):
            meter.begin()
            total, elapsed, p95 = _one_run(base, secrets, args, clock)
            cpu = meter.end()
            clock += timedelta(seconds=args.calls * 2 + 600)
            rates.append(total / elapsed)
            cpu_per_event.append(cpu / total)
            print(
                f"  run: {total:,} events in {elapsed:.2f} s = {rates[-1]:,.0f} events/s,"
                f" batch p95 {p95 * 1000:.0f} ms; server + database CPU {cpu:.1f} s"
                f" = {cpu / total * 1e6:.0f} µs/event"
            )
    finally:
        server.terminate()
        server.wait()
    label = "one PBX, batches in turn" if args.shared_source else f"{args.clients} PBXs"
    report(
        f"ingest via HTTP API ({label}, median)",
        statistics.median(rates),
        "events/s",
        ">= 5,000",
        key="ingest_events_per_s",
    )
    per_event = statistics.median(cpu_per_event)
    record("ingest_cpu_us_per_event", per_event * 1e6, "µs/event")
    # What two cores could sustain if ingest had them to itself (the load generator excluded).
    report(
        "  CPU-bound ceiling on 2 cores",
        2 / per_event,
        "events/s",
        "(server + PostgreSQL CPU)",
        key="ingest_cpu_ceiling_events_per_s",
    )


if __name__ == "__main__":
    main()
