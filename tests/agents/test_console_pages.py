"""Admin console pages of agents: skills, the agents-by-skills matrix, teams."""

from __future__ import annotations

import pytest

from agents.models import AgentSkill, Skill, Team
from agents.skills import skill_save
from tests.agents.factories import TeamFactory
from tests.callcenter.factories import UserFactory
from tests.telephony.factories import QueueFactory

PAGES = ["/console/skills/", "/console/agents/skills/", "/console/teams/"]


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_goes_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


@pytest.mark.parametrize("persona", ["agent", "supervisor", "qa"])
@pytest.mark.parametrize("url", PAGES)
def test_other_roles_get_403(client, personas, persona, url):
    assert as_user(client, personas[persona]).get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_admin_gets_in(client, admin, url):
    assert as_user(client, admin).get(url).status_code == 200


def test_create_skill_with_queues(client, admin):
    sales = QueueFactory(name="sales")
    response = as_user(client, admin).post("/console/skills/", {"name": "selling", "queues": [sales.pk]})
    assert response.status_code == 302
    assert list(Skill.objects.get(name="selling").queues.all()) == [sales]


def test_duplicate_skill_shows_the_error(client, admin):
    skill_save(actor=admin, name="selling")
    response = as_user(client, admin).post("/console/skills/", {"name": "selling"})
    assert response.status_code == 200 and "Taken." in response.content.decode()


def test_matrix_saves_levels_for_every_agent(client, admin, agent, other_agent):
    selling = skill_save(actor=admin, name="selling")
    helping = skill_save(actor=admin, name="helping")
    response = as_user(client, admin).post(
        "/console/agents/skills/",
        {f"level-{agent.pk}-{selling.pk}": "5", f"level-{other_agent.pk}-{helping.pk}": "2"},
    )
    assert response.status_code == 302
    rows = set(AgentSkill.objects.values_list("user__username", "skill__name", "level"))
    assert rows == {("alice", "selling", 5), ("bob", "helping", 2)}


def test_matrix_refuses_bad_levels_and_saves_nothing(client, admin, agent):
    selling = skill_save(actor=admin, name="selling")
    response = as_user(client, admin).post("/console/agents/skills/", {f"level-{agent.pk}-{selling.pk}": "9"})
    assert response.status_code == 200 and "levels go from 1 to 5" in response.content.decode()
    assert not AgentSkill.objects.exists()


def test_matrix_query_count_is_bounded(client, admin, django_assert_max_num_queries):
    skills = [skill_save(actor=admin, name=f"s{n}") for n in range(5)]
    for n in range(30):
        user = UserFactory(username=f"a{n}", roles=["agent"])
        AgentSkill.objects.create(user=user, skill=skills[n % 5], level=3)
    as_user(client, admin)
    with django_assert_max_num_queries(12):
        response = client.get("/console/agents/skills/")
    assert response.content.decode().count('<select name="level-') == 150


def test_create_team(client, admin, supervisor, agent):
    response = as_user(client, admin).post(
        "/console/teams/", {"name": "Blue", "supervisor": supervisor.pk, "members": [agent.pk]}
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Blue")
    assert team.supervisor == supervisor and list(team.members.all()) == [agent]


def test_team_list_query_count_is_bounded(client, admin, django_assert_max_num_queries):
    members = [UserFactory(username=f"m{n}", roles=["agent"]) for n in range(10)]
    for n in range(15):
        TeamFactory(name=f"Team {n}", members=members[: n % 10])
    as_user(client, admin)
    with django_assert_max_num_queries(10):
        response = client.get("/console/teams/")
    assert response.content.decode().count("/console/teams/") >= 15


def test_team_edit_shows_history(client, admin, supervisor):
    team = TeamFactory(name="Blue")
    as_user(client, admin).post(f"/console/teams/{team.pk}/", {"name": "Blue", "supervisor": supervisor.pk})
    body = client.get(f"/console/teams/{team.pk}/").content.decode()
    assert "supervisor" in body and "sam" in body


def test_skill_list_query_count_is_bounded(client, admin, django_assert_max_num_queries):
    queues = [QueueFactory(name=f"q{n}") for n in range(5)]
    for n in range(20):
        skill_save(actor=admin, name=f"skill{n}", queue_ids=[queues[n % 5].pk])
    as_user(client, admin)
    with django_assert_max_num_queries(10):
        response = client.get("/console/skills/")
    assert response.content.decode().count("/console/skills/") >= 20
