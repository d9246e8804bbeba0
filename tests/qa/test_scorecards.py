"""Scorecards: built by QA leads, validated, and versioned once in use."""

from __future__ import annotations

import copy

import pytest

from callcenter.errors import ApplicationError, ForbiddenError
from qa.models import EvaluationStatus, ScorecardVersion
from qa.selectors import scorecard_definition, scorecard_for_call
from qa.services.evaluations import evaluation_save_draft, evaluation_start
from qa.services.scorecards import scorecard_create, scorecard_update
from tests.qa.conftest import full_answers
from tests.qa.factories import DEFINITION, CallFactory, make_scorecard
from tests.telephony.factories import QueueFactory


def _edited(change_label: str = "Greeted the caller warmly") -> dict:
    definition = copy.deepcopy(DEFINITION)
    definition["sections"][0]["criteria"][0]["label"] = change_label
    return definition


def _update(scorecard, lead, definition, **kwargs):
    return scorecard_update(
        actor=lead,
        scorecard_id=scorecard.pk,
        name=kwargs.pop("name", scorecard.name),
        definition=definition,
        **kwargs,
    )


def test_a_lead_creates_a_scorecard_with_version_one(lead):
    scorecard = scorecard_create(actor=lead, name="Basics", definition=DEFINITION)
    version = scorecard.current_version
    assert version.number == 1
    assert [s.title for s in version.sections.all()] == ["Opening", "Resolution"]
    assert scorecard_definition(version).sections[1].criteria[0].scale_max == 4


def test_a_qa_analyst_may_not_build_scorecards(qa):
    with pytest.raises(ForbiddenError):
        scorecard_create(actor=qa, name="Basics", definition=DEFINITION)


def test_every_definition_error_is_reported_at_once_by_path(lead):
    bad = {
        "pass_percent": 150,
        "sections": [
            {"title": "", "criteria": []},
            {"title": "Ok", "criteria": [{"label": "", "kind": "scale", "scale_max": 1, "auto_fail": True}]},
        ],
    }
    with pytest.raises(ApplicationError) as raised:
        scorecard_create(actor=lead, name="", definition=bad)
    fields = raised.value.fields
    assert set(fields) >= {
        "name",
        "pass_percent",
        "sections.0.title",
        "sections.0.criteria",
        "sections.1.criteria.0.label",
        "sections.1.criteria.0.scale_max",
        "sections.1.criteria.0.auto_fail",
    }
    assert not ScorecardVersion.objects.exists()


def test_names_are_unique_ignoring_case(lead, scorecard):
    with pytest.raises(ApplicationError) as raised:
        scorecard_create(actor=lead, name=scorecard.name.upper(), definition=DEFINITION)
    assert "name" in raised.value.fields


def test_editing_an_unused_scorecard_rewrites_its_version(lead, scorecard):
    _update(scorecard, lead, _edited())
    scorecard.refresh_from_db()
    assert scorecard.versions.count() == 1
    assert (
        scorecard_definition(scorecard.current_version).sections[0].criteria[0].label
        == "Greeted the caller warmly"
    )


def test_editing_a_scorecard_in_use_makes_a_new_version_and_old_evaluations_keep_theirs(
    lead, qa, scorecard, call
):
    evaluation = evaluation_start(actor=qa, call_id=call.pk)
    evaluation_save_draft(actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation))
    old_version = scorecard.current_version
    _update(scorecard, lead, _edited())
    scorecard.refresh_from_db()
    evaluation.refresh_from_db()
    assert scorecard.current_version.number == 2
    assert evaluation.scorecard_version == old_version
    assert scorecard_definition(old_version).sections[0].criteria[0].label == "Greeted the caller by name"
    assert (
        scorecard_definition(scorecard.current_version).sections[0].criteria[0].label
        == "Greeted the caller warmly"
    )


def test_evaluations_not_started_move_to_the_new_version(lead, qa, other_agent, scorecard, call):
    started = evaluation_start(actor=qa, call_id=call.pk)
    evaluation_save_draft(actor=qa, evaluation_id=started.pk, answers=full_answers(started))
    waiting = evaluation_start(actor=qa, call_id=CallFactory(agent=other_agent).pk)
    assert waiting.status == EvaluationStatus.ASSIGNED
    _update(scorecard, lead, _edited())
    waiting.refresh_from_db()
    scorecard.refresh_from_db()
    assert waiting.scorecard_version == scorecard.current_version


def test_questions_keep_their_key_across_versions(lead, qa, scorecard, call):
    evaluation = evaluation_start(actor=qa, call_id=call.pk)
    evaluation_save_draft(actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation))
    old = scorecard_definition(scorecard.current_version)
    edited = _edited()
    for s_index, section in enumerate(old.sections):
        for c_index, criterion in enumerate(section.criteria):
            edited["sections"][s_index]["criteria"][c_index]["key"] = criterion.key
    _update(scorecard, lead, edited)
    scorecard.refresh_from_db()
    new = scorecard_definition(scorecard.current_version)
    assert [c.key for c in new.sections[0].criteria] == [c.key for c in old.sections[0].criteria]


def test_saving_unchanged_questions_makes_no_version(lead, qa, scorecard, call):
    evaluation = evaluation_start(actor=qa, call_id=call.pk)
    evaluation_save_draft(actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation))
    _update(scorecard, lead, copy.deepcopy(DEFINITION), description="Now with a description")
    scorecard.refresh_from_db()
    assert scorecard.versions.count() == 1
    assert scorecard.description == "Now with a description"


def test_the_queue_scorecard_is_the_default_for_its_calls(lead, scorecard):
    support = QueueFactory(name="support")
    support_card = make_scorecard("Support", actor=lead, queue_ids=[support.pk])
    assert scorecard_for_call(CallFactory(queue=support)) == support_card
    assert scorecard_for_call(CallFactory()) == scorecard  # sales: the card for every queue


def test_an_inactive_scorecard_is_no_default(lead, scorecard):
    _update(scorecard, lead, copy.deepcopy(DEFINITION), active=False)
    assert scorecard_for_call(CallFactory()) is None
