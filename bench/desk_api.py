"""Benchmark: ticket and customer APIs under 50 concurrent keep-alive clients, 1 M customers and 1 M tickets.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/callcenter_desk_bench python bench/desk_api.py
Target (DESIGN §5): p95 <= 100 ms per endpoint on 2 cores.

The data is made in SQL (generate_series, a few statements of a million rows each); a rerun reuses
the rows already there and tops up to the sizes asked for. Clients are agents (their own and their
teams' tickets) and supervisors (every ticket), and pick their next request from a fixed mix of
list, search, detail and timeline calls with keys read from the data (agents also read their
desktop state). Each client keeps one HTTP/1.1 connection open, like a browser does.

What "50 concurrent users" means here (the assumptions, printed with the figures):
- Users think. A person at the agent desktop does not fire requests back to back: each client
  waits a random pause between its requests, exponential with mean --think (default 1 s, a busy
  agent who searches or opens something every second; real desks are slower, several seconds).
  50 users then offer about 50 / (think + latency) requests a second. --think 0 drives every client
  back to back instead: a throughput (saturation) test, where p95 is queueing, not service time.
- Users are already at work when the clock starts: each client's first request also comes after
  such a pause, so the 50 do not all click in the same millisecond (a start in step is a burst
  that no floor of people makes, and it was most of every endpoint's p99).
- Users are logged in as browsers are: a session cookie (--auth session, the default), which
  reads the session and the user on each request; --auth token uses DRF tokens as API clients do.
- The load generator runs on the same machine as the server and PostgreSQL, so it competes for
  the same cores; the CPU a request costs (server + PostgreSQL, printed) is the figure that the
  rest of the machine's load changes least.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from urllib.parse import quote, urlencode, urlparse

from common import CpuMeter, django_setup, record, start_server


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FIRST = _words(
    "Ava Ben Chloe Dan Elif Farid Grace Hugo Ines Jamal Keiko Leo Mina Noah Olga Pedro Quinn Rosa Sami "
    "Tara Uma Victor Wen Yara Zoe Adam Bella Carlos Dina Emil Fatima George Hana Ivan Julia Karim Lena "
    "Marco Nadia Oscar Priya Rami Sara Tom Ursula Vera Walter Ximena Yusuf Zara Amir Beatriz Cyrus Daria "
    "Elena Felix Gita Hassan Irene Jonas Kira Lukas Maya Nils Omar Paula Reza Sofia Timo Umar Vanya "
    "William Yasmin Anna Boris Clara David Emma Frank Hilda Isaac Jana Kai Lara Milan Nora Otto Pia Ravi"
)
SYLLABLES = _words(
    "ba be bi bo da de di do fa fe ka ke ki ko la le li lo ma me mi mo na ne ni no pa pe ra re ri ro "
    "sa se si so ta te ti to va ve vi wa za zo ber dan son sen man mann ton ley ford berg stein"
)
COMPANY_SUFFIX = _words("Ltd Inc GmbH Group Foods Logistics Retail Systems Partners Labs")
DOMAINS = _words("example.com example.org example.net mail.test inbox.test post.test")
SUBJECTS = _words(
    "Router keeps rebooting|Invoice shows a double charge|Cannot log in to the portal|Delivery is late|"
    "Refund not received|Change of address|Broken item on arrival|Upgrade my plan|Cancel subscription|"
    "Line drops every evening|Password reset mail never arrives|Wrong size sent|App crashes on start|"
    "Question about the warranty|Fax machine offline|Slow internet since Monday|Card payment declined",
    "|",
)


# --- data ------------------------------------------------------------------------------------------
def _count(cursor, table: str) -> int:
    cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our own table names
    return cursor.fetchone()[0]


def users_ensure(
    n_agents: int, n_supervisors: int, n_teams: int, auth: str = "token"
) -> tuple[list[str], list[str]]:
    """Bench agents in teams and supervisors; returns the request header that authenticates each,
    (agents', supervisors'): `Authorization: Token …` with auth="token", or a fresh logged-in
    session's `Cookie: sessionid=…` with auth="session"."""
    from django.contrib.auth import get_user_model

    from agents.models import Team
    from callcenter.services import user_roles_set

    users = get_user_model()
    teams = [Team.objects.get_or_create(name=f"Bench team {k + 1}")[0] for k in range(n_teams)]
    agent_tokens, supervisor_tokens = [], []
    for k in range(n_supervisors):
        user, created = users.objects.get_or_create(
            username=f"bench-sup-{k + 1}", defaults={"first_name": "Sup"}
        )
        if created:
            user_roles_set(user=user, roles=["supervisor"])
        supervisor_tokens.append(_credentials(user, auth))
    for k in range(n_agents):
        user, created = users.objects.get_or_create(
            username=f"bench-agent-{k + 1}", defaults={"first_name": "Agent"}
        )
        if created:
            user_roles_set(user=user, roles=["agent"])
            teams[k % n_teams].members.add(user)
        agent_tokens.append(_credentials(user, auth))
    return agent_tokens, supervisor_tokens


