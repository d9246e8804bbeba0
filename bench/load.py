"""Load test on loopback: 50 agents working the desktop while the ACD simulator runs at 10 times a busy
floor into the ingest API and 20 supervisors hold wallboard websockets. Bounded in time (--duration).

Run: DATABASE_URL=postgres://…/callcenter_bench REDIS_URL=redis://…/14 python bench/load.py [--duration 60]
     or `make bench-load`, best after `make bench` made the data set (1 M customers and tickets, 5 M calls)

The server runs as in production: uvicorn, 2 workers, pooled database connections, the Redis pub/sub
channel layer. The simulator (`simulate_acd --speed 1`, real time) is the ACD of the desk: it posts its
events to the ingest API and takes the desk's commands, ringing the 50 desk agents as well as its own
simulated ones. A busy floor is 50 agents at ~85 % occupancy (~730 calls an hour); ten times that is
4 queues of 1,800 calls an hour each (2 calls a second, ~20 events a second). The simulator's own
--sim-agents (250) serve tech and billing only, so sales and support ring the desk agents from the
first second (the longest-idle agent gets a call, and simulated agents logged in first).

Each desk agent is a browser: one keep-alive HTTP connection (reopened after 4 s idle, as uvicorn closes
idle ones after 5 s), the desktop websocket (/ws/desktop/) for state and screen pops, session cookie and
CSRF token. It opens the desktop page and the callbacks fragment, logs in (state available), and then:
on a screen pop it opens the call panel (customer card), answers after 1-3 s, looks the caller up
(contact history, or a match by number) while talking (exponential, mean --talk s, at most 90 s), hangs
up, and after 3-8 s of wrap-up saves the call log (notes, disposition, customer; a new ticket on one in
four). Between calls it clicks after an exponential think time (mean --think s, default 5): ticket lists
(my open, my team), a ticket's detail, customer searches by name and number, a customer's card, a new
ticket, the callbacks fragment, and now and then a short break (not ready, then available again).
Desk actions the ACD refuses (the caller hung up while it rang) are counted as "refused", not errors:
the page answers them with a notice, as it should. Errors are 5xx, other 4xx and broken connections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote, urlencode, urlparse

from common import ROOT, CpuMeter, django_setup, record, session_key_for, start_server

QUEUES = "sales,support,billing,tech"
REFUSED = b'class="message error"'


# --- set-up (Django ORM, before the load) ------------------------------------------------------------
def users_ensure(agents: int, supervisors: int) -> tuple[list[tuple[str, int]], list[str]]:
    """Desk agents load-agent-N (agent code = username, in the bench teams) and supervisors; returns
    ([(session key, team index)], [supervisor session keys])."""
    from django.contrib.auth import get_user_model

    from agents.models import AgentProfile, Team
    from callcenter.services import roles_sync, user_roles_set

    roles_sync()
    users = get_user_model()
    teams = [Team.objects.get_or_create(name=f"Bench team {k + 1}")[0] for k in range(5)]
    desk = []
    for k in range(agents):
        user, created = users.objects.get_or_create(username=f"load-agent-{k + 1}")
        if created:
            user_roles_set(user=user, roles=["agent"])
            teams[k % 5].members.add(user)
            AgentProfile.objects.get_or_create(user=user, defaults={"code": user.username})
        desk.append((session_key_for(user), k % 5))
    boards = []
    for k in range(supervisors):
        user, created = users.objects.get_or_create(username=f"load-sup-{k + 1}")
        if created:
            user_roles_set(user=user, roles=["supervisor"])
        boards.append(session_key_for(user))
    return desk, boards


def keys_sample(teams: int = 5) -> dict[str, list]:
    """Real values to look up: customers, names, numbers, and tickets per bench team."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name FROM tickets_customer TABLESAMPLE SYSTEM (0.5) LIMIT 2000")
        customers = cursor.fetchall()
        cursor.execute("SELECT number FROM tickets_customerphone TABLESAMPLE SYSTEM (0.5) LIMIT 2000")
        numbers = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT id FROM agents_team WHERE name LIKE 'Bench team %%' ORDER BY name")
        team_ids = [row[0] for row in cursor.fetchall()][:teams]
        cursor.execute(
            "SELECT id, team_id FROM tickets_ticket TABLESAMPLE SYSTEM (1)"
            " WHERE team_id = ANY(%s) LIMIT 20000",
            [team_ids],
        )
        by_team: dict[int, list[int]] = defaultdict(list)
        for pk, team in cursor.fetchall():
            by_team[team].append(pk)
    return {
        "customers": [pk for pk, _ in customers] or [0],
        "names": [name for _, name in customers] or ["Ava"],
        "numbers": numbers or ["+14155550100"],
        "team_tickets": [by_team.get(team, [0]) or [0] for team in team_ids] or [[0]],
    }


