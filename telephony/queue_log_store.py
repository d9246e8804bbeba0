"""Stores an import's parsed queue_log groups: a few set-based statements per group for calls the
import alone holds events of, `call_events_ingest` for the rest.

A queue_log import mostly brings calls the database has never seen, each group the continuation
of the one before. For those the parser process has already derived the calls from the import's
own events and written every row as COPY text (`telephony.queue_log_rows`); storing them is a
COPY and an INSERT per table, and the importer's own Python work is the agents' presence. A group takes the
general path, which reads each call's stored events and re-derives it, when any of its calls had
events stored before this import (a second import of overlapping files, another feed of the same
source), when one of its events was stored already (a repeated line, a re-import), or when the
parser no longer held a call's earlier events. Both paths give the same calls, visits and
presence; `tests/telephony/test_queue_log_store.py` holds them to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import psycopg
from django.db import IntegrityError, connection, transaction

from agents.models import PresenceSegment
from agents.presence import PresenceEvent
from agents.selectors import AgentDirectory
from callcenter.bulk import binary_cursor, copy_text_to_stage, stage_columns
from telephony.models import Call, CallEvent, QuarantinedEvent, QueueVisit
from telephony.queue_log import ParsedGroup
from telephony.queue_log_rows import EVENT_COLUMNS, VISIT_COLUMNS, CallRows, RowSpec
from telephony.services import (
    CALL_FIELDS,
    call_events_ingest,
    calls_and_agents_lock,
    feed_source_ensure,
    kpi_changes_note,
    presence_grouped_apply,
    queues_ensure,
    visits_delete,
)

# Events an import stores before it first refreshes the statistics of the tables it reads back
# (visits it replaces, agents' open presence segments); then each time it has stored four times more.
ANALYZE_FIRST_AT = 20_000
ANALYZED_BY_IMPORT = (QueueVisit, PresenceSegment)
# Groups whose KPI notes are sent together: a note of presence marks every interval from its
# earliest event on stale, one UPDATE of all later intervals (36 ms each, seen on the bench data,
# a tenth of PostgreSQL's time in an import of history); a later note covers them all again.
NOTE_EVERY_GROUPS = 5


class Stored(NamedTuple):
    accepted: int
    duplicates: int
    rejected: int
    set_based: bool


class _TakeGeneralPath(Exception):
    """The group's rows cannot be stored as made: roll them back and ingest the events."""

    def __init__(self, *, calls_stored_before: bool = False):
        super().__init__()
        # Some of the group's first-seen calls were stored before the import: find which.
        self.calls_stored_before = calls_stored_before


