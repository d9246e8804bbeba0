"""The per-object change history of agents' configuration and plans (skills, teams, shifts, time off)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from agents.models import PlanChange


def plan_change_record(
    *, actor: AbstractBaseUser | None, object_type: str, obj: Any, action: str, changes: dict, note: str = ""
) -> PlanChange:
    return PlanChange.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        object_type=object_type,
        object_id=obj.pk,
        object_label=str(obj)[:200],
        action=action,
        changes=changes,
        note=note[:200],
    )


def plan_history(*, object_type: str, object_id: int, limit: int = 50) -> QuerySet[PlanChange]:
    return PlanChange.objects.filter(object_type=object_type, object_id=object_id).select_related("actor")[
        :limit
    ]
