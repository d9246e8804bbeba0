"""Who changed an evaluation's answers, comments and summary, and how, is in the audit log: each draft
save that changes something, the submit and a rescore say before → after per question."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from callcenter.audit import AuditFilters, audit_entries
from callcenter.models import UserPreference
from qa.selectors import evaluation_timeline
from qa.services.evaluations import (
    dispute_resolve,
    evaluation_dispute,
    evaluation_save_draft,
    evaluation_submit,
)
from tests.qa.conftest import criteria_of, full_answers

pytestmark = pytest.mark.django_db
# How the record names the scorecard's questions: their number on the sheet and their label.
GREET = "1. Greeted the caller by name"
VERIFY = "2. Verified the caller's identity"
SOLVED = "3. Solved the problem"


def _entries(evaluation) -> list:
    """The evaluation's audit entries, newest first."""
    filters = AuditFilters(object_type="evaluation", object_id=evaluation.pk)
    return audit_entries(filters=filters).entries


def _draft(qa, evaluation, summary=None, comments=None, **overrides):
    answers = full_answers(evaluation, **overrides)
    criteria = {c.pk: label for label, c in criteria_of(evaluation).items()}
    for answer in answers:
        answer["comment"] = (comments or {}).get(criteria[answer["criterion"]], "")
    return evaluation_save_draft(actor=qa, evaluation_id=evaluation.pk, answers=answers, summary=summary)


def test_saving_a_draft_again_records_who_changed_what(qa, evaluation):
    _draft(qa, evaluation, solved=4, empathy=None, summary="So far so good")
    _draft(
        qa,
        evaluation,
        solved=2,
        empathy=None,
        summary="Missed the fix",
        comments={"Solved the problem": "Promised a call back instead"},
    )
    resaved, first, started, assigned = _entries(evaluation)
    assert [e.action for e in (resaved, first, started, assigned)] == [
        "draft_saved",
        "draft_saved",
        "started",
        "assigned",
    ]
    assert (resaved.actor_id, resaved.object_id) == (qa.pk, evaluation.pk)
    assert resaved.changes == {
        SOLVED: [4, 2],
        f"{SOLVED} (comment)": ["", "Promised a call back instead"],
        "summary": ["So far so good", "Missed the fix"],
        "score_before": 100.0,
        "score": 70.0,  # greet 1 + verify 1 + solved 2/4·3 of 5 (empathy unanswered)
    }
    assert first.changes[GREET] == [None, 1] and first.changes["summary"] == ["", "So far so good"]
    assert "score_before" in first.changes and first.changes["score_before"] is None


def test_saving_a_draft_without_a_change_records_nothing(qa, evaluation):
    _draft(qa, evaluation, summary="Fine")
    _draft(qa, evaluation, summary="Fine")
    evaluation_save_draft(actor=qa, evaluation_id=evaluation.pk)  # nothing sent at all
    assert [e.action for e in _entries(evaluation)] == ["draft_saved", "started", "assigned"]


def test_an_answer_marked_na_is_on_the_record(qa, evaluation):
    _draft(qa, evaluation)
    _draft(qa, evaluation, solved="na")
    assert _entries(evaluation)[0].changes[SOLVED] == [4, "n/a"]


def test_the_draft_save_shows_on_the_timeline_with_its_score(qa, evaluation):
    _draft(qa, evaluation)
    _draft(qa, evaluation, verify=0)
    entry = evaluation_timeline(evaluation)[-1]
    assert (entry.kind, entry.title) == ("draft_saved", "saved the draft")
    assert (entry.score_before, entry.score_after) == (100.0, 0.0)  # verify is an auto-fail


def test_the_submit_records_what_it_changed_since_the_draft(qa, evaluation):
    _draft(qa, evaluation)
    evaluation_submit(actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation, solved=0))
    submitted = _entries(evaluation)[0]
    assert submitted.action == "submitted" and submitted.actor_id == qa.pk
    assert submitted.changes[SOLVED] == [4, 0]
    assert submitted.changes["score_before"] == 100.0 and submitted.changes["score"] < 100.0


def test_a_rescore_records_the_answers_the_lead_changed(agent, qa, lead, evaluation):
    evaluation_submit(actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation, verify=0))
    evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="I verified at 0:40")
    dispute_resolve(
        actor=lead,
        evaluation_id=evaluation.pk,
        outcome="rescore",
        note="Confirmed",
        answers=full_answers(evaluation),
    )
    rescored = _entries(evaluation)[0]
    assert (rescored.action, rescored.actor_id) == ("rescored", lead.pk)
    assert rescored.changes[VERIFY] == [0, 1]
    assert (rescored.changes["score_before"], rescored.changes["score"]) == (0.0, 100.0)


def test_the_audit_api_shows_the_draft_re_save(qa, supervisor, evaluation):
    api = APIClient()
    api.force_login(qa)
    answers = full_answers(evaluation)
    url = f"/api/qa/evaluations/{evaluation.pk}/draft/"
    assert api.put(url, {"answers": answers, "summary": "Good"}, format="json").status_code == 200
    answers[2]["value"], answers[2]["comment"] = 1, "Half fixed"
    assert api.put(url, {"answers": answers, "summary": "Good"}, format="json").status_code == 200
    api.force_login(supervisor)
    body = api.get("/api/audit/", {"object_type": "evaluation", "object_id": evaluation.pk}).json()
    latest = body["results"][0]
    assert (latest["action"], latest["actor_id"]) == ("draft_saved", qa.pk)
    assert latest["object_id"] == evaluation.pk
    assert latest["actor"] == (qa.get_full_name() or qa.username)
    assert latest["changes"][SOLVED] == [4, 1]
    assert latest["changes"][f"{SOLVED} (comment)"] == ["", "Half fixed"]
    assert "summary" not in latest["changes"]  # unchanged


def test_the_audit_page_shows_the_draft_re_save(client, qa, supervisor, evaluation):
    """In Persian too: the page words the action as the evaluation's timeline does."""
    _draft(qa, evaluation)
    _draft(qa, evaluation, solved=3)
    client.force_login(supervisor)
    html = client.get("/console/audit/", {"object_type": "evaluation"}).content.decode()
    assert "Saved the draft" in html  # the timeline's own wording
    assert "<code>3. Solved the problem</code>: <del>4</del> → <ins>3</ins>" in html
    UserPreference.objects.update_or_create(user=supervisor, defaults={"language": "fa"})
    client.logout()  # the session keeps the language it read at login
    client.force_login(supervisor)
    html = client.get("/console/audit/", {"object_type": "evaluation"}).content.decode()
    assert "پیش‌نویس را ذخیره کرد" in html and "saved the draft" not in html.lower()
