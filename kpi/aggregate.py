"""Measures from the raw data (queue visits, calls, presence) per interval, queue and agent.

Two engines give the same answers: `sql` aggregates inside PostgreSQL (one statement per table,
used by the rollups and the live part of reports there), `python` reads the rows and counts them
with `Totals.add_visit` (SQLite, and the reference the SQL is tested against). kpi reads the
telephony and presence tables directly here because aggregating them is what kpi is for; every
other app's data comes through `kpi.inputs`.

Call-level measures — surveys, QA scores, first-contact resolution — count once per call, in the
row of the call's attribution visit: its last answered visit, else (surveys only) its last visit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import BigIntegerField, Exists, F, FloatField, Func, Max, OuterRef, Q, Sum
from django.db.models.functions import Cast, TruncDate, TruncWeek

from agents.models import AgentState, PresenceSegment
from kpi import inputs
from kpi.definitions import FCR_WINDOW_DAYS, HIST_MAX_S, SHORT_ABANDON_S, SL_THRESHOLD_S
from kpi.models import PresenceRollup, VisitRollup
from kpi.periods import EPOCH, INTERVAL, interval_floor, local_day, week_start, zone
from kpi.totals import COUNT_FIELDS, STATE_FIELDS, SUM_FIELDS, SUM_SCALE, Totals, exact_add
from telephony.models import Call, Queue, QueueVisit

Key = tuple[datetime, str, str]  # (interval start, queue name, agent code)
AgentKey = tuple[datetime, str]  # (interval start, agent code)

STATE_COLUMN = {
    AgentState.AVAILABLE: "available_s",
    AgentState.RINGING: "ringing_s",
    AgentState.ON_CALL: "on_call_s",
    AgentState.WRAP_UP: "wrap_up_s",
    AgentState.NOT_READY: "not_ready_s",
    AgentState.BREAK: "break_s",
}


def engine_for(engine: str | None) -> str:
    if engine in ("sql", "python"):
        return engine
    if engine is not None:
        raise ValueError(f"unknown engine {engine!r}")
    return "sql" if connection.vendor == "postgresql" else "python"


def _tables() -> dict[str, str]:
    return {
        "__visit__": QueueVisit._meta.db_table,
        "__queue__": Queue._meta.db_table,
        "__call__": Call._meta.db_table,
        "__segment__": PresenceSegment._meta.db_table,
        "__rollup__": VisitRollup._meta.db_table,
        "__presence_rollup__": PresenceRollup._meta.db_table,
    }


def _sql(text: str) -> str:
    for placeholder, table in _tables().items():
        text = text.replace(placeholder, connection.ops.quote_name(table))
    return text


def _scaled_sql(expr: str) -> str:
    """`expr` (float8) in whole millionths, as `totals.scaled` rounds it: sums of these integers are
    exact, so they do not depend on the order PostgreSQL meets the rows in."""
    return f"round(({expr}) * {SUM_SCALE})::bigint"


def _unscaled_sql(expr: str) -> str:
    """A sum of millionths (numeric) back in float8 units: the correctly rounded quotient, the same
    double Python's `millionths / SUM_SCALE` gives."""
    return f"({expr})::float8 / {SUM_SCALE}"


def _queue_ids(queue: str | None) -> list[int]:
    rows = Queue.objects.all() if queue is None else Queue.objects.filter(name=queue)
    return list(rows.values_list("id", flat=True))


