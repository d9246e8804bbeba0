"""Calibration: several analysts score one call blind; the results show each score and the spread."""

from __future__ import annotations

import pytest

from callcenter.errors import ApplicationError, ForbiddenError
from qa.models import EvaluationStatus
from qa.selectors import calibration_get_for_user, calibration_results
from qa.services.calibration import calibration_close, calibration_create
from qa.services.evaluations import evaluation_start, evaluation_submit
from tests.callcenter.factories import UserFactory
from tests.qa.conftest import full_answers


@pytest.fixture
def quincy(db):
    return UserFactory(username="quincy", first_name="Quincy", roles=["qa"])


@pytest.fixture
def session(lead, qa, quincy, scorecard, call):
    return calibration_create(
        actor=lead, call_id=call.pk, scorecard_id=scorecard.pk, evaluator_ids=[qa.pk, quincy.pk]
    )


def _mine(session, user):
    return session.evaluations.get(evaluator=user)


def _score(user, evaluation, **answers):
    return evaluation_submit(
        actor=user, evaluation_id=evaluation.pk, answers=full_answers(evaluation, **answers)
    )


def test_each_evaluator_gets_their_own_evaluation_of_the_call(session, qa, quincy, call):
    assert {e.evaluator for e in session.evaluations.all()} == {qa, quincy}
    assert all(e.call == call and e.status == EvaluationStatus.ASSIGNED for e in session.evaluations.all())


def test_calibration_does_not_block_the_regular_evaluation(session, qa, call):
    assert evaluation_start(actor=qa, call_id=call.pk).calibration is None


def test_fewer_than_two_evaluators_is_refused(lead, qa, scorecard, call):
    with pytest.raises(ApplicationError) as raised:
        calibration_create(actor=lead, call_id=call.pk, scorecard_id=scorecard.pk, evaluator_ids=[qa.pk])
    assert "evaluators" in raised.value.fields


def test_only_qa_analysts_can_be_evaluators(lead, qa, agent, scorecard, call):
    with pytest.raises(ApplicationError):
        calibration_create(
            actor=lead, call_id=call.pk, scorecard_id=scorecard.pk, evaluator_ids=[qa.pk, agent.pk]
        )


def test_only_a_lead_opens_a_session(qa, quincy, scorecard, call):
    with pytest.raises(ForbiddenError):
        calibration_create(
            actor=qa, call_id=call.pk, scorecard_id=scorecard.pk, evaluator_ids=[qa.pk, quincy.pk]
        )


def test_results_are_blind_until_i_submit(session, qa, quincy):
    _score(quincy, _mine(session, quincy))
    assert calibration_results(user=qa, session=session).visible is False
    _score(qa, _mine(session, qa))
    assert calibration_results(user=qa, session=session).visible is True


def test_others_calibration_evaluations_are_hidden_from_me(session, qa, quincy):
    from qa.selectors import evaluation_get_for_user

    with pytest.raises(ForbiddenError):
        evaluation_get_for_user(user=qa, evaluation_id=_mine(session, quincy).pk)


def test_the_results_show_each_score_and_the_spread_per_question(session, lead, qa, quincy):
    _score(qa, _mine(session, qa), solved=4, empathy=4)  # 100
    _score(quincy, _mine(session, quincy), solved=2, empathy=None)  # greet 1 + verify 1 + 1.5 = 3.5 of 5
    results = calibration_results(user=lead, session=session)
    assert sorted(results.scores.values()) == [70.0, 100.0]
    assert results.score_spread == 30.0
    spreads = {row.criterion.label: row.spread for row in results.criteria}
    assert spreads == {
        "Greeted the caller by name": 0.0,
        "Verified the caller's identity": 0.0,
        "Solved the problem": 50.0,
        "Showed empathy": None,  # one answer, one left out: nothing to compare
    }


def test_people_outside_the_session_cannot_open_it(session, db):
    outsider = UserFactory(username="quentin", roles=["qa"])
    with pytest.raises(ForbiddenError):
        calibration_get_for_user(user=outsider, calibration_id=session.pk)


def test_closing_cancels_what_was_not_submitted(session, lead, qa, quincy):
    _score(qa, _mine(session, qa))
    calibration_close(actor=lead, calibration_id=session.pk)
    assert _mine(session, quincy).status == EvaluationStatus.CANCELLED
    assert _mine(session, qa).status == EvaluationStatus.SUBMITTED
