"""Coaching: supervisors coach the agents of their teams, from an evaluation; the agent sees it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from callcenter.errors import ApplicationError, ConflictError, ForbiddenError
from qa.models import CoachingStatus
from qa.selectors import coaching_for_agent, coaching_for_coach, evaluation_timeline
from qa.services.coaching import coaching_complete, coaching_mark_seen, coaching_open, coaching_update
from qa.services.evaluations import evaluation_submit
from tests.qa.conftest import full_answers


@pytest.fixture
def submitted(qa, evaluation):
    return evaluation_submit(
        actor=qa, evaluation_id=evaluation.pk, answers=full_answers(evaluation, verify=0)
    )


def _open(supervisor, agent, **kwargs):
    kwargs.setdefault("goals", "Verify identity before account details")
    return coaching_open(actor=supervisor, agent=agent, **kwargs)


def test_a_supervisor_coaches_an_agent_of_their_team_from_an_evaluation(supervisor, team, agent, submitted):
    follow_up = timezone.localdate() + timedelta(days=7)
    session = _open(supervisor, agent, evaluation_id=submitted.pk, follow_up_on=follow_up)
    assert (session.coach, session.agent, session.evaluation, session.follow_up_on) == (
        supervisor,
        agent,
        submitted,
        follow_up,
    )
    assert evaluation_timeline(submitted)[-1].kind == "coaching_opened"


def test_a_supervisor_of_another_team_may_not(supervisor, other_agent):
    with pytest.raises(ForbiddenError):
        _open(supervisor, other_agent)


def test_goals_are_required_and_the_follow_up_not_in_the_past(supervisor, team, agent):
    with pytest.raises(ApplicationError) as raised:
        _open(supervisor, agent, goals=" ", follow_up_on=timezone.localdate() - timedelta(days=1))
    assert set(raised.value.fields) == {"goals", "follow_up_on"}


def test_coaching_from_another_agents_evaluation_is_refused(supervisor, team, agent, other_agent, submitted):
    team.members.add(other_agent)
    with pytest.raises(ApplicationError):
        _open(supervisor, other_agent, evaluation_id=submitted.pk)


def test_follow_ups_come_first_on_the_coachs_list_by_date(supervisor, team, agent):
    today = timezone.localdate()
    later = _open(supervisor, agent, follow_up_on=today + timedelta(days=10))
    sooner = _open(supervisor, agent, follow_up_on=today + timedelta(days=2))
    done = _open(supervisor, agent)
    coaching_complete(actor=supervisor, session_id=done.pk, outcome="Better already")
    assert [s.pk for s in coaching_for_coach(supervisor)] == [sooner.pk, later.pk, done.pk]


def test_the_agent_sees_their_sessions_and_marks_them_seen(supervisor, team, agent):
    session = _open(supervisor, agent)
    assert coaching_for_agent(agent) == [session]
    assert coaching_mark_seen(actor=agent, session_id=session.pk).agent_seen_at is not None


def test_only_the_agent_marks_it_seen(supervisor, team, agent, other_agent):
    session = _open(supervisor, agent)
    with pytest.raises(ForbiddenError):
        coaching_mark_seen(actor=other_agent, session_id=session.pk)


def test_a_completed_session_cannot_be_changed(supervisor, team, agent):
    session = _open(supervisor, agent)
    coaching_complete(actor=supervisor, session_id=session.pk)
    assert session.__class__.objects.get(pk=session.pk).status == CoachingStatus.COMPLETED
    with pytest.raises(ConflictError):
        coaching_update(actor=supervisor, session_id=session.pk, goals="more")