# --- queue visits -------------------------------------------------------------------------------
# The visits queued in the range, each with whether it carries its call's survey answer: an index
# probe per queue (queue_id = ANY) keeps the range scan on visit_queue_idx. The groups are keyed by
# the queue's id and by text in the "C" collation (bytewise, so the same groups): the sorts behind
# the aggregation then compare integers and bytes instead of calling the locale's strcoll, and the
# queue's name is joined to the few result rows only.
_VISITS_CTE = """
v AS (
    SELECT date_bin('15 minutes', v.queued_at, %(epoch)s) AS p, v.queue_id,
           v.agent_code COLLATE "C" AS agent_code, v.outcome COLLATE "C" AS outcome,
           v.wait_s, v.talk_s, v.hold_s, v.acw_s, v.ended_at IS NOT NULL AS ended,
           c.csat, c.nps,
           CASE WHEN c.csat IS NULL AND c.nps IS NULL THEN FALSE ELSE NOT EXISTS (
               SELECT 1 FROM __visit__ w
               WHERE w.call_id = v.call_id AND w.seq <> v.seq
                 AND (CASE WHEN w.answered_at IS NULL THEN 0 ELSE 100000 END + w.seq)
                   > (CASE WHEN v.answered_at IS NULL THEN 0 ELSE 100000 END + v.seq)
           ) END AS surveyed
    FROM __visit__ v
    JOIN __call__ c ON c.id = v.call_id
    WHERE v.queue_id = ANY(%(queue_ids)s) AND v.queued_at >= %(start)s AND v.queued_at < %(end)s
          __agents__
)"""
_LEFT = "outcome IN ('answered', 'abandoned', 'timed_out')"
_WAIT_US, _TALK_US, _HOLD_US, _ACW_US = (
    _scaled_sql(expr)
    for expr in ("wait_s", "coalesce(talk_s, 0)", "coalesce(hold_s, 0)", "coalesce(acw_s, 0)")
)
# Two steps and no joins: first per (interval, queue, agent, outcome, wait bucket), then per row
# with the histograms folded in. __GROUPS__ is the plain grouping, or GROUPING SETS adding the
# whole-queue rows (agent NULL → "", whole = 1) from the same scan when the rollup writes both.
# Seconds are summed in whole microseconds (`totals.SUM_SCALE`): the same sums in any row order.
_VISIT_AGG = f"""
vb AS (
    SELECT *, CASE
        WHEN wait_s IS NULL THEN NULL
        WHEN outcome = 'answered' THEN least(greatest(ceil(wait_s), 0), {HIST_MAX_S + 1})::int
        WHEN outcome = 'abandoned' THEN least(greatest(floor(wait_s), 0), {HIST_MAX_S + 1})::int
    END AS b
    FROM v
),
b1 AS (
    SELECT p, queue_id, coalesce(agent_code, '') AS agent, GROUPING(agent_code) AS whole, outcome, b,
        count(*) AS n,
        count(*) FILTER (WHERE ended) AS n_ended,
        count(*) FILTER (WHERE wait_s <= {SL_THRESHOLD_S}) AS n_within,
        count(*) FILTER (WHERE wait_s < {SHORT_ABANDON_S}) AS n_short,
        sum({_WAIT_US}) AS wait_sum,
        max(wait_s) AS wait_max,
        sum({_TALK_US}) FILTER (WHERE ended) AS talk,
        sum({_HOLD_US}) FILTER (WHERE ended) AS hold,
        sum({_ACW_US}) FILTER (WHERE ended) AS acw,
        count(*) FILTER (WHERE surveyed AND csat BETWEEN 1 AND 5) AS csat_answers,
        count(*) FILTER (WHERE surveyed AND csat BETWEEN 4 AND 5) AS csat_satisfied,
        count(*) FILTER (WHERE surveyed AND nps BETWEEN 0 AND 10) AS nps_answers,
        count(*) FILTER (WHERE surveyed AND nps BETWEEN 9 AND 10) AS nps_promoters,
        count(*) FILTER (WHERE surveyed AND nps BETWEEN 0 AND 6) AS nps_detractors
    FROM vb GROUP BY __GROUPS__
),
res AS (
    SELECT p, queue_id, agent AS agent_code, whole,
        sum(n)::bigint AS offered,
        coalesce(sum(n) FILTER (WHERE outcome = 'answered'), 0)::bigint AS answered,
        coalesce(sum(n) FILTER (WHERE outcome = 'abandoned'), 0)::bigint AS abandoned,
        coalesce(sum(n) FILTER (WHERE outcome = 'timed_out'), 0)::bigint AS timed_out,
        coalesce(sum(n) FILTER (WHERE outcome = 'transferred'), 0)::bigint AS transferred,
        coalesce(sum(n) FILTER (WHERE {_LEFT}), 0)::bigint AS departed,
        coalesce(sum(n_ended) FILTER (WHERE outcome = 'answered'), 0)::bigint AS handled,
        coalesce(sum(n_within) FILTER (WHERE outcome = 'answered'), 0)::bigint AS answered_within_default,
        coalesce(sum(n_short) FILTER (WHERE outcome = 'abandoned'), 0)::bigint AS short_abandoned_default,
        coalesce(sum(wait_sum) FILTER (WHERE outcome = 'answered'), 0)::float8 / {SUM_SCALE}
            AS answered_wait_sum_s,
        coalesce(sum(wait_sum) FILTER (WHERE {_LEFT}), 0)::float8 / {SUM_SCALE} AS wait_sum_s,
        max(wait_max) FILTER (WHERE {_LEFT}) AS wait_max_s,
        coalesce(sum(talk) FILTER (WHERE outcome = 'answered'), 0)::float8 / {SUM_SCALE} AS talk_sum_s,
        coalesce(sum(hold) FILTER (WHERE outcome = 'answered'), 0)::float8 / {SUM_SCALE} AS hold_sum_s,
        coalesce(sum(acw) FILTER (WHERE outcome = 'answered'), 0)::float8 / {SUM_SCALE} AS acw_sum_s,
        sum(csat_answers)::bigint AS csat_answers,
        sum(csat_satisfied)::bigint AS csat_satisfied,
        sum(nps_answers)::bigint AS nps_answers,
        sum(nps_promoters)::bigint AS nps_promoters,
        sum(nps_detractors)::bigint AS nps_detractors,
        coalesce(jsonb_object_agg(b::text, n) FILTER (WHERE outcome = 'answered' AND b IS NOT NULL),
                 '{{}}'::jsonb) AS answered_hist,
        coalesce(jsonb_object_agg(b::text, n) FILTER (WHERE outcome = 'abandoned' AND b IS NOT NULL),
                 '{{}}'::jsonb) AS abandoned_hist
    FROM b1 GROUP BY p, queue_id, agent, whole
),
named AS (
    SELECT res.*, q.name AS queue FROM res JOIN __queue__ q ON q.id = res.queue_id
)"""  # noqa: S608 - fixed SQL text; every value is a parameter
_PLAIN = "p, queue_id, agent_code, outcome, b"
_BOTH = "GROUPING SETS ((p, queue_id, agent_code, outcome, b), (p, queue_id, outcome, b))"


