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

from common import django_setup, report, start_server


def call_events(source: str, run: str, n_calls: int, start: datetime) -> list[dict]:
    """Realistic native events: offered, ivr, queued, ringing, answered, hold, unhold, ended, wrap-up."""
    events = []
    for n in range(n_calls):
        t0 = start + timedelta(seconds=n * 2)
        call_id = f"{run}-c{n}"
        # 200 agents in turn: a call every 2 s and at most 330 s handling keeps each on one call.
        agent = f"agent{n % 200}"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=12_000, help="calls per run (9 events each)")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    django_setup()
    from telephony.services import feed_source_ensure

    secret = feed_source_ensure(name="bench").secret
    server, base = start_server(workers=args.workers)
    rates = []
    try:
        # Each run is a later stretch of time, as a live feed is; late events are the fault tests' job.
        clock = _clock_after_stored_data()
        for _ in range(args.runs):
            events = call_events("bench", uuid.uuid4().hex[:8], args.calls, clock)
            clock += timedelta(seconds=args.calls * 2 + 600)
            batches = [
                json.dumps(events[i : i + args.batch]).encode() for i in range(0, len(events), args.batch)
            ]
            shares = [batches[k :: args.clients] for k in range(args.clients)]
            latencies: list[float] = []
            threads = [
                threading.Thread(target=post_batches, args=(base, secret, s, latencies)) for s in shares
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            rates.append(len(events) / elapsed)
            p95 = sorted(latencies)[int(len(latencies) * 0.95) - 1]
            print(
                f"  run: {len(events):,} events in {elapsed:.2f} s = {rates[-1]:,.0f} events/s,"
                f" batch p95 {p95 * 1000:.0f} ms"
            )
    finally:
        server.terminate()
        server.wait()
    report("ingest via HTTP API (median)", statistics.median(rates), "events/s", ">= 5,000")


if __name__ == "__main__":
    main()