def _credentials(user, auth: str) -> str:
    """The header line that authenticates `user`: a DRF token, or a logged-in session's cookie
    made as django.contrib.auth.login makes it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import SessionBase
    from django.utils.module_loading import import_string
    from rest_framework.authtoken.models import Token

    if auth == "token":
        return f"Authorization: Token {Token.objects.get_or_create(user=user)[0].key}"
    store: SessionBase = import_string(f"{settings.SESSION_ENGINE}.SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"Cookie: {settings.SESSION_COOKIE_NAME}={store.session_key}"


def customers_ensure(cursor, target: int) -> None:
    """Top `tickets_customer` up to `target` rows, each with a phone (30 % two), an e-mail (20 % two)
    and 10 % with a tag. Names are a first name and a made-up surname of 2-3 syllables (~60,000)."""
    have = _count(cursor, "tickets_customer")
    if have >= target:
        print(f"customers: {have:,} already there")
        return
    started = time.perf_counter()
    cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_customer")
    base = cursor.fetchone()[0]
    n = target - have
    cursor.execute(
        """
        CREATE TEMP TABLE bench_new_customers ON COMMIT DROP AS
        SELECT g, f[1 + abs(hashint8extended(g, 1)) %% array_length(f, 1)] AS first,
               initcap(s[1 + abs(hashint8extended(g, 2)) %% array_length(s, 1)]
                 || s[1 + abs(hashint8extended(g, 3)) %% array_length(s, 1)]
                 || CASE WHEN g %% 3 = 0 THEN s[1 + abs(hashint8extended(g, 4)) %% array_length(s, 1)]
                         ELSE '' END) AS last
        FROM generate_series(%(start)s, %(stop)s) AS g,
             (SELECT %(first)s::text[] AS f, %(syllables)s::text[] AS s) AS words
        """,
        {"start": base + 1, "stop": base + n, "first": list(FIRST), "syllables": list(SYLLABLES)},
    )
    cursor.execute(
        """
        INSERT INTO tickets_customer (id, name, company, notes, consent_calls, consent_email, consent_sms,
                                      consent_recording, created_at, updated_at, version)
        SELECT g, first || ' ' || last,
               CASE WHEN g %% 3 = 0 THEN '' ELSE
                 initcap(s[1 + abs(hashint8extended(g, 5)) %% array_length(s, 1)]
                   || s[1 + abs(hashint8extended(g, 6)) %% array_length(s, 1)])
                 || ' ' || c[1 + abs(hashint8extended(g, 7)) %% array_length(c, 1)] END,
               '', g %% 50 <> 0, true, g %% 4 = 0, g %% 10 <> 0,
               now() - (%(stop)s - g) * interval '30 seconds', now(), 1
        FROM bench_new_customers, (SELECT %(syllables)s::text[] AS s, %(suffix)s::text[] AS c) AS words
        """,
        {"stop": base + n, "syllables": list(SYLLABLES), "suffix": list(COMPANY_SUFFIX)},
    )
    cursor.execute("SELECT setval(pg_get_serial_sequence('tickets_customer', 'id'), %s)", [base + n])
    # US numbers: area code 200-999 and seven digits, from a hash of the id (rarely two alike).
    phone = (
        "'+1' || (200 + abs(hashint8extended(g, {seed})) % 800)::text"
        " || lpad((abs(hashint8extended(g, {seed} + 1)) % 10000000)::text, 7, '0')"
    )
    mobile, work = phone.format(seed=10), phone.format(seed=20)
    sql = (
        "INSERT INTO tickets_customerphone (customer_id, number, label)"  # noqa: S608 - our own SQL
        f" SELECT g, {mobile}, 'mobile' FROM bench_new_customers UNION ALL"
        f" SELECT g, {work}, 'work' FROM bench_new_customers WHERE g % 10 < 3 ON CONFLICT DO NOTHING"
    )
    cursor.execute(sql)
    cursor.execute(
        """
        INSERT INTO tickets_customeremail (customer_id, email, label)
        SELECT g, lower(first) || '.' || lower(last) || g::text || '@' || d[1 + g %% array_length(d, 1)], ''
        FROM bench_new_customers, (SELECT %(domains)s::text[] AS d) AS words
        UNION ALL
        SELECT g, lower(left(first, 1)) || lower(last) || '@' || lower(last) || '.test', 'work'
        FROM bench_new_customers WHERE g %% 5 = 0
        ON CONFLICT DO NOTHING
        """,
        {"domains": list(DOMAINS)},
    )
    cursor.execute(
        "INSERT INTO tickets_tag (name) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
        [["vip", "wholesale", "complaint", "new", "churn-risk", "partner", "press", "reseller"]],
    )
    cursor.execute(
        """
        INSERT INTO tickets_customer_tags (customer_id, tag_id)
        SELECT g, (SELECT id FROM tickets_tag ORDER BY id OFFSET g % 8 LIMIT 1)
        FROM bench_new_customers WHERE g % 10 = 0
        """
    )
    print(f"customers: {n:,} added in {time.perf_counter() - started:.0f} s")


def tickets_ensure(cursor, target: int) -> None:
    """Top `tickets_ticket` up to `target` rows over the last year (ids in time order): 70 % done,
    the rest new/open/pending/on hold with SLA due times; teams and assignees among the bench users."""
    have = _count(cursor, "tickets_ticket")
    if have >= target:
        print(f"tickets: {have:,} already there")
        return
    started = time.perf_counter()
    n = target - have
    cursor.execute("SELECT min(id), max(id) FROM tickets_customer")
    low, high = cursor.fetchone()
    cursor.execute("SELECT array_agg(id ORDER BY id) FROM agents_team WHERE name LIKE 'Bench team %'")
    teams = cursor.fetchone()[0]
    cursor.execute("SELECT array_agg(id ORDER BY id) FROM auth_user WHERE username LIKE 'bench-agent-%'")
    agents = cursor.fetchone()[0]
    cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
    base = cursor.fetchone()[0]
    cursor.execute(
        """
        INSERT INTO tickets_ticket (id, subject, description, channel, status, priority, customer_id,
            team_id, assignee_id, created_at, updated_at, version, sla_paused_business_s,
            first_responded_at, resolved_at, closed_at, first_response_due_at, resolution_due_at,
            first_response_warn_at, resolution_warn_at)
        SELECT g, subject, '', channel, status, priority, customer_id, team_id, assignee_id, created_at,
               created_at, 1, 0,
               CASE WHEN status NOT IN ('new') THEN created_at + interval '20 minutes' END,
               CASE WHEN status IN ('resolved', 'closed') THEN created_at + interval '6 hours' END,
               CASE WHEN status = 'closed' THEN created_at + interval '2 days' END,
               created_at + interval '1 hour', created_at + interval '8 hours',
               created_at + interval '48 minutes', created_at + interval '384 minutes'
        FROM (
          SELECT g,
                 subj[1 + abs(hashint8extended(g, 1)) %% array_length(subj, 1)] AS subject,
                 (ARRAY['phone', 'phone', 'phone', 'email', 'email', 'chat', 'web'])[1 + g %% 7] AS channel,
                 CASE WHEN g > %(stop)s - 20000 THEN (ARRAY['new', 'open', 'open', 'pending',
                        'on_hold'])[1 + abs(hashint8extended(g, 2)) %% 5]
                      WHEN abs(hashint8extended(g, 2)) %% 100 < 10 THEN 'open'
                      WHEN abs(hashint8extended(g, 2)) %% 100 < 13 THEN 'pending'
                      WHEN abs(hashint8extended(g, 2)) %% 100 < 40 THEN 'resolved'
                      ELSE 'closed' END AS status,
                 1 + abs(hashint8extended(g, 3)) %% 4 AS priority,
                 %(low)s + abs(hashint8extended(g, 4)) %% (%(high)s - %(low)s + 1) AS customer_id,
                 CASE WHEN g %% 10 = 0 THEN NULL ELSE teams[1 + g %% array_length(teams, 1)] END AS team_id,
                 CASE WHEN g %% 4 = 0 THEN NULL
                      ELSE agents[1 + abs(hashint8extended(g, 5)) %% array_length(agents, 1)]
                      END AS assignee_id,
                 now() - (%(stop)s - g) * interval '31 seconds' AS created_at
          FROM generate_series(%(start)s, %(stop)s) AS g,
               (SELECT %(subjects)s::text[] AS subj, %(teams)s::bigint[] AS teams,
                       %(agents)s::int[] AS agents) AS words
        ) AS t
        """,
        {
            "start": base + 1,
            "stop": base + n,
            "subjects": list(SUBJECTS),
            "low": low,
            "high": high,
            "teams": teams,
            "agents": agents,
        },
    )
    cursor.execute("SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), %s)", [base + n])
    print(f"tickets: {n:,} added in {time.perf_counter() - started:.0f} s")


def calls_ensure(cursor, target: int) -> None:
    """Top `telephony_call` (source "bench") up to `target` calls over the last year, each from or to
    a stored customer number, most answered (a CSAT answer on some); a call log with notes and a
    disposition for every fifth. This is what a customer's contact history reads."""
    from telephony.models import Queue
    from telephony.services import feed_source_ensure

    source = feed_source_ensure(name="bench")
    cursor.execute("SELECT count(*) FROM telephony_call WHERE source_id = %s", [source.pk])
    have = cursor.fetchone()[0]
    if have >= target:
        print(f"calls: {have:,} already there")
        return
    started = time.perf_counter()
    n = target - have
    queues = [Queue.objects.get_or_create(name=name)[0].pk for name in ("sales", "support", "billing")]
    cursor.execute("SELECT min(id), max(id) FROM tickets_customerphone")
    low, high = cursor.fetchone()
    cursor.execute("SELECT array_agg(id ORDER BY id) FROM auth_user WHERE username LIKE 'bench-agent-%'")
    agents = cursor.fetchone()[0]
    cursor.execute(
        """
        CREATE TEMP TABLE bench_new_calls ON COMMIT DROP AS
        SELECT g, 'bench-' || g::text AS call_id,
               CASE WHEN g %% 10 = 0 THEN 'outbound' ELSE 'inbound' END AS direction,
               (SELECT number FROM tickets_customerphone
                 WHERE id >= %(low)s + abs(hashint8extended(g, 1)) %% (%(high)s - %(low)s + 1)
                 ORDER BY id LIMIT 1) AS number,
               queues[1 + g %% array_length(queues, 1)] AS queue_id,
               agents[1 + abs(hashint8extended(g, 2)) %% array_length(agents, 1)] AS agent_id,
               now() - (%(stop)s - g) * interval '6 seconds' AS at,
               abs(hashint8extended(g, 3)) %% 100 AS roll
        FROM generate_series(%(start)s, %(stop)s) AS g,
             (SELECT %(queues)s::bigint[] AS queues, %(agents)s::int[] AS agents) AS words
        """,
        {"start": have + 1, "stop": have + n, "low": low, "high": high, "queues": queues, "agents": agents},
    )
    cursor.execute(
        """
        INSERT INTO telephony_call (source_id, call_id, direction, caller, callee, agent_code, agent_id,
            queue_id, offered_at, queued_at, answered_at, ended_at, wait_s, talk_s, hold_s, acw_s, outcome,
            ended_by, transfers, ivr_path, recording_url, csat, first_event_at, last_event_at)
        SELECT %(source)s, call_id, direction,
               CASE WHEN direction = 'inbound' THEN number ELSE '' END,
               CASE WHEN direction = 'outbound' THEN number ELSE '' END,
               CASE WHEN roll < 90 THEN 'agent' || agent_id::text ELSE '' END,
               CASE WHEN roll < 90 THEN agent_id END, queue_id, at, at + interval '5 seconds',
               CASE WHEN roll < 90 THEN at + interval '30 seconds' END,
               at + interval '4 minutes', 25, CASE WHEN roll < 90 THEN 180 END, 0, 20,
               CASE WHEN roll < 90 THEN 'answered' ELSE 'abandoned' END, 'caller', 0, '[]'::jsonb, '',
               CASE WHEN roll < 20 THEN 1 + roll %% 5 END, at, at + interval '5 minutes'
        FROM bench_new_calls
        """,
        {"source": source.pk},
    )
    cursor.execute(
        'INSERT INTO tickets_disposition (code, label, requires_ticket, active, "order")'
        " VALUES ('bench-resolved', 'Resolved on the call', false, true, 0) ON CONFLICT DO NOTHING"
    )
    cursor.execute(
        """
        INSERT INTO tickets_calllog (call_id, agent_id, customer_id, disposition_id, caller, queue, direction,
            notes, wrapup_s, created_at, updated_at)
        SELECT c.call_id, c.agent_id, p.customer_id,
               (SELECT id FROM tickets_disposition WHERE code = 'bench-resolved'),
               c.number, 'support', c.direction, 'Explained the invoice; customer happy.', 20,
               c.at + interval '5 minutes', c.at + interval '5 minutes'
        FROM bench_new_calls c
        JOIN LATERAL (SELECT customer_id FROM tickets_customerphone WHERE number = c.number LIMIT 1) p ON true
        WHERE c.g % 5 = 0 AND c.roll < 90
        ON CONFLICT DO NOTHING
        """
    )
    print(f"calls: {n:,} added in {time.perf_counter() - started:.0f} s")


