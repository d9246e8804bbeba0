"""Queues as admins configure them (service level, maximum wait, overflow, priority) and the routing
the simulated ACD and the dialplan export read. Writes record a ConfigChange."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from callcenter.changes import changes_between
from callcenter.errors import ApplicationError, NotFoundError
from telephony.ivr.dialplan import QueueRouting
from telephony.models import ConfigChange, Queue

QUEUE_FIELDS = (
    "display_name",
    "sl_target_percent",
    "sl_threshold_s",
    "max_wait_s",
    "overflow_queue",
    "priority",
)


def config_change_record(
    *, actor: AbstractBaseUser | None, object_type: str, obj: Any, action: str, changes: dict, note: str = ""
) -> ConfigChange:
    return ConfigChange.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        object_type=object_type,
        object_id=obj.pk,
        object_label=str(obj)[:200],
        action=action,
        changes=changes,
        note=note[:200],
    )


def config_history(*, object_type: str, object_id: int, limit: int = 50) -> QuerySet[ConfigChange]:
    return ConfigChange.objects.filter(object_type=object_type, object_id=object_id).select_related("actor")[
        :limit
    ]


def _snapshot(queue: Queue) -> dict[str, Any]:
    return {name: getattr(queue, name) for name in QUEUE_FIELDS}


def _check(queue: Queue) -> None:
    """Field rules the form cannot see alone: priority range and an overflow chain without a loop."""
    errors: dict[str, list[str]] = {}
    if not 1 <= queue.priority <= 9:
        errors["priority"] = [_("Use 1 (lowest) to 9 (highest).")]
    if not 0 <= queue.sl_target_percent <= 100:
        errors["sl_target_percent"] = [_("A percentage from 0 to 100.")]
    if queue.overflow_queue_id is not None:
        if queue.overflow_queue_id == queue.pk:
            errors["overflow_queue"] = [_("A queue cannot overflow into itself.")]
        elif queue.max_wait_s is None:
            errors["max_wait_s"] = [_("Set a maximum wait: calls overflow when it has passed.")]
        else:
            seen = {queue.pk}
            current = Queue.objects.filter(pk=queue.overflow_queue_id).first()
            while current is not None and current.overflow_queue_id is not None:
                if current.overflow_queue_id in seen or current.overflow_queue_id == queue.pk:
                    errors["overflow_queue"] = [
                        _("%(queue)s overflows back here: calls would go round forever.") % {"queue": current}
                    ]
                    break
                seen.add(current.pk)
                current = Queue.objects.filter(pk=current.overflow_queue_id).first()
    if errors:
        raise ApplicationError(_("Some fields are not valid."), fields=errors)


@transaction.atomic
def queue_create(*, actor: AbstractBaseUser, name: str, **fields: Any) -> Queue:
    """A new queue; raises ApplicationError (with fields) when the name is taken or a rule fails."""
    if Queue.objects.filter(name=name).exists():
        raise ApplicationError(
            _("There is a queue %(name)s already.") % {"name": name}, fields={"name": [_("Taken.")]}
        )
    queue = Queue(name=name, **fields)
    _check(queue)
    queue.save()
    config_change_record(
        actor=actor,
        object_type="queue",
        obj=queue,
        action="created",
        changes=changes_between({}, _snapshot(queue)),
    )
    return queue


@transaction.atomic
def queue_update(*, actor: AbstractBaseUser, queue_id: int, **fields: Any) -> Queue:
    """Change a queue's routing settings; records what changed. Raises NotFoundError/ApplicationError."""
    queue = Queue.objects.select_for_update().filter(pk=queue_id).first()
    if queue is None:
        raise NotFoundError(_("There is no such queue."))
    before = _snapshot(queue)
    for name, value in fields.items():
        if name not in QUEUE_FIELDS:
            raise ValueError(f"{name} is not a queue setting")
        setattr(queue, name, value)
    _check(queue)
    changes = changes_between(before, _snapshot(queue))
    if changes:
        queue.save()
        config_change_record(actor=actor, object_type="queue", obj=queue, action="updated", changes=changes)
    return queue


def queue_list() -> QuerySet[Queue]:
    return (
        Queue.objects.select_related("overflow_queue").annotate(skill_count=Count("skills")).order_by("name")
    )


def queue_names() -> list[str]:
    return list(Queue.objects.order_by("name").values_list("name", flat=True))


@dataclass(frozen=True)
class RoutingConfig:
    """Routing as stored: per queue its settings, per agent code their queue skills with levels
    (only agents who have skills configured are listed)."""

    queues: dict[str, QueueRouting]
    agent_skills: dict[str, dict[str, int]]


def queue_routing_map() -> dict[str, QueueRouting]:
    return {
        queue.name: QueueRouting(
            name=queue.name,
            max_wait_s=queue.max_wait_s,
            overflow=queue.overflow_queue.name if queue.overflow_queue_id else None,
            priority=queue.priority,
        )
        for queue in Queue.objects.select_related("overflow_queue")
    }


def routing_config(*, agent_codes: list[str]) -> RoutingConfig:
    """What the simulated ACD routes by, for the agent codes it simulates (agents/skills levels)."""
    from agents.skills import agent_queue_levels  # agents owns skills; it reads telephony queues too

    return RoutingConfig(queues=queue_routing_map(), agent_skills=agent_queue_levels(codes=agent_codes))
