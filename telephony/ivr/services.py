"""Writes of IVR flows: create, save the draft (revision-checked), publish after validation, roll back.

Every write records a ConfigChange on the flow. Publishing and rolling back lock the flow row, so two
admins publishing at once get consecutive version numbers, never the same one.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError, ConflictError, NotFoundError
from telephony.ivr.graph import MAX_NODES, Validation, empty_graph, ivr_validate
from telephony.models import IvrFlow, IvrVersion, IvrVersionStatus
from telephony.routing import config_change_record, queue_names

MAX_GRAPH_BYTES = 200_000


class IvrInvalid(ApplicationError):
    """The flow breaks the publishing rules; `fields["issues"]` lists them by node."""

    code = "ivr_invalid"


def _flow_locked(flow_id: int) -> IvrFlow:
    flow = IvrFlow.objects.select_for_update().filter(pk=flow_id).first()
    if flow is None:
        raise NotFoundError(_("There is no such IVR flow."))
    return flow


def _check_shape(graph: Any) -> None:
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), dict):
        raise ApplicationError(
            _("The flow must be an object with nodes."), fields={"graph": [_("Not a flow.")]}
        )
    if len(graph["nodes"]) > MAX_NODES or len(json.dumps(graph)) > MAX_GRAPH_BYTES:
        raise ApplicationError(_("The flow is too large."), fields={"graph": [_("Too large.")]})


def ivr_validate_stored(graph: Any) -> Validation:
    """The publishing rules against the queues that exist now."""
    return ivr_validate(graph, queues=queue_names())


def _raise_invalid(result: Validation) -> None:
    issues = [issue.as_dict() for issue in result.errors]
    raise IvrInvalid(
        _("The flow cannot be published yet: %(n)d problem(s) to fix.") % {"n": len(issues)},
        fields={"issues": issues},
    )


@transaction.atomic
def ivr_flow_create(
    *,
    actor: AbstractBaseUser,
    name: str,
    display_name: str = "",
    description: str = "",
    is_default: bool = False,
) -> IvrFlow:
    """A new flow with a draft that hangs up politely until it is built. The first flow is the default."""
    if IvrFlow.objects.filter(name=name).exists():
        raise ApplicationError(
            _("There is a flow %(name)s already.") % {"name": name}, fields={"name": [_("Taken.")]}
        )
    if not IvrFlow.objects.exists():
        is_default = True
    if is_default:
        IvrFlow.objects.filter(is_default=True).update(is_default=False)
    flow = IvrFlow.objects.create(
        name=name, display_name=display_name, description=description, is_default=is_default
    )
    IvrVersion.objects.create(flow=flow, graph=empty_graph(), created_by=actor)
    config_change_record(
        actor=actor,
        object_type="ivr_flow",
        obj=flow,
        action="created",
        changes={"name": [None, name], "is_default": [None, is_default]},
    )
    return flow


@transaction.atomic
def ivr_flow_make_default(*, actor: AbstractBaseUser, flow_id: int) -> IvrFlow:
    flow = _flow_locked(flow_id)
    if not flow.is_default:
        IvrFlow.objects.filter(is_default=True).update(is_default=False)
        flow.is_default = True
        flow.save(update_fields=["is_default"])
        config_change_record(
            actor=actor,
            object_type="ivr_flow",
            obj=flow,
            action="made_default",
            changes={"is_default": [False, True]},
        )
    return flow


def _draft_of(flow: IvrFlow, actor: AbstractBaseUser) -> IvrVersion:
    draft = flow.versions.filter(status=IvrVersionStatus.DRAFT).first()
    if draft is None:
        published = flow.published
        graph = copy.deepcopy(published.graph) if published else empty_graph()
        draft = IvrVersion.objects.create(flow=flow, graph=graph, created_by=actor, based_on=published)
    return draft


@transaction.atomic
def ivr_draft_open(*, actor: AbstractBaseUser, flow_id: int) -> IvrVersion:
    """The flow's draft; a new one starts as a copy of the published version."""
    return _draft_of(_flow_locked(flow_id), actor)