def keys_sample(cursor, k: int) -> dict[str, list]:
    """Real values to ask for: customers, their names, numbers and addresses, ticket ids, subject words."""
    cursor.execute("SELECT id FROM tickets_customer TABLESAMPLE SYSTEM (1) LIMIT %s", [k])
    ids = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT name FROM tickets_customer WHERE id = ANY(%s)", [ids])
    names = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT number FROM tickets_customerphone WHERE customer_id = ANY(%s)", [ids])
    numbers = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT email FROM tickets_customeremail WHERE customer_id = ANY(%s)", [ids])
    emails = [row[0] for row in cursor.fetchall()]
    cursor.execute("SELECT id, team_id FROM tickets_ticket TABLESAMPLE SYSTEM (2) LIMIT %s", [k * 5])
    sampled = cursor.fetchall()
    tickets = [pk for pk, _team in sampled]
    cursor.execute("SELECT id FROM agents_team WHERE name LIKE 'Bench team %%' ORDER BY id")
    teams = [row[0] for row in cursor.fetchall()]
    # An agent opens tickets of their own team (others' are 404 to them, as they should be).
    team_tickets = [[pk for pk, team in sampled if team == team_id] for team_id in teams]
    return {
        "customers": ids,
        "names": names,
        "numbers": numbers,
        "emails": emails,
        "tickets": tickets,
        "team_tickets": team_tickets,
        "words": [word for subject in SUBJECTS for word in subject.split() if len(word) > 4],
    }


