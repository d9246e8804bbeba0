"""Live effects of ingested events: screen pops to agents, and coalesced wallboard notices."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import Any

from django.db import transaction

from callcenter.realtime import group_push, user_group, wallboard_group
from telephony.events import FeedEvent
from telephony.selectors import call_customer_number
from telephony.services import IngestResult

logger = logging.getLogger(__name__)


class WallboardCoalescer:
    """Collects queue activity and pushes at most one notice per group per interval.

    A busy floor produces hundreds of events a second; wallboards need about one update a second
    (DESIGN §6: fan-out is the limit). Each server process runs one flusher thread.
    """

    def __init__(self, interval_s: float = 1.0):
        self.interval_s = interval_s
        self._pending: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, activity: Counter, last_event_at: str) -> None:
        with self._lock:
            for queue, count in activity.items():
                entry = self._pending.setdefault(queue, {"events": 0, "last_event_at": last_event_at})
                entry["events"] += count
                entry["last_event_at"] = max(entry["last_event_at"], last_event_at)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="wallboard-coalescer", daemon=True)
                self._thread.start()

    def flush(self) -> int:
        """Push what is pending now; returns the number of messages sent."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        sent = 0
        try:
            for queue, entry in pending.items():
                group_push(wallboard_group(queue), {"type": "queue.activity", "queue": queue, **entry})
                sent += 1
            group_push(wallboard_group(None), {"type": "queues.activity", "queues": pending})
            sent += 1
        except OSError:
            logger.warning("wallboard notice not delivered: channel layer unreachable; next flush retries")
            with self._lock:
                for queue, entry in pending.items():
                    merged = self._pending.setdefault(
                        queue, {"events": 0, "last_event_at": entry["last_event_at"]}
                    )
                    merged["events"] += entry["events"]
        return sent

    def _run(self) -> None:
        while True:
            time.sleep(self.interval_s)
            try:
                self.flush()
            except Exception:
                logger.exception("wallboard flush failed")


wallboard_coalescer = WallboardCoalescer()


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
    """After the batch commits: a screen pop per new ringing/answered event, and a wallboard notice."""
    pops = result.ringing
    activity = Counter(event.queue for event in result.applied if event.queue)
    if not pops and not activity:
        return
    users = result.directory.users(event.agent for event in pops)
    last_event_at = max((event.ts for event in result.applied), default=None)
    pops = [event for event in pops if event.agent in users]
    parties = _call_parties(pops)
    customers = _customers_by_number(set(parties.values()))

    def publish() -> None:
        if activity and last_event_at:
            wallboard_coalescer.add(activity, last_event_at.isoformat())
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
                # The events are stored; a screen pop lost to a broken Redis is not worth failing for.
                logger.warning(
                    "screen pop for call %s not delivered: channel layer unreachable", event.call_id
                )

    transaction.on_commit(publish)
