"""QA pages: who gets in, and what each page does for the role that uses it."""

from __future__ import annotations

import pytest

from qa.models import CoachingSession, Dispute, EvaluationStatus, SamplingPolicy, Scorecard
from qa.services.evaluations import evaluation_dispute, evaluation_start, evaluation_submit
from tests.callcenter.factories import UserFactory
from tests.qa.conftest import criteria_of, full_answers
from tests.qa.factories import CallFactory
from tests.tickets.factories import DispositionFactory, TicketFactory
from tickets.models import CallLog

PAGES = {
    "/qa/": {"qa", "lead", "admin"},
    "/qa/calls/": {"qa", "lead", "admin"},
    "/qa/evaluations/": {"agent", "supervisor", "qa", "lead", "admin"},
    "/qa/scorecards/": {"qa", "lead", "admin"},
    "/qa/scorecards/new/": {"lead", "admin"},
    "/qa/disputes/": {"lead", "admin"},
    "/qa/calibrations/": {"qa", "lead", "admin"},
    "/qa/coaching/": {"supervisor", "lead", "admin"},
    "/qa/coaching/new/": {"supervisor", "lead", "admin"},
    "/qa/settings/": {"lead", "admin"},
}


@pytest.fixture
def people(personas, lead):
    return {**personas, "lead": lead}


def _submit(qa, evaluation, **overrides):
    return evaluation_submit(
        actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation, **overrides)
    )


@pytest.mark.parametrize("url", [*PAGES, "/qa/evaluations/1/", "/qa/calls/1/recording", "/qa/coaching/1/"])
def test_anonymous_is_sent_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("role", ["agent", "supervisor", "qa", "lead", "admin"])
def test_pages_check_the_role(client, people, role, url):
    client.force_login(people[role])
    assert client.get(url).status_code == (200 if role in PAGES[url] else 403)


@pytest.mark.parametrize("url", PAGES)
def test_user_without_a_role_gets_403(client, db, url):
    client.force_login(UserFactory(username="norole"))
    assert client.get(url).status_code == 403


# --- queue and search ------------------------------------------------------------------------------
def test_the_queue_lists_my_assigned_calls(client, qa, evaluation):
    client.force_login(qa)
    body = client.get("/qa/").content.decode()
    assert f"/qa/evaluations/{evaluation.pk}/" in body


def test_the_queue_shows_leads_the_team_load(client, lead, qa, evaluation):
    client.force_login(lead)
    body = client.get("/qa/").content.decode()
    assert 'data-testid="team-load"' in body and "Quinn" in body


def test_call_search_filters_by_agent_and_offers_to_score(client, qa, scorecard, agent, other_agent):
    mine = CallFactory(agent=agent, call_id="alice-call")
    CallFactory(agent=other_agent, call_id="bob-call")
    client.force_login(qa)
    body = client.get("/qa/calls/", {"agent": agent.pk}).content.decode()
    assert "alice-call" in body and "bob-call" not in body
    assert f'data-testid="evaluate-{mine.pk}"' in body


def test_call_search_filters_by_disposition_and_duration(client, qa, agent):
    complaint = DispositionFactory(code="complaint")
    long_call = CallFactory(agent=agent, call_id="long-complaint", talk_s=900)
    CallFactory(agent=agent, call_id="short-complaint", talk_s=60)
    CallFactory(agent=agent, call_id="long-other", talk_s=900)
    for call_id in ("long-complaint", "short-complaint"):
        CallLog.objects.create(call_id=call_id, agent=agent, disposition=complaint)
    client.force_login(qa)
    body = client.get("/qa/calls/", {"disposition": "complaint", "min_talk": "10"}).content.decode()
    assert long_call.call_id in body
    assert "short-complaint" not in body and "long-other" not in body


def test_call_search_lists_fifty_calls_in_few_queries(client, qa, agent, django_assert_max_num_queries):
    for _ in range(60):
        CallFactory(agent=agent)
    client.force_login(qa)
    with django_assert_max_num_queries(12):
        response = client.get("/qa/calls/")
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="evaluate-') == 50


