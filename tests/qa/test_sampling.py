"""Sampling: calls matching a rule, plus N random calls per agent per week from finished days,
within a cap per agent-week and per run (most telling calls first), assigned evenly to QA analysts;
running it twice or at once changes nothing."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from qa.models import Evaluation, EvaluationStatus, SampleReason, SamplingPolicy
from qa.services.sampling import agent_cap, calls_sample, random_target
from qa.tasks import sample_calls_task
from tests.callcenter.factories import UserFactory
from tests.qa.factories import CallFactory

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday
LAST_WEEK = datetime(2026, 11, 19, 10, 0, tzinfo=UTC)  # Thursday of the week before


@pytest.fixture
def rules_only(db):
    # Caps out of the way: these tests are about which calls the rules match.
    SamplingPolicy.objects.update_or_create(
        pk=1, defaults={"random_per_agent_week": 0, "max_per_agent_week": 100, "max_per_run": 1000}
    )


@pytest.fixture
def random_only(db):
    SamplingPolicy.objects.update_or_create(
        pk=1, defaults={"csat_at_most": 0, "long_hold_s": 0, "transfers": False, "random_per_agent_week": 2}
    )


def _reasons():
    return {e.call.call_id: sorted(e.reasons) for e in Evaluation.objects.select_related("call")}


# --- rules -----------------------------------------------------------------------------------------
def test_every_low_csat_long_hold_or_transferred_call_is_sampled(rules_only, qa, agent):
    at = NOW - timedelta(hours=2)
    CallFactory(agent=agent, at=at, call_id="unhappy", csat=2)
    CallFactory(agent=agent, at=at, call_id="held", hold_s=130)
    CallFactory(agent=agent, at=at, call_id="moved", transfers=1)
    CallFactory(agent=agent, at=at, call_id="fine", csat=5, hold_s=10)
    result = calls_sample(now=NOW)
    assert result.created == 3
    assert _reasons() == {"unhappy": ["low_csat"], "held": ["long_hold"], "moved": ["transfer"]}


def test_a_call_matching_several_rules_is_sampled_once_with_each_reason(rules_only, qa, agent):
    CallFactory(agent=agent, at=NOW - timedelta(hours=2), call_id="bad", csat=1, transfers=2)
    calls_sample(now=NOW)
    assert _reasons() == {"bad": ["low_csat", "transfer"]}


def test_a_call_that_has_not_settled_waits_for_the_next_run(rules_only, qa, agent):
    CallFactory(agent=agent, at=NOW - timedelta(minutes=5), call_id="just-ended", csat=1)
    assert calls_sample(now=NOW).created == 0
    assert calls_sample(now=NOW + timedelta(minutes=15)).created == 1


def test_unanswered_and_old_calls_are_not_sampled(rules_only, qa, agent):
    CallFactory(agent=agent, at=NOW - timedelta(hours=1), csat=1, answered_at=None, outcome="abandoned")
    CallFactory(agent=agent, at=NOW - timedelta(days=20), csat=1)
    assert calls_sample(now=NOW).created == 0


def test_a_rule_switched_off_samples_nothing(qa, agent):
    SamplingPolicy.objects.update_or_create(pk=1, defaults={"csat_at_most": 0, "random_per_agent_week": 0})
    CallFactory(agent=agent, at=NOW - timedelta(hours=2), csat=1)
    assert calls_sample(now=NOW).created == 0


def test_a_disabled_policy_samples_nothing(qa, agent):
    SamplingPolicy.objects.update_or_create(pk=1, defaults={"enabled": False})
    CallFactory(agent=agent, at=NOW - timedelta(hours=2), csat=1)
    assert calls_sample(now=NOW).created == 0


def test_running_twice_samples_each_call_once(rules_only, qa, agent):
    for _ in range(3):
        CallFactory(agent=agent, at=NOW - timedelta(hours=2), csat=1)
    assert calls_sample(now=NOW).created == 3
    assert calls_sample(now=NOW + timedelta(minutes=10)).created == 0
    assert Evaluation.objects.count() == 3


def test_sampled_evaluations_get_the_queue_scorecard_and_a_timeline(rules_only, qa, agent, scorecard):
    CallFactory(agent=agent, at=NOW - timedelta(hours=2), csat=1)
    calls_sample(now=NOW)
    evaluation = Evaluation.objects.get()
    assert evaluation.scorecard_version == scorecard.current_version
    assert list(evaluation.events.values_list("kind", flat=True)) == ["assigned"]


# --- random picks ----------------------------------------------------------------------------------
def test_random_picks_n_calls_per_agent_for_a_finished_week(random_only, qa, agent, other_agent):
    for hour in range(10):
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour))
    CallFactory(agent=other_agent, at=LAST_WEEK)
    calls_sample(now=NOW)
    picked = Counter(Evaluation.objects.values_list("agent_code", flat=True))
    assert picked == {"alice": 2, "bob": 1}
    assert all(
        reasons == [SampleReason.RANDOM] for reasons in Evaluation.objects.values_list("reasons", flat=True)
    )
    assert set(Evaluation.objects.values_list("sample_week", flat=True)) == {date(2026, 11, 16)}


def test_random_picks_of_this_week_come_from_finished_days_only(random_only, qa, agent):
    today = NOW.replace(hour=9)
    for minutes in range(0, 60, 10):
        CallFactory(agent=agent, at=today + timedelta(minutes=minutes))  # Wednesday, not finished
    assert calls_sample(now=NOW).created == 0
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    for minutes in range(0, 60, 10):
        CallFactory(agent=agent, at=monday + timedelta(minutes=minutes))
    result = calls_sample(now=NOW)
    assert result.created == 1  # two days finished: ceil(2 x 2 / 7) = 1
    assert Evaluation.objects.get().call.answered_at.date() == monday.date()


def test_random_prefers_calls_with_a_recording(random_only, qa, agent):
    for hour in range(6):
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour), recording_url="")
    recorded = {
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=7 + n), recording_url=f"r/{n}.wav").pk
        for n in range(2)
    }
    calls_sample(now=NOW)
    assert set(Evaluation.objects.values_list("call_id", flat=True)) == recorded


def test_random_never_exceeds_the_quota_on_later_runs(random_only, qa, agent):
    for hour in range(10):
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour))
    calls_sample(now=NOW)
    calls_sample(now=NOW + timedelta(hours=1))
    assert Evaluation.objects.count() == 2


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 23), 0),  # Monday: nothing finished yet
        (date(2026, 11, 24), 1),  # one day: ceil(2/7)
        (date(2026, 11, 27), 2),  # four days: ceil(8/7)
        (date(2026, 12, 7), 2),  # a week later: N
    ],
)
def test_the_random_target_grows_with_the_finished_days(today, expected):
    assert random_target(per_week=2, week=date(2026, 11, 23), today=today) == expected


# --- caps and priority -----------------------------------------------------------------------------
def _policy(**values):
    SamplingPolicy.objects.update_or_create(pk=1, defaults=values)


def _picked(**filters):
    return set(Evaluation.objects.filter(**filters).values_list("call__call_id", flat=True))


def test_the_cap_per_agent_week_holds_over_every_rule(qa, agent, other_agent):
    _policy(max_per_agent_week=3, random_per_agent_week=2)
    for hour in range(4):
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour), csat=1)
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour), hold_s=300)
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour), transfers=1)
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour))
    CallFactory(agent=other_agent, at=LAST_WEEK, csat=1)
    result = calls_sample(now=NOW)
    assert Counter(Evaluation.objects.values_list("agent_code", flat=True)) == {"alice": 3, "bob": 1}
    assert result.by_reason == {"low_csat": 4}
    assert calls_sample(now=NOW + timedelta(hours=1)).created == 0


def test_each_week_has_its_own_cap(rules_only, qa, agent):
    _policy(max_per_agent_week=2)
    for days in (0, 7):  # last week and the one before
        for hour in range(3):
            CallFactory(agent=agent, at=LAST_WEEK - timedelta(days=days, hours=hour), csat=1)
    _policy(lookback_days=20)
    calls_sample(now=NOW)
    weeks = Counter(e.call.answered_at.isocalendar().week for e in Evaluation.objects.select_related("call"))
    assert sorted(weeks.values()) == [2, 2]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 23), 1),  # Monday: ceil(5 x 1 / 7)
        (date(2026, 11, 25), 3),  # Wednesday: ceil(5 x 3 / 7)
        (date(2026, 11, 29), 5),  # Sunday: C
        (date(2026, 12, 7), 5),  # a past week: C
    ],
)
def test_the_agent_cap_is_spread_over_the_week(today, expected):
    assert agent_cap(per_week=5, week=date(2026, 11, 23), today=today) == expected


def test_monday_morning_bad_calls_do_not_use_up_the_week(rules_only, qa, agent):
    _policy(max_per_agent_week=5)
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    for minutes in range(0, 60, 10):
        CallFactory(agent=agent, at=monday_noon - timedelta(hours=3, minutes=minutes), csat=2)
    assert calls_sample(now=monday_noon).created == 1
    worse = CallFactory(agent=agent, at=monday_noon + timedelta(hours=10), csat=1, call_id="worse")
    tuesday = monday_noon + timedelta(days=1)
    assert calls_sample(now=tuesday).created == 1  # Tuesday's slot goes to the worst call left
    assert Evaluation.objects.filter(call=worse).exists()


@pytest.mark.parametrize(
    ("cap", "expected"),
    [
        (1, {"csat1"}),
        (2, {"csat1", "csat2"}),
        (3, {"csat1", "csat2", "moved2"}),
        (4, {"csat1", "csat2", "moved2", "moved1"}),
        (5, {"csat1", "csat2", "moved2", "moved1", "held300"}),
        (6, {"csat1", "csat2", "moved2", "moved1", "held300", "held150"}),
        (7, {"csat1", "csat2", "moved2", "moved1", "held300", "held150", "plain"}),
    ],
)
def test_the_most_telling_calls_win_the_agent_slots(qa, agent, cap, expected):
    _policy(max_per_agent_week=cap, random_per_agent_week=min(cap, 2))
    calls = {
        "held150": {"hold_s": 150},
        "csat2": {"csat": 2},
        "moved1": {"transfers": 1},
        "held300": {"hold_s": 300},
        "csat1": {"csat": 1},
        "moved2": {"transfers": 2},
        "plain": {},
    }
    for hour, (name, values) in enumerate(calls.items()):
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour), call_id=name, **values)
    calls_sample(now=NOW)
    assert _picked() == expected


def test_random_picks_fill_what_the_rules_leave(qa, agent):
    _policy(max_per_agent_week=4, random_per_agent_week=3)
    CallFactory(agent=agent, at=LAST_WEEK, call_id="unhappy", csat=1)
    for hour in range(1, 10):
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour))
    result = calls_sample(now=NOW)
    assert result.by_reason == {"low_csat": 1, "random": 3}
    _policy(max_per_agent_week=3)  # a lower cap
    CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=11), csat=1)
    assert calls_sample(now=NOW + timedelta(hours=1)).created == 0


def test_the_run_cap_holds_and_the_rest_waits_for_the_next_run(rules_only, qa, agent, other_agent):
    _policy(max_per_run=3)
    for hour in range(3):
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour), call_id=f"a-csat2-{hour}", csat=2)
        CallFactory(
            agent=other_agent,
            at=LAST_WEEK + timedelta(hours=hour),
            call_id=f"b-held-{hour}",
            hold_s=200 + hour,
        )
    CallFactory(agent=other_agent, at=LAST_WEEK, call_id="b-csat1", csat=1)
    result = calls_sample(now=NOW)
    assert result.created == 3 and result.run_cap_reached
    first = _picked()
    assert "b-csat1" in first and len({name for name in first if name.startswith("a-csat2")}) == 2
    second = calls_sample(now=NOW + timedelta(minutes=10))
    assert second.created == 3 and second.run_cap_reached
    assert _picked() - first == ({"a-csat2-0", "a-csat2-1", "a-csat2-2"} - first) | {"b-held-2", "b-held-1"}
    third = calls_sample(now=NOW + timedelta(minutes=20))
    assert third.created == 1 and not third.run_cap_reached


def test_the_run_cap_spreads_over_agents(rules_only, qa, agent, other_agent):
    _policy(max_per_run=2)
    for hour in range(3):
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour), csat=1)
        CallFactory(agent=other_agent, at=LAST_WEEK + timedelta(hours=hour), csat=1)
    calls_sample(now=NOW)
    assert Counter(Evaluation.objects.values_list("agent_code", flat=True)) == {"alice": 1, "bob": 1}


def test_the_same_seed_picks_the_same_calls(random_only, qa, agent):
    for hour in range(40):
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour % 12, minutes=hour))

    def picks(seed):
        calls_sample(now=NOW, seed=seed)
        picked = set(Evaluation.objects.values_list("call_id", flat=True))
        Evaluation.objects.all().delete()
        return picked

    first = picks(7)
    assert len(first) == 2
    assert picks(7) == first
    assert len({frozenset(picks(seed)) for seed in range(8)}) > 1  # other seeds, other picks


def test_manual_evaluations_leave_the_cap_alone(rules_only, qa, agent, scorecard):
    from qa.services.evaluations import evaluation_start

    _policy(max_per_agent_week=2)
    for hour in range(2):
        evaluation_start(actor=qa, call_id=CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour)).pk)
    for hour in range(3):
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour), csat=1)
    assert calls_sample(now=NOW).created == 2


def test_a_cancelled_evaluation_frees_its_slot(rules_only, qa, agent):
    _policy(max_per_agent_week=1)
    for hour in range(2):
        CallFactory(agent=agent, at=LAST_WEEK + timedelta(hours=hour), csat=1)
    calls_sample(now=NOW)
    Evaluation.objects.update(status=EvaluationStatus.CANCELLED)
    assert calls_sample(now=NOW + timedelta(minutes=10)).created == 1
    assert Evaluation.objects.count() == 2


# --- assignment ------------------------------------------------------------------------------------
def test_new_items_are_assigned_evenly(rules_only, agent):
    analysts = [UserFactory(username=f"qa{n}", roles=["qa"]) for n in range(3)]
    for _ in range(9):
        CallFactory(agent=agent, at=NOW - timedelta(hours=2), csat=1)
    result = calls_sample(now=NOW)
    assert sorted(result.assigned.values()) == [3, 3, 3]
    assert Counter(Evaluation.objects.values_list("evaluator_id", flat=True)) == {a.pk: 3 for a in analysts}


def test_assignment_evens_out_existing_backlog(rules_only, agent):
    busy = UserFactory(username="busy", roles=["qa"])
    UserFactory(username="free", roles=["qa"])
    for _ in range(4):
        Evaluation.objects.create(
            call=CallFactory(agent=agent, at=NOW - timedelta(days=30)),
            evaluator=busy,
            status=EvaluationStatus.ASSIGNED,
        )
    for _ in range(6):
        CallFactory(agent=agent, at=NOW - timedelta(hours=2), csat=1)
    calls_sample(now=NOW)
    open_counts = Counter(
        Evaluation.objects.filter(status="assigned").values_list("evaluator__username", flat=True)
    )
    assert open_counts == {"busy": 5, "free": 5}


def test_inactive_analysts_and_other_roles_get_no_work(rules_only, agent, supervisor, admin):
    UserFactory(username="gone", roles=["qa"], is_active=False)
    active = UserFactory(username="here", roles=["qa"])
    CallFactory(agent=agent, at=NOW - timedelta(hours=2), csat=1)
    calls_sample(now=NOW)
    assert Evaluation.objects.get().evaluator == active


def test_without_analysts_items_wait_unassigned(rules_only, agent):
    CallFactory(agent=agent, at=NOW - timedelta(hours=2), csat=1)
    result = calls_sample(now=NOW)
    assert result.unassigned == 1
    assert Evaluation.objects.get().evaluator is None


# --- concurrency and the real worker ---------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_never_sample_a_call_twice_or_exceed_the_quota(agent, other_agent, qa):
    SamplingPolicy.objects.update_or_create(
        pk=1, defaults={"random_per_agent_week": 3, "max_per_agent_week": 5}
    )
    for hour in range(12):
        CallFactory(
            agent=agent if hour % 2 else other_agent,
            at=LAST_WEEK + timedelta(hours=hour),
            csat=1 if hour % 4 == 0 else 5,
        )
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run(offset: int) -> None:
        try:
            barrier.wait()
            calls_sample(now=NOW + timedelta(microseconds=offset))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    calls = list(Evaluation.objects.values_list("call_id", flat=True))
    assert len(calls) == len(set(calls))
    random_picks = Counter(
        Evaluation.objects.filter(sample_week__isnull=False).values_list("agent_code", flat=True)
    )
    # bob's three low-CSAT calls come first, so the cap of 5 leaves him 2 random picks.
    assert random_picks == {"alice": 3, "bob": 2}
    rule_picks = [e for e in Evaluation.objects.filter(sample_week__isnull=True) if "low_csat" in e.reasons]
    assert len(rule_picks) == 3
    assert Counter(Evaluation.objects.values_list("agent_code", flat=True)) == {"alice": 3, "bob": 5}


@pytest.mark.django_db(transaction=True)
def test_the_sampling_task_runs_on_a_real_worker(agent, qa):
    from celery.contrib.testing.worker import start_worker

    from callcenter.celery import app

    CallFactory(agent=agent, at=datetime.now(UTC) - timedelta(hours=2), csat=1)
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        result = sample_calls_task.delay().get(timeout=30)
    assert result["created"] >= 1 and result["assigned"] == {"quinn": result["created"]}


def test_the_beat_schedule_samples_calls():
    from callcenter.celery import app

    assert app.conf.beat_schedule["qa-sampling"]["task"] == sample_calls_task.name
