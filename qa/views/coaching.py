"""Coaching pages: the supervisor's list (open sessions by follow-up date, the team's recent
evaluations), a session opened from an evaluation or for an agent, and the session itself, which
the agent reads and marks as seen."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from callcenter.errors import ApplicationError, ConflictError, ForbiddenError
from qa.models import CoachingStatus
from qa.selectors import (
    coaching_for_coach,
    coaching_get_for_user,
    evaluation_get_for_user,
    team_agents,
    team_evaluations,
)
from qa.services.coaching import coaching_complete, coaching_mark_seen, coaching_open, coaching_update
from qa.services.common import COACH, MANAGE, OWN
from qa.views.common import any_permission_required, domain_errors_to_http, int_or_none, show_errors


class CoachingForm(forms.Form):
    goals = forms.CharField(label=gettext_lazy("Goals"), widget=forms.Textarea(attrs={"rows": 3}))
    notes = forms.CharField(
        label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    follow_up_on = forms.DateField(
        label=gettext_lazy("Follow up on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class CoachingNewForm(CoachingForm):
    agent = forms.ModelChoiceField(label=gettext_lazy("Agent"), queryset=get_user_model().objects.none())
    field_order = ["agent", "goals", "notes", "follow_up_on"]

    def __init__(self, *args: Any, agents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents
        self.fields["agent"].label_from_instance = lambda user: user.get_full_name() or user.get_username()


@any_permission_required(COACH, MANAGE)
def coaching_list(request: HttpRequest) -> HttpResponse:
    sessions = coaching_for_coach(request.user)
    today = timezone.localdate()
    context = {
        "tab": "coaching",
        "open": [s for s in sessions if s.status == CoachingStatus.OPEN],
        "done": [s for s in sessions if s.status == CoachingStatus.COMPLETED],
        "today": today,
        "evaluations": team_evaluations(request.user),
    }
    return render(request, "qa/coaching_list.html", context)


@any_permission_required(COACH, MANAGE)
def coaching_new(request: HttpRequest) -> HttpResponse:
    evaluation_id = int_or_none(request.GET.get("evaluation") or request.POST.get("evaluation"))
    evaluation = None
    if evaluation_id:
        evaluation = domain_errors_to_http(
            lambda: evaluation_get_for_user(user=request.user, evaluation_id=evaluation_id)
        )
    agents = team_agents(request.user)
    if request.user.has_perm(MANAGE):
        agents = (
            get_user_model()
            .objects.filter(groups__name="agent", is_active=True)
            .order_by("first_name", "username")
        )
    initial = (
        {"agent": evaluation.agent_id} if evaluation else {"agent": int_or_none(request.GET.get("agent"))}
    )
    form = CoachingNewForm(request.POST or None, agents=agents, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                session = coaching_open(
                    actor=request.user,
                    agent=form.cleaned_data["agent"],
                    goals=form.cleaned_data["goals"],
                    notes=form.cleaned_data["notes"],
                    follow_up_on=form.cleaned_data["follow_up_on"],
                    evaluation_id=evaluation.pk if evaluation else None,
                )
            except ForbiddenError:
                raise PermissionDenied from None
            except ApplicationError as error:
                show_errors(form, error)
            else:
                messages.success(request, _("Coaching session opened; the agent can read it."))
                return redirect("qa:coaching_detail", session_id=session.pk)
        status = 400
    return render(
        request,
        "qa/coaching_form.html",
        {"tab": "coaching", "form": form, "evaluation": evaluation},
        status=status,
    )


@any_permission_required(COACH, MANAGE, OWN)
def coaching_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = domain_errors_to_http(lambda: coaching_get_for_user(user=request.user, session_id=session_id))
    is_coach = session.coach_id == request.user.pk or request.user.has_perm(MANAGE)
    initial = {"goals": session.goals, "notes": session.notes, "follow_up_on": session.follow_up_on}
    form = CoachingForm(request.POST if request.POST.get("action") == "update" else None, initial=initial)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "seen":
                coaching_mark_seen(actor=request.user, session_id=session.pk)
                return redirect("qa:coaching_detail", session_id=session.pk)
            if action == "complete":
                coaching_complete(
                    actor=request.user, session_id=session.pk, outcome=request.POST.get("outcome", "")
                )
                messages.success(request, _("Session completed."))
                return redirect("qa:coaching_list")
            if action == "update" and form.is_valid():
                coaching_update(actor=request.user, session_id=session.pk, **form.cleaned_data)
                messages.success(request, _("Saved."))
                return redirect("qa:coaching_detail", session_id=session.pk)
            status = 400
        except ForbiddenError:
            raise PermissionDenied from None
        except ConflictError as error:
            messages.error(request, error.message)
            return redirect("qa:coaching_detail", session_id=session.pk)
        except ApplicationError as error:
            show_errors(form, error)
            status = 400
    context = {
        "tab": "coaching",
        "session": session,
        "form": form,
        "is_coach": is_coach and session.status == CoachingStatus.OPEN,
        "is_agent": session.agent_id == request.user.pk,
    }
    return render(request, "qa/coaching_detail.html", context, status=status)


urlpatterns = [
    path("coaching/", coaching_list, name="coaching_list"),
    path("coaching/new/", coaching_new, name="coaching_new"),
    path("coaching/<int:session_id>/", coaching_detail, name="coaching_detail"),
]
