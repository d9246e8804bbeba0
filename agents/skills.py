"""Skills with levels per agent, and teams with their supervisor: writes and reads for the admin console
and for routing (which queues an agent code takes, at what level). Writes record a PlanChange."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _

from agents.history import plan_change_record
from agents.models import AgentProfile, AgentSkill, Skill, Team
from agents.selectors import agent_users_by_code
from callcenter.changes import changes_between
from callcenter.errors import ApplicationError, NotFoundError
from callcenter.roles import Role

User = get_user_model()


# --- reads -------------------------------------------------------------------------------------------
def agent_users() -> QuerySet:
    """Active users with the agent role, by name."""
    return User.objects.filter(groups__name=Role.AGENT.value, is_active=True).order_by(
        "first_name", "username"
    )


def supervisor_users() -> QuerySet:
    return User.objects.filter(groups__name=Role.SUPERVISOR.value, is_active=True).order_by(
        "first_name", "username"
    )


def skill_list() -> QuerySet[Skill]:
    return Skill.objects.prefetch_related("queues").annotate(agent_count=Count("agents")).order_by("name")


def agents_with_skills() -> list:
    """Agents with their skill rows (skill and level), for the skills matrix: two queries."""
    return list(
        agent_users().prefetch_related(
            Prefetch("skills", queryset=AgentSkill.objects.select_related("skill").order_by("skill__name"))
        )
    )


def team_list() -> QuerySet[Team]:
    return Team.objects.select_related("supervisor").prefetch_related("members").order_by("name")


def agent_queue_levels(*, codes: list[str]) -> dict[str, dict[str, int]]:
    """{agent code: {queue name: level}} for the codes of users who have skills configured; a queue
    reached through several skills takes the best level. Codes of unknown users or users without
    skills are left out (the simulator lets those take every queue)."""
    users = agent_users_by_code(codes)
    if not users:
        return {}
    code_of = {user_id: code for code, user_id in users.items()}
    levels: dict[str, dict[str, int]] = {}
    rows = AgentSkill.objects.filter(user_id__in=code_of).values_list(
        "user_id", "skill__queues__name", "level"
    )
    for user_id, queue, level in rows:
        per_queue = levels.setdefault(code_of[user_id], {})
        if queue:
            per_queue[queue] = max(level, per_queue.get(queue, 0))
    return levels


def agent_queue_levels_all() -> dict[str, dict[str, int]]:
    """{agent code: {queue name: level}} for every user with skills configured (code: their profile's,
    else their username)."""
    codes = dict(AgentProfile.objects.values_list("user_id", "code"))
    levels: dict[str, dict[str, int]] = {}
    rows = AgentSkill.objects.values_list("user_id", "user__username", "skill__queues__name", "level")
    for user_id, username, queue, level in rows:
        per_queue = levels.setdefault(codes.get(user_id, username), {})
        if queue:
            per_queue[queue] = max(level, per_queue.get(queue, 0))
    return levels


def skill_coverage() -> dict[str, int]:
    """Per queue name, how many active agents have a skill for it (0 = nobody can take its calls)."""
    from telephony.models import Queue

    counts: dict[str, set[int]] = defaultdict(set)
    rows = AgentSkill.objects.filter(user__is_active=True).values_list("skill__queues__name", "user_id")
    for queue, user_id in rows:
        if queue:
            counts[queue].add(user_id)
    return {name: len(counts.get(name, ())) for name in Queue.objects.values_list("name", flat=True)}


# --- writes ------------------------------------------------------------------------------------------
def _skill_snapshot(skill: Skill) -> dict[str, Any]:
    return {
        "display_name": skill.display_name,
        "description": skill.description,
        "queues": {queue.name for queue in skill.queues.all()},
    }


@transaction.atomic
def skill_save(
    *,
    actor: AbstractBaseUser,
    skill_id: int | None = None,
    name: str,
    display_name: str = "",
    description: str = "",
    queue_ids: list[int] | None = None,
) -> Skill:
    """Create (no `skill_id`) or change a skill and the queues it serves."""
    from telephony.models import Queue

    if Skill.objects.filter(name=name).exclude(pk=skill_id).exists():
        raise ApplicationError(
            _("There is a skill %(name)s already.") % {"name": name}, fields={"name": [_("Taken.")]}
        )
    queues = list(Queue.objects.filter(pk__in=queue_ids or []))
    if len(queues) != len(set(queue_ids or [])):
        raise ApplicationError(_("A chosen queue no longer exists."), fields={"queues": [_("Choose again.")]})
    if skill_id is None:
        skill, before = Skill(), {}
    else:
        skill = Skill.objects.select_for_update().filter(pk=skill_id).first()
        if skill is None:
            raise NotFoundError(_("There is no such skill."))
        before = {"name": skill.name, **_skill_snapshot(skill)}
    skill.name, skill.display_name, skill.description = name, display_name, description
    skill.save()
    skill.queues.set(queues)
    changes = changes_between(before, {"name": skill.name, **_skill_snapshot(skill)})
    if changes:
        plan_change_record(
            actor=actor,
            object_type="skill",
            obj=skill,
            action="created" if skill_id is None else "updated",
            changes=changes,
        )
    return skill


@transaction.atomic
def skill_delete(*, actor: AbstractBaseUser, skill_id: int) -> None:
    skill = Skill.objects.filter(pk=skill_id).first()
    if skill is None:
        raise NotFoundError(_("There is no such skill."))
    plan_change_record(actor=actor, object_type="skill", obj=skill, action="deleted", changes={})
    skill.delete()


@transaction.atomic
def agent_skills_set(*, actor: AbstractBaseUser, user_id: int, levels: dict[int, int]) -> dict[str, int]:
    """Give an agent exactly these skills ({skill id: level 1-5}); returns {skill name: level}."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFoundError(_("There is no such user."))
    bad = {skill_id: level for skill_id, level in levels.items() if not 1 <= level <= 5}
    if bad:
        raise ApplicationError(_("Levels go from 1 (learning) to 5 (expert)."), fields={"levels": [str(bad)]})
    skills = {skill.pk: skill for skill in Skill.objects.filter(pk__in=levels)}
    if len(skills) != len(levels):
        raise ApplicationError(_("A chosen skill no longer exists."), fields={"levels": [_("Choose again.")]})
    current = {row.skill_id: row for row in AgentSkill.objects.select_for_update().filter(user=user)}
    before = {
        row.skill.name: row.level for row in AgentSkill.objects.filter(user=user).select_related("skill")
    }
    AgentSkill.objects.filter(user=user).exclude(skill_id__in=levels).delete()
    for skill_id, level in levels.items():
        row = current.get(skill_id)
        if row is None:
            AgentSkill.objects.create(user=user, skill_id=skill_id, level=level)
        elif row.level != level:
            row.level = level
            row.save(update_fields=["level"])
    after = {skills[skill_id].name: level for skill_id, level in levels.items()}
    changes = changes_between(before, after)
    if changes:
        plan_change_record(
            actor=actor, object_type="agent_skills", obj=user, action="updated", changes=changes
        )
    return after