class QueueLogStore:
    """One import's writer: `store` each parsed group, `quarantine` its bad lines, then `flush`."""

    def __init__(self, *, source_name: str, origin: str):
        self.source = feed_source_ensure(name=source_name)
        self.origin = origin
        self.set_based = connection.vendor == "postgresql"
        # The parser makes rows only for a writer that can store them (COPY is PostgreSQL's); a
        # call row is its call_id, queue (a name), then the rest, as the staging table declares.
        self.row_spec: RowSpec | None = (
            RowSpec(
                source_id=self.source.id,
                call_columns=("queue", *(name for name in CALL_FIELDS if name not in ("queue", "agent"))),
            )
            if self.set_based
            else None
        )
        # Calls the database first held through this import (the parser holds all their events),
        # and calls it held before (or the parser let go of): those are derived from the database.
        self._own_calls: set[str] = set()
        self._not_ours: set[str] = set()
        self._stored = 0
        # What the committed groups not yet noted to kpi changed (see `kpi_notes_send`).
        self._note_events: list[PresenceEvent] = []
        self._note_visit_starts: set[datetime] = set()
        self._note_groups = 0
        self._analyze_at = max(ANALYZE_FIRST_AT, self._rows_known()) if self.set_based else 0

    @staticmethod
    def _rows_known() -> int:
        """What the statistics say the visits table holds (-1 if never analyzed): a table already
        that large does not change its plans for what this import adds before it is four times larger."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [QueueVisit._meta.db_table]
            )
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def store(self, chunk: ParsedGroup) -> Stored:
        """Store one parsed group's events with the calls and presence they change, in one
        transaction. Returns the counts, and which path stored the group."""
        with transaction.atomic():
            if self.set_based:
                # Each group commits without waiting for the disk; `flush` waits once for them all.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            counts = self._store_group(chunk)
        self._grown(counts.accepted)
        return counts

    def _store_group(self, chunk: ParsedGroup) -> Stored:
        rows, call_ids = chunk.rows, chunk.call_ids
        if rows is not None:
            self._not_ours |= rows.forgotten
            if call_ids & self._not_ours:
                # The general path, without an attempt that would tell which calls are new.
                self._not_ours |= self._calls_stored(call_ids - self._own_calls)
            else:
                try:
                    with transaction.atomic():
                        self._store_rows(call_ids, rows)
                except _TakeGeneralPath as stop:
                    if stop.calls_stored_before:
                        self._not_ours |= self._calls_stored(call_ids - self._own_calls)
                else:
                    self._own_calls |= call_ids
                    return Stored(rows.events_count, 0, 0, set_based=True)
        result = call_events_ingest(
            source=self.source,
            raw_events=(),
            validated=chunk.feed_events(self.source.name),
            origin=self.origin,
        )
        # Calls new to the database are this import's from now on, whichever path made them.
        self._own_calls |= call_ids - self._not_ours
        return Stored(result.accepted, result.duplicates, len(result.rejected), set_based=False)

    def _calls_stored(self, call_ids: set[str]) -> set[str]:
        """Which of these calls the database holds. One probe of the unique (source, call_id)
        index per call, as a lateral join: `call_id = ANY(...)` without column statistics (a
        table the import is filling) is planned as a scan of the whole table."""
        if not call_ids:
            return set()
        with binary_cursor() as cursor:
            table = Call._meta.db_table
            probe = (
                "SELECT c.call_id FROM unnest(%b::text[]) AS c(call_id) CROSS JOIN LATERAL (SELECT 1"  # noqa: S608 - name from model metadata
                f" FROM {table} AS t WHERE t.source_id = %b AND t.call_id = c.call_id LIMIT 1) AS hit"
            )
            cursor.execute(probe, [sorted(call_ids), self.source.id])
            return {row[0] for row in cursor.fetchall()}

    def _grown(self, events: int) -> None:
        """Refresh the planner's statistics of the tables the import reads back as it grows them:
        a plan made for an empty table (a new install importing its history) scans the table
        the import has since filled (seen: a visit delete by call ids took 15 ms instead of
        0.5). Autovacuum would get there, later; it may be off."""
        self._stored += events
        if not self.set_based or self._stored < self._analyze_at:
            return
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(model._meta.db_table for model in ANALYZED_BY_IMPORT))
        self._analyze_at = 4 * self._stored

    def _store_rows(self, call_ids: set[str], rows: CallRows) -> None:
        source = self.source
        calls_and_agents_lock(source, call_ids, rows.agents)
        directory = AgentDirectory()
        with binary_cursor() as cursor:
            queue_ids = queues_ensure(rows.queues)
            continued = sorted(call_ids & self._own_calls)
            pks = self._calls_write(cursor, rows, queue_ids, directory.users(rows.agent_codes), continued)
            visit_starts = set(rows.visit_starts)
            if continued:
                visit_starts |= visits_delete([pks[call_id] for call_id in continued])
            self._visits_insert(cursor, rows, pks, queue_ids)
        presence = {
            agent: [PresenceEvent._make(event) for event in events] for agent, events in rows.presence.items()
        }

        psycopg_connection = connection.connection  # the COPY below runs on another thread

        def events_copy() -> None:
            # Straight into the table: a stored event (a repeated line, a re-import) fails the
            # COPY and the general path takes the group (the caller's savepoint undoes it all);
            # PostgreSQL writes COPY's rows page by page.
            statement = f"COPY {CallEvent._meta.db_table} ({', '.join(EVENT_COLUMNS)}) FROM STDIN"
            try:
                with psycopg_connection.cursor() as raw, raw.copy(statement) as copy:
                    copy.write(rows.events)
            except psycopg.IntegrityError:
                raise _TakeGeneralPath from None

        # PostgreSQL stores the events while this process replays the agents' presence.
        presence_grouped_apply(presence, directory, alongside=events_copy)
        applied = [event for events in presence.values() for event in events]
        transaction.on_commit(lambda: self._kpi_note(applied, visit_starts))

    def _kpi_note(self, events: list[PresenceEvent], visit_starts: set[datetime]) -> None:
        self._note_events += events
        self._note_visit_starts |= visit_starts
        self._note_groups += 1
        if self._note_groups >= NOTE_EVERY_GROUPS:
            self.kpi_notes_send()

    def kpi_notes_send(self) -> None:
        """Tell kpi what the groups committed since the last call changed. Any time after their
        commit is right: a rollup that read its generations before the note is marked stale by it,
        and one that reads them later reads the committed rows too. The import calls this at the
        end, also when it fails; until then the intervals may look current for a few seconds."""
        if self._note_groups:
            events, starts = self._note_events, self._note_visit_starts
            self._note_events, self._note_visit_starts, self._note_groups = [], set(), 0
            kpi_changes_note(self.source, events, starts)

    def _calls_write(
        self,
        cursor: Any,
        rows: CallRows,
        queue_ids: dict[str, int],
        users: dict[str, int],
        continued: list[str],
    ) -> dict[str, int]:
        """Insert the group's new calls and update those it continues; return their pks.

        Raises _TakeGeneralPath when a call the import has not seen before is stored already
        (it had events before this import, which the parser did not see)."""
        names = self.row_spec.call_columns[1:] if self.row_spec else ()
        call_stage = copy_text_to_stage(
            cursor,
            Call._meta.db_table,
            [("call_id", "text"), ("queue", "text"), *stage_columns(Call, names)],
            rows.calls,
        )
        columns = [Call._meta.get_field(name).column for name in names]
        selects = [f"s.{column}::jsonb" if column == "ivr_path" else f"s.{column}" for column in columns]
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in ["queue_id", "agent_id", *columns])
        # Ids travel as arrays joined in the statement: no lookup of another table per row, so the
        # plan does not depend on statistics a growing import leaves stale.
        table = Call._meta.db_table
        insert = (
            f"INSERT INTO {table} (source_id, call_id, queue_id, agent_id, {', '.join(columns)})"  # noqa: S608
            f" SELECT %b, s.call_id, q.id, a.user_id, {', '.join(selects)} FROM {call_stage} AS s"
            " LEFT JOIN unnest(%b::text[], %b::bigint[]) AS q(name, id) ON q.name = s.queue"
            " LEFT JOIN unnest(%b::text[], %b::bigint[]) AS a(code, user_id) ON a.code = s.agent_code"
        )
        ids = [self.source.id, *_pairs(queue_ids), *_pairs(users), continued]
        # New calls by a plain insert: the usual case skips the conflict arbiter's work per row.
        try:
            with transaction.atomic():
                cursor.execute(f"{insert} WHERE NOT s.call_id = ANY(%b::text[]) RETURNING call_id, id", ids)
        except IntegrityError:
            raise _TakeGeneralPath(calls_stored_before=True) from None
        pks = dict(cursor.fetchall())
        if continued:
            cursor.execute(
                f"{insert} WHERE s.call_id = ANY(%b::text[])"
                f" ON CONFLICT (source_id, call_id) DO UPDATE SET {updates} RETURNING call_id, id",
                ids,
            )
            pks.update(cursor.fetchall())
        return pks

    def _visits_insert(
        self, cursor: Any, rows: CallRows, pks: dict[str, int], queue_ids: dict[str, int]
    ) -> None:
        if not rows.visits:
            return
        names = VISIT_COLUMNS[2:]
        stage = copy_text_to_stage(
            cursor,
            QueueVisit._meta.db_table,
            [("call_id", "text"), ("queue", "text"), *stage_columns(QueueVisit, names)],
            rows.visits,
        )
        columns = [QueueVisit._meta.get_field(name).column for name in names]
        cursor.execute(
            f"INSERT INTO {QueueVisit._meta.db_table} (call_id, queue_id, {', '.join(columns)})"  # noqa: S608
            f" SELECT c.id, q.id, {', '.join('s.' + column for column in columns)} FROM {stage} AS s"
            " JOIN unnest(%b::text[], %b::bigint[]) AS c(call_id, id) ON c.call_id = s.call_id"
            " JOIN unnest(%b::text[], %b::bigint[]) AS q(name, id) ON q.name = s.queue",
            [*_pairs(pks), *_pairs(queue_ids)],
        )

    def quarantine(self, bad: list[tuple[int, str, str]]) -> None:
        """Keep bad lines (number, text, reason) once, however often the file is imported."""
        stored = set(
            QuarantinedEvent.objects.filter(
                source_name=self.source.name,
                origin=self.origin,
                index__in=[number for number, _line, _error in bad],
            ).values_list("index", "raw")
        )
        rows = [
            QuarantinedEvent.of(
                source_name=self.source.name, origin=self.origin, index=number, raw=line, error=error
            )
            for number, line, error in bad
        ]
        QuarantinedEvent.objects.bulk_create(
            [row for row in rows if (row.index, row.raw) not in stored], batch_size=1000
        )

    def flush(self) -> None:
        """Wait until every group stored so far is on disk: a transaction that commits durably
        flushes the log up to itself, and so every earlier commit too."""
        if not self.set_based:
            return
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO ON")
            cursor.execute("SELECT pg_current_xact_id()")  # a transaction id, so the commit is logged


def _pairs(mapping: dict[str, int]) -> tuple[list[str], list[int]]:
    keys = sorted(mapping)
    return keys, [mapping[key] for key in keys]
