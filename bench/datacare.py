"""Benchmark: the audit log's pages over a million ticket changes, the retention purge and one
right-to-erasure on a database of realistic size.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_care_bench python bench/datacare.py

Generated once per database with SQL (reused by later runs): --customers customers (one phone each,
one change each), tickets for half of them with --events ticket changes, and two calls per customer
over the last 400 days with a recording reference each. The purge and erasure run inside a
transaction that is rolled back, so every run measures the same data. No targets in DESIGN §5: the
figures are printed for the record.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

from common import django_setup

SOURCE = "bench-datacare"


def generate(customers: int, events: int) -> None:
    from django.db import connection, transaction

    from tickets.models import Customer

    if Customer.objects.filter(name__startswith="Bench customer").exists():
        return
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        c.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,"
            " is_active, date_joined) SELECT '!', false, 'bench' || n, 'Bench', 'Agent ' || n, '', false,"
            " true, now() FROM generate_series(1, 50) n ON CONFLICT DO NOTHING"
        )
        c.execute(
            "INSERT INTO tickets_customer (name, company, notes, consent_calls, consent_email, consent_sms,"
            " consent_recording, created_at, updated_at, version) SELECT 'Bench customer ' || n,"
            " 'Company ' || (n %% 997), 'notes', true, true, false, true, now() - interval '500 days',"
            " now(), 1 FROM generate_series(1, %s) n",
            [customers],
        )
        c.execute(
            "INSERT INTO tickets_customerphone (customer_id, number, label) SELECT id, '+1415' ||"
            " lpad(id::text, 7, '0'), '' FROM tickets_customer WHERE name LIKE 'Bench customer %%'",
            [],
        )
        c.execute("SELECT min(id) FROM auth_user WHERE username LIKE 'bench%%'", [])
        first_user = c.fetchone()[0]
        c.execute(
            "INSERT INTO tickets_customerevent (customer_id, actor_id, kind, changes, created_at) SELECT id,"
            " %s + id %% 50, 'created', jsonb_build_object('name', jsonb_build_array(null, name)),"
            " now() - interval '500 days' FROM tickets_customer WHERE name LIKE 'Bench customer %%'",
            [first_user],
        )
        c.execute(
            "INSERT INTO tickets_ticket (subject, description, channel, status, priority, customer_id,"
            " created_at, updated_at, version, sla_paused_business_s) SELECT 'Bench ticket ' || id, 'text',"
            " 'phone', 'closed', 2, id, now() - interval '450 days', now() - interval '450 days', 1, 0"
            " FROM tickets_customer WHERE name LIKE 'Bench customer %%' AND id %% 2 = 0",
            [],
        )
        c.execute("SELECT min(id), max(id) FROM tickets_ticket WHERE subject LIKE 'Bench ticket %%'", [])
        low, high = c.fetchone()
        c.execute(
            "INSERT INTO tickets_ticketevent (ticket_id, actor_id, kind, changes, created_at) SELECT"
            " %s + g %% %s, %s + (g %% 50), 'updated', jsonb_build_object('status', jsonb_build_array('open',"
            " 'pending')), now() - (g %% 43200) * interval '1 minute' FROM generate_series(1, %s) g",
            [low, high - low + 1, first_user, events],
        )
        c.execute(
            "INSERT INTO telephony_feedsource (name, secret, active, created_at) VALUES (%s,"
            " md5(random()::text), true, now()) ON CONFLICT DO NOTHING",
            [SOURCE],
        )
        c.execute("SELECT id FROM telephony_feedsource WHERE name = %s", [SOURCE])
        source_id = c.fetchone()[0]
        c.execute(
            "INSERT INTO telephony_call (source_id, call_id, direction, caller, callee, agent_code,"
            " offered_at, queued_at, answered_at, ended_at, wait_s, talk_s, outcome, ended_by, transfers,"
            " ivr_path, recording_url, first_event_at, last_event_at) SELECT %s, 'b' || p.id || '-' || k,"
            " 'inbound', p.number, '', 'agent', t, t, t, t + interval '3 minutes', 10, 170, 'answered',"
            " 'caller', 0, '[]', 'recordings/bench/' || p.id || '-' || k || '.wav', t,"
            " t + interval '3 minutes' FROM tickets_customerphone p CROSS JOIN generate_series(1, 2) k"
            " CROSS JOIN LATERAL (SELECT now() - ((p.id * 7 + k * 13) %% 400) * interval '1 day' AS t) times"
            " WHERE p.number LIKE '+1415%%'",
            [source_id],
        )
        c.execute("ANALYZE")
    print(f"generated in {time.perf_counter() - started:.1f} s")


def timed(fn, runs: int = 5) -> tuple[float, object]:
    """Median of `runs` timings after one warm-up run (the first builds Django's URL resolver)."""
    samples, result = [], fn()
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--stale-days", type=int, default=300, help="RETENTION_CUSTOMER_PII_DAYS for the run")
    args = parser.parse_args()
    django_setup()
    generate(args.customers, args.events)

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from callcenter.audit import AuditFilters, audit_entries
    from callcenter.retention import retention_run
    from tickets.models import Customer, TicketEvent
    from tickets.services.erasure import customer_erase

    print(f"ticket events: {TicketEvent.objects.count():,}; customers: {Customer.objects.count():,}")
    rows = []

    def deep_page(depth: int = 20):
        page = audit_entries(filters=AuditFilters(), limit=50)
        for _ in range(depth - 1):
            page = audit_entries(filters=AuditFilters(), limit=50, cursor=page.next_cursor)
        return page

    user = get_user_model().objects.filter(username="bench7").first()
    now = timezone.now()
    cases = [
        ("audit: first page (50), no filter", lambda: audit_entries(filters=AuditFilters(), limit=50)),
        ("audit: pages 1-20 by cursor (per page)", deep_page),
        (
            "audit: one person's changes",
            lambda: audit_entries(filters=AuditFilters(actor_id=user.pk), limit=50),
        ),
        (
            "audit: tickets, one day a week ago",
            lambda: audit_entries(
                filters=AuditFilters(
                    object_type="ticket", start=now - timedelta(days=8), end=now - timedelta(days=7)
                ),
                limit=50,
            ),
        ),
    ]
    for label, fn in cases:
        seconds, _ = timed(fn)
        if "1-20" in label:
            seconds /= 20
        rows.append((label, f"{seconds * 1000:.1f} ms"))

    class Rollback(Exception):
        pass

    def in_rollback(fn):
        result = {}
        try:
            with transaction.atomic():
                result["value"] = fn()
                raise Rollback
        except Rollback:
            pass
        return result["value"]

    started = time.perf_counter()
    run = in_rollback(
        lambda: retention_run(recordings_days=args.stale_days, customer_pii_days=args.stale_days)
    )
    seconds = time.perf_counter() - started
    rows.append(
        (
            f"retention: {run.recordings:,} recordings + {run.customers:,} customers erased",
            f"{seconds:.1f} s ({(run.recordings + run.customers) / max(seconds, 1e-9):,.0f} rows/s)",
        )
    )
    target = Customer.objects.filter(name__startswith="Bench customer").order_by("pk").first()
    seconds, result = timed(lambda: in_rollback(lambda: customer_erase(customer_id=target.pk)), runs=5)
    rows.append(
        (f"erase_customer: {result.calls} calls, {result.recordings} recordings", f"{seconds * 1000:.0f} ms")
    )
    connection.close()
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
