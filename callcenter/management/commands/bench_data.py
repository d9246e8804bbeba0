"""python manage.py bench_data: the benchmark data set (1 M customers, 1 M tickets, 5 M calls) in bulk.

Each part is written with COPY (psycopg 3 `cursor.copy`) in one transaction of its own, with the
table's secondary indexes dropped for the load and rebuilt after it (one index build is far cheaper
than 5 M index insertions). A part whose table already holds the rows asked for is skipped, so a
rerun costs a few counts. Then VACUUM ANALYZE: a freshly loaded table has no visibility map and no
planner statistics, and autovacuum may be off.

Distributions: customers have 1-3 phones (60/30/10 %) and 1-2 e-mail addresses (80/20 %), 10 % a tag,
2/3 a company; tickets span a year (ids in time order), mostly resolved or closed, the newest still
new/open/pending/on hold, over 4 priorities, 7 categories and 5 teams, 3/4 assigned to an agent of
their team; calls span the last 30 days with an intraday curve (quiet nights, a morning and an
afternoon peak) and lighter weekends, over 8 queues of different sizes and 600 agents, 90 % inbound
(80 % of those from a stored customer number), 85 % answered, 10 % abandoned, 5 % timed out,
5 % of answered calls transferred into a second queue (a second queue visit), 20 % surveyed, and a
wrap-up log (notes, disposition, customer) for a fifth of the answered calls from known numbers.
"""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

AGENTS = 600  # bench-agent-1 … : agent k is in "Bench team ((k - 1) % 5 + 1)" (as bench/desk_api.py has it)
SUPERVISORS = 5
TEAMS = 5
CALL_SOURCE = "bench"
QUEUES = {  # name: share of inbound calls
    "sales": 0.22,
    "support": 0.30,
    "billing": 0.16,
    "tech": 0.12,
    "retention": 0.06,
    "orders": 0.07,
    "returns": 0.05,
    "vip": 0.02,
}
CATEGORIES = ("Billing", "Technical", "Delivery", "Account", "Returns", "Complaint", "Sales enquiry")
TAGS = ("vip", "wholesale", "complaint", "new", "churn-risk", "partner", "press", "reseller")


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FIRST = _words(
    "Ava Ben Chloe Dan Elif Farid Grace Hugo Ines Jamal Keiko Leo Mina Noah Olga Pedro Quinn Rosa Sami "
    "Tara Uma Victor Wen Yara Zoe Adam Bella Carlos Dina Emil Fatima George Hana Ivan Julia Karim Lena "
    "Marco Nadia Oscar Priya Rami Sara Tom Ursula Vera Walter Ximena Yusuf Zara Amir Beatriz Cyrus Daria "
    "Elena Felix Gita Hassan Irene Jonas Kira Lukas Maya Nils Omar Paula Reza Sofia Timo Umar Vanya "
    "William Yasmin Anna Boris"
)
SYLLABLES = _words(
    "ba be bi bo da de di do fa fe ka ke ki ko la le li lo ma me mi mo na ne ni no pa pe ra re ri ro sa se "
    "si so ta te ti to va ve vi wa za zo ber dan son sen man mann ton ley ford berg stein"
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
NOTES = (
    "Explained the invoice; customer happy.",
    "Reset the router remotely, line stable.",
    "Sent a replacement, told the customer 3 days.",
    "Customer will call back with the order number.",
    "Escalated to second line.",
)
HOURLY = [
    0.4,
    0.25,
    0.2,
    0.2,
    0.25,
    0.5,
    1.2,
    3,
    6,
    8.5,
    9.5,
    9,
    7.5,
    7.5,
    8.5,
    8.5,
    7.5,
    6,
    4,
    3,
    2.2,
    1.6,
    1,
    0.6,
]
CHUNK_ROWS = 50_000


def _ts(epoch: float) -> str:
    """A UTC timestamp for COPY text format, at second resolution (what a PBX logs)."""
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%d %H:%M:%S+00")


class _Copy:
    """Rows of one table collected as COPY text and sent in chunks."""

    def __init__(self, cursor: Any, table: str, columns: list[str]):
        self.cursor, self.table, self.columns = cursor, table, columns
        self.lines: list[str] = []
        self.rows = 0

    def add(self, *values: Any) -> None:
        self.lines.append("\t".join("\\N" if v is None else str(v) for v in values))
        if len(self.lines) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.lines:
            return
        sql = f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN"
        with self.cursor.copy(sql) as copy:
            copy.write("\n".join(self.lines) + "\n")
        self.rows += len(self.lines)
        self.lines = []


class _BulkLoad:
    """For the load, drop the tables' secondary indexes (not those behind constraints) and, when we
    are a superuser, switch off the per-row foreign-key triggers; on exit check every foreign key
    of the tables with one anti-join each (an orphan aborts the transaction) and rebuild the indexes."""

    def __init__(self, cursor: Any, tables: list[str]):
        self.cursor, self.tables = cursor, tables
        self.definitions: list[str] = []
        self.triggers_off = False

    def __enter__(self) -> _BulkLoad:
        cursor = self.cursor
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = ANY(%s::regclass[])"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [self.tables],
        )
        for name, definition in cursor.fetchall():
            self.definitions.append(definition)
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            # A queued check per row and foreign key costs more than the load itself.
            cursor.execute("SET LOCAL session_replication_role = replica")
            self.triggers_off = True
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is not None:  # the transaction rolls the drops back
            return
        cursor = self.cursor
        if self.triggers_off:
            cursor.execute("SET LOCAL session_replication_role = origin")
            self._check_foreign_keys()
        else:
            # Deferred checks first: an index cannot be built on a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for definition in self.definitions:
            cursor.execute(definition)

    def _check_foreign_keys(self) -> None:
        self.cursor.execute(
            "SELECT conrelid::regclass::text, a.attname, confrelid::regclass::text, b.attname"
            " FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = c.confkey[1]"
            " WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])",
            [self.tables],
        )
        for table, column, parent, key in self.cursor.fetchall():
            self.cursor.execute(
                f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS"  # noqa: S608
                f" (SELECT 1 FROM {parent} p WHERE p.{key} = t.{column})"
            )
            orphans = self.cursor.fetchone()[0]
            if orphans:
                raise CommandError(f"{orphans} rows of {table}.{column} point at no {parent} row")