# --- load ------------------------------------------------------------------------------------------
def request_mix(keys: dict[str, list], supervisor: bool, team: int, rng: random.Random) -> tuple[str, str]:
    """The next (endpoint label, path) a client asks for, from a desk agent's day: lists and searches
    of tickets, customer searches by each key, a customer's card and contact history."""
    customer = rng.choice(keys["customers"])
    name = rng.choice(keys["names"])
    number = rng.choice(keys["numbers"])
    choices = [
        ("tickets list", "/api/tickets/?" + urlencode({"view": "all" if supervisor else "my_open"})),
        (
            "tickets list",
            "/api/tickets/?" + urlencode({"view": "team" if not supervisor else "breaching_soon"}),
        ),
        (
            "tickets list",
            "/api/tickets/?" + urlencode({"view": "all", "status": "open", "priority": rng.randint(1, 4)}),
        ),
        ("tickets search", "/api/tickets/?" + urlencode({"view": "all", "q": rng.choice(keys["words"])})),
        (
            "tickets search",
            "/api/tickets/?" + urlencode({"view": "all", "q": f"T-{rng.choice(keys['tickets'])}"}),
        ),
        (
            "ticket detail",
            f"/api/tickets/{rng.choice(keys['tickets'] if supervisor else keys['team_tickets'][team])}/",
        ),
        ("customers search name", "/api/customers/?" + urlencode({"q": name.split()[-1]})),
        ("customers search name", "/api/customers/?" + urlencode({"q": name})),
        ("customers search phone", "/api/customers/?" + urlencode({"q": number[-7:-4] + " " + number[-4:]})),
        (
            "customers search phone",
            "/api/customers/?" + urlencode({"q": f"({number[2:5]}) {number[5:8]}-{number[8:]}"}),
        ),
        ("customers search email", "/api/customers/?" + urlencode({"q": rng.choice(keys["emails"])})),
        (
            "customers search ticket",
            "/api/customers/?" + urlencode({"q": f"T-{rng.choice(keys['tickets'])}"}),
        ),
        ("customers list", "/api/customers/"),
        ("customer match", "/api/customers/match?phone=" + quote(number)),
        ("customer detail", f"/api/customers/{customer}/"),
        ("customer timeline", f"/api/customers/{customer}/timeline/"),
    ]
    if not supervisor:
        # The desktop page asks for the agent's state when it opens (then the websocket pushes it).
        choices.append(("desktop state", "/api/desktop/state"))
    return rng.choice(choices)


