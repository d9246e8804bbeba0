"""Live effects of ingested events: screen pops to agents, and wallboard snapshots (kpi.live)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from callcenter.realtime import group_push, user_group
from telephony.events import FeedEvent
from telephony.selectors import call_customer_number
from telephony.services import IngestResult

logger = logging.getLogger(__name__)


def _number(event: FeedEvent) -> str:
    """The customer's side of the call: the caller inbound, the dialled number outbound."""
    return event.callee if event.direction == "outbound" else event.caller


def _call_parties(pops: list[FeedEvent]) -> dict[str, str]:
    """The customer's number per popped call: from the event, else from the call's stored events."""
    return {
        event.call_id: _number(event)
        or call_customer_number(source_name=event.source, call_id=event.call_id, direction=event.direction)
        for event in pops
    }


def _customers_by_number(numbers: set[str]) -> dict[str, dict[str, Any]]:
    """The best-matching customer per number (id and name), for the screen pop."""
    from tickets.selectors.customers import customers_match_phone  # the CRM owns matching rules

    found: dict[str, dict[str, Any]] = {}
    for number in numbers:
        if not number:
            continue
        matches = customers_match_phone(number=number)
        if matches:
            best = matches[0]
            found[number] = {
                "id": best.pk,
                "name": best.name,
                "company": best.company,
                "matches": len(matches),
            }
    return found


def ingest_effects_publish(result: IngestResult) -> None:
    """After the batch commits: a screen pop per new ringing/answered event, and a wallboard snapshot."""
    pops = result.ringing
    if not result.applied:
        return
    users = result.directory.users(event.agent for event in pops)
    last_event_at = max((event.ts for event in result.applied), default=None)
    pops = [event for event in pops if event.agent in users]
    parties = _call_parties(pops)
    customers = _customers_by_number(set(parties.values()))

    def publish() -> None:
        from kpi.live import wallboard_activity_note  # kpi builds the snapshots from what was stored

        wallboard_activity_note(last_event_at=last_event_at)
        for event in pops:
            user_id = users.get(event.agent)
            if user_id is None:
                continue
            payload = {
                "type": "screen_pop",
                "event": event.type,
                "call_id": event.call_id,
                "caller": parties.get(event.call_id, ""),
                "direction": event.direction or "inbound",
                "queue": event.queue,
                "at": event.ts.isoformat(),
                "customer": customers.get(parties.get(event.call_id, "")),
            }
            try:
                group_push(user_group(user_id), payload)
            except OSError:
                # The events are stored; a screen pop lost to a broken Redis is not worth failing for
                # (and the next ones would fail alike).
                logger.warning(
                    "screen pop for call %s not delivered: channel layer unreachable", event.call_id
                )
                return

    transaction.on_commit(publish)