def _count(cursor: Any, sql: str, params: list | None = None) -> int:
    cursor.execute(sql, params or [])
    return cursor.fetchone()[0]


def _next_id(cursor: Any, table: str) -> int:
    return _count(cursor, f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 - our own table names


def _set_sequence(cursor: Any, table: str) -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), greatest(1, (SELECT max(id) FROM {table})))"  # noqa: S608
    )


class Command(BaseCommand):
    help = "Generate the benchmark data set in bulk (PostgreSQL only); parts already there are skipped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--tickets", type=int, default=1_000_000)
        parser.add_argument("--calls", type=int, default=5_000_000)
        parser.add_argument("--days", type=int, default=30, help="the calls span the last DAYS days")
        parser.add_argument("--seed", type=int, default=8)
        parser.add_argument(
            "--force", action="store_true", help="write even into a database whose name lacks 'bench'"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("bench_data needs PostgreSQL (DATABASE_URL=postgres://…): it loads with COPY.")
        name = connection.settings_dict["NAME"]
        if "bench" not in name and not options["force"]:
            raise CommandError(
                f"Database {name!r} does not look like a benchmark database (no 'bench' in its name): "
                "it would get millions of made-up rows. Pass --force if that is what you want."
            )
        self.rng = random.Random(options["seed"])  # synthetic data: reproducible, not secret
        began = time.perf_counter()
        agents, teams = self._users()
        added = [
            self._step("customers", lambda: self._customers(options["customers"])),
            self._step("tickets", lambda: self._tickets(options["tickets"], agents, teams)),
            self._step("calls", lambda: self._calls(options["calls"], options["days"], agents)),
        ]
        if not any(added):
            self.stdout.write("bench data already there")
            return
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table in (
                "tickets_customer",
                "tickets_customerphone",
                "tickets_customeremail",
                "tickets_customer_tags",
                "tickets_ticket",
                "telephony_call",
                "telephony_queuevisit",
                "tickets_calllog",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
        self.stdout.write(f"VACUUM ANALYZE: {time.perf_counter() - started:.0f} s")
        self.stdout.write(f"bench data ready in {time.perf_counter() - began:.0f} s")

    def _step(self, label: str, work: Any) -> bool:
        """Run one part in a transaction of its own; True when it added rows."""
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            message = work()
        self.stdout.write(f"{label}: {message} ({time.perf_counter() - started:.0f} s)")
        return not message.endswith("skipped")

    # --- users ---------------------------------------------------------------------------------------
    @transaction.atomic
    def _users(self) -> tuple[list[tuple[int, str]], list[int]]:
        """Bench teams, agents and supervisors (made once); returns ([(agent id, code)], team ids)."""
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from agents.models import AgentProfile, Team
        from callcenter.roles import Role
        from callcenter.services import roles_sync

        roles_sync()
        users = get_user_model()
        teams = [Team.objects.get_or_create(name=f"Bench team {k + 1}")[0] for k in range(TEAMS)]
        wanted = [f"bench-agent-{k}" for k in range(1, AGENTS + 1)]
        wanted += [f"bench-sup-{k}" for k in range(1, SUPERVISORS + 1)]
        have = set(users.objects.filter(username__in=wanted).values_list("username", flat=True))
        missing = [name for name in wanted if name not in have]
        if missing:
            users.objects.bulk_create(
                [users(username=name, first_name=name.split("-")[1].title()) for name in missing]
            )
            for user in users.objects.filter(username__in=missing):
                user.set_unusable_password()
                user.save(update_fields=["password"])
            made = {u.username: u for u in users.objects.filter(username__in=missing)}
            groups = {
                g.name: g for g in Group.objects.filter(name__in=[Role.AGENT.value, Role.SUPERVISOR.value])
            }
            membership = users.groups.through
            team_members = Team.members.through
            rows, members = [], []
            for name, user in made.items():
                role = Role.AGENT.value if name.startswith("bench-agent-") else Role.SUPERVISOR.value
                rows.append(membership(user_id=user.pk, group_id=groups[role].pk))
                if role == Role.AGENT.value:
                    team = teams[(int(name.rsplit("-", 1)[1]) - 1) % TEAMS]
                    members.append(team_members(user_id=user.pk, team_id=team.pk))
            membership.objects.bulk_create(rows, ignore_conflicts=True)
            team_members.objects.bulk_create(members, ignore_conflicts=True)
            AgentProfile.objects.bulk_create(
                [AgentProfile(user=user, code=name) for name, user in made.items() if "agent" in name],
                ignore_conflicts=True,
            )
        agents = sorted(
            users.objects.filter(username__startswith="bench-agent-", username__in=wanted).values_list(
                "id", "username"
            ),
            key=lambda row: int(row[1].rsplit("-", 1)[1]),
        )
        return agents, [team.pk for team in teams]

    # --- customers -----------------------------------------------------------------------------------
    def _customers(self, target: int) -> str:
        rng = self.rng
        cursor = connection.cursor().cursor  # the psycopg cursor: COPY
        have = _count(cursor, "SELECT count(*) FROM tickets_customer")
        if have >= target:
            return f"{have:,} already there, skipped"
        n = target - have
        cursor.execute(
            "INSERT INTO tickets_tag (name) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING", [list(TAGS)]
        )
        cursor.execute("SELECT id FROM tickets_tag WHERE name = ANY(%s) ORDER BY id", [list(TAGS)])
        tags = [row[0] for row in cursor.fetchall()]
        base = _next_id(cursor, "tickets_customer")
        now = time.time()
        phones = emails = 0
        tables = [
            "tickets_customer",
            "tickets_customerphone",
            "tickets_customeremail",
            "tickets_customer_tags",
        ]
        with _BulkLoad(cursor, tables):
            # One COPY at a time per connection: customers first, their rows in a second pass from the
            # same seeded stream of names.
            names = []
            customers = _Copy(
                cursor,
                "tickets_customer",
                [
                    "id",
                    "name",
                    "company",
                    "notes",
                    "consent_calls",
                    "consent_email",
                    "consent_sms",
                    "consent_recording",
                    "created_at",
                    "updated_at",
                    "version",
                ],
            )
            for k in range(n):
                pk = base + k + 1
                first = rng.choice(FIRST)
                last = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).title()
                names.append((first.lower(), last.lower()))
                company = ""
                if rng.random() < 0.66:
                    stem = (rng.choice(SYLLABLES) + rng.choice(SYLLABLES)).title()
                    company = f"{stem} {rng.choice(COMPANY_SUFFIX)}"
                created = _ts(now - (n - k) * 60 * 1.2)  # two years of sign-ups, ids in time order
                customers.add(
                    pk,
                    f"{first} {last}",
                    company,
                    "",
                    pk % 50 != 0,
                    "t",
                    pk % 4 == 0,
                    pk % 10 != 0,
                    created,
                    created,
                    1,
                )
            customers.flush()
            copy = _Copy(cursor, "tickets_customerphone", ["customer_id", "number", "label"])
            for k in range(n):
                roll = rng.random()
                for label in ("mobile", "work", "home")[: 1 if roll < 0.6 else 2 if roll < 0.9 else 3]:
                    copy.add(base + k + 1, f"+1{rng.randint(201, 989)}{rng.randrange(10**7):07d}", label)
            copy.flush()
            phones = copy.rows
            copy = _Copy(cursor, "tickets_customeremail", ["customer_id", "email", "label"])
            for k, (first, last) in enumerate(names):
                pk = base + k + 1
                copy.add(pk, f"{first}.{last}{pk}@{DOMAINS[pk % len(DOMAINS)]}", "")
                if rng.random() < 0.2:
                    copy.add(pk, f"{first[0]}{last}{pk}@{last}.test", "work")
            copy.flush()
            emails = copy.rows
            copy = _Copy(cursor, "tickets_customer_tags", ["customer_id", "tag_id"])
            for k in range(n):
                if rng.random() < 0.1:
                    copy.add(base + k + 1, rng.choice(tags))
            copy.flush()
        for table in tables:
            _set_sequence(cursor, table)
        return f"{n:,} added with {phones:,} phones and {emails:,} e-mail addresses"

    # --- tickets -------------------------------------------------------------------------------------
    def _tickets(self, target: int, agents: list[tuple[int, str]], teams: list[int]) -> str:
        from tickets.models import Category

        rng = self.rng
        cursor = connection.cursor().cursor
        have = _count(cursor, "SELECT count(*) FROM tickets_ticket")
        if have >= target:
            return f"{have:,} already there, skipped"
        n = target - have
        categories = [Category.objects.get_or_create(name=name)[0].pk for name in CATEGORIES]
        cursor.execute("SELECT id FROM tickets_customer")
        customers = [row[0] for row in cursor.fetchall()]
        by_team = [[pk for k, (pk, _code) in enumerate(agents) if k % TEAMS == t] for t in range(TEAMS)]
        base = _next_id(cursor, "tickets_ticket")
        now = time.time()
        statuses = {}
        with _BulkLoad(cursor, ["tickets_ticket"]):
            copy = _Copy(
                cursor,
                "tickets_ticket",
                [
                    "id",
                    "subject",
                    "description",
                    "channel",
                    "status",
                    "priority",
                    "category_id",
                    "customer_id",
                    "team_id",
                    "assignee_id",
                    "created_at",
                    "updated_at",
                    "version",
                    "sla_paused_business_s",
                    "sla_started_at",
                    "first_responded_at",
                    "resolved_at",
                    "closed_at",
                    "first_response_due_at",
                    "resolution_due_at",
                    "first_response_warn_at",
                    "resolution_warn_at",
                ],
            )
            for k in range(n):
                created = now - (n - k) * 31.5  # a year, ids in time order
                age_days = (now - created) / 86400
                roll = rng.random()
                if age_days < 3:
                    status = rng.choice(
                        ("new", "new", "open", "open", "open", "pending", "on_hold", "resolved")
                    )
                elif age_days < 30:
                    status = (
                        "open"
                        if roll < 0.15
                        else "pending"
                        if roll < 0.22
                        else "resolved"
                        if roll < 0.6
                        else "closed"
                    )
                else:
                    status = (
                        "open"
                        if roll < 0.02
                        else "pending"
                        if roll < 0.03
                        else "resolved"
                        if roll < 0.1
                        else "closed"
                    )
                statuses[status] = statuses.get(status, 0) + 1
                priority = rng.choices((1, 2, 3, 4), (20, 50, 22, 8))[0]
                team = rng.randrange(TEAMS) if rng.random() < 0.9 else None
                assignee = rng.choice(by_team[team]) if team is not None and rng.random() < 0.75 else None
                due_first, due_resolve = created + 3600 * (5 - priority), created + 8 * 3600 * (5 - priority)
                copy.add(
                    base + k + 1,
                    rng.choice(SUBJECTS),
                    "",
                    rng.choices(("phone", "email", "chat", "web"), (50, 30, 12, 8))[0],
                    status,
                    priority,
                    rng.choice(categories) if rng.random() < 0.7 else None,
                    rng.choice(customers) if rng.random() < 0.95 else None,
                    teams[team] if team is not None else None,
                    assignee,
                    _ts(created),
                    _ts(created + (0 if status == "new" else 3 * 3600)),
                    1,
                    0,
                    _ts(created),
                    None if status == "new" else _ts(created + rng.uniform(60, 7200)),
                    _ts(created + rng.uniform(3600, 3 * 86400)) if status in ("resolved", "closed") else None,
                    _ts(created + 4 * 86400) if status == "closed" else None,
                    _ts(due_first),
                    _ts(due_resolve),
                    _ts(created + 0.8 * (due_first - created)),
                    _ts(created + 0.8 * (due_resolve - created)),
                )
            copy.flush()
        _set_sequence(cursor, "tickets_ticket")
        spread = ", ".join(f"{name} {count / n:.0%}" for name, count in sorted(statuses.items()))
        return f"{n:,} added ({spread})"

    # --- calls ---------------------------------------------------------------------------------------
    def _calls(self, target: int, days: int, agents: list[tuple[int, str]]) -> str:
        from callcenter.bulk import table_columns
        from telephony.models import Call, Queue, QueueVisit
        from telephony.services import feed_source_ensure
        from tickets.models import Disposition

        rng = self.rng
        source = feed_source_ensure(name=CALL_SOURCE)
        cursor = connection.cursor().cursor
        have = _count(cursor, "SELECT count(*) FROM telephony_call WHERE source_id = %s", [source.pk])
        if have >= target:
            return f"{have:,} already there, skipped"
        n = target - have
        queues = [(Queue.objects.get_or_create(name=name)[0].pk, name) for name in QUEUES]
        shares = list(QUEUES.values())
        dispositions = []
        for code, label in (
            ("bench-resolved", "Resolved on the call"),
            ("bench-follow-up", "Follow-up needed"),
            ("bench-info", "Information given"),
        ):
            dispositions.append(Disposition.objects.get_or_create(code=code, defaults={"label": label})[0].pk)
        # Callers: a third of the stored numbers (TABLESAMPLE reads a share of pages, not every row);
        # a small table (a few pages) may sample none, so it is read whole.
        cursor.execute("SELECT number, customer_id FROM tickets_customerphone TABLESAMPLE SYSTEM (34)")
        known = cursor.fetchall()
        if len(known) < 10_000:
            cursor.execute("SELECT number, customer_id FROM tickets_customerphone LIMIT 30000")
            known = cursor.fetchall()
        if not known:
            raise CommandError("No customer phone numbers: generate customers first.")
        call_pk = _next_id(cursor, "telephony_call")
        end = math.floor(time.time() / 60) * 60
        start = end - days * 86400
        day_weight = []
        for d in range(days):
            weekday = datetime.fromtimestamp(start + d * 86400, tz=UTC).weekday()
            day_weight.append(1.0 if weekday < 5 else 0.45 if weekday == 5 else 0.3)
        total_weight = sum(day_weight)
        hour_total = sum(HOURLY)
        outcomes = {"answered": 0, "abandoned": 0, "timed_out": 0}
        visits_n = logs_n = made = 0
        run = f"{have}"  # call ids stay unique when topping up
        call_columns = table_columns(Call)
        visit_columns = table_columns(QueueVisit, exclude=["id"])
        log_columns = [
            "call_id",
            "agent_id",
            "customer_id",
            "disposition_id",
            "caller",
            "queue",
            "direction",
            "notes",
            "wrapup_s",
            "created_at",
            "updated_at",
        ]
        tables = ["telephony_call", "telephony_queuevisit", "tickets_calllog"]
        with _BulkLoad(cursor, tables):
            for d in range(days):
                count = round(n * day_weight[d] / total_weight) if d < days - 1 else n - made
                day_start = start + d * 86400
                arrivals = sorted(
                    day_start + 3600 * hour + rng.random() * 3600
                    for hour in rng.choices(range(24), [w / hour_total for w in HOURLY], k=count)
                )
                calls = _Copy(cursor, "telephony_call", call_columns)
                visits: list[tuple] = []
                logs: list[tuple] = []
                for at in arrivals:
                    call_pk += 1
                    made += 1
                    call_id = f"bench-{run}-{made}"
                    inbound = rng.random() < 0.9
                    number, customer = (
                        rng.choice(known)
                        if rng.random() < 0.8
                        else (f"+1{rng.randint(201, 989)}{rng.randrange(10**7):07d}", None)
                    )
                    agent_id, agent_code = rng.choice(agents)
                    offered = at - rng.randint(3, 40)  # the IVR before the queue
                    qi = rng.choices(range(len(queues)), shares)[0]
                    queue_id, queue_name = queues[qi]
                    roll = rng.random()
                    wait = min(600.0, rng.expovariate(1 / 25))
                    answered = ended = wrapped = talk = hold = acw = None
                    csat = nps = None
                    transfers = 0
                    if not inbound:  # outbound: dialled by the agent, no queue
                        talk = round(rng.expovariate(1 / 150) + 5)
                        answered, ended = at + 8, at + 8 + talk
                        acw = rng.randint(5, 45)
                        wrapped = ended + acw
                        hold, wait, outcome = 0, None, "answered"
                        calls.add(
                            call_pk,
                            source.pk,
                            call_id,
                            "outbound",
                            "",
                            number,
                            None,
                            agent_code,
                            agent_id,
                            _ts(at),
                            None,
                            _ts(answered),
                            _ts(ended),
                            _ts(wrapped),
                            None,
                            talk,
                            0,
                            acw,
                            outcome,
                            "agent",
                            0,
                            "[]",
                            "",
                            None,
                            None,
                            None,
                            _ts(at),
                            _ts(wrapped),
                        )
                        outcomes[outcome] += 1
                        continue
                    if roll < 0.10:
                        outcome, wait = "abandoned", rng.choice((rng.uniform(0, 5), rng.expovariate(1 / 45)))
                        visits.append((call_pk, 1, queue_id, at, None, at + wait, None, outcome, "", wait))
                        last = at + wait
                        agent_id = agent_code = None
                    elif roll < 0.15:
                        outcome, wait = "timed_out", 180.0
                        visits.append((call_pk, 1, queue_id, at, None, at + wait, None, outcome, "", wait))
                        last = at + wait
                        agent_id = agent_code = None
                    else:
                        outcome = "answered"
                        answered = at + wait
                        talk = round(rng.expovariate(1 / 190) + 10)
                        hold = rng.choice((0, 0, 0, rng.randint(10, 90)))
                        acw = rng.randint(5, 60)
                        ended = answered + talk + hold
                        wrapped = last = ended + acw
                        if rng.random() < 0.05:  # transferred into a second queue half way
                            transfers = 1
                            moved = answered + talk / 2
                            q2 = (qi + 1 + rng.randrange(len(queues) - 1)) % len(queues)
                            _, other_code = rng.choice(agents)
                            visits.append(
                                (
                                    call_pk,
                                    1,
                                    queue_id,
                                    at,
                                    answered,
                                    moved,
                                    moved,
                                    outcome,
                                    agent_code,
                                    wait,
                                    talk / 2,
                                    hold,
                                    None,
                                )
                            )
                            visits.append(
                                (
                                    call_pk,
                                    2,
                                    queues[q2][0],
                                    moved,
                                    moved + 12,
                                    None,
                                    ended,
                                    outcome,
                                    other_code,
                                    12.0,
                                    talk / 2,
                                    0,
                                    acw,
                                )
                            )
                            queue_id = queues[q2][0]
                        else:
                            visits.append(
                                (
                                    call_pk,
                                    1,
                                    queue_id,
                                    at,
                                    answered,
                                    None,
                                    ended,
                                    outcome,
                                    agent_code,
                                    wait,
                                    talk,
                                    hold,
                                    acw,
                                )
                            )
                        if rng.random() < 0.2:
                            csat, nps = (
                                rng.choices((1, 2, 3, 4, 5), (5, 6, 12, 35, 42))[0],
                                rng.randint(0, 10),
                            )
                        if customer is not None and rng.random() < 0.2:
                            logs.append(
                                (
                                    call_id,
                                    agent_id,
                                    customer,
                                    rng.choice(dispositions),
                                    number,
                                    queue_name,
                                    rng.choice(NOTES),
                                    acw,
                                    ended + acw,
                                )
                            )
                    outcomes[outcome] += 1
                    calls.add(
                        call_pk,
                        source.pk,
                        call_id,
                        "inbound",
                        number,
                        "",
                        queue_id,
                        agent_code or "",
                        agent_id,
                        _ts(offered),
                        _ts(at),
                        _ts(answered) if answered else None,
                        _ts(ended) if ended else None,
                        _ts(wrapped) if wrapped else None,
                        round(wait, 1),
                        talk,
                        hold,
                        acw,
                        outcome,
                        "caller" if ended else "",
                        transfers,
                        "[]",
                        f"recordings/{call_id}.wav" if answered else "",
                        talk + hold if answered else None,
                        csat,
                        nps,
                        _ts(offered),
                        _ts(last),
                    )
                calls.flush()
                copy = _Copy(cursor, "telephony_queuevisit", visit_columns)
                for visit in visits:
                    if len(visit) == 10:  # left without an agent
                        pk, seq, queue_id, at, _a, left, _e, outcome, _c, wait = visit
                        copy.add(
                            pk,
                            seq,
                            queue_id,
                            _ts(at),
                            None,
                            _ts(left),
                            None,
                            outcome,
                            "",
                            round(wait, 1),
                            None,
                            None,
                            None,
                        )
                    else:
                        pk, seq, queue_id, at, ans, left, ended, outcome, code, wait, talk, hold, acw = visit
                        copy.add(
                            pk,
                            seq,
                            queue_id,
                            _ts(at),
                            _ts(ans),
                            _ts(left) if left else None,
                            _ts(ended),
                            outcome,
                            code,
                            round(wait, 1),
                            talk,
                            hold,
                            acw,
                        )
                copy.flush()
                visits_n += copy.rows
                copy = _Copy(cursor, "tickets_calllog", log_columns)
                for call_id, agent_id, customer, disposition, number, queue_name, note, acw, at in logs:
                    copy.add(
                        call_id,
                        agent_id,
                        customer,
                        disposition,
                        number,
                        queue_name,
                        "inbound",
                        note,
                        acw,
                        _ts(at),
                        _ts(at),
                    )
                copy.flush()
                logs_n += copy.rows
        for table in tables:
            _set_sequence(cursor, table)
        spread = ", ".join(f"{name} {count / n:.0%}" for name, count in outcomes.items())
        return f"{n:,} added over {days} days ({spread}), {visits_n:,} queue visits, {logs_n:,} wrap-up logs"
