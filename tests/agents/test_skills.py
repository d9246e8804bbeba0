"""Skills with levels, teams, and the queue levels routing reads per agent code."""

from __future__ import annotations

import pytest

from agents.models import AgentSkill, PlanChange
from agents.skills import agent_queue_levels, agent_skills_set, skill_coverage, skill_save, team_save
from callcenter.errors import ApplicationError
from tests.agents.factories import AgentProfileFactory
from tests.callcenter.factories import UserFactory
from tests.telephony.factories import QueueFactory


@pytest.fixture
def queues(db):
    return {name: QueueFactory(name=name) for name in ("sales", "support", "vip")}


def test_skill_serves_queues_and_records_the_change(admin, queues):
    skill = skill_save(actor=admin, name="selling", queue_ids=[queues["sales"].pk, queues["vip"].pk])
    assert {q.name for q in skill.queues.all()} == {"sales", "vip"}
    change = PlanChange.objects.get(object_type="skill")
    assert change.changes["queues"] == [None, ["sales", "vip"]]


def test_duplicate_skill_name_is_refused(admin, queues):
    skill_save(actor=admin, name="selling")
    with pytest.raises(ApplicationError) as caught:
        skill_save(actor=admin, name="selling")
    assert caught.value.fields == {"name": ["Taken."]}


def test_agent_skills_are_set_exactly(admin, agent, queues):
    selling = skill_save(actor=admin, name="selling", queue_ids=[queues["sales"].pk])
    helping = skill_save(actor=admin, name="helping", queue_ids=[queues["support"].pk])
    agent_skills_set(actor=admin, user_id=agent.pk, levels={selling.pk: 5, helping.pk: 2})
    agent_skills_set(actor=admin, user_id=agent.pk, levels={helping.pk: 4})
    assert list(AgentSkill.objects.filter(user=agent).values_list("skill__name", "level")) == [("helping", 4)]
    last = PlanChange.objects.filter(object_type="agent_skills").first()
    assert last.changes == {"helping": [2, 4], "selling": [5, None]}


def test_levels_are_one_to_five(admin, agent, queues):
    selling = skill_save(actor=admin, name="selling")
    with pytest.raises(ApplicationError, match="1 \\(learning\\) to 5"):
        agent_skills_set(actor=admin, user_id=agent.pk, levels={selling.pk: 7})
    assert not AgentSkill.objects.exists()


def test_queue_levels_by_agent_code_take_the_best_skill(admin, agent, other_agent, queues):
    AgentProfileFactory(user=agent, code="1001")
    selling = skill_save(actor=admin, name="selling", queue_ids=[queues["sales"].pk, queues["vip"].pk])
    vip = skill_save(actor=admin, name="vip-care", queue_ids=[queues["vip"].pk])
    agent_skills_set(actor=admin, user_id=agent.pk, levels={selling.pk: 2, vip.pk: 5})
    levels = agent_queue_levels(codes=["1001", "bob", "ghost"])
    assert levels == {"1001": {"sales": 2, "vip": 5}}  # bob has no skills, ghost is nobody


def test_coverage_counts_agents_per_queue(admin, agent, other_agent, queues):
    selling = skill_save(actor=admin, name="selling", queue_ids=[queues["sales"].pk])
    agent_skills_set(actor=admin, user_id=agent.pk, levels={selling.pk: 3})
    agent_skills_set(actor=admin, user_id=other_agent.pk, levels={selling.pk: 1})
    assert skill_coverage() == {"sales": 2, "support": 0, "vip": 0}


def test_team_lead_must_be_a_supervisor(admin, agent, supervisor):
    with pytest.raises(ApplicationError) as caught:
        team_save(actor=admin, name="Blue", supervisor_id=agent.pk, member_ids=[])
    assert "supervisor" in caught.value.fields
    team = team_save(actor=admin, name="Blue", supervisor_id=supervisor.pk, member_ids=[agent.pk])
    assert team.supervisor == supervisor and list(team.members.all()) == [agent]
    assert PlanChange.objects.get(object_type="team").changes["members"] == [None, ["alice"]]


def test_team_names_are_unique_ignoring_case(admin):
    team_save(actor=admin, name="Blue", supervisor_id=None, member_ids=[])
    with pytest.raises(ApplicationError):
        team_save(actor=admin, name="blue", supervisor_id=None, member_ids=[])


def test_inactive_member_is_refused(admin):
    gone = UserFactory(username="gone", roles=["agent"])
    gone.is_active = False
    gone.save()
    with pytest.raises(ApplicationError, match="not an active user"):
        team_save(actor=admin, name="Blue", supervisor_id=None, member_ids=[gone.pk])
