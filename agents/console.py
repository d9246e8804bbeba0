"""Admin console pages of agents: skills (and the queues they serve), the agents-by-skills matrix with
levels, and teams with their supervisor. Thin: forms → agents.skills services → redirect."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agents.history import plan_history
from agents.models import SKILL_LEVELS, Skill, Team
from agents.skills import (
    agent_skills_set,
    agent_users,
    agents_with_skills,
    skill_list,
    skill_save,
    supervisor_users,
    team_list,
    team_save,
)
from callcenter.errors import ApplicationError
from callcenter.form_errors import show_service_errors
from callcenter.permissions import page_permission_required
from telephony.models import Queue

CONSOLE = "callcenter.use_admin_console"


def _person(user: Any) -> str:
    return user.get_full_name() or user.get_username()


class SkillForm(forms.Form):
    name = forms.SlugField(label=gettext_lazy("Name"), max_length=64)
    display_name = forms.CharField(label=gettext_lazy("Display name"), max_length=120, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    queues = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Queues it serves"),
        queryset=Queue.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queues"].queryset = Queue.objects.order_by("name")


def _skill_form_save(request: HttpRequest, form: SkillForm, skill_id: int | None) -> Skill | None:
    data = form.cleaned_data
    try:
        return skill_save(
            actor=request.user,
            skill_id=skill_id,
            name=data["name"],
            display_name=data["display_name"],
            description=data["description"],
            queue_ids=[queue.pk for queue in data["queues"]],
        )
    except ApplicationError as error:
        show_service_errors(form, error)
        return None


@page_permission_required(CONSOLE)
def skills(request: HttpRequest) -> HttpResponse:
    form = SkillForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        skill = _skill_form_save(request, form, None)
        if skill is not None:
            messages.success(request, _("Skill %(name)s created.") % {"name": skill.name})
            return redirect("console:skills")
    return render(request, "agents/console_skills.html", {"skills": list(skill_list()), "form": form})


@page_permission_required(CONSOLE)
def skill_edit(request: HttpRequest, skill_id: int) -> HttpResponse:
    skill = get_object_or_404(Skill, pk=skill_id)
    initial = {
        "name": skill.name,
        "display_name": skill.display_name,
        "description": skill.description,
        "queues": list(skill.queues.all()),
    }
    form = SkillForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and _skill_form_save(request, form, skill.pk) is not None:
        messages.success(request, _("Skill %(name)s saved.") % {"name": form.cleaned_data["name"]})
        return redirect("console:skills")
    history = plan_history(object_type="skill", object_id=skill.pk)
    return render(
        request, "agents/console_skill_edit.html", {"skill": skill, "form": form, "history": history}
    )


@page_permission_required(CONSOLE)
def agent_skills(request: HttpRequest) -> HttpResponse:
    """The agents-by-skills matrix: a level (1-5) or nothing in each cell; one save for all rows."""
    all_skills = list(Skill.objects.order_by("name"))
    agents = agents_with_skills()
    errors: list[str] = []
    if request.method == "POST":
        wanted: dict[int, dict[int, int]] = {}
        for agent in agents:
            levels = {}
            for skill in all_skills:
                raw = request.POST.get(f"level-{agent.pk}-{skill.pk}", "")
                if raw:
                    if not raw.isdigit() or not 1 <= int(raw) <= 5:
                        errors.append(_("%(who)s: levels go from 1 to 5.") % {"who": _person(agent)})
                        continue
                    levels[skill.pk] = int(raw)
            wanted[agent.pk] = levels
        if not errors:
            changed = 0
            with transaction.atomic():
                for agent in agents:
                    current = {row.skill_id: row.level for row in agent.skills.all()}
                    if current != wanted[agent.pk]:
                        agent_skills_set(actor=request.user, user_id=agent.pk, levels=wanted[agent.pk])
                        changed += 1
            messages.success(request, _("Skills saved for %(n)d agent(s).") % {"n": changed})
            return redirect("console:agent_skills")
    rows = [
        {
            "agent": agent,
            "cells": [
                {
                    "skill": skill,
                    "level": next((r.level for r in agent.skills.all() if r.skill_id == skill.pk), None),
                }
                for skill in all_skills
            ],
        }
        for agent in agents
    ]
    context = {"skills": all_skills, "rows": rows, "levels": SKILL_LEVELS, "errors": errors}
    return render(request, "agents/console_agent_skills.html", context)


class TeamForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    supervisor = forms.ModelChoiceField(
        label=gettext_lazy("Supervisor"), queryset=Team.objects.none(), required=False
    )
    members = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Members"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = supervisor_users()
        self.fields["supervisor"].label_from_instance = _person
        self.fields["members"].queryset = agent_users()
        self.fields["members"].label_from_instance = _person


def _team_form_save(request: HttpRequest, form: TeamForm, team_id: int | None) -> Team | None:
    data = form.cleaned_data
    try:
        return team_save(
            actor=request.user,
            team_id=team_id,
            name=data["name"],
            supervisor_id=data["supervisor"].pk if data["supervisor"] else None,
            member_ids=[member.pk for member in data["members"]],
        )
    except ApplicationError as error:
        show_service_errors(form, error)
        return None


@page_permission_required(CONSOLE)
def teams(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = _team_form_save(request, form, None)
        if team is not None:
            messages.success(request, _("Team %(name)s created.") % {"name": team.name})
            return redirect("console:teams")
    return render(request, "agents/console_teams.html", {"teams": list(team_list()), "form": form})


@page_permission_required(CONSOLE)
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_id)
    initial = {"name": team.name, "supervisor": team.supervisor, "members": list(team.members.all())}
    form = TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and _team_form_save(request, form, team.pk) is not None:
        messages.success(request, _("Team %(name)s saved.") % {"name": form.cleaned_data["name"]})
        return redirect("console:teams")
    history = plan_history(object_type="team", object_id=team.pk)
    return render(request, "agents/console_team_edit.html", {"team": team, "form": form, "history": history})


urlpatterns = [
    path("skills/", skills, name="skills"),
    path("skills/<int:skill_id>/", skill_edit, name="skill_edit"),
    path("agents/skills/", agent_skills, name="agent_skills"),
    path("teams/", teams, name="teams"),
    path("teams/<int:team_id>/", team_edit, name="team_edit"),
]
