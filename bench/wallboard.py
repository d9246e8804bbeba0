"""Benchmark: event → wallboard latency, 500 open wallboard sockets, 500 events/s through the ingest API.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_kpi_bench REDIS_URL=redis://127.0.0.1:6379/14 \\
     python bench/wallboard.py
Target (DESIGN §5): p95 ≤ 1 s from event to screen, nothing lost.

As the README's production layout runs them, the feeds post to a server of their own and the
boards hold their sockets on another (`--feed-server shared` puts both on one process): the feeds'
server ingests and computes the snapshots, the boards' server only fans them out, each through
the pub/sub channel layer on Redis.
The driver posts a batch of 50 events every 100 ms (calls queued, rung, answered, ended, wrapped up
by 60 agents), each event stamped with the time it is sent. Every client records when each
snapshot arrives and the newest event instant it reflects (`last_event_at`); a batch's latency on
a client is the arrival of the first snapshot that includes it minus the batch's send time. A
batch no snapshot ever included on a client, or a gap in a client's snapshot sequence numbers,
counts as lost.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import re
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlparse

from common import CpuMeter, django_setup, report, session_key_for, start_server

AGENTS = 60
DRIVERS = 3  # feeds posting at once (each batch waits for its commit, as a PBX connector does)
QUEUES = ("wb-sales", "wb-support", "wb-billing")
SEQ = re.compile(r'"seq":\s*(\d+)')
LAST = re.compile(r'"last_event_at":\s*"([^"]+)"')
ORIGIN = re.compile(r'"origin":\s*"([^"]*)"')
SNAPSHOT = re.compile(r'"type":\s*"wallboard.snapshot"')


def _session_cookie(username: str) -> str:
    """A logged-in session for the bench supervisor, made the way Django's login makes one."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from callcenter.services import user_roles_set

    user, _ = get_user_model().objects.get_or_create(username=username)
    user_roles_set(user=user, roles=["supervisor"])
    session_key = session_key_for(user)
    return f"{settings.SESSION_COOKIE_NAME}={session_key}"


def _batch(run: str, n: int, source: str, driver: int) -> tuple[list[dict], float]:
    """50 events of 10 calls, each stamped now: what a busy floor sends in 100 ms."""
    now = time.time()
    ts = datetime.fromtimestamp(now, tz=UTC).isoformat()
    events = []
    for k in range(10):
        call = f"{run}-{n}-{k}"
        share = AGENTS // DRIVERS  # each feed its own agents: no two feeds touch one agent at once
        agent = f"wb{driver * share + (n * 10 + k) % share}"
        queue = QUEUES[k % len(QUEUES)]
        for step, type_ in enumerate(
            ("call.queued", "call.ringing", "call.answered", "call.ended", "call.wrapup_ended")
        ):
            event = {"source": source, "event_id": f"{call}-{step}", "ts": ts, "type": type_, "call_id": call}
            if type_ in ("call.queued", "call.ringing", "call.answered"):
                event["queue"] = queue
            if type_ != "call.queued":
                event["agent"] = agent
            events.append(event)
    return events, now


POSTS: list[float] = []  # seconds each ingest POST took (event stamped → batch committed)


def drive(base: str, secret: str, seconds: float, rate: int, sent: list[float], source: str, k: int) -> None:
    url = urlparse(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {secret}"}
    run = f"{uuid.uuid4().hex[:6]}-{k}"
    period = 50 * DRIVERS / rate
    began = time.monotonic()
    n = 0
    while time.monotonic() - began < seconds:
        events, stamp = _batch(run, n, source, k)
        connection.request("POST", "/api/telephony/events", body=json.dumps(events), headers=headers)
        response = connection.getresponse()
        body = response.read()
        POSTS.append(time.time() - stamp)
        if response.status != 200:
            raise SystemExit(f"ingest answered {response.status}: {body[:200]!r}")
        sent.append(stamp)
        n += 1
        time.sleep(max(0.0, began + n * period - time.monotonic()))
    connection.close()


async def client(
    url: str, cookie: str, host: str, log: list, ready: asyncio.Event, stop: asyncio.Event
) -> None:
    import websockets

    async with websockets.connect(
        url,
        additional_headers={"Cookie": cookie, "Origin": f"http://{host}"},
        max_size=None,
        open_timeout=60,
        # Without per-message deflate: compressing every frame per socket costs both processes
        # on this one box more than the network it saves on a LAN wallboard.
        compression=None,
    ) as socket:
        await socket.recv()  # the snapshot on connect
        ready.set()
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=0.5)
            except TimeoutError:
                continue
            arrived = time.time()
            if not SNAPSHOT.search(raw[:60]):
                continue  # an alert
            last = LAST.search(raw)
            seq = SEQ.search(raw)
            origin = ORIGIN.search(raw)
            log.append(
                (
                    arrived,
                    datetime.fromisoformat(last.group(1)).timestamp() if last else 0.0,
                    int(seq.group(1)) if seq else 0,
                    origin.group(1) if origin else "",
                )
            )