def test_score_it_starts_an_evaluation_and_opens_it(client, qa, scorecard, call):
    client.force_login(qa)
    response = client.post(f"/qa/calls/{call.pk}/evaluate/")
    evaluation = call_evaluation(call)
    assert response.status_code == 302 and response.url == f"/qa/evaluations/{evaluation.pk}/"
    assert evaluation.evaluator == qa


def test_score_it_without_a_scorecard_says_so(client, qa, call):
    client.force_login(qa)
    response = client.post(f"/qa/calls/{call.pk}/evaluate/", follow=True)
    assert "ask a QA lead" in response.content.decode()


def call_evaluation(call):
    from qa.models import Evaluation

    return Evaluation.objects.get(call=call, calibration__isnull=True)


# --- the evaluation page ---------------------------------------------------------------------------
def test_the_evaluator_sees_the_player_the_call_notes_and_the_form(client, qa, evaluation, agent):
    ticket = TicketFactory(subject="Router replaced")
    CallLog.objects.create(
        call_id=evaluation.call.call_id, agent=agent, notes="Customer angry about outage", ticket=ticket
    )
    client.force_login(qa)
    body = client.get(f"/qa/evaluations/{evaluation.pk}/").content.decode()
    assert f'src="/qa/calls/{evaluation.call_id}/recording"' in body
    assert 'data-testid="scorecard-form"' in body
    assert "Customer angry about outage" in body and "Router replaced" in body
    assert 'data-speed="1.5"' in body and 'data-speed="2"' in body


def _form_answers(evaluation, **values):
    criteria = criteria_of(evaluation)
    names = {
        "greet": "Greeted the caller by name",
        "verify": "Verified the caller's identity",
        "solved": "Solved the problem",
        "empathy": "Showed empathy",
    }
    return {f"c{criteria[names[key]].pk}": value for key, value in values.items()}


def test_saving_a_draft_from_the_page(client, qa, evaluation):
    client.force_login(qa)
    data = {"action": "save", "summary": "Good start", **_form_answers(evaluation, greet="1")}
    response = client.post(f"/qa/evaluations/{evaluation.pk}/", data)
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.DRAFT and evaluation.summary == "Good start"


def test_submitting_incomplete_names_the_questions_and_keeps_the_input(client, qa, evaluation):
    client.force_login(qa)
    data = {"action": "submit", "summary": "Keep me", **_form_answers(evaluation, greet="1", verify="1")}
    response = client.post(f"/qa/evaluations/{evaluation.pk}/", data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Answer every required question before submitting: Solved the problem." in body
    assert body.count('data-testid="question-error"') == 1
    assert "Keep me" in body
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.ASSIGNED


def test_submitting_complete_answers_fixes_the_score(client, qa, evaluation):
    client.force_login(qa)
    data = {"action": "submit", **_form_answers(evaluation, greet="1", verify="1", solved="2", empathy="0")}
    assert client.post(f"/qa/evaluations/{evaluation.pk}/", data).status_code == 302
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.score) == (EvaluationStatus.SUBMITTED, 50.0)


def test_a_timestamped_comment_jumps_the_player(client, qa, evaluation):
    client.force_login(qa)
    client.post(
        f"/qa/evaluations/{evaluation.pk}/", {"action": "comment", "at": "0:01.5", "body": "Interrupts"}
    )
    body = client.get(f"/qa/evaluations/{evaluation.pk}/").content.decode()
    assert 'data-seek-to="1.5"' in body and "Interrupts" in body


def test_the_agent_reads_their_evaluation_and_may_dispute(client, agent, qa, evaluation):
    _submit(qa, evaluation, verify=0)
    client.force_login(agent)
    body = client.get(f"/qa/evaluations/{evaluation.pk}/").content.decode()
    assert 'data-testid="scorecard-form"' not in body
    assert "Auto-fail: Verified the caller&#x27;s identity" in body
    assert 'data-testid="dispute-form"' in body
    response = client.post(
        f"/qa/evaluations/{evaluation.pk}/", {"action": "dispute", "reason": "I asked at 0:40"}
    )
    assert response.status_code == 302
    assert Dispute.objects.get(evaluation=evaluation).reason == "I asked at 0:40"


