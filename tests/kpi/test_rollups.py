"""Rollups: the PostgreSQL aggregation against the Python reference on random data, presence,
call-level measures (surveys, QA, FCR), late data and the beat tasks."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from kpi import aggregate
from kpi.models import PresenceRollup, RollupDay, RollupInterval, VisitRollup
from kpi.periods import day_bounds
from kpi.selectors import ReportQuery, kpi_report
from kpi.services.rollups import rollup_calls_changed, rollup_compute, rollup_days_due, rollup_due
from kpi.totals import Totals
from telephony.models import Call
from telephony.services import call_events_ingest
from tests.callcenter.factories import UserFactory
from tests.kpi.factories import call_events
from tests.telephony.factories import T0, FeedSourceFactory, ev
from tickets.models import CallLog

pytestmark = pytest.mark.django_db
START, END = T0 - timedelta(hours=9), T0 + timedelta(hours=39)  # two whole days from midnight
NOW = T0 + timedelta(days=3)
QUEUES = ("sales", "support", "billing")
AGENTS = ("alice", "bob", "carol", "dave")


def random_calls(rng: random.Random, n: int) -> list[dict]:
    """Calls of every shape across two days: answered (some on hold, some without wrap-up),
    transferred, abandoned (short and long), timed out, still waiting, surveyed or not."""
    events: list[dict] = []
    for k in range(n):
        queued = rng.uniform(-9 * 3600, 39 * 3600)
        queue = rng.choice(QUEUES)
        agent = rng.choice(AGENTS)
        wait = rng.choice([0, 0.4, 4.99, 5, 12.5, 19.99, 20, 20.01, rng.uniform(0, 200)])
        kind = rng.choice(["answered", "answered", "transfer", "abandoned", "timeout", "waiting"])
        survey = {"csat": rng.randint(1, 5), "nps": rng.randint(0, 10)} if rng.random() < 0.4 else {}
        if rng.random() < 0.2:
            survey.pop("csat", None)
        options: dict = {"queue": queue, "queued": queued, "agent": agent, **survey}
        talk = rng.uniform(20, 600)
        if kind == "answered":
            options.update(answered=queued + wait, ended=queued + wait + talk)
            if rng.random() < 0.3:
                options["hold"] = (queued + wait + 5, queued + wait + 5 + rng.uniform(1, 15))
            if rng.random() < 0.7:
                options["wrapup"] = queued + wait + talk + rng.uniform(0, 90)
        elif kind == "transfer":
            other = rng.choice([q for q in QUEUES if q != queue])
            at = queued + wait + rng.uniform(5, 60)
            options.update(
                answered=queued + wait,
                transfer=(at, other, rng.choice(AGENTS), at + rng.uniform(0, 40), at + 300, None),
            )
        elif kind == "abandoned":
            options["abandoned"] = queued + wait
        elif kind == "timeout":
            options["timeout"] = queued + wait
        events += call_events(f"r{k}", **options)
    return events


def random_presence(rng: random.Random) -> list[dict]:
    events = []
    for agent in AGENTS:
        moment = -8 * 3600 + rng.uniform(0, 3600)
        events.append(ev("agent.login", moment, agent=agent))
        while moment < 38 * 3600:
            moment += rng.uniform(60, 4000)
            state = rng.choice(["available", "not_ready", "break", "available"])
            events.append(ev("agent.state", moment, agent=agent, data={"state": state, "reason": "meeting"}))
        events.append(ev("agent.logout", moment + 100, agent=agent))
    return events


@pytest.fixture
def random_data(db):
    rng = random.Random(20261123)
    source = FeedSourceFactory(name="pbx1")
    result = call_events_ingest(source=source, raw_events=random_calls(rng, 400) + random_presence(rng))
    assert result.rejected == []
    return source


def _values(rows: dict) -> dict:
    return {key: totals.visit_values() | totals.state_values() for key, totals in rows.items()}


def _close(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for key in left:
        for name, value in left[key].items():
            if isinstance(value, float):
                assert value == pytest.approx(right[key][name], abs=1e-6), (key, name)
            else:
                assert value == right[key][name], (key, name)


def test_sql_visit_aggregation_equals_the_python_reference(random_data):
    sql = aggregate.visit_totals(start=START, end=END, engine="sql")
    python = aggregate.visit_totals(start=START, end=END, engine="python")
    assert sum(t.offered for t in python.values()) > 300
    assert sum(t.csat_answers for t in python.values()) > 50
    _close(_values(sql), _values(python))


def test_sql_presence_aggregation_equals_the_python_reference(random_data):
    sql = aggregate.presence_totals(start=START, end=END, now=NOW, engine="sql")
    python = aggregate.presence_totals(start=START, end=END, now=NOW, engine="python")
    assert sum(t.not_ready_s for t in python.values()) > 0
    _close(_values(sql), _values(python))


def test_presence_seconds_of_an_interval_never_exceed_its_length(random_data):
    for totals in aggregate.presence_totals(start=START, end=END, now=NOW).values():
        assert totals.logged_in_s <= 900 + 1e-6


def _rows() -> list[tuple]:
    fields = [f.name for f in VisitRollup._meta.fields if f.name not in ("id", "computed_at")]
    return [
        tuple(round(v, 6) if isinstance(v, float) else v for v in row)
        for row in VisitRollup.objects.order_by("grain", "period_start", "queue", "agent_code").values_list(
            *fields
        )
    ]


def _presence_rows() -> list[tuple]:
    fields = ["grain", "period_start", "agent_code", "available_s", "on_call_s", "not_ready_s", "break_s"]
    return [
        tuple(round(v, 6) if isinstance(v, float) else v for v in row)
        for row in PresenceRollup.objects.order_by(*fields[:3]).values_list(*fields)
    ]


def test_sql_and_python_rollups_write_the_same_rows(random_data):
    rollup_compute(start=START, end=END, now=NOW, engine="sql")
    by_sql, presence_by_sql = _rows(), _presence_rows()
    assert any(row[0] == "day" for row in by_sql)
    rollup_compute(start=START, end=END, now=NOW, engine="python")
    assert _rows() == by_sql
    assert _presence_rows() == presence_by_sql


def test_day_rows_sum_their_intervals(random_data):
    rollup_compute(start=START, end=END, now=NOW)
    first, last = day_bounds(START.date())
    day = VisitRollup.objects.filter(grain="day", period_start=first)
    intervals = VisitRollup.objects.filter(grain="interval", period_start__gte=first, period_start__lt=last)
    assert sum(day.values_list("offered", flat=True)) == sum(intervals.values_list("offered", flat=True)) > 0
    assert RollupDay.objects.filter(day=START.date()).exists()


@pytest.mark.parametrize("by", ["queue", "agent"])
def test_report_from_rollups_equals_the_report_from_raw_data(random_data, by):
    query = ReportQuery(first_day=START.date(), last_day=(END - timedelta(seconds=1)).date(), by=by)
    raw = [row.as_dict() for row in kpi_report(query, now=NOW)]
    rollup_compute(start=START, end=END, now=NOW)
    # Exactly: seconds add up in whole microseconds whichever rows they come from.
    assert [row.as_dict() for row in kpi_report(query, now=NOW)] == raw


def test_a_rerun_writes_nothing_when_nothing_changed(random_data):
    rollup_compute(start=START, end=END, now=NOW, engine="sql")
    rows, presence = _rows(), _presence_rows()
    again = rollup_compute(start=START, end=END, now=NOW, engine="sql")
    assert again.visit_rows > 0 and again.presence_rows > 0
    assert again.rows_written == 0
    assert (_rows(), _presence_rows()) == (rows, presence)


def test_a_rerun_writes_the_rows_new_data_changes(random_data):
    rollup_compute(start=START, end=END, now=NOW, engine="sql")
    call_events_ingest(
        source=random_data,
        raw_events=call_events("late1", queue="sales", queued=100, agent="alice", answered=104, ended=300),
    )
    before = timezone.now()
    again = rollup_compute(start=START, end=END, now=NOW, engine="sql")
    # Of the interval rows, the agent's and the queue's of that interval are written again; the
    # rest keep their stamp. Alice's presence changes in an interval or two. (Day rows, a few per
    # day, are all written again.)
    rewritten = VisitRollup.objects.filter(grain__in=["interval", "q_interval"], computed_at__gte=before)
    # Seconds are summed in whole microseconds, so no other row comes out a bit different.
    assert sorted(rewritten.values_list("grain", "queue", "agent_code")) == [
        ("interval", "sales", "alice"),
        ("q_interval", "sales", ""),
    ]
    assert 2 <= again.rows_written < 10
    by_sql = _rows()
    rollup_compute(start=START, end=END, now=NOW, engine="python")
    assert _rows() == by_sql


def _scored_and_logged(calls: int = 6) -> list[Call]:
    """Submitted QA scores and wrap-up logs (FCR) on some answered calls of the random data."""
    from qa.models import EvaluationStatus
    from tests.qa.factories import EvaluationFactory, make_scorecard
    from tests.tickets.factories import CustomerFactory

    picked = list(Call.objects.filter(outcome="answered", queued_at__gte=T0).order_by("queued_at")[:calls])
    version = make_scorecard().current_version
    alice = UserFactory(username="qa-alice", roles=["agent"])
    for n, call in enumerate(picked):
        EvaluationFactory(
            call=call, scorecard_version=version, status=EvaluationStatus.SUBMITTED, score=70.0 + n
        )
        _log(call.call_id, CustomerFactory(), alice, call.queued_at + timedelta(minutes=5))
    return picked


def test_a_rerun_with_qa_and_fcr_figures_writes_nothing(random_data):
    _scored_and_logged()
    rollup_compute(start=START, end=END, now=NOW, engine="sql")
    scored = VisitRollup.objects.filter(grain="interval", qa_count__gt=0, fcr_first__gt=0)
    assert scored.exists()
    rows = _rows()
    again = rollup_compute(start=START, end=END, now=NOW, engine="sql")
    assert again.rows_written == 0
    assert _rows() == rows


def test_a_changed_qa_score_rewrites_only_the_rows_it_counts_in(random_data):
    from qa.models import Evaluation

    first, *_rest = _scored_and_logged()
    rollup_compute(start=START, end=END, now=NOW, engine="sql")
    Evaluation.objects.filter(call=first).update(score=12.5)
    before = timezone.now()
    again = rollup_compute(start=START, end=END, now=NOW, engine="sql")
    rewritten = VisitRollup.objects.filter(grain__in=["interval", "q_interval"], computed_at__gte=before)
    visit = first.visits.filter(answered_at__isnull=False).order_by("-seq").first()
    assert sorted(rewritten.values_list("grain", "queue", "agent_code")) == [
        ("interval", visit.queue.name, visit.agent_code),
        ("q_interval", visit.queue.name, ""),
    ]
    assert again.rows_written == 2
    by_sql = _rows()
    rollup_compute(start=START, end=END, now=NOW, engine="python")
    assert _rows() == by_sql


def test_seconds_sum_to_the_same_value_in_any_row_order(db):
    # As floats, 0.1 + 0.2 + 0.3 is 0.6000000000000001 in one order and 0.6 in another: a rerun
    # meeting the rows in another order would rewrite the row. Whole microseconds add up exactly.
    source = FeedSourceFactory(name="pbx1")
    events = []
    for n, talk in enumerate((0.1, 0.2, 0.3)):
        at = 10 * n
        events += call_events(f"o{n}", queued=at, answered=at + 2, ended=at + 2 + talk)
    call_events_ingest(source=source, raw_events=events)
    first, last = day_bounds(T0.date())
    rollup_compute(start=first, end=last, now=NOW, engine="sql")
    talk = dict(VisitRollup.objects.filter(queue="sales").values_list("grain", "talk_sum_s"))
    assert talk == {"interval": 0.6, "q_interval": 0.6, "day": 0.6, "q_day": 0.6}
    for order in itertools.permutations((0.1, 0.2, 0.3)):
        totals = Totals()
        for part in order:
            totals.add_visit(outcome="answered", wait_s=2.0, talk_s=part, hold_s=None, acw_s=None, ended=True)
        assert totals.talk_sum_s == 0.6


def test_a_rerun_deletes_the_rows_the_data_no_longer_gives(random_data):
    rollup_compute(start=START, end=END, now=NOW, engine="sql")
    row = VisitRollup.objects.filter(grain="interval").first()
    ghost = {"period_start": row.period_start, "computed_at": row.computed_at}
    VisitRollup.objects.create(grain="interval", queue="ghost", agent_code="nobody", **ghost)
    VisitRollup.objects.create(grain="q_interval", queue="ghost", agent_code="", **ghost)
    PresenceRollup.objects.create(grain="interval", agent_code="nobody", **ghost)
    again = rollup_compute(start=START, end=END, now=NOW, engine="sql")
    assert again.rows_written == 3
    assert not VisitRollup.objects.filter(queue="ghost").exists()
    assert not PresenceRollup.objects.filter(agent_code="nobody").exists()


def test_a_survey_counts_once_with_the_last_answered_visit(db):
    source = FeedSourceFactory(name="pbx1")
    call_events_ingest(
        source=source,
        raw_events=call_events(
            "s1", queued=880, answered=885, transfer=(950, "support", "bob", 960, 1000, None), csat=5, nps=9
        ),
    )
    rows = aggregate.visit_totals(start=T0, end=T0 + timedelta(hours=1))
    by_queue = {key[1]: totals for key, totals in rows.items()}
    assert (by_queue["sales"].offered, by_queue["sales"].csat_answers) == (1, 0)
    assert (by_queue["support"].csat_answers, by_queue["support"].nps_promoters) == (1, 1)


def test_intervals_that_have_not_ended_are_not_rolled_up(db):
    now = datetime(2026, 11, 23, 10, 7, tzinfo=UTC)
    stats = rollup_compute(start=T0, end=T0 + timedelta(hours=2), now=now)
    assert stats.intervals == 4  # 09:00 … 09:45; 10:00 is still open
    assert not RollupInterval.objects.filter(start__gte=datetime(2026, 11, 23, 10, tzinfo=UTC)).exists()


def test_beat_computes_the_closed_intervals_of_the_last_two_days(db):
    now = datetime(2026, 11, 23, 10, 7, tzinfo=UTC)
    stats = rollup_due(now=now)
    assert stats.intervals == 2 * 96  # from 10:00 two days ago up to 10:00 today
    assert rollup_due(now=now).intervals == 0  # nothing left to do


def test_beat_recomputes_stale_intervals_only(random_data):
    rollup_compute(start=START, end=END, now=NOW)
    call = Call.objects.filter(visits__answered_at__isnull=False).first()
    assert rollup_calls_changed(call_ids=[call.pk]) >= 1
    stats = rollup_due(now=NOW, new=False)
    assert 1 <= stats.intervals <= 2
    assert not RollupInterval.objects.exclude(computed_generation=F("generation")).exists()


def test_nightly_task_rolls_up_each_ended_day_once(random_data):
    stats = rollup_days_due(now=NOW)
    assert stats.days >= 2
    assert RollupDay.objects.filter(day=T0.date()).exists()
    assert rollup_days_due(now=NOW).days == 0


def test_a_late_event_arriving_during_a_run_leaves_the_interval_stale(random_data):
    """The generation is read before the data: a bump after that read is never lost."""
    first = RollupInterval.objects.create(start=T0, generation=1)
    rollup_compute(start=T0, end=T0 + timedelta(minutes=15), now=NOW)
    first.refresh_from_db()
    assert first.computed_generation == first.generation == 1
    RollupInterval.objects.filter(pk=first.pk).update(generation=F("generation") + 1)
    first.refresh_from_db()
    assert first.computed_generation != first.generation


def test_qa_scores_count_with_the_agent_who_answered_last(random_data):
    from qa.models import EvaluationStatus
    from tests.qa.factories import EvaluationFactory, make_scorecard

    *answered, drafted = list(
        Call.objects.filter(outcome="answered", queued_at__gte=T0, queued_at__lt=T0 + timedelta(hours=3))[:4]
    )
    version = make_scorecard().current_version
    for n, call in enumerate(answered):
        EvaluationFactory(
            call=call, scorecard_version=version, status=EvaluationStatus.SUBMITTED, score=80.0 + n * 10
        )
    EvaluationFactory(
        call=drafted, scorecard_version=version, status=EvaluationStatus.DRAFT, score=5
    )  # no count
    rows = aggregate.call_annotations(start=T0, end=T0 + timedelta(hours=3))
    assert sum(t.qa_count for t in rows.values()) == 3
    assert sum(t.qa_sum for t in rows.values()) == pytest.approx(80 + 90 + 100)
    agents = {key[2] for key, totals in rows.items() if totals.qa_count}
    assert agents <= {call.agent_code for call in answered}


def _log(call_id: str, customer, agent, at: datetime, ticket=None) -> None:
    log = CallLog.objects.create(call_id=call_id, agent=agent, customer=customer, ticket=ticket)
    CallLog.objects.filter(pk=log.pk).update(created_at=at)


def test_fcr_counts_a_repeat_on_the_same_ticket_within_seven_days(db):
    from tests.tickets.factories import CustomerFactory, TicketFactory

    source = FeedSourceFactory(name="pbx1")
    alice = UserFactory(username="alice", roles=["agent"])
    events = [
        *call_events("f1", queued=0, answered=5, ended=60),
        *call_events("f2", queued=3 * 86400, answered=3 * 86400 + 5, ended=3 * 86400 + 60),
        *call_events("f3", queued=100, answered=105, ended=160),
        *call_events("f4", queued=200, answered=205, ended=260),
    ]
    call_events_ingest(source=source, raw_events=events)
    repeat, once, other = CustomerFactory(), CustomerFactory(), CustomerFactory()
    ticket = TicketFactory(customer=repeat)
    _log("f1", repeat, alice, T0 + timedelta(minutes=2), ticket)
    _log("f2", repeat, alice, T0 + timedelta(days=3, minutes=2), ticket)  # the same issue again
    _log("f3", once, alice, T0 + timedelta(minutes=4))
    _log("f4", other, alice, T0 + timedelta(minutes=5), TicketFactory(customer=other))
    flags = aggregate.fcr_flags(call_ids=["f1", "f2", "f3", "f4"])
    assert flags == {"f1": (1, 0), "f2": (0, 0), "f3": (1, 1), "f4": (1, 1)}
    (row,) = kpi_report(ReportQuery(first_day=T0.date(), last_day=T0.date()), now=NOW)
    assert row.kpis["fcr"] == pytest.approx(100 * 2 / 3)


def test_whole_queue_rows_are_the_sums_of_their_agents_rows(random_data):
    rollup_compute(start=START, end=END, now=NOW)
    for grain, whole in (("interval", "q_interval"), ("day", "q_day")):
        by_agent = aggregate.rollup_rows_sum(
            model=VisitRollup, grain=grain, ranges=[(START, END)], group_by=("queue", "day")
        )
        by_queue = aggregate.rollup_rows_sum(
            model=VisitRollup, grain=whole, ranges=[(START, END)], group_by=("queue", "day")
        )
        assert by_agent.keys() == by_queue.keys()
        _close(_values(by_queue), _values(by_agent))


def test_presence_rolled_up_on_a_second_connection_equals_one_connection(transactional_db, monkeypatch):
    """Outside a caller's transaction the presence rows are rolled up on another connection, in a
    transaction of their own, while the visits are: the rows are those of a run on one connection."""
    from django.db import transaction

    from kpi.services import rollups

    source = FeedSourceFactory(name="pbx1")
    rng = random.Random(20261202)
    assert (
        call_events_ingest(source=source, raw_events=random_calls(rng, 150) + random_presence(rng)).rejected
        == []
    )
    threads = []
    real = rollups._presence_rollup_own_transaction

    def spied(*args):
        import threading

        threads.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(rollups, "_presence_rollup_own_transaction", spied)
    alongside = rollup_compute(start=START, end=END, now=NOW, engine="sql")
    assert threads and all(name.startswith("presence-rollup") for name in threads)
    rows, presence = _rows(), _presence_rows()
    assert alongside.presence_rows > 0 and presence
    VisitRollup.objects.all().delete()
    PresenceRollup.objects.all().delete()
    with transaction.atomic():  # a caller's transaction: one connection
        alone = rollup_compute(start=START, end=END, now=NOW, engine="sql")
    assert len(threads) == 2  # one per day of the first run, none in the second
    assert (alone.visit_rows, alone.presence_rows) == (alongside.visit_rows, alongside.presence_rows)
    assert (_rows(), _presence_rows()) == (rows, presence)


def test_the_day_rows_covering_indexes_carry_every_column_a_report_sums(db):
    """Migration 0003 lists the columns by hand: a field added to the sums must be added there,
    or month reports quietly go back to reading the wide rows."""
    from django.db import connection

    from kpi.totals import COUNT_FIELDS, STATE_FIELDS, SUM_FIELDS

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
            "('visit_rollup_day_cover', 'presence_rollup_day_cover')"
        )
        definitions = dict(cursor.fetchall())
    wanted = {
        "visit_rollup_day_cover": {"agent_code", "queue", "wait_max_s", *COUNT_FIELDS, *SUM_FIELDS},
        "presence_rollup_day_cover": {"agent_code", *STATE_FIELDS},
    }
    for name, columns in wanted.items():
        included = definitions[name].split("INCLUDE (")[1].split(")")[0]
        assert columns <= {column.strip() for column in included.split(",")}, name