def _agg(grouping: str) -> str:
    return _VISIT_AGG.replace("__GROUPS__", grouping)


VISIT_COLUMNS = (
    "offered",
    "answered",
    "abandoned",
    "timed_out",
    "transferred",
    "departed",
    "handled",
    "answered_within_default",
    "short_abandoned_default",
    "answered_wait_sum_s",
    "wait_sum_s",
    "wait_max_s",
    "talk_sum_s",
    "hold_sum_s",
    "acw_sum_s",
    "csat_answers",
    "csat_satisfied",
    "nps_answers",
    "nps_promoters",
    "nps_detractors",
    "answered_hist",
    "abandoned_hist",
)
ANNOTATION_COLUMNS = ("fcr_first", "fcr_resolved", "qa_sum", "qa_count")
_ANNOTATION_TYPES = {"fcr_first": "int", "fcr_resolved": "int", "qa_sum": "float8", "qa_count": "int"}


def _visit_params(start: datetime, end: datetime, queue: str | None, agent_codes: Collection[str] | None):
    params: dict[str, Any] = {
        "epoch": EPOCH,
        "start": start,
        "end": end,
        "queue_ids": _queue_ids(queue),
    }
    agents = ""
    if agent_codes is not None:
        params["agents"] = sorted(agent_codes)
        agents = "AND v.agent_code = ANY(%(agents)s)"
    return params, agents


def visit_rollup_sql(
    *, start: datetime, end: datetime, stamp: datetime, annotations: dict[tuple, Totals]
) -> tuple[str, dict[str, Any]]:
    """One statement that makes the interval and whole-queue interval rows of [start, end) those of
    the visits queued then, from one scan of the visits (PostgreSQL): new rows are inserted, rows
    whose values changed are updated, unchanged rows are left alone (a rerun writes nothing), and
    rows of the range the visits no longer give are deleted. `annotations` are the call-level
    figures (QA, FCR) keyed (grain, period, queue, agent code), computed beforehand: they are part
    of the comparison, so a row whose scores did not change is not rewritten either. Returns one
    row: (rows computed, rows inserted or updated, rows deleted)."""
    params, agents = _visit_params(start, end, None, None)
    params["stamp"] = stamp
    keys = list(annotations)
    params |= {
        "a_grain": [key[0] for key in keys],
        "a_p": [key[1] for key in keys],
        "a_queue": [key[2] for key in keys],
        "a_agent": [key[3] for key in keys],
        **{f"a_{name}": [getattr(annotations[key], name) for key in keys] for name in ANNOTATION_COLUMNS},
    }
    q = connection.ops.quote_name
    kept = (*VISIT_COLUMNS, *ANNOTATION_COLUMNS)
    columns = ", ".join(q(name) for name in kept)
    updates = ", ".join(f"{q(name)} = EXCLUDED.{q(name)}" for name in (*kept, "computed_at"))
    old = ", ".join(f"t.{q(name)}" for name in kept)
    new = ", ".join(f"EXCLUDED.{q(name)}" for name in kept)
    select = ", ".join(f'named."{name}"' for name in VISIT_COLUMNS)
    annotated = ", ".join(f"coalesce(a.{q(name)}, 0) AS {q(name)}" for name in ANNOTATION_COLUMNS)
    arrays = ", ".join(f"%(a_{name})s::{_ANNOTATION_TYPES[name]}[]" for name in ANNOTATION_COLUMNS)
    head = "WITH " + _VISITS_CTE.replace("__agents__", agents) + "," + _agg(_BOTH)
    # Identifiers from model metadata; every value is a parameter.
    body = f""",
a AS (
    SELECT * FROM unnest(%(a_grain)s::text[], %(a_p)s::timestamptz[], %(a_queue)s::text[],
                         %(a_agent)s::text[], {arrays})
        AS a(grain, p, queue, agent_code, {", ".join(ANNOTATION_COLUMNS)})
),
out AS (
    SELECT b.*, {annotated}
    FROM (
        SELECT CASE WHEN named.whole = 1 THEN 'q_interval' ELSE 'interval' END AS grain, named.p,
               named.queue, named.agent_code, {select}
        FROM named
    ) AS b
    LEFT JOIN a ON a.grain = b.grain AND a.p = b.p AND a.queue = b.queue AND a.agent_code = b.agent_code
),
written AS (
    INSERT INTO __rollup__ AS t (grain, period_start, queue, agent_code, {columns}, computed_at)
    SELECT out.*, %(stamp)s FROM out
    ON CONFLICT (grain, period_start, queue, agent_code) DO UPDATE SET {updates}
    WHERE ({old}) IS DISTINCT FROM ({new})
    RETURNING 1
),
gone AS (
    -- NOT IN over the result becomes one hash probed per stored row: its cost never rests on
    -- the planner's guess of how many rows the range holds (statistics taken before a run say
    -- none, and a nested loop over the result per row would be quadratic).
    DELETE FROM __rollup__ AS r
    WHERE r.grain IN ('interval', 'q_interval') AND r.period_start >= %(start)s AND r.period_start < %(end)s
      AND (r.grain COLLATE "C", r.period_start, r.queue COLLATE "C", r.agent_code COLLATE "C") NOT IN (
          SELECT grain COLLATE "C", p, queue COLLATE "C", agent_code COLLATE "C" FROM out
      )
    RETURNING 1
)
SELECT (SELECT count(*) FROM out), (SELECT count(*) FROM written), (SELECT count(*) FROM gone)
"""  # noqa: S608
    return _sql(head + body), params