def _team_snapshot(team: Team) -> dict[str, Any]:
    return {
        "name": team.name,
        "supervisor": team.supervisor.get_username() if team.supervisor else None,
        "members": {member.get_username() for member in team.members.all()},
    }


@transaction.atomic
def team_save(
    *,
    actor: AbstractBaseUser,
    team_id: int | None = None,
    name: str,
    supervisor_id: int | None,
    member_ids: list[int],
) -> Team:
    """Create (no `team_id`) or change a team: name, supervisor (a supervisor-role user) and members."""
    if Team.objects.filter(name__iexact=name).exclude(pk=team_id).exists():
        raise ApplicationError(
            _("There is a team %(name)s already.") % {"name": name}, fields={"name": [_("Taken.")]}
        )
    supervisor = None
    if supervisor_id is not None:
        supervisor = supervisor_users().filter(pk=supervisor_id).first()
        if supervisor is None:
            raise ApplicationError(
                _("The team lead must be an active supervisor."),
                fields={"supervisor": [_("Choose a supervisor.")]},
            )
    members = list(User.objects.filter(pk__in=member_ids, is_active=True))
    if len(members) != len(set(member_ids)):
        raise ApplicationError(
            _("A chosen member is not an active user."), fields={"members": [_("Choose again.")]}
        )
    if team_id is None:
        team, before = Team(), {}
    else:
        team = Team.objects.select_for_update().filter(pk=team_id).first()
        if team is None:
            raise NotFoundError(_("There is no such team."))
        before = _team_snapshot(team)
    team.name, team.supervisor = name, supervisor
    team.save()
    team.members.set(members)
    changes = changes_between(before, _team_snapshot(team))
    if changes:
        plan_change_record(
            actor=actor,
            object_type="team",
            obj=team,
            action="created" if team_id is None else "updated",
            changes=changes,
        )
    return team
