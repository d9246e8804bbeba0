"""QA APIs: who gets in (401 anonymous, 403 without the permission), and each action end to end."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from qa.models import EvaluationStatus, SamplingPolicy, Scorecard
from qa.services.evaluations import evaluation_dispute, evaluation_start, evaluation_submit
from tests.callcenter.factories import UserFactory
from tests.qa.conftest import full_answers
from tests.qa.factories import DEFINITION, CallFactory

ENDPOINTS = [
    ("get", "/api/qa/scorecards/"),
    ("post", "/api/qa/scorecards/"),
    ("get", "/api/qa/scorecards/1/"),
    ("put", "/api/qa/scorecards/1/"),
    ("get", "/api/qa/evaluations/"),
    ("post", "/api/qa/evaluations/"),
    ("get", "/api/qa/evaluations/1/"),
    ("put", "/api/qa/evaluations/1/draft/"),
    ("post", "/api/qa/evaluations/1/submit/"),
    ("post", "/api/qa/evaluations/1/acknowledge/"),
    ("post", "/api/qa/evaluations/1/dispute/"),
    ("post", "/api/qa/evaluations/1/resolve/"),
    ("get", "/api/qa/evaluations/1/comments/"),
    ("post", "/api/qa/evaluations/1/comments/"),
    ("get", "/api/qa/evaluations/1/timeline/"),
    ("get", "/api/qa/calls/"),
    ("get", "/api/qa/sampling/policy/"),
    ("patch", "/api/qa/sampling/policy/"),
    ("post", "/api/qa/sampling/run/"),
    ("get", "/api/qa/scores/"),
    ("post", "/api/qa/calibrations/"),
    ("get", "/api/qa/calibrations/1/"),
    ("get", "/api/qa/coaching/"),
    ("post", "/api/qa/coaching/"),
    ("get", "/api/qa/coaching/1/"),
    ("put", "/api/qa/coaching/1/"),
    ("post", "/api/qa/coaching/1/"),
]
# Endpoints a role may not reach at all (403 before anything is looked up).
FORBIDDEN = {
    "agent": [
        "/api/qa/scorecards/",
        "/api/qa/calls/",
        "/api/qa/sampling/run/",
        "/api/qa/scores/",
        "/api/qa/calibrations/1/",
    ],
    "supervisor": ["/api/qa/scorecards/", "/api/qa/calls/", "/api/qa/sampling/policy/"],
    "qa": ["/api/qa/sampling/policy/", "/api/qa/sampling/run/", "/api/qa/coaching/", "/api/qa/scores/"],
}


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_login(user)
    return api


def _submit(qa, evaluation, **overrides):
    return evaluation_submit(
        actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation, **overrides)
    )


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_anonymous_gets_401(api, db, method, url):
    response = getattr(api, method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_a_user_without_a_role_gets_403(api, db, method, url):
    response = getattr(as_user(api, UserFactory(username="norole")), method)(url, {}, format="json")
    assert response.status_code == 403


@pytest.mark.parametrize("role", FORBIDDEN)
def test_roles_without_the_permission_get_403(api, personas, role):
    as_user(api, personas[role])
    for url in FORBIDDEN[role]:
        method = "post" if url.endswith("run/") else "get"
        assert getattr(api, method)(url, {}, format="json").status_code == 403, url


# --- scorecards ------------------------------------------------------------------------------------
def _payload(**overrides):
    return {"name": "API card", "pass_percent": 70, "sections": DEFINITION["sections"], **overrides}


def test_a_lead_creates_and_reads_a_scorecard(api, lead):
    as_user(api, lead)
    created = api.post("/api/qa/scorecards/", _payload(), format="json")
    assert created.status_code == 201
    body = api.get(f"/api/qa/scorecards/{created.json()['id']}/").json()
    assert (body["version"], body["pass_percent"]) == (1, 70)
    assert body["sections"][0]["criteria"][1]["auto_fail"] is True


def test_a_bad_scorecard_gets_field_errors(api, lead):
    as_user(api, lead)
    bad = _payload(sections=[{"title": "", "criteria": [{"label": "x", "kind": "scale", "scale_max": 99}]}])
    response = api.post("/api/qa/scorecards/", bad, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"sections.0.title", "sections.0.criteria.0.scale_max"}
    assert not Scorecard.objects.filter(name="API card").exists()


def test_an_analyst_reads_scorecards_but_cannot_create_or_change_them(api, qa, scorecard):
    as_user(api, qa)
    assert api.get("/api/qa/scorecards/").status_code == 200
    assert api.post("/api/qa/scorecards/", _payload(), format="json").status_code == 403
    assert api.put(f"/api/qa/scorecards/{scorecard.pk}/", _payload(), format="json").status_code == 403


def test_changing_a_used_scorecard_returns_the_new_version(api, lead, qa, scorecard, evaluation):
    _submit(qa, evaluation)
    as_user(api, lead)
    sections = [{**DEFINITION["sections"][0], "title": "Greeting"}, DEFINITION["sections"][1]]
    response = api.put(
        f"/api/qa/scorecards/{scorecard.pk}/", _payload(name=scorecard.name, sections=sections), format="json"
    )
    assert response.json()["version"] == 2


# --- evaluations -----------------------------------------------------------------------------------
def test_the_analyst_scores_through_the_api(api, qa, scorecard, call):
    as_user(api, qa)
    started = api.post("/api/qa/evaluations/", {"call": call.pk}, format="json")
    assert started.status_code == 201
    evaluation_id = started.json()["id"]
    detail = api.get(f"/api/qa/evaluations/{evaluation_id}/").json()
    answers = [{"criterion": a["criterion"], "value": a["max"]} for a in detail["answers"]]
    draft = api.put(f"/api/qa/evaluations/{evaluation_id}/draft/", {"answers": answers[:1]}, format="json")
    assert draft.json()["status"] == "draft"
    submitted = api.post(
        f"/api/qa/evaluations/{evaluation_id}/submit/",
        {"answers": answers, "summary": "Great"},
        format="json",
    )
    assert submitted.status_code == 200
    assert (submitted.json()["status"], submitted.json()["score"]) == ("submitted", 100.0)
    assert submitted.json()["sections"] == {"Opening": 100.0, "Resolution": 100.0}


def test_submitting_incomplete_names_the_questions(api, qa, evaluation):
    as_user(api, qa)
    response = api.post(f"/api/qa/evaluations/{evaluation.pk}/submit/", {"answers": []}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "incomplete"
    assert len(error["fields"]) == 3  # the three required questions


def test_an_agent_sees_their_evaluation_and_disputes_it(api, agent, qa, evaluation):
    _submit(qa, evaluation)
    as_user(api, agent)
    assert api.get(f"/api/qa/evaluations/{evaluation.pk}/").json()["score"] == 100.0
    response = api.post(
        f"/api/qa/evaluations/{evaluation.pk}/dispute/", {"reason": "Fair, but"}, format="json"
    )
    assert response.json()["status"] == "disputed"


def test_another_agent_gets_403_on_an_evaluation(api, other_agent, qa, evaluation):
    _submit(qa, evaluation)
    as_user(api, other_agent)
    assert api.get(f"/api/qa/evaluations/{evaluation.pk}/").status_code == 403
    assert api.post(f"/api/qa/evaluations/{evaluation.pk}/acknowledge/", {}, format="json").status_code == 403


def test_acknowledging_twice_is_a_conflict(api, agent, qa, evaluation):
    _submit(qa, evaluation)
    as_user(api, agent)
    assert api.post(f"/api/qa/evaluations/{evaluation.pk}/acknowledge/", {}, format="json").status_code == 200
    assert api.post(f"/api/qa/evaluations/{evaluation.pk}/acknowledge/", {}, format="json").status_code == 409


def test_the_lead_upholds_through_the_api(api, agent, qa, lead, evaluation):
    _submit(qa, evaluation)
    evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="Unfair")
    as_user(api, lead)
    response = api.post(
        f"/api/qa/evaluations/{evaluation.pk}/resolve/", {"outcome": "uphold", "note": "Fair"}, format="json"
    )
    assert response.json()["status"] == EvaluationStatus.RESOLVED
    timeline = api.get(f"/api/qa/evaluations/{evaluation.pk}/timeline/").json()
    assert [entry["kind"] for entry in timeline][-2:] == ["disputed", "dispute_upheld"]


def test_comments_with_a_moment(api, qa, evaluation):
    as_user(api, qa)
    created = api.post(
        f"/api/qa/evaluations/{evaluation.pk}/comments/", {"body": "Here", "at_s": 1.5}, format="json"
    )
    assert created.status_code == 201
    assert api.get(f"/api/qa/evaluations/{evaluation.pk}/comments/").json()[0]["at_s"] == 1.5


def test_the_list_shows_an_agent_only_their_own_and_pages_by_cursor(api, agent, other_agent, qa, scorecard):
    mine = [_submit(qa, evaluation_start(actor=qa, call_id=CallFactory(agent=agent).pk)) for _ in range(3)]
    _submit(qa, evaluation_start(actor=qa, call_id=CallFactory(agent=other_agent).pk))
    as_user(api, agent)
    first = api.get("/api/qa/evaluations/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert ids == sorted((e.pk for e in mine), reverse=True)


def test_the_list_takes_few_queries(api, lead, qa, scorecard, agent, django_assert_max_num_queries):
    for _ in range(20):
        _submit(qa, evaluation_start(actor=qa, call_id=CallFactory(agent=agent).pk))
    as_user(api, lead)
    with django_assert_max_num_queries(8):
        response = api.get("/api/qa/evaluations/")
    assert len(response.json()["results"]) == 20


# --- calls, sampling, scores -----------------------------------------------------------------------
def test_call_search_through_the_api(api, qa, agent, other_agent, django_assert_max_num_queries):
    for _ in range(5):
        CallFactory(agent=agent, csat=1)
    CallFactory(agent=other_agent)
    as_user(api, qa)
    with django_assert_max_num_queries(6):
        response = api.get("/api/qa/calls/", {"agent": agent.pk, "csat_max": 2})
    assert len(response.json()["results"]) == 5


def test_a_lead_changes_the_policy_and_runs_the_sampling(api, lead, agent):
    as_user(api, lead)
    assert api.patch("/api/qa/sampling/policy/", {"csat_at_most": 9}, format="json").status_code == 400
    assert (
        api.patch("/api/qa/sampling/policy/", {"random_per_agent_week": 0}, format="json").status_code == 200
    )
    response = api.post("/api/qa/sampling/run/", {}, format="json")
    assert response.status_code == 200 and response.json()["created"] == 0


def test_a_lead_sets_the_sampling_caps(api, lead):
    as_user(api, lead)
    response = api.patch(
        "/api/qa/sampling/policy/", {"max_per_agent_week": 3, "max_per_run": 50}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["max_per_agent_week"], response.json()["max_per_run"]) == (3, 50)
    assert api.get("/api/qa/sampling/policy/").json()["max_per_run"] == 50


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"max_per_run": 0}, "max_per_run"),
        ({"max_per_agent_week": 0}, "max_per_agent_week"),
        ({"max_per_agent_week": 1001}, "max_per_agent_week"),
        ({"max_per_agent_week": 1}, "random_per_agent_week"),  # the default 2 random picks exceed it
        ({"max_per_run": 10, "random_per_agent_week": 9, "max_per_agent_week": 8}, "random_per_agent_week"),
    ],
)
def test_bad_caps_get_a_field_error_and_change_nothing(api, lead, change, field):
    as_user(api, lead)
    response = api.patch("/api/qa/sampling/policy/", change, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    policy = SamplingPolicy.objects.get_or_create(pk=1)[0]
    assert (policy.max_per_agent_week, policy.max_per_run, policy.random_per_agent_week) == (5, 500, 2)


@pytest.mark.parametrize("role", ["qa", "supervisor", "agent"])
def test_only_leads_change_the_caps(api, personas, role):
    as_user(api, personas[role])
    response = api.patch("/api/qa/sampling/policy/", {"max_per_run": 1}, format="json")
    assert response.status_code == 403
    assert SamplingPolicy.objects.get_or_create(pk=1)[0].max_per_run == 500


def test_the_run_says_when_it_hit_the_run_cap(api, lead, agent):
    from datetime import timedelta

    from django.utils import timezone

    for _ in range(3):
        CallFactory(agent=agent, at=timezone.now() - timedelta(hours=2), csat=1)
    as_user(api, lead)
    api.patch("/api/qa/sampling/policy/", {"max_per_run": 2}, format="json")
    body = api.post("/api/qa/sampling/run/", {}, format="json").json()
    assert (body["created"], body["run_cap_reached"]) == (2, True)


def test_scores_for_reports(api, supervisor, qa, evaluation):
    _submit(qa, evaluation)
    as_user(api, supervisor)
    day = evaluation.call.queued_at.date().isoformat()
    rows = api.get("/api/qa/scores/", {"date_from": day, "date_to": day}).json()
    assert [(row["evaluation_id"], row["score"], row["queue"]) for row in rows] == [
        (evaluation.pk, 100.0, "sales")
    ]
    assert api.get("/api/qa/scores/", {"date_from": day, "date_to": "2000-01-01"}).status_code == 400


# --- calibration, coaching -------------------------------------------------------------------------
def test_calibration_through_the_api_is_blind(api, lead, qa, scorecard, call):
    other = UserFactory(username="quincy", roles=["qa"])
    as_user(api, lead)
    created = api.post(
        "/api/qa/calibrations/",
        {"call": call.pk, "scorecard": scorecard.pk, "evaluators": [qa.pk, other.pk]},
        format="json",
    ).json()
    as_user(api, qa)
    body = api.get(f"/api/qa/calibrations/{created['id']}/").json()
    assert body["visible"] is False and body["criteria"] == []


def test_a_supervisor_coaches_through_the_api(api, supervisor, team, agent, other_agent):
    as_user(api, supervisor)
    created = api.post("/api/qa/coaching/", {"agent": agent.pk, "goals": "Slow down"}, format="json")
    assert created.status_code == 201
    assert (
        api.post("/api/qa/coaching/", {"agent": other_agent.pk, "goals": "x"}, format="json").status_code
        == 403
    )
    as_user(api, agent)
    assert [s["goals"] for s in api.get("/api/qa/coaching/").json()] == ["Slow down"]
    seen = api.post(f"/api/qa/coaching/{created.json()['id']}/", {"action": "seen"}, format="json")
    assert seen.json()["agent_seen_at"] is not None
