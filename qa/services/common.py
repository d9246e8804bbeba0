"""Helpers the QA services share: permission checks and the evaluation timeline."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from callcenter.errors import ForbiddenError
from qa.models import Evaluation, EvaluationEvent

EVALUATE = "qa.evaluate_calls"
MANAGE = "qa.manage_qa"
COACH = "qa.coach_agents"
OWN = "qa.view_own_evaluations"


def require_lead(actor: AbstractBaseUser) -> None:
    if not actor.has_perm(MANAGE):
        raise ForbiddenError(_("Only a QA lead may do this."))


def require_evaluator(actor: AbstractBaseUser) -> None:
    if not (actor.has_perm(EVALUATE) or actor.has_perm(MANAGE)):
        raise ForbiddenError(_("Only QA staff may score calls."))


def user_label(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def event_record(
    evaluation: Evaluation, kind: str, actor: AbstractBaseUser | None = None, **data: Any
) -> EvaluationEvent:
    """Add a step to the evaluation's timeline (`data` must be JSON: numbers, text, lists)."""
    return EvaluationEvent.objects.create(evaluation=evaluation, actor=actor, kind=kind, data=data)