def test_a_dispute_without_a_reason_is_refused_on_the_page(client, agent, qa, evaluation):
    _submit(qa, evaluation)
    client.force_login(agent)
    response = client.post(f"/qa/evaluations/{evaluation.pk}/", {"action": "dispute", "reason": ""})
    assert response.status_code == 400
    assert "Write why you disagree." in response.content.decode()


def test_another_agent_opening_an_evaluation_gets_403(client, other_agent, qa, evaluation):
    _submit(qa, evaluation)
    client.force_login(other_agent)
    assert client.get(f"/qa/evaluations/{evaluation.pk}/").status_code == 403


def test_an_agent_cannot_post_answers(client, agent, qa, evaluation):
    _submit(qa, evaluation)
    client.force_login(agent)
    response = client.post(f"/qa/evaluations/{evaluation.pk}/", {"action": "submit"})
    assert response.status_code == 403


def test_the_lead_resolves_from_the_page(client, agent, qa, lead, evaluation):
    _submit(qa, evaluation, verify=0)
    evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="I verified")
    client.force_login(lead)
    body = client.get(f"/qa/evaluations/{evaluation.pk}/").content.decode()
    assert 'data-testid="resolve-form"' in body
    data = {
        "action": "rescore",
        "note": "Confirmed on the recording",
        **_form_answers(evaluation, greet="1", verify="1", solved="4", empathy="4"),
    }
    assert client.post(f"/qa/evaluations/{evaluation.pk}/", data).status_code == 302
    evaluation.refresh_from_db()
    assert (evaluation.status, evaluation.score) == (EvaluationStatus.RESOLVED, 100.0)


def test_the_open_disputes_page_lists_them(client, agent, qa, lead, evaluation):
    _submit(qa, evaluation)
    evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="Unfair")
    client.force_login(lead)
    assert f'data-testid="dispute-{evaluation.pk}"' in client.get("/qa/disputes/").content.decode()


def test_the_evaluation_list_shows_an_agent_only_their_own(
    client, agent, other_agent, qa, scorecard, evaluation
):
    _submit(qa, evaluation)
    theirs = evaluation_start(actor=qa, call_id=CallFactory(agent=other_agent).pk)
    _submit(qa, theirs)
    client.force_login(agent)
    body = client.get("/qa/evaluations/").content.decode()
    assert f"/qa/evaluations/{evaluation.pk}/" in body and f"/qa/evaluations/{theirs.pk}/" not in body


def test_the_evaluation_list_takes_few_queries(
    client, lead, qa, scorecard, agent, django_assert_max_num_queries
):
    for _ in range(30):
        _submit(qa, evaluation_start(actor=qa, call_id=CallFactory(agent=agent).pk))
    client.force_login(lead)
    with django_assert_max_num_queries(15):
        response = client.get("/qa/evaluations/")
    assert response.content.decode().count('data-testid="open-') == 30


# --- scorecard builder -----------------------------------------------------------------------------
BUILDER = {
    "name": "Sales calls",
    "description": "For the sales queue",
    "active": "on",
    "pass_percent": "75",
    "sections-0-title": "Opening",
    "sections-0-criteria-0-label": "Greeted",
    "sections-0-criteria-0-kind": "yes_no",
    "sections-0-criteria-0-weight": "1",
    "sections-0-criteria-0-required": "on",
    "sections-0-criteria-1-label": "Recorded-line notice",
    "sections-0-criteria-1-kind": "yes_no",
    "sections-0-criteria-1-weight": "2",
    "sections-0-criteria-1-required": "on",
    "sections-0-criteria-1-auto_fail": "on",
    "sections-0-criteria-2-label": "",  # a spare row left blank
    "sections-1-title": "Selling",
    "sections-1-criteria-0-label": "Found the need",
    "sections-1-criteria-0-kind": "scale",
    "sections-1-criteria-0-scale_max": "5",
    "sections-1-criteria-0-weight": "3",
    "sections-1-criteria-0-allow_na": "on",
}