async def run_clients(
    url: str, cookie: str, host: str, count: int, seconds: float, drive_fn, on_drive=None
) -> list[list]:
    logs: list[list] = [[] for _ in range(count)]
    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in range(count)]
    tasks = []
    for n in range(count):
        tasks.append(asyncio.create_task(client(url, cookie, host, logs[n], readies[n], stop)))
        if n % 50 == 49:
            await asyncio.sleep(0.2)  # a gentle ramp: 500 logins at once are not what is measured
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=120)
    print(f"  {count} wallboard sockets open")
    if on_drive is not None:
        await asyncio.to_thread(on_drive)  # it reads the database: not from the event loop
    drivers = [threading.Thread(target=drive_fn, args=(k,)) for k in range(DRIVERS)]
    for driver in drivers:
        driver.start()
    while any(driver.is_alive() for driver in drivers):
        await asyncio.sleep(0.2)
    await asyncio.sleep(3)  # the last snapshots arrive
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rate", type=int, default=500, help="events per second")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (sockets spread over them)"
    )
    parser.add_argument(
        "--feed-server",
        choices=("own", "shared"),
        default="own",
        help="the feeds post to a uvicorn process of their own (default), or to the boards' server",
    )
    args = parser.parse_args()
    import os

    if not os.environ.get("REDIS_URL"):
        raise SystemExit("Set REDIS_URL: the sockets and the ingest share the Redis pub/sub channel layer.")
    os.environ.setdefault("CHANNEL_PREFIX", f"bench-wb-{uuid.uuid4().hex[:6]}")
    django_setup()
    from telephony.models import Queue
    from telephony.services import feed_source_ensure

    for name in QUEUES:
        Queue.objects.get_or_create(name=name)
    from kpi.services.rollups import rollup_due

    source = feed_source_ensure(name="bench-wallboard")
    # As beat keeps it on a live system: the day's closed intervals are rolled up.
    rollup_due()
    cookie = _session_cookie("bench-supervisor")
    server, base = start_server(workers=args.workers)
    feed_server, feed_base = start_server(workers=1) if args.feed_server == "own" else (server, base)
    host = urlparse(base).netloc
    sent: list[float] = []
    meter = CpuMeter(*{server.pid, feed_server.pid})
    try:
        logs = asyncio.run(
            run_clients(
                f"ws://{host}/ws/wallboard/",
                cookie,
                host,
                args.clients,
                args.seconds,
                lambda k: drive(feed_base, source.secret, args.seconds, args.rate, sent, source.name, k),
                on_drive=meter.begin,
            )
        )
        cpu_s = meter.end()
    finally:
        for process in {server, feed_server}:
            process.terminate()
            process.wait()
    latencies: list[float] = []
    lost = gaps = 0
    snapshots = sum(len(log) for log in logs)
    for log in logs:
        last_seq: dict[str, int] = {}
        for _arrived, _last, seq, origin in log:
            if origin in last_seq and seq > last_seq[origin] + 1:
                gaps += seq - last_seq[origin] - 1
            last_seq[origin] = max(seq, last_seq.get(origin, seq))
        for stamp in sent:
            # ISO stamps round to the microsecond: compare with a microsecond's slack.
            covering = next((arrived for arrived, last, _s, _o in log if last >= stamp - 1e-6), None)
            if covering is None:
                lost += 1
            else:
                latencies.append(covering - stamp)
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else float("nan")
        )

    print(
        f"  {len(sent)} batches ({len(sent) * 50:,} events) in {args.seconds:g} s; "
        f"{snapshots:,} snapshots received ({snapshots / max(1, args.clients) / args.seconds:.2f} "
        "per client per second)"
    )
    report("event → wallboard p50", pct(0.50), "ms", "", key="wallboard_p50_ms")
    report("event → wallboard p95", pct(0.95), "ms", "<= 1,000 ms", key="wallboard_p95_ms")
    report("event → wallboard p99", pct(0.99), "ms", "", key="wallboard_p99_ms")
    report("batches never shown (client × batch)", lost, "", "0", key="wallboard_lost")
    report("snapshots lost (sequence gaps)", gaps, "", "0", key="wallboard_gaps")
    if latencies:
        print(
            f"  mean {statistics.mean(latencies) * 1000:.0f} ms over {len(latencies):,} client × batch pairs"
        )
    events = len(sent) * 50
    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    print(
        f"  CPU (server processes + their PostgreSQL backends) {cpu_s:.1f} s while driving: "
        f"{cpu_s / max(1, events) * 1e6:.0f} µs per event; load average {load}"
    )
    if POSTS:
        posts = sorted(POSTS)
        print(
            f"  of which the ingest itself (stamp → commit): p50 {posts[len(posts) // 2] * 1000:.0f} ms, "
            f"p95 {posts[int(len(posts) * 0.95)] * 1000:.0f} ms; "
            f"{len(POSTS) * 50 / args.seconds:.0f} events/s offered"
        )


if __name__ == "__main__":
    main()