def visit_totals(
    *,
    start: datetime,
    end: datetime,
    engine: str | None = None,
    queue: str | None = None,
    agent_codes: Collection[str] | None = None,
) -> dict[Key, Totals]:
    """Measures of the visits queued in [start, end), per (interval, queue, agent code)."""
    if engine_for(engine) == "python":
        return _visit_totals_python(start, end, queue, agent_codes)
    params, agents = _visit_params(start, end, queue, agent_codes)
    if not params["queue_ids"]:
        return {}
    text = "WITH " + _VISITS_CTE.replace("__agents__", agents) + "," + _agg(_PLAIN) + " SELECT * FROM named"  # noqa: S608
    found: dict[Key, Totals] = {}
    with connection.cursor() as cursor:
        cursor.execute(_sql(text), params)
        names = [column.name for column in cursor.description]
        for row in cursor.fetchall():
            values = dict(zip(names, row, strict=True))
            found[(values["p"], values["queue"], values["agent_code"])] = Totals.from_row(values)
    return found


def _visit_totals_python(
    start: datetime, end: datetime, queue: str | None, agent_codes: Collection[str] | None
) -> dict[Key, Totals]:
    rows = QueueVisit.objects.filter(queue_id__in=_queue_ids(queue), queued_at__gte=start, queued_at__lt=end)
    if agent_codes is not None:
        rows = rows.filter(agent_code__in=list(agent_codes))
    found: dict[Key, Totals] = defaultdict(Totals)
    surveyed: dict[tuple[int, int], tuple[Key, int | None, int | None]] = {}
    for (
        call_id,
        seq,
        queue_name,
        agent,
        queued_at,
        outcome,
        wait,
        talk,
        hold,
        acw,
        ended_at,
        csat,
        nps,
    ) in rows.values_list(
        "call_id",
        "seq",
        "queue__name",
        "agent_code",
        "queued_at",
        "outcome",
        "wait_s",
        "talk_s",
        "hold_s",
        "acw_s",
        "ended_at",
        "call__csat",
        "call__nps",
    ).iterator(chunk_size=5000):
        key = (interval_floor(queued_at), queue_name, agent)
        found[key].add_visit(
            outcome=outcome, wait_s=wait, talk_s=talk, hold_s=hold, acw_s=acw, ended=ended_at is not None
        )
        if csat is not None or nps is not None:
            surveyed[(call_id, seq)] = (key, csat, nps)
    if surveyed:
        best = _attribution_seqs({call_id for call_id, _seq in surveyed}, answered_only=False)
        for (call_id, seq), (key, csat, nps) in surveyed.items():
            if best.get(call_id) == seq:
                found[key].add_survey(csat=csat, nps=nps)
    return dict(found)


def _attribution_seqs(call_ids: Collection[int], *, answered_only: bool) -> dict[int, int]:
    """Per call pk, the seq of its attribution visit (last answered, else last) over all its visits."""
    best: dict[int, tuple[bool, int]] = {}
    ids = sorted(call_ids)
    for offset in range(0, len(ids), 5000):
        rows = QueueVisit.objects.filter(call_id__in=ids[offset : offset + 5000])
        if answered_only:
            rows = rows.filter(answered_at__isnull=False)
        for call_id, seq, answered_at in rows.values_list("call_id", "seq", "answered_at"):
            rank = (answered_at is not None, seq)
            if call_id not in best or rank > best[call_id]:
                best[call_id] = rank
    return {call_id: rank[1] for call_id, rank in best.items()}


# --- call-level annotations: QA scores and first-contact resolution ------------------------------
def _attributed_visits(start: datetime, end: datetime) -> Any:
    """The answered visits in [start, end) that are their call's last answered visit (a queryset)."""
    later = QueueVisit.objects.filter(
        call_id=OuterRef("call_id"), answered_at__isnull=False, seq__gt=OuterRef("seq")
    )
    return QueueVisit.objects.filter(
        queue_id__in=_queue_ids(None), queued_at__gte=start, queued_at__lt=end, answered_at__isnull=False
    ).exclude(Exists(later))