@transaction.atomic
def ivr_draft_save(
    *, actor: AbstractBaseUser, flow_id: int, graph: Any, revision: int
) -> tuple[IvrVersion, Validation]:
    """Store the edited graph in the draft (a draft may break the rules; publishing may not).

    `revision` is the draft revision the editor started from: a stale one raises ConflictError, so
    one admin never silently overwrites another's work. Returns the draft and its validation.
    """
    _check_shape(graph)
    flow = _flow_locked(flow_id)
    draft = _draft_of(flow, actor)
    if draft.revision != revision:
        raise ConflictError(
            _(
                "Someone saved this flow after you opened it (revision %(current)d, yours %(yours)d). "
                "Reload it and apply your change again."
            )
            % {"current": draft.revision, "yours": revision}
        )
    result = ivr_validate_stored(graph)
    if graph != draft.graph:
        draft.graph = graph
        draft.revision += 1
        draft.save(update_fields=["graph", "revision", "updated_at"])
        config_change_record(
            actor=actor,
            object_type="ivr_flow",
            obj=flow,
            action="draft_saved",
            changes={"revision": [revision, draft.revision], "nodes": [None, len(graph["nodes"])]},
        )
    return draft, result


def _publish(flow: IvrFlow, version: IvrVersion, actor: AbstractBaseUser) -> IvrVersion:
    last = (
        flow.versions.exclude(number=None).order_by("-number").values_list("number", flat=True).first() or 0
    )
    previous = flow.published
    if previous is not None:
        IvrVersion.objects.filter(pk=previous.pk).update(status=IvrVersionStatus.RETIRED)
    version.status = IvrVersionStatus.PUBLISHED
    version.number = last + 1
    version.published_by = actor
    version.published_at = timezone.now()
    version.save()
    flow.published = version
    flow.save(update_fields=["published"])
    return version


@transaction.atomic
def ivr_publish(*, actor: AbstractBaseUser, flow_id: int, revision: int, note: str = "") -> IvrVersion:
    """Publish the draft at `revision`: it must pass every rule (IvrInvalid lists what fails).

    Returns the new published version; the previous one is retired (kept for rollback).
    """
    flow = _flow_locked(flow_id)
    draft = flow.versions.filter(status=IvrVersionStatus.DRAFT).first()
    if draft is None:
        raise ApplicationError(_("There is no draft to publish: open the flow to start one."))
    if draft.revision != revision:
        raise ConflictError(
            _(
                "The draft changed after you looked at it (revision %(current)d, yours %(yours)d). "
                "Check it and publish again."
            )
            % {"current": draft.revision, "yours": revision}
        )
    result = ivr_validate_stored(draft.graph)
    if not result.ok:
        _raise_invalid(result)
    previous = flow.published.number if flow.published else None
    draft.note = note[:200]
    version = _publish(flow, draft, actor)
    config_change_record(
        actor=actor,
        object_type="ivr_flow",
        obj=flow,
        action="published",
        changes={"version": [previous, version.number]},
        note=note,
    )
    return version


@transaction.atomic
def ivr_rollback(*, actor: AbstractBaseUser, flow_id: int, version_id: int, note: str = "") -> IvrVersion:
    """Publish again what an earlier version said, as a new version (history stays linear).

    The old graph must still pass the rules today (a queue it names may have gone); the draft, if
    any, is left alone.
    """
    flow = _flow_locked(flow_id)
    old = flow.versions.filter(pk=version_id).exclude(number=None).first()
    if old is None:
        raise NotFoundError(_("This flow has no such published version."))
    if flow.published_id == old.pk:
        raise ApplicationError(_("Version %(n)d is the one published now.") % {"n": old.number})
    result = ivr_validate_stored(old.graph)
    if not result.ok:
        _raise_invalid(result)
    previous = flow.published.number if flow.published else None
    copy_of_old = IvrVersion(
        flow=flow,
        graph=copy.deepcopy(old.graph),
        based_on=old,
        created_by=actor,
        note=(note or _("Rollback to version %(n)d") % {"n": old.number})[:200],
    )
    version = _publish(flow, copy_of_old, actor)
    config_change_record(
        actor=actor,
        object_type="ivr_flow",
        obj=flow,
        action="rolled_back",
        changes={"version": [previous, version.number], "copy_of": [None, old.number]},
        note=note,
    )
    return version