async def _client(
    base: str,
    token: str,
    supervisor: bool,
    keys: dict,
    until: float,
    think: float,
    seed: int,
    samples: dict[str, list[float]],
    errors: dict[str, int],
) -> None:
    url = urlparse(base)
    rng = random.Random(seed)
    head = f"Host: {url.netloc}\r\n{token}\r\nAccept: application/json\r\n"
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    if think:
        # Users who are already at work: each is somewhere in a pause when the clock starts, not
        # all clicking in the same millisecond (a start in step queued 50 requests on the server
        # at once, and their 0.5-0.8 s were most of every endpoint's p99).
        await asyncio.sleep(rng.expovariate(1 / think))
    while time.monotonic() < until:
        # bench-agent-N is in team (N - 1) % 5 (users_ensure); seeds count agents from 0.
        label, path = request_mix(keys, supervisor, seed % 5, rng)
        started = time.perf_counter()
        try:
            writer.write(f"GET {path} HTTP/1.1\r\n{head}\r\n".encode())
            await writer.drain()
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionResetError
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
        except (ConnectionError, asyncio.IncompleteReadError):
            # The server closed an idle keep-alive connection (uvicorn: after 5 s); a browser
            # reconnects and asks again, and so do we, without counting the lost attempt.
            writer.close()
            reader, writer = await asyncio.open_connection(url.hostname, url.port)
            continue
        elapsed = time.perf_counter() - started
        status = int(status_line.split()[1])
        if status != 200:
            errors[f"{label} {status}"] += 1
        samples[label].append(elapsed)
        if think:
            await asyncio.sleep(rng.expovariate(1 / think))
    writer.close()