def call_annotations(*, start: datetime, end: datetime, engine: str | None = None) -> dict[Key, Totals]:
    """QA scores and FCR of the answered calls attributed to [start, end), per row key.

    Asks the QA seam and the wrap-up logs about the range's calls as subqueries, then reads the
    row keys of only the calls that have a score or a log: a day of a million calls with few
    evaluations costs a few queries, not a million ids in and out.
    """
    attributed = _attributed_visits(start, end)
    scores = inputs.qa_scores_for_calls(call_ids=attributed.values_list("call_id", flat=True))
    logs = inputs.contacts_for_calls(call_ids=attributed.values_list("call__call_id", flat=True))
    if not scores and not logs:
        return {}
    wanted = attributed.filter(
        Q(call_id__in=list(scores)) | Q(call__call_id__in=sorted({log.call_id for log in logs}))
    )
    by_pk: dict[int, Key] = {}
    by_call_id: dict[str, Key] = {}
    for pk, call_id, queued_at, queue, agent in wanted.values_list(
        "call_id", "call__call_id", "queued_at", "queue__name", "agent_code"
    ):
        key = (interval_floor(queued_at), queue, agent)
        by_pk[pk] = key
        by_call_id.setdefault(call_id, key)
    found: dict[Key, Totals] = defaultdict(Totals)
    for pk, (score_sum, count) in scores.items():
        if pk in by_pk:
            found[by_pk[pk]].qa_sum = exact_add(found[by_pk[pk]].qa_sum, score_sum)
            found[by_pk[pk]].qa_count += count
    for call_id, (first, resolved) in fcr_flags_for(
        [log for log in logs if log.call_id in by_call_id]
    ).items():
        found[by_call_id[call_id]].fcr_first += first
        found[by_call_id[call_id]].fcr_resolved += resolved
    return {key: totals for key, totals in found.items() if totals.qa_count or totals.fcr_first}


def _same_issue(a: inputs.Contact, b: inputs.Contact) -> bool:
    """Two contacts of one customer are about the same thing: the same ticket, the same category,
    or (neither linked to a ticket) simply the same customer."""
    if a.ticket_id is not None and a.ticket_id == b.ticket_id:
        return True
    if a.category_id is not None and a.category_id == b.category_id:
        return True
    return a.ticket_id is None and b.ticket_id is None


def fcr_flags(*, call_ids: list[str]) -> dict[str, tuple[int, int]]:
    """FCR flags of these calls (by call id), from their wrap-up logs."""
    return fcr_flags_for(inputs.contacts_for_calls(call_ids=call_ids))


def fcr_flags_for(logs: list[inputs.Contact]) -> dict[str, tuple[int, int]]:
    """Per answered call with a logged customer: (is a first contact, is resolved on it), 0 or 1.

    A first contact has no contact from the same customer on the same issue in the 7 days before;
    it is resolved when none follows within 7 days (so FCR of the last 7 days is provisional).
    """
    if not logs:
        return {}
    chosen: dict[str, inputs.Contact] = {}
    for log in sorted(logs, key=lambda c: (c.ticket_id is None, c.at)):
        chosen.setdefault(log.call_id, log)  # the log linked to a ticket, else the first
    window = timedelta(days=FCR_WINDOW_DAYS)
    others = inputs.contacts_of_customers(
        customer_ids={log.customer_id for log in chosen.values()},
        start=min(log.at for log in chosen.values()) - window,
        end=max(log.at for log in chosen.values()) + window,
    )
    by_customer: dict[int, list[inputs.Contact]] = defaultdict(list)
    for other in others:
        by_customer[other.customer_id].append(other)
    flags: dict[str, tuple[int, int]] = {}
    for call_id, log in chosen.items():
        related = [o for o in by_customer[log.customer_id] if o.call_id != call_id and _same_issue(log, o)]
        here = (log.at, log.call_id)
        first = not any(log.at - window <= o.at and (o.at, o.call_id) < here for o in related)
        later = any((o.at, o.call_id) > here and o.at <= log.at + window for o in related)
        flags[call_id] = (int(first), int(first and not later))
    return flags


# --- presence -----------------------------------------------------------------------------------
# Agent codes grouped in the "C" collation (bytewise: cheaper, same groups). `cut` stays
# materialised: scanning the segments twice instead cost more CPU than its temporary file.
_PRESENCE_CTES = """
s AS (
    SELECT agent_code COLLATE "C" AS agent_code, state, greatest(started_at, %(start)s) AS a,
           least(coalesce(ended_at, %(cap)s), %(end)s) AS b
    FROM __segment__
    WHERE agent_code = ANY(%(codes)s) AND state = ANY(%(states)s)
      AND (ended_at IS NULL OR ended_at > %(start)s) AND started_at < %(end)s
), cut AS (
    SELECT s.*, date_bin('15 minutes', s.a, %(epoch)s) AS first_p,
           date_bin('15 minutes', s.b - interval '1 microsecond', %(epoch)s) AS last_p
    FROM s WHERE s.b > s.a
), pieces AS (
    -- Most segments lie inside one interval: no series to generate for them. Pieces are whole
    -- microseconds (extract gives an exact numeric), so their sums do not depend on row order.
    SELECT agent_code, state, first_p AS p, (extract(epoch FROM b - a) * __scale__)::bigint AS us
    FROM cut WHERE first_p = last_p
    UNION ALL
    SELECT cut.agent_code, cut.state, g AS p,
           (extract(epoch FROM least(cut.b, g + interval '15 minutes') - greatest(cut.a, g))
            * __scale__)::bigint AS us
    FROM cut CROSS JOIN LATERAL generate_series(cut.first_p, cut.last_p, interval '15 minutes') AS g
    WHERE cut.first_p < cut.last_p
)""".replace("__scale__", str(SUM_SCALE))
_PRESENCE_SQL = "WITH " + _PRESENCE_CTES + " SELECT p, agent_code, __states__ FROM pieces GROUP BY 1, 2"  # noqa: S608


def _state_sums() -> str:
    return ", ".join(
        f"coalesce(sum(us) FILTER (WHERE state = '{state}'), 0)::float8 / {SUM_SCALE} AS {column}"
        for state, column in STATE_COLUMN.items()
    )


