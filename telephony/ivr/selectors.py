"""Reads of IVR flows: the list, one flow's versions, the published graph the ACD walks, the dialplan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from telephony.ivr.dialplan import ivr_dialplan
from telephony.models import IvrFlow, IvrVersion, IvrVersionStatus
from telephony.routing import queue_routing_map


def ivr_flow_list() -> QuerySet[IvrFlow]:
    return IvrFlow.objects.select_related("published", "published__published_by").order_by("name")


def ivr_versions(*, flow: IvrFlow) -> QuerySet[IvrVersion]:
    return flow.versions.exclude(number=None).select_related("published_by", "based_on").order_by("-number")


def ivr_draft(*, flow: IvrFlow) -> IvrVersion | None:
    return flow.versions.filter(status=IvrVersionStatus.DRAFT).first()


@dataclass(frozen=True)
class PublishedIvr:
    flow: str
    version: int
    version_id: int
    graph: dict[str, Any]


def ivr_published(*, name: str | None = None) -> PublishedIvr | None:
    """The published version of the flow `name`, or of the default flow; None if there is none."""
    flows = IvrFlow.objects.select_related("published").exclude(published=None)
    flow = flows.filter(name=name).first() if name else flows.filter(is_default=True).first()
    if flow is None or flow.published is None:
        return None
    return PublishedIvr(
        flow=flow.name,
        version=flow.published.number or 0,
        version_id=flow.published.pk,
        graph=flow.published.graph,
    )


def ivr_dialplan_text(*, version: IvrVersion) -> str:
    flow = version.flow
    return ivr_dialplan(
        flow=flow.name,
        graph=version.graph,
        queues=queue_routing_map(),
        title=flow.display_name,
        version=version.number,
        published_at=version.published_at,
        published_by=version.published_by.get_username() if version.published_by else "",
    )