async def _drive(base: str, tokens: list[tuple[str, bool]], keys: dict, seconds: float, think: float):
    samples: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    until = time.monotonic() + seconds
    await asyncio.gather(
        *[
            _client(base, token, supervisor, keys, until, think, seed, samples, errors)
            for seed, (token, supervisor) in enumerate(tokens)
        ]
    )
    return samples, errors


async def _one_endpoint(base: str, token: str, paths: list[str]) -> list[float]:
    """`paths` in turn on one keep-alive connection; the latency of each."""
    url = urlparse(base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    head = f"Host: {url.netloc}\r\n{token}\r\nAccept: application/json\r\n"
    latencies = []
    for path in paths:
        started = time.perf_counter()
        writer.write(f"GET {path} HTTP/1.1\r\n{head}\r\n".encode())
        await writer.drain()
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        if int(status.split()[1]) != 200:
            raise SystemExit(f"{path}: {status.decode().strip()}")
        latencies.append(time.perf_counter() - started)
    writer.close()
    return latencies


def cpu_by_endpoint(base: str, server_pid: int, credentials: tuple[str, str], keys: dict, n: int) -> None:
    """Each endpoint alone, one client, `n` requests: latency and the CPU a request costs in the
    server and in PostgreSQL (figures that the rest of the machine's load barely moves).
    `credentials` are (a supervisor's, an agent's): the agent asks what only agents ask."""
    from common import _tree, cpu_of
    from django.db import connection

    def backends() -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return [row[0] for row in cursor.fetchall()]

    rng = random.Random(7)
    by_label: dict[str, list[str]] = defaultdict(list)
    while min((len(v) for v in by_label.values()), default=0) < n:
        label, path = request_mix(keys, True, 0, rng)
        by_label[label].append(path)
    supervisor_labels = set(by_label)
    for _ in range(200 * n):  # the agent-only endpoints, from the agents' mix
        label, path = request_mix(keys, False, 0, rng)
        if label not in supervisor_labels and len(by_label[label]) < n:
            by_label[label].append(path)
    print(
        f"\n{'endpoint (alone, 1 client)':<28} {'p50 ms':>7} {'p95 ms':>7} {'server CPU':>11} {'PG CPU':>8}"
    )
    for label in sorted(by_label):
        paths = by_label[label][:n]
        server_pids, pg_pids = _tree(server_pid), backends()
        before = ([cpu_of(pid) for pid in server_pids], [cpu_of(pid) for pid in pg_pids])
        credential = credentials[0] if label in supervisor_labels else credentials[1]
        latencies = asyncio.run(_one_endpoint(base, credential, paths))
        pg_pids_after = backends()
        server_cpu = sum(cpu_of(pid) for pid in server_pids) - sum(before[0])
        start_pg = dict(zip(pg_pids, before[1], strict=True))
        pg_cpu = sum(cpu_of(pid) - start_pg.get(pid, 0.0) for pid in pg_pids_after)
        print(
            f"{label:<28} {_pct(latencies, 0.5):>7.1f} {_pct(latencies, 0.95):>7.1f}"
            f" {server_cpu * 1000 / n:>8.1f} ms {pg_cpu * 1000 / n:>5.1f} ms"
        )


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=5_000_000, help="calls from or to customers' numbers")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--supervisors", type=int, default=5, help="of the clients, how many are supervisors")
    parser.add_argument("--seconds", type=float, default=60, help="how long to drive the load")
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean pause between a user's requests, s (exponential; 0: back to back, a saturation test)",
    )
    parser.add_argument(
        "--auth",
        choices=["session", "token"],
        default="session",
        help="session cookies as the browser desk uses, or DRF tokens as API clients do",
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--data-only", action="store_true", help="make the data, run no load")
    parser.add_argument(
        "--per-endpoint",
        type=int,
        default=50,
        metavar="N",
        help="first, N requests of each endpoint alone: its CPU per request (0: skip)",
    )
    args = parser.parse_args()
    # Keep connections (DESIGN §6): a psycopg pool under ASGI.
    os.environ.setdefault("DATABASE_POOL", "true")
    django_setup()
    from django.db import connection, transaction

    agent_tokens, supervisor_tokens = users_ensure(
        args.clients - args.supervisors, args.supervisors, 5, auth=args.auth
    )
    with transaction.atomic(), connection.cursor() as cursor:
        customers_ensure(cursor, args.customers)
    with transaction.atomic(), connection.cursor() as cursor:
        tickets_ensure(cursor, args.tickets)
    with transaction.atomic(), connection.cursor() as cursor:
        calls_ensure(cursor, args.calls)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        keys = keys_sample(cursor, 2000)
    if args.data_only:
        return
    connection.close()
    server, base = start_server(workers=args.workers)
    meter = CpuMeter(server.pid)
    load_before = os.getloadavg()
    try:
        tokens = [(t, False) for t in agent_tokens] + [(t, True) for t in supervisor_tokens]
        # A short warm-up fills caches and pools; its figures are dropped.
        asyncio.run(_drive(base, tokens, keys, 5, args.think))
        if args.per_endpoint:
            credentials = (supervisor_tokens[0], agent_tokens[0])
            cpu_by_endpoint(base, server.pid, credentials, keys, args.per_endpoint)
        meter.begin()
        generator_cpu = time.process_time()
        started = time.perf_counter()
        samples, errors = asyncio.run(_drive(base, tokens, keys, args.seconds, args.think))
        elapsed = time.perf_counter() - started
        generator_cpu = time.process_time() - generator_cpu
        cpu = meter.end()
    finally:
        server.terminate()
        server.wait()
    total = sum(len(v) for v in samples.values())
    print(
        f"\n{args.clients} clients ({args.supervisors} supervisors), {args.workers} uvicorn workers, "
        f"think {args.think:g} s, {elapsed:.0f} s: {total:,} requests, {total / elapsed:,.0f} req/s; "
        f"server + PostgreSQL CPU {cpu * 1000 / max(total, 1):.1f} ms a request"
        f" (wall-clock figures depend on what else runs on the machine, CPU per request less so)"
    )
    print(
        f"users: {args.auth} auth, "
        + (
            f"think time exponential, mean {args.think:g} s between a user's requests"
            if args.think
            else "no think time (back to back: a saturation test, p95 is mostly queueing)"
        )
        + f"; load generator on this machine: {generator_cpu * 1000 / max(total, 1):.1f} ms CPU a request;"
        f" load average {' '.join(f'{v:.2f}' for v in load_before)} before,"
        f" {' '.join(f'{v:.2f}' for v in os.getloadavg())} after ({os.cpu_count()} cores)"
    )
    print(f"{'endpoint':<26} {'n':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}   target p95 <= 100 ms")
    for label in sorted(samples):
        values = samples[label]
        print(
            f"{label:<26} {len(values):>7,} {_pct(values, 0.50):>8.1f} {_pct(values, 0.95):>8.1f}"
            f" {_pct(values, 0.99):>8.1f}   mean {statistics.fmean(values) * 1000:.1f}"
        )
    everything = [v for values in samples.values() for v in values]
    print(
        f"{'all':<26} {len(everything):>7,} {_pct(everything, 0.5):>8.1f} {_pct(everything, 0.95):>8.1f}"
        f" {_pct(everything, 0.99):>8.1f}"
    )
    worst = max(samples, key=lambda label: _pct(samples[label], 0.95))
    record("desk_p95_ms", _pct(everything, 0.95), "ms", p50=_pct(everything, 0.5), p99=_pct(everything, 0.99))
    record("desk_worst_p95_ms", _pct(samples[worst], 0.95), "ms", endpoint=worst)
    record("desk_req_per_s", total / elapsed, "req/s")
    record("desk_cpu_ms_per_request", cpu * 1000 / max(total, 1), "ms")
    record("desk_errors", sum(errors.values()), "")
    if errors:
        print("non-200 answers:", dict(errors))
        sys.exit(1)


if __name__ == "__main__":
    main()
