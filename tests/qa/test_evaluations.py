"""Evaluations: start from a call, draft, submit with the score; the agent acknowledges or disputes;
a QA lead resolves the dispute; everything lands on the timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from callcenter.errors import ApplicationError, ConflictError, ForbiddenError
from qa.models import DisputeStatus, Evaluation, EvaluationStatus
from qa.selectors import evaluation_get_for_user, evaluation_timeline
from qa.services.evaluations import (
    dispute_resolve,
    evaluation_acknowledge,
    evaluation_cancel,
    evaluation_comment_add,
    evaluation_dispute,
    evaluation_reassign,
    evaluation_save_draft,
    evaluation_start,
    evaluation_submit,
)
from tests.callcenter.factories import UserFactory
from tests.qa.conftest import criteria_of, full_answers
from tests.qa.factories import CallFactory


def _submitted(qa, evaluation, **overrides):
    return evaluation_submit(
        actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation, **overrides)
    )


# --- start -----------------------------------------------------------------------------------------
def test_picking_a_call_assigns_its_evaluation_to_me_with_the_default_scorecard(qa, scorecard, call, agent):
    evaluation = evaluation_start(actor=qa, call_id=call.pk)
    assert (evaluation.evaluator, evaluation.agent, evaluation.status) == (
        qa,
        agent,
        EvaluationStatus.ASSIGNED,
    )
    assert evaluation.scorecard_version == scorecard.current_version


def test_picking_the_same_call_twice_gives_the_same_evaluation(qa, scorecard, call):
    first = evaluation_start(actor=qa, call_id=call.pk)
    assert evaluation_start(actor=qa, call_id=call.pk).pk == first.pk
    assert Evaluation.objects.count() == 1


def test_picking_a_call_someone_is_scoring_leaves_it_with_them(qa, scorecard, call):
    evaluation = evaluation_start(actor=qa, call_id=call.pk)
    evaluation_save_draft(actor=qa, evaluation_id=evaluation.pk, answers=[])
    other = UserFactory(username="quincy", roles=["qa"])
    assert evaluation_start(actor=other, call_id=call.pk).evaluator == qa


def test_picking_a_call_assigned_but_not_started_takes_it_over(qa, scorecard, call):
    evaluation_start(actor=qa, call_id=call.pk)
    other = UserFactory(username="quincy", roles=["qa"])
    assert evaluation_start(actor=other, call_id=call.pk).evaluator == other


def test_without_a_scorecard_starting_says_what_to_do(qa, call):
    with pytest.raises(ApplicationError, match="ask a QA lead"):
        evaluation_start(actor=qa, call_id=call.pk)


def test_agents_may_not_start_evaluations(agent, scorecard, call):
    with pytest.raises(ForbiddenError):
        evaluation_start(actor=agent, call_id=call.pk)


# --- draft and submit ------------------------------------------------------------------------------
def test_a_draft_keeps_partial_answers_and_a_running_score(qa, evaluation):
    answers = full_answers(evaluation, solved=None, empathy=None)
    saved = evaluation_save_draft(
        actor=qa, evaluation_id=evaluation.pk, answers=answers, summary="So far so good"
    )
    assert saved.status == EvaluationStatus.DRAFT
    assert saved.score == 100.0
    assert saved.answers.count() == 2
    assert saved.summary == "So far so good"


def test_submitting_with_unanswered_required_questions_names_them_and_saves_nothing(qa, evaluation):
    criteria = criteria_of(evaluation)
    with pytest.raises(ApplicationError) as raised:
        evaluation_submit(
            actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation, solved=None)
        )
    assert raised.value.code == "incomplete"
    assert "Solved the problem" in raised.value.message
    assert set(raised.value.fields) == {f"criterion_{criteria['Solved the problem'].pk}"}
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.ASSIGNED
    assert evaluation.answers.count() == 0


def test_submit_fixes_the_weighted_score(qa, evaluation):
    submitted = _submitted(qa, evaluation, solved=2, empathy=0)
    # greet 1 + verify 1 + solved 2/4·3 + empathy 0 = 3.5 of 7
    assert (submitted.status, submitted.score, submitted.auto_failed) == (
        EvaluationStatus.SUBMITTED,
        50.0,
        False,
    )
    assert submitted.submitted_at is not None


def test_na_answers_leave_the_question_out(qa, evaluation):
    assert _submitted(qa, evaluation, solved="na", empathy=2).score == 75.0


def test_na_where_not_allowed_is_refused(qa, evaluation):
    with pytest.raises(ApplicationError) as raised:
        evaluation_save_draft(
            actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation, greet="na")
        )
    assert raised.value.fields == {
        f"criterion_{criteria_of(evaluation)['Greeted the caller by name'].pk}": [
            "N/A is not allowed for this question."
        ]
    }


def test_auto_fail_zeroes_the_score_with_the_reason(qa, evaluation):
    submitted = _submitted(qa, evaluation, verify=0)
    assert submitted.score == 0.0
    assert submitted.auto_failed is True
    assert submitted.auto_fail_reason == "Auto-fail: Verified the caller's identity"


def test_scoring_a_call_without_a_recording_is_allowed_but_flagged(qa, scorecard, other_agent):
    call = CallFactory(agent=other_agent, recording_url="")
    evaluation = evaluation_start(actor=qa, call_id=call.pk)
    assert _submitted(qa, evaluation).recording_missing is True


def test_a_recording_on_disk_is_not_flagged(qa, evaluation):
    assert _submitted(qa, evaluation).recording_missing is False


def test_only_the_assigned_evaluator_may_score(evaluation):
    other = UserFactory(username="quincy", roles=["qa"])
    with pytest.raises(ForbiddenError):
        evaluation_save_draft(actor=other, evaluation_id=evaluation.pk, answers=[])


def test_a_submitted_evaluation_cannot_be_changed(qa, evaluation):
    _submitted(qa, evaluation)
    with pytest.raises(ConflictError):
        evaluation_save_draft(actor=qa, evaluation_id=evaluation.pk, answers=[])


def test_answers_to_questions_of_another_scorecard_are_refused(qa, evaluation):
    with pytest.raises(ApplicationError) as raised:
        evaluation_save_draft(
            actor=qa, evaluation_id=evaluation.pk, answers=[{"criterion": 999999, "value": 1}]
        )
    assert "criterion_999999" in raised.value.fields


# --- comments --------------------------------------------------------------------------------------
def test_a_comment_at_a_moment_of_the_recording(qa, evaluation):
    comment = evaluation_comment_add(
        actor=qa, evaluation_id=evaluation.pk, body="Long silence here", at_s=1.25
    )
    assert (comment.at_s, comment.body) == (1.2, "Long silence here")


def test_a_comment_past_the_end_of_the_recording_is_refused(qa, evaluation):
    with pytest.raises(ApplicationError) as raised:
        evaluation_comment_add(actor=qa, evaluation_id=evaluation.pk, body="x", at_s=30)
    assert "at_s" in raised.value.fields


def test_agents_do_not_comment(agent, qa, evaluation):
    _submitted(qa, evaluation)
    with pytest.raises(ForbiddenError):
        evaluation_comment_add(actor=agent, evaluation_id=evaluation.pk, body="Not fair")


# --- the agent's answer ----------------------------------------------------------------------------
def test_the_agent_acknowledges_a_submitted_evaluation(agent, qa, evaluation):
    _submitted(qa, evaluation)
    acknowledged = evaluation_acknowledge(actor=agent, evaluation_id=evaluation.pk)
    assert acknowledged.status == EvaluationStatus.ACKNOWLEDGED


def test_another_agent_may_not_acknowledge_or_dispute(other_agent, qa, evaluation):
    _submitted(qa, evaluation)
    with pytest.raises(ForbiddenError):
        evaluation_acknowledge(actor=other_agent, evaluation_id=evaluation.pk)
    with pytest.raises(ForbiddenError):
        evaluation_dispute(actor=other_agent, evaluation_id=evaluation.pk, reason="no")


def test_a_dispute_needs_a_reason(agent, qa, evaluation):
    _submitted(qa, evaluation)
    with pytest.raises(ApplicationError) as raised:
        evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="  ")
    assert "reason" in raised.value.fields


def test_a_dispute_after_the_window_is_refused(agent, qa, evaluation):
    _submitted(qa, evaluation)
    Evaluation.objects.filter(pk=evaluation.pk).update(submitted_at=timezone.now() - timedelta(days=15))
    with pytest.raises(ConflictError, match="time to dispute"):
        evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="I did verify")


def test_an_acknowledged_evaluation_cannot_be_disputed(agent, qa, evaluation):
    _submitted(qa, evaluation)
    evaluation_acknowledge(actor=agent, evaluation_id=evaluation.pk)
    with pytest.raises(ConflictError):
        evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="Changed my mind")


def test_the_lead_upholds_a_dispute(agent, qa, lead, evaluation):
    _submitted(qa, evaluation, verify=0)
    evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="I verified the postcode at 0:40")
    resolved = dispute_resolve(
        actor=lead, evaluation_id=evaluation.pk, outcome="uphold", note="Not on the recording"
    )
    assert (resolved.status, resolved.score) == (EvaluationStatus.RESOLVED, 0.0)
    assert resolved.dispute.status == DisputeStatus.UPHELD


def test_the_lead_rescores_a_dispute(agent, qa, lead, evaluation):
    _submitted(qa, evaluation, verify=0)
    evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="I verified the postcode at 0:40")
    resolved = dispute_resolve(
        actor=lead,
        evaluation_id=evaluation.pk,
        outcome="rescore",
        note="You did",
        answers=full_answers(evaluation),
    )
    assert resolved.score == 100.0 and resolved.auto_failed is False
    assert (resolved.dispute.score_before, resolved.dispute.score_after) == (0.0, 100.0)


def test_only_a_lead_resolves(agent, qa, evaluation):
    _submitted(qa, evaluation)
    evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="Unfair")
    with pytest.raises(ForbiddenError):
        dispute_resolve(actor=qa, evaluation_id=evaluation.pk, outcome="uphold", note="no")


def test_a_resolution_needs_a_note(agent, qa, lead, evaluation):
    _submitted(qa, evaluation)
    evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="Unfair")
    with pytest.raises(ApplicationError) as raised:
        dispute_resolve(actor=lead, evaluation_id=evaluation.pk, outcome="uphold", note="")
    assert "note" in raised.value.fields


def test_a_dispute_can_be_raised_once(agent, qa, lead, evaluation):
    _submitted(qa, evaluation)
    evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="Unfair")
    dispute_resolve(actor=lead, evaluation_id=evaluation.pk, outcome="uphold", note="Fair")
    with pytest.raises(ConflictError, match="once"):
        evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="Still unfair")


def test_the_whole_dispute_flow_is_on_the_timeline(agent, qa, lead, evaluation):
    _submitted(qa, evaluation, verify=0)
    evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="I verified at 0:40")
    dispute_resolve(
        actor=lead,
        evaluation_id=evaluation.pk,
        outcome="rescore",
        note="Confirmed",
        answers=full_answers(evaluation),
    )
    entries = evaluation_timeline(evaluation)
    assert [e.kind for e in entries] == ["assigned", "started", "submitted", "disputed", "rescored"]
    assert entries[3].text == "I verified at 0:40" and entries[3].actor.startswith("Alice")
    assert (entries[4].score_before, entries[4].score_after, entries[4].text) == (0.0, 100.0, "Confirmed")


# --- who may open it -------------------------------------------------------------------------------
def test_the_agent_sees_their_submitted_evaluation(agent, qa, evaluation):
    _submitted(qa, evaluation)
    assert evaluation_get_for_user(user=agent, evaluation_id=evaluation.pk) == evaluation


def test_the_agent_does_not_see_a_draft(agent, qa, evaluation):
    with pytest.raises(ForbiddenError):
        evaluation_get_for_user(user=agent, evaluation_id=evaluation.pk)


def test_another_agent_gets_forbidden(other_agent, qa, evaluation):
    _submitted(qa, evaluation)
    with pytest.raises(ForbiddenError):
        evaluation_get_for_user(user=other_agent, evaluation_id=evaluation.pk)


def test_the_supervisor_of_the_agents_team_sees_it(supervisor, team, qa, evaluation):
    _submitted(qa, evaluation)
    assert evaluation_get_for_user(user=supervisor, evaluation_id=evaluation.pk) == evaluation


def test_a_supervisor_of_another_team_does_not(qa, evaluation):
    _submitted(qa, evaluation)
    stranger = UserFactory(username="sally", roles=["supervisor"])
    with pytest.raises(ForbiddenError):
        evaluation_get_for_user(user=stranger, evaluation_id=evaluation.pk)


# --- lead housekeeping -----------------------------------------------------------------------------
def test_a_lead_reassigns_an_open_evaluation(lead, evaluation):
    other = UserFactory(username="quincy", roles=["qa"])
    assert evaluation_reassign(actor=lead, evaluation_id=evaluation.pk, evaluator=other).evaluator == other


def test_reassigning_to_a_non_qa_user_is_refused(lead, agent, evaluation):
    with pytest.raises(ApplicationError):
        evaluation_reassign(actor=lead, evaluation_id=evaluation.pk, evaluator=agent)


def test_the_evaluator_cancels_and_a_pick_reopens_it(qa, evaluation, call):
    evaluation_cancel(actor=qa, evaluation_id=evaluation.pk, reason="Wrong number call")
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.CANCELLED
    assert evaluation_start(actor=qa, call_id=call.pk).status == EvaluationStatus.ASSIGNED
