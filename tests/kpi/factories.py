"""Builders of call event sequences for KPI tests, and factories of kpi rows."""

from __future__ import annotations

from typing import Any

import factory

from kpi.models import QueueThresholds, ReportSubscription
from tests.telephony.factories import QueueFactory, ev


def call_events(
    call_id: str,
    *,
    queue: str = "sales",
    queued: float,
    agent: str = "alice",
    rings: float | None = None,
    answered: float | None = None,
    hold: tuple[float, float] | None = None,
    ended: float | None = None,
    wrapup: float | None = None,
    abandoned: float | None = None,
    timeout: float | None = None,
    transfer: tuple[float, str, str, float, float | None, float | None] | None = None,
    csat: int | None = None,
    nps: int | None = None,
    caller: str = "+14155550123",
) -> list[dict[str, Any]]:
    """Native events of one call; times are seconds after tests.telephony.factories.T0.

    `transfer` = (at, to_queue, to_agent, answered_at, ended_at, wrapup_at): the answering agent
    transfers the call at `at` to another queue, where `to_agent` answers it.
    """
    events = [
        ev("call.offered", queued, call_id, caller=caller, direction="inbound"),
        ev("call.queued", queued, call_id, queue=queue),
    ]
    if answered is not None:
        events.append(
            ev("call.ringing", rings if rings is not None else answered, call_id, queue=queue, agent=agent)
        )
        events.append(ev("call.answered", answered, call_id, queue=queue, agent=agent))
    if hold is not None:
        events.append(ev("call.hold", hold[0], call_id, agent=agent))
        events.append(ev("call.unhold", hold[1], call_id, agent=agent))
    if abandoned is not None:
        events.append(ev("call.abandoned", abandoned, call_id, queue=queue))
    if timeout is not None:
        events.append(ev("call.timeout", timeout, call_id, queue=queue))
    if transfer is not None:
        at, to_queue, to_agent, answered_2, ended_2, wrapup_2 = transfer
        events.append(
            ev("call.transferred", at, call_id, queue=queue, agent=agent, data={"to_queue": to_queue})
        )
        events.append(ev("call.queued", at, call_id, queue=to_queue))
        events.append(ev("call.ringing", answered_2, call_id, queue=to_queue, agent=to_agent))
        events.append(ev("call.answered", answered_2, call_id, queue=to_queue, agent=to_agent))
        if ended_2 is not None:
            events.append(ev("call.ended", ended_2, call_id, agent=to_agent, data={"by": "caller"}))
        if wrapup_2 is not None:
            events.append(ev("call.wrapup_ended", wrapup_2, call_id, agent=to_agent))
    if ended is not None:
        events.append(ev("call.ended", ended, call_id, agent=agent, data={"by": "caller"}))
    if wrapup is not None:
        events.append(ev("call.wrapup_ended", wrapup, call_id, agent=agent))
    if csat is not None or nps is not None:
        data = {key: value for key, value in (("csat", csat), ("nps", nps)) if value is not None}
        last = max(e["ts"] for e in events)
        survey = ev("survey.response", 0, call_id, data=data)
        survey["ts"] = last
        events.append(survey)
    return events


class QueueThresholdsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueueThresholds
        django_get_or_create = ("queue",)

    queue = factory.SubFactory(QueueFactory)


class ReportSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportSubscription
        django_get_or_create = ("user",)