def presence_rollup_sql(
    *, start: datetime, end: datetime, now: datetime, stamp: datetime
) -> tuple[str, dict[str, Any]]:
    """One statement that makes the presence interval rows of [start, end) those of the segments
    (PostgreSQL): inserts new rows, updates changed ones, leaves unchanged ones alone and deletes
    rows of the range no segment gives any more. Returns (rows computed, written, deleted)."""
    columns = ", ".join(STATE_COLUMN.values())
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in (*STATE_COLUMN.values(), "computed_at"))
    old = ", ".join(f"t.{column}" for column in STATE_COLUMN.values())
    new = ", ".join(f"EXCLUDED.{column}" for column in STATE_COLUMN.values())
    # Identifiers are fixed here; every value is a parameter.
    text = f"""WITH {_PRESENCE_CTES},
out AS (SELECT p, agent_code, {_state_sums()} FROM pieces GROUP BY 1, 2),
written AS (
    INSERT INTO __presence_rollup__ AS t (grain, period_start, agent_code, {columns}, computed_at)
    SELECT 'interval', p, agent_code, {columns}, %(stamp)s FROM out
    ON CONFLICT (grain, period_start, agent_code) DO UPDATE SET {updates}
    WHERE ({old}) IS DISTINCT FROM ({new})
    RETURNING 1
),
gone AS (
    -- NOT IN: one hash of the result, probed per stored row (see visit_rollup_sql).
    DELETE FROM __presence_rollup__ AS r
    WHERE r.grain = 'interval' AND r.period_start >= %(start)s AND r.period_start < %(end)s
      AND (r.period_start, r.agent_code COLLATE "C") NOT IN (SELECT p, agent_code FROM out)
    RETURNING 1
)
SELECT (SELECT count(*) FROM out), (SELECT count(*) FROM written), (SELECT count(*) FROM gone)
"""  # noqa: S608
    params = {
        "start": start,
        "end": end,
        "cap": min(now, end),
        "codes": inputs.known_agent_codes(),
        "states": list(STATE_COLUMN),
        "epoch": EPOCH,
        "stamp": stamp,
    }
    return _sql(text), params


def presence_totals(
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    engine: str | None = None,
    agent_codes: Collection[str] | None = None,
) -> dict[AgentKey, Totals]:
    """Seconds per presence state within [start, end), per (interval, agent code); a segment still
    open counts up to `now`."""
    codes = sorted(agent_codes) if agent_codes is not None else inputs.known_agent_codes()
    if not codes:
        return {}
    cap = min(now, end)
    if engine_for(engine) == "python":
        return _presence_totals_python(start, end, cap, codes)
    params = {
        "start": start,
        "end": end,
        "cap": cap,
        "codes": codes,
        "states": list(STATE_COLUMN),
        "epoch": EPOCH,
    }
    found: dict[AgentKey, Totals] = {}
    with connection.cursor() as cursor:
        cursor.execute(_sql(_PRESENCE_SQL.replace("__states__", _state_sums())), params)
        names = [column.name for column in cursor.description]
        for row in cursor.fetchall():
            values = dict(zip(names, row, strict=True))
            found[(values["p"], values["agent_code"])] = Totals.from_row(values)
    return found


def _presence_totals_python(
    start: datetime, end: datetime, cap: datetime, codes: list[str]
) -> dict[AgentKey, Totals]:
    found: dict[AgentKey, Totals] = defaultdict(Totals)
    rows = PresenceSegment.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start),
        agent_code__in=codes,
        state__in=list(STATE_COLUMN),
        started_at__lt=end,
    ).values_list("agent_code", "state", "started_at", "ended_at")
    for code, state, started_at, ended_at in rows.iterator(chunk_size=5000):
        a = max(started_at, start)
        b = min(ended_at if ended_at is not None else cap, end)
        cursor = interval_floor(a)
        while cursor < b:
            piece = (min(b, cursor + INTERVAL) - max(a, cursor)).total_seconds()
            if piece > 0:
                totals = found[(cursor, code)]
                column = STATE_COLUMN[state]
                setattr(totals, column, exact_add(getattr(totals, column), piece))
            cursor += INTERVAL
    return dict(found)