# --- measuring ---------------------------------------------------------------------------------------
class Stats:
    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.refused: dict[str, int] = defaultdict(int)
        self.counts: dict[str, int] = defaultdict(int)
        self.board_messages: list[int] = []
        self.board_snapshots: list[int] = []
        self.measuring = False


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000 if ordered else float("nan")


class Browser:
    """One agent's HTTP/1.1 keep-alive connection with session cookie and CSRF token."""

    def __init__(self, base: str, session: str, stats: Stats):
        self.url = urlparse(base)
        self.csrf = uuid.uuid4().hex  # a 32-character secret: Django takes it as cookie and header
        self.cookie = f"sessionid={session}; csrftoken={self.csrf}"
        self.stats = stats
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = 0.0

    async def _connect(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader, self.writer = await asyncio.open_connection(self.url.hostname, self.url.port)

    async def request(
        self, label: str, method: str, path: str, *, form: dict | None = None, data: dict | None = None
    ) -> tuple[int, bytes]:
        body = b""
        headers = (
            f"Host: {self.url.netloc}\r\nCookie: {self.cookie}\r\nOrigin: http://{self.url.netloc}\r\n"
            f"X-CSRFToken: {self.csrf}\r\n"
        )
        if form is not None:
            body = urlencode(form).encode()
            headers += "Content-Type: application/x-www-form-urlencoded\r\nHX-Request: true\r\n"
        elif data is not None:
            body = json.dumps(data).encode()
            headers += "Content-Type: application/json\r\nAccept: application/json\r\n"
        else:
            headers += "Accept: application/json, text/html\r\n"
        head = f"{method} {path} HTTP/1.1\r\n{headers}Content-Length: {len(body)}\r\n\r\n".encode()
        if self.writer is None or time.monotonic() - self.last_used > 4:
            await self._connect()  # uvicorn closes keep-alive connections idle for 5 s
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.writer.write(head + body)
                await self.writer.drain()
                status, payload = await self._response()
                break
            except (ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
                if attempt == 2:
                    self._count(label, started, None)
                    return 0, b""
                await self._connect()
        self.last_used = time.monotonic()
        self._count(label, started, status, payload)
        return status, payload

    async def _response(self) -> tuple[int, bytes]:
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError
        status = int(status_line.split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value:
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length)
        parts = []
        while size := int((await self.reader.readline()).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()
        await self.reader.readline()
        return status, b"".join(parts)

    def _count(self, label: str, started: float, status: int | None, payload: bytes = b"") -> None:
        if not self.stats.measuring:
            return
        elapsed = time.perf_counter() - started
        if status is None:
            self.stats.errors[f"{label}: connection"] += 1
            return
        self.stats.samples[label].append(elapsed)
        if status >= 400 and status != 409:
            self.stats.errors[f"{label}: {status}"] += 1
        elif status == 409 or REFUSED in payload:
            self.stats.refused[label] += 1

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


# --- the people --------------------------------------------------------------------------------------
async def desk_socket(url: str, browser: Browser, pops: asyncio.Queue, stop: asyncio.Event) -> None:
    """The desktop's socket: forward the screen pops of ringing calls to the agent."""
    import websockets

    headers = {"Cookie": browser.cookie, "Origin": f"http://{browser.url.netloc}"}
    while not stop.is_set():
        try:
            async with websockets.connect(url, additional_headers=headers, open_timeout=30) as socket:
                while not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(socket.recv(), timeout=0.5)
                    except TimeoutError:
                        continue
                    message = json.loads(raw)
                    kind = message.get("type")
                    if kind == "screen_pop" and message.get("event") == "call.ringing":
                        pops.put_nowait(message)
        except (OSError, websockets.WebSocketException):
            browser.stats.errors["desktop socket: dropped"] += browser.stats.measuring
            await asyncio.sleep(1)


async def agent(
    base: str,
    session: str,
    team: int,
    keys: dict,
    args: argparse.Namespace,
    stats: Stats,
    stop: asyncio.Event,
    seed: int,
) -> None:
    rng = random.Random(seed)
    browser = Browser(base, session, stats)
    pops: asyncio.Queue = asyncio.Queue()
    socket = asyncio.create_task(desk_socket(f"ws://{browser.url.netloc}/ws/desktop/", browser, pops, stop))
    seen: set[str] = set()
    await browser.request("desktop page", "GET", "/desktop/")
    await browser.request("callbacks fragment", "GET", "/desktop/callbacks/")
    await browser.request("state change", "POST", "/desktop/state", form={"state": "available"})
    next_callbacks = time.monotonic() + 60
    while not stop.is_set():
        try:
            pop = await asyncio.wait_for(pops.get(), timeout=min(rng.expovariate(1 / args.think), 30))
        except TimeoutError:
            pop = None
        if stop.is_set():
            break
        if pop and pop["call_id"] not in seen:
            seen.add(pop["call_id"])
            await take_call(browser, pop, keys, rng, args, stats, stop)
            continue
        if time.monotonic() > next_callbacks:  # the desk's htmx poll, every 60 s
            next_callbacks += 60
            await browser.request("callbacks fragment", "GET", "/desktop/callbacks/")
            continue
        await click(browser, team, keys, rng)
    socket.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await socket
    browser.close()


async def take_call(
    browser: Browser, pop: dict, keys: dict, rng: random.Random, args, stats: Stats, stop: asyncio.Event
) -> None:
    call = quote(pop["call_id"], safe="")
    stats.counts["calls rung on a desk"] += stats.measuring
    await browser.request("call panel (screen pop)", "GET", f"/desktop/calls/{call}/")
    await asyncio.sleep(rng.uniform(1, 3))
    status, body = await browser.request(
        "call action", "POST", f"/desktop/calls/{call}/action", form={"action": "answer"}
    )
    if status != 200 or REFUSED in body:
        return  # the caller left while it rang
    stats.counts["calls answered on a desk"] += stats.measuring
    talk = min(rng.expovariate(1 / args.talk), 90)
    began = time.monotonic()
    customer = (pop.get("customer") or {}).get("id")
    if customer:
        await browser.request("customer timeline", "GET", f"/api/customers/{customer}/timeline/")
    elif pop.get("caller"):
        await browser.request("customer match", "GET", "/api/customers/match?phone=" + quote(pop["caller"]))
    await asyncio.sleep(max(0.0, talk - (time.monotonic() - began)))
    await browser.request("call action", "POST", f"/desktop/calls/{call}/action", form={"action": "hangup"})
    await asyncio.sleep(rng.uniform(3, 8))
    form = {"notes": "Explained the invoice; customer happy.", "disposition": "bench-resolved"}
    if customer:
        form["customer"] = str(customer)
    if rng.random() < 0.25:
        form |= {"ticket": "new", "ticket_subject": "Follow-up on the call", "ticket_priority": "2"}
    status, _ = await browser.request(
        "wrap-up (call log)", "POST", f"/desktop/calls/{call}/wrapup", form=form
    )
    stats.counts["wrap-ups saved"] += stats.measuring and status == 200


async def click(browser: Browser, team: int, keys: dict, rng: random.Random) -> None:
    """One thing an idle agent does on the desk."""
    roll = rng.random()
    if roll < 0.18:
        view = rng.choice(("my_open", "team"))
        await browser.request("ticket list", "GET", "/api/tickets/?" + urlencode({"view": view}))
    elif roll < 0.36:
        ticket = rng.choice(keys["team_tickets"][team % len(keys["team_tickets"])])
        await browser.request("ticket detail", "GET", f"/api/tickets/{ticket}/")
    elif roll < 0.52:
        name = rng.choice(keys["names"])
        await browser.request("customer search", "GET", "/api/customers/?" + urlencode({"q": name}))
    elif roll < 0.64:
        number = rng.choice(keys["numbers"])
        await browser.request("customer search", "GET", "/api/customers/?" + urlencode({"q": number}))
    elif roll < 0.80:
        await browser.request("customer detail", "GET", f"/api/customers/{rng.choice(keys['customers'])}/")
    elif roll < 0.90:
        customer = rng.choice(keys["customers"])
        status, body = await browser.request(
            "ticket create",
            "POST",
            "/api/tickets/",
            data={"subject": "Customer asks for a call back", "priority": 2, "customer": customer},
        )
        if status == 201:
            ticket = json.loads(body).get("id")
            if ticket:
                await browser.request("ticket detail", "GET", f"/api/tickets/{ticket}/")
    elif roll < 0.97:
        await browser.request("desktop page", "GET", "/desktop/")
    else:
        await browser.request(
            "state change", "POST", "/desktop/state", form={"state": "not_ready", "reason": "coaching"}
        )
        await asyncio.sleep(rng.uniform(5, 15))
        await browser.request("state change", "POST", "/desktop/state", form={"state": "available"})


async def wallboard(url: str, session: str, host: str, stats: Stats, index: int, stop: asyncio.Event) -> None:
    import websockets

    headers = {"Cookie": f"sessionid={session}", "Origin": f"http://{host}"}
    async with websockets.connect(
        url, additional_headers=headers, open_timeout=60, max_size=None, compression=None
    ) as socket:
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=0.5)
            except TimeoutError:
                continue
            if stats.measuring:
                stats.board_messages[index] += 1
                stats.board_snapshots[index] += '"wallboard.snapshot"' in raw[:80]


async def drive(base: str, desk: list, boards: list[str], keys: dict, args, stats: Stats) -> float:
    stop = asyncio.Event()
    host = urlparse(base).netloc
    stats.board_messages = [0] * len(boards)
    stats.board_snapshots = [0] * len(boards)
    tasks = [
        asyncio.create_task(wallboard(f"ws://{host}/ws/wallboard/", s, host, stats, n, stop))
        for n, s in enumerate(boards)
    ]
    for n, (session, team) in enumerate(desk):
        tasks.append(asyncio.create_task(agent(base, session, team, keys, args, stats, stop, seed=n)))
        await asyncio.sleep(0.05)  # people do not all log in in the same millisecond
    await asyncio.sleep(args.warmup)
    stats.measuring = True
    began = time.perf_counter()
    await asyncio.sleep(args.duration)
    stats.measuring = False
    elapsed = time.perf_counter() - began
    stop.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, Exception):
            stats.errors[f"client crashed: {type(result).__name__}: {result}"] += 1
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds measured (after --warmup)")
    parser.add_argument("--warmup", type=float, default=15, help="seconds before measuring (logins, pools)")
    parser.add_argument("--agents", type=int, default=50, help="agents on the desktop")
    parser.add_argument("--supervisors", type=int, default=20, help="wallboard sockets")
    parser.add_argument(
        "--think", type=float, default=5.0, help="mean seconds between an idle agent's clicks"
    )
    parser.add_argument("--talk", type=float, default=30.0, help="mean seconds a desk agent talks")
    parser.add_argument("--calls-per-hour", type=float, default=1800, help="per queue (4 queues)")
    parser.add_argument(
        "--sim-agents", type=int, default=250, help="the simulator's own agents (tech and billing only)"
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("Set REDIS_URL: screen pops and wallboards travel over the Redis pub/sub channel layer.")
    os.environ.setdefault("CHANNEL_PREFIX", f"bench-load-{uuid.uuid4().hex[:6]}")
    django_setup()
    from django.conf import settings
    from django.db import connection

    from kpi.services.rollups import rollup_due
    from telephony.models import CallEvent, Queue
    from telephony.services import feed_source_ensure

    for name in QUEUES.split(","):
        Queue.objects.get_or_create(name=name)
    desk, boards = users_ensure(args.agents, args.supervisors)
    keys = keys_sample()
    source = feed_source_ensure(name=settings.ACD_SOURCE)  # the ACD that takes the desk's commands
    rollup_due()  # as beat keeps it on a live system
    connection.close()
    server, base = start_server(workers=args.workers)
    simulator = subprocess.Popen(  # noqa: S603 - our own command
        [
            sys.executable,
            str(Path(ROOT) / "manage.py"),
            "simulate_acd",
            "--url",
            f"{base}/api/telephony/events",
            "--token",
            source.secret,
            "--source",
            source.name,
            "--speed",
            "1",
            "--agents",
            str(args.sim_agents),
            "--queues",
            QUEUES,
            "--calls-per-hour",
            str(args.calls_per_hour),
            "--aht",
            "180",
            "--patience",
            "90",
            "--duration",
            str(args.warmup + args.duration + 120),
            "--skills",
            ",".join(f"agent{n}=tech+billing" for n in range(1, args.sim_agents + 1)),
            "--ignore-db",
            "--no-recordings",
            "--seed",
            "11",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    stats = Stats()
    meter = CpuMeter(server.pid)
    try:
        events_before = CallEvent.objects.filter(source=source).count()
        connection.close()
        meter.begin()
        load_before = os.getloadavg()
        elapsed = asyncio.run(drive(base, desk, boards, keys, args, stats))
        cpu = meter.end()
        events = CallEvent.objects.filter(source=source).count() - events_before
        load_after = os.getloadavg()
    finally:
        simulator.terminate()
        simulator.wait()
        server.terminate()
        server.wait()
    print_report(args, stats, elapsed, cpu, events, load_before, load_after)


def print_report(args, stats: Stats, elapsed: float, cpu: float, events: int, before, after) -> None:
    total = sum(len(v) for v in stats.samples.values())
    print(
        f"\n{args.agents} desk agents (think {args.think:g} s, talk {args.talk:g} s mean), simulator"
        f" 4 queues x {args.calls_per_hour:,.0f} calls/h with {args.sim_agents} simulated agents,"
        f" {args.supervisors} wallboards, {args.workers} uvicorn workers, {elapsed:.0f} s measured;"
        f" load average {before[0]:.2f} → {after[0]:.2f} (1 min)"
    )
    print(f"{'endpoint':<26} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'refused':>8}")
    for label in sorted(stats.samples):
        values = stats.samples[label]
        errors = sum(n for key, n in stats.errors.items() if key.startswith(label + ":"))
        print(
            f"{label:<26} {len(values):>6,} {_pct(values, 0.5):>8.1f} {_pct(values, 0.95):>8.1f}"
            f" {_pct(values, 0.99):>8.1f} {errors:>7} {stats.refused.get(label, 0):>8}"
        )
    everything = [v for values in stats.samples.values() for v in values]
    errors = sum(stats.errors.values())
    print(
        f"{'all':<26} {len(everything):>6,} {_pct(everything, 0.5):>8.1f} {_pct(everything, 0.95):>8.1f}"
        f" {_pct(everything, 0.99):>8.1f} {errors:>7} {sum(stats.refused.values()):>8}"
    )
    print(
        f"{total / elapsed:,.1f} desk requests/s; server + PostgreSQL CPU {cpu:.0f} s in all"
        f" = {cpu * 1000 / max(1, total):.1f} ms per desk request (ingest and wallboards included)"
    )
    print(f"ingest: {events:,} simulator events stored, {events / elapsed:,.0f} events/s")
    print("desk calls: " + ", ".join(f"{key} {value}" for key, value in sorted(stats.counts.items())))
    messages, snapshots = sum(stats.board_messages), sum(stats.board_snapshots)
    per_socket = [m / elapsed for m in stats.board_messages]
    print(
        f"wallboards: {len(per_socket)} sockets, {messages:,} messages ({snapshots:,} snapshots) ="
        f" {messages / elapsed:,.1f} messages/s in all, per socket median"
        f" {statistics.median(per_socket) if per_socket else 0:.2f}/s (min {min(per_socket, default=0):.2f})"
    )
    if stats.errors:
        print("errors:", dict(stats.errors))
    record("load_desk_p95_ms", _pct(everything, 0.95), "ms")
    record("load_errors", errors, "")
    record("load_wallboard_msgs_per_s", messages / elapsed, "msg/s")
    record("load_ingest_events_per_s", events / elapsed, "events/s")


if __name__ == "__main__":
    main()