def test_a_lead_builds_a_scorecard_in_the_browser_form(client, lead):
    client.force_login(lead)
    response = client.post("/qa/scorecards/new/", BUILDER)
    assert response.status_code == 302
    scorecard = Scorecard.objects.get(name="Sales calls")
    criteria = list(scorecard.current_version.sections.get(title="Opening").criteria.all())
    assert [(c.label, c.weight, c.auto_fail) for c in criteria] == [
        ("Greeted", 1, False),
        ("Recorded-line notice", 2, True),
    ]
    selling = scorecard.current_version.sections.get(title="Selling").criteria.get()
    assert (selling.kind, selling.scale_max, selling.allow_na, selling.required) == ("scale", 5, True, False)


def test_builder_errors_sit_next_to_the_fields_and_keep_the_input(client, lead):
    client.force_login(lead)
    data = {**BUILDER, "sections-1-criteria-0-scale_max": "50"}
    response = client.post("/qa/scorecards/new/", data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Enter a number from 2 to 10." in body
    assert 'value="Recorded-line notice"' in body
    assert not Scorecard.objects.filter(name="Sales calls").exists()


def test_saving_a_used_scorecard_says_a_new_version_was_made(client, lead, qa, scorecard, evaluation):
    _submit(qa, evaluation)
    client.force_login(lead)
    page = client.get(f"/qa/scorecards/{scorecard.pk}/").content.decode()
    assert 'value="Greeted the caller by name"' in page
    client.post("/qa/scorecards/new/", BUILDER)  # an unrelated one, to be sure nothing is shared
    data = {**BUILDER, "name": scorecard.name}
    response = client.post(f"/qa/scorecards/{scorecard.pk}/", data, follow=True)
    assert "Saved as version 2" in response.content.decode()


# --- coaching, calibration, settings ---------------------------------------------------------------
def test_a_supervisor_opens_coaching_from_an_evaluation_and_the_agent_sees_it(
    client, supervisor, team, agent, qa, evaluation
):
    _submit(qa, evaluation)
    client.force_login(supervisor)
    page = client.get(f"/qa/evaluations/{evaluation.pk}/").content.decode()
    assert 'data-testid="open-coaching"' in page
    response = client.post(
        f"/qa/coaching/new/?evaluation={evaluation.pk}",
        {
            "evaluation": evaluation.pk,
            "agent": agent.pk,
            "goals": "Verify identity first",
            "follow_up_on": "2099-01-15",
        },
    )
    assert response.status_code == 302
    session = CoachingSession.objects.get()
    assert (session.coach, session.agent, session.evaluation) == (supervisor, agent, evaluation)
    assert "Verify identity first" in client.get("/qa/coaching/").content.decode()
    client.force_login(agent)
    assert "Verify identity first" in client.get("/qa/evaluations/").content.decode()
    assert client.get(f"/qa/coaching/{session.pk}/").status_code == 200


def test_coaching_an_agent_of_another_team_is_forbidden(client, supervisor, team, other_agent):
    client.force_login(supervisor)
    response = client.post("/qa/coaching/new/", {"agent": other_agent.pk, "goals": "x"})
    assert response.status_code == 400  # not in the list of the supervisor's agents
    assert not CoachingSession.objects.exists()


def test_another_agent_cannot_open_a_coaching_session(client, supervisor, team, agent, other_agent):
    session = CoachingSession.objects.create(agent=agent, coach=supervisor, goals="Pace")
    client.force_login(other_agent)
    assert client.get(f"/qa/coaching/{session.pk}/").status_code == 403


def test_a_lead_opens_a_calibration_session_from_a_call(client, lead, qa, scorecard, call):
    other = UserFactory(username="quincy", first_name="Quincy", roles=["qa"])
    client.force_login(lead)
    response = client.post(
        f"/qa/calibrations/new/?call={call.pk}",
        {"call": call.pk, "scorecard": scorecard.pk, "evaluators": [qa.pk, other.pk], "title": "November"},
    )
    assert response.status_code == 302
    client.force_login(qa)
    assert "November" in client.get("/qa/calibrations/").content.decode()


SETTINGS_FORM = {
    "enabled": "on",
    "random_per_agent_week": "2",
    "csat_at_most": "2",
    "long_hold_s": "120",
    "transfers": "on",
    "lookback_days": "8",
    "settle_minutes": "10",
    "dispute_days": "14",
    "max_per_agent_week": "5",
    "max_per_run": "500",
}


def test_the_settings_page_saves_the_sampling_rules(client, lead):
    client.force_login(lead)
    data = {
        "enabled": "on",
        "random_per_agent_week": "3",
        "csat_at_most": "1",
        "long_hold_s": "90",
        "transfers": "",
        "lookback_days": "8",
        "settle_minutes": "5",
        "dispute_days": "10",
        "max_per_agent_week": "4",
        "max_per_run": "200",
    }
    assert client.post("/qa/settings/", data).status_code == 302
    policy = SamplingPolicy.objects.get()
    assert (policy.random_per_agent_week, policy.csat_at_most, policy.transfers) == (3, 1, False)
    assert (policy.max_per_agent_week, policy.max_per_run) == (4, 200)


def test_the_settings_page_refuses_a_random_rule_above_the_cap(client, lead):
    client.force_login(lead)
    data = {**SETTINGS_FORM, "random_per_agent_week": "6", "max_per_agent_week": "5"}
    response = client.post("/qa/settings/", data)
    assert response.status_code == 400
    assert "At most the cap per agent per week (5)." in response.content.decode()
    assert SamplingPolicy.objects.get().random_per_agent_week == 2


@pytest.mark.parametrize("role", ["agent", "supervisor", "qa"])
def test_only_leads_save_the_caps(client, people, role):
    client.force_login(people[role])
    assert client.post("/qa/settings/", {**SETTINGS_FORM, "max_per_run": "1"}).status_code == 403
    assert SamplingPolicy.objects.get_or_create(pk=1)[0].max_per_run == 500


def test_a_lead_makes_an_analyst_a_lead(client, lead, qa):
    client.force_login(lead)
    client.post("/qa/settings/leads/", {"user": qa.pk, "lead": "1"})
    assert qa.groups.filter(name="qa_lead").exists()


# --- list pages stay cheap -------------------------------------------------------------------------
def test_the_queue_page_takes_few_queries(client, qa, scorecard, agent, django_assert_max_num_queries):
    for _ in range(25):
        evaluation_start(actor=qa, call_id=CallFactory(agent=agent).pk)
    client.force_login(qa)
    with django_assert_max_num_queries(12):
        response = client.get("/qa/")
    assert response.content.decode().count('data-testid="open-') == 25


def test_the_disputes_page_takes_few_queries(
    client, lead, qa, scorecard, agent, django_assert_max_num_queries
):
    for _ in range(10):
        evaluation = _submit(qa, evaluation_start(actor=qa, call_id=CallFactory(agent=agent).pk))
        evaluation_dispute(actor=agent, evaluation_id=evaluation.pk, reason="Unfair")
    client.force_login(lead)
    with django_assert_max_num_queries(10):
        response = client.get("/qa/disputes/")
    assert response.content.decode().count('data-testid="dispute-') == 10


def test_the_scorecard_list_takes_few_queries(client, lead, django_assert_max_num_queries):
    from tests.qa.factories import make_scorecard

    for n in range(8):
        make_scorecard(f"Card {n}", actor=lead)
    client.force_login(lead)
    with django_assert_max_num_queries(10):
        response = client.get("/qa/scorecards/")
    assert response.content.decode().count("/qa/scorecards/") >= 8


def test_the_coaching_list_takes_few_queries(
    client, supervisor, team, agent, qa, evaluation, django_assert_max_num_queries
):
    _submit(qa, evaluation)
    for _ in range(10):
        CoachingSession.objects.create(agent=agent, coach=supervisor, goals="Pace", evaluation=evaluation)
    client.force_login(supervisor)
    with django_assert_max_num_queries(12):
        response = client.get("/qa/coaching/")
    assert response.content.decode().count("/qa/coaching/") >= 10