# --- day rows from interval rows (PostgreSQL) --------------------------------------------------------
def day_rollup_sql(
    *, source_grain: str, target_grain: str, start: datetime, end: datetime, stamp: datetime
) -> tuple[str, dict[str, Any]]:
    """The upsert of one day's rows of `target_grain` as sums of its `source_grain` interval rows,
    histograms merged bucket by bucket, inside the database."""
    sums = [*COUNT_FIELDS, *SUM_FIELDS]
    q = connection.ops.quote_name
    # Counts add as integers, seconds in whole microseconds: a day row is the same in any row order.
    aggregates = ", ".join(
        f"{_unscaled_sql(f'sum({_scaled_sql(q(name))})')} AS {q(name)}"
        if name in SUM_FIELDS
        else f"sum({q(name)}) AS {q(name)}"
        for name in sums
    )
    columns = ", ".join(q(name) for name in (*sums, "wait_max_s", "answered_hist", "abandoned_hist"))
    updates = ", ".join(
        f"{q(name)} = EXCLUDED.{q(name)}"
        for name in (*sums, "wait_max_s", "answered_hist", "abandoned_hist", "computed_at")
    )
    picked = ", ".join(f"agg.{q(name)}" for name in sums)
    # The source rows are read once per part rather than materialised whole: they are wide.
    source = "__rollup__ WHERE grain = %(source)s AND period_start >= %(start)s AND period_start < %(end)s"
    hist = """
    {name} AS (
        SELECT queue, agent_code, jsonb_object_agg(k, n) AS h FROM (
            SELECT r.queue, r.agent_code, e.key AS k, sum(e.value::int) AS n
            FROM (SELECT queue, agent_code, {field} FROM __SOURCE__ AND {field} <> '{{}}'::jsonb) AS r
            CROSS JOIN LATERAL jsonb_each_text(r.{field}) AS e GROUP BY 1, 2, 3
        ) x GROUP BY 1, 2
    )""".replace("__SOURCE__", source)
    text = f"""
WITH agg AS (
    SELECT queue, agent_code, {aggregates}, max(wait_max_s) AS wait_max_s FROM {source} GROUP BY 1, 2
),
{hist.format(name="ah", field="answered_hist")},
{hist.format(name="bh", field="abandoned_hist")}
INSERT INTO __rollup__ (grain, period_start, queue, agent_code, {columns}, computed_at)
SELECT %(target)s, %(start)s, agg.queue, agg.agent_code, {picked}, agg.wait_max_s,
       coalesce(ah.h, '{{}}'::jsonb), coalesce(bh.h, '{{}}'::jsonb), %(stamp)s
FROM agg
LEFT JOIN ah ON ah.queue = agg.queue AND ah.agent_code = agg.agent_code
LEFT JOIN bh ON bh.queue = agg.queue AND bh.agent_code = agg.agent_code
ORDER BY 3, 4
ON CONFLICT (grain, period_start, queue, agent_code) DO UPDATE SET {updates}
"""  # noqa: S608 - identifiers from model metadata; every value is a parameter
    params = {"source": source_grain, "target": target_grain, "start": start, "end": end, "stamp": stamp}
    return _sql(text), params


def presence_day_sql(*, start: datetime, end: datetime, stamp: datetime) -> tuple[str, dict[str, Any]]:
    columns = ", ".join(STATE_COLUMN.values())
    sums = ", ".join(_unscaled_sql(f"sum({_scaled_sql(column)})") for column in STATE_COLUMN.values())
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in (*STATE_COLUMN.values(), "computed_at"))
    text = (
        f"INSERT INTO __presence_rollup__ (grain, period_start, agent_code, {columns}, computed_at) "  # noqa: S608
        f"SELECT 'day', %(start)s, agent_code, {sums}, %(stamp)s FROM __presence_rollup__ "
        "WHERE grain = 'interval' AND period_start >= %(start)s AND period_start < %(end)s "
        "GROUP BY agent_code ORDER BY agent_code "
        f"ON CONFLICT (grain, period_start, agent_code) DO UPDATE SET {updates}"
    )
    return _sql(text), {"start": start, "end": end, "stamp": stamp}


# --- stored rollup rows, summed by any grouping ---------------------------------------------------
GROUPS = ("queue", "agent_code", "day", "week", "interval")


def _grouped(qs: Any, group_by: Iterable[str]) -> tuple[Any, list[str]]:
    columns = []
    for name in group_by:
        if name == "day":
            qs = qs.annotate(g_day=TruncDate("period_start", tzinfo=zone()))
            columns.append("g_day")
        elif name == "week":
            qs = qs.annotate(g_week=TruncWeek("period_start", tzinfo=zone()))
            columns.append("g_week")
        elif name == "interval":
            columns.append("period_start")
        elif name in ("queue", "agent_code"):
            columns.append(name)
        else:
            raise ValueError(f"unknown grouping {name!r}")
    return qs, columns


def _key(values: Iterable[Any], group_by: tuple[str, ...]) -> tuple:
    key = []
    for name, value in zip(group_by, values, strict=True):
        if name == "week" and isinstance(value, datetime):
            value = value.date() if value.tzinfo is None else value.astimezone(zone()).date()
        elif name == "day" and isinstance(value, datetime):
            value = value.astimezone(zone()).date()
        elif name in ("day", "week") and isinstance(value, str):
            value = datetime.fromisoformat(value).date()
        elif name == "interval" and isinstance(value, str):
            value = datetime.fromisoformat(value)
        if name == "interval" and isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        key.append(value)
    return tuple(key)


