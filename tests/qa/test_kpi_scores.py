"""The scores the KPI rollups take: submitted regular evaluations, placed at the call's queued instant,
with the call's agent, queue and the agent's teams."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from qa.selectors import evaluation_scores
from qa.services.calibration import calibration_create
from qa.services.evaluations import evaluation_save_draft, evaluation_start, evaluation_submit
from tests.agents.factories import TeamFactory
from tests.callcenter.factories import UserFactory
from tests.qa.conftest import full_answers
from tests.qa.factories import CallFactory

DAY = datetime(2026, 11, 23, tzinfo=UTC)


def _scored(qa, call, **answers):
    evaluation = evaluation_start(actor=qa, call_id=call.pk)
    return evaluation_submit(
        actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation, **answers)
    )


def test_a_submitted_evaluation_gives_its_score_agent_queue_team_and_day(qa, scorecard, agent, team):
    call = CallFactory(agent=agent, at=DAY + timedelta(hours=9))
    evaluation = _scored(qa, call, solved=2, empathy=0)
    [row] = evaluation_scores(start=DAY, end=DAY + timedelta(days=1))
    assert (row.evaluation_id, row.call_id, row.score) == (evaluation.pk, call.pk, 50.0)
    assert (row.agent_id, row.agent_code, row.queue_id, row.queue) == (
        agent.pk,
        "alice",
        call.queue_id,
        "sales",
    )
    assert row.team_ids == (team.pk,)
    assert (row.at, row.day) == (call.queued_at, date(2026, 11, 23))


def test_drafts_assigned_and_calibration_evaluations_do_not_count(qa, lead, scorecard, agent):
    evaluation_start(actor=qa, call_id=CallFactory(agent=agent, at=DAY + timedelta(hours=1)).pk)
    draft = evaluation_start(actor=qa, call_id=CallFactory(agent=agent, at=DAY + timedelta(hours=2)).pk)
    evaluation_save_draft(actor=qa, evaluation_id=draft.pk, answers=full_answers(draft))
    other = UserFactory(username="quincy", roles=["qa"])
    calibration_create(
        actor=lead,
        call_id=CallFactory(agent=agent, at=DAY + timedelta(hours=3)).pk,
        scorecard_id=scorecard.pk,
        evaluator_ids=[qa.pk, other.pk],
    )
    assert evaluation_scores(start=DAY, end=DAY + timedelta(days=1)) == []


def test_a_call_belongs_to_the_instant_it_was_queued(qa, scorecard, agent):
    late = CallFactory(agent=agent, at=DAY - timedelta(minutes=1))  # queued before midnight
    _scored(qa, late)
    assert evaluation_scores(start=DAY, end=DAY + timedelta(days=1)) == []
    assert len(evaluation_scores(start=DAY - timedelta(days=1), end=DAY)) == 1


def test_the_day_is_in_the_call_centers_zone(settings, qa, scorecard, agent):
    settings.TIME_ZONE = "America/New_York"
    call = CallFactory(agent=agent, at=DAY + timedelta(hours=2))  # 21:00 the day before in New York
    _scored(qa, call)
    [row] = evaluation_scores(start=DAY, end=DAY + timedelta(days=1))
    assert row.day == date(2026, 11, 22)


def test_an_agent_in_two_teams_names_both(qa, scorecard, agent, supervisor):
    first, second = TeamFactory(name="A", members=[agent]), TeamFactory(name="B", members=[agent])
    _scored(qa, CallFactory(agent=agent, at=DAY + timedelta(hours=1)))
    [row] = evaluation_scores(start=DAY, end=DAY + timedelta(days=1))
    assert row.team_ids == tuple(sorted((first.pk, second.pk)))


def test_the_scores_take_two_queries(qa, scorecard, agent, django_assert_max_num_queries):
    for hour in range(5):
        _scored(qa, CallFactory(agent=agent, at=DAY + timedelta(hours=hour)))
    with django_assert_max_num_queries(2):
        rows = evaluation_scores(start=DAY, end=DAY + timedelta(days=1))
    assert len(rows) == 5