def _merged(ranges: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The ranges with those that touch or overlap joined: a month of day ranges becomes one range
    the unique index scans, instead of thirty ORed conditions tested on every row."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def rollup_rows_sum(
    *,
    model: type[VisitRollup] | type[PresenceRollup],
    grain: str,
    ranges: list[tuple[datetime, datetime]],
    group_by: tuple[str, ...],
    queue: str | None = None,
    agent_codes: Collection[str] | None = None,
    hists: bool = True,
) -> dict[tuple, Totals]:
    """Stored rows of `grain` in any of `ranges`, summed per group; three queries at most
    (one without `hists`: the totals then serve the default thresholds only)."""
    if not ranges:
        return {}
    if model is PresenceRollup and queue is not None:
        raise ValueError("presence has no queue: leave it out of queue-scoped figures")
    span = Q()
    for start, end in _merged(ranges):
        span |= Q(period_start__gte=start, period_start__lt=end)
    qs = model.objects.filter(span, grain=grain)
    if queue is not None:
        qs = qs.filter(queue=queue)
    if agent_codes is not None:
        qs = qs.filter(agent_code__in=list(agent_codes))
    qs, columns = _grouped(qs, group_by)
    if model is VisitRollup:
        aggregates = {name: Sum(name) for name in COUNT_FIELDS}
        aggregates |= {name: _scaled_sum(name) for name in SUM_FIELDS} | {"wait_max": Max("wait_max_s")}
        scaled_names: tuple[str, ...] = SUM_FIELDS
    else:
        aggregates = {name: _scaled_sum(name) for name in STATE_FIELDS}
        scaled_names = STATE_FIELDS
    counted = [name for name in aggregates if name != "wait_max" and name not in scaled_names]
    found: dict[tuple, Totals] = {}
    with _report_query_settings():
        if columns:
            # Thousands of groups (a month by agent): the rows come straight off the cursor, the
            # ORM's per-value converters are not needed (`_key` reads either database's values).
            sql, params = qs.order_by().values(*columns).annotate(**aggregates).query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                names = [column[0] for column in cursor.description]  # a tuple on SQLite
                grouped: Iterable[dict[str, Any]] = [dict(zip(names, row, strict=True)) for row in cursor]
        else:
            grouped = [qs.aggregate(**aggregates)]
        for row in grouped:
            if not columns and row.get("wait_max") is None and not any(row.values()):
                continue  # no rows at all
            values = {name: row[name] for name in counted if row[name] is not None}
            for name in scaled_names:
                if row[name] is not None:
                    values[name] = int(row[name]) / SUM_SCALE
            if "wait_max" in row:
                values["wait_max_s"] = row["wait_max"]
            found[_key([row[c] for c in columns], group_by)] = Totals.from_sums(values)
        if model is VisitRollup and not hists:
            for totals in found.values():
                totals.hists_loaded = False
        elif model is VisitRollup:
            for field_name in ("answered_hist", "abandoned_hist"):
                for key, bucket, count in _hist_sums(qs, columns, field_name):
                    key = _key(key, group_by)
                    getattr(found.setdefault(key, Totals()), field_name)[int(bucket)] += int(count)
    return found


@contextmanager
def _report_query_settings() -> Iterator[None]:
    """On PostgreSQL, sums of stored rows run without JIT and with room to aggregate in memory.

    A month of agent rows costs enough for the planner to JIT-compile the 25 sums, which took
    longer (0.5 s) than the query itself; and with 4 MB the aggregation spilled to disk."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        yield


class _RoundFloat(Func):
    """round(float8) to a whole number, as a float: Django's Round casts to numeric(1000, 15) on
    PostgreSQL first, which made a month's sums of agent rows take seconds."""

    function = "ROUND"
    arity = 1
    output_field = FloatField()


def _scaled_sum(name: str) -> Cast:
    """The sum of a float column in whole millionths (`totals.scaled`), an exact integer on either
    database: the same in any row order, and what the rollup SQL would write. (Stored sums are
    whole millionths already, never halfway, so SQLite's rounding of halves does not matter.) The
    sum comes back as bigint, not numeric: an int to the driver rather than a Decimal to parse."""
    return Cast(Sum(Cast(_RoundFloat(F(name) * SUM_SCALE), BigIntegerField())), BigIntegerField())


def _hist_sums(qs: Any, columns: list[str], field_name: str) -> list[tuple[tuple, str, int]]:
    """Per group and bucket, the summed histogram counts, added up inside the database."""
    inner = qs.exclude(**{field_name: {}}).order_by().values(*columns, field_name)
    sql, params = inner.query.sql_with_params()
    quoted = ", ".join(f"s.{connection.ops.quote_name(c)}" for c in columns)
    groups = f"{quoted}, " if columns else ""
    hist = f"s.{connection.ops.quote_name(field_name)}"
    if connection.vendor == "postgresql":
        each, value = f"CROSS JOIN LATERAL jsonb_each_text({hist}) e", "e.value::int"
    else:
        each, value = f", json_each({hist}) e", "CAST(e.value AS INTEGER)"
    # Identifiers come from model metadata and a fixed list; values stay parameters.
    text = f"SELECT {groups}e.key, SUM({value}) FROM ({sql}) s {each} GROUP BY {groups}e.key"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(text, params)
        rows = cursor.fetchall()
    width = len(columns)
    return [(tuple(row[:width]), row[width], row[width + 1]) for row in rows]


def group_key(period: datetime, queue: str, agent: str, group_by: tuple[str, ...]) -> tuple:
    """The group of one raw (interval, queue, agent) row, matching `rollup_rows_sum`'s keys."""
    key: list[Any] = []
    for name in group_by:
        if name == "queue":
            key.append(queue)
        elif name == "agent_code":
            key.append(agent)
        elif name == "day":
            key.append(local_day(period))
        elif name == "week":
            key.append(week_start(local_day(period)))
        elif name == "interval":
            key.append(period)
    return tuple(key)
