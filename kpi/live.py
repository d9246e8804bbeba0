"""Pushing wallboard snapshots: computed once per tick in this process, sent to the groups.

DESIGN §6: fan-out is the limit, so a snapshot is computed once and sent to each wallboard group
(the floor, and one slice per queue), never per socket, and at most every PUSH_INTERVAL_S however
many events arrive. Ingest notes activity after its batch commits; the first note after a quiet
spell is pushed at once. While this process has wallboard sockets open it also refreshes every
REFRESH_S without activity, which raises long-wait alerts on time and picks up changes other
processes made. In the embedded run mode (in-memory channel layer) ingest, sockets and this
thread all live in the server process; on the real stack any process that ingests pushes through
Redis to every server's sockets.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, close_old_connections, connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.formatting import format_duration
from callcenter.realtime import (
    REDIS_UNAVAILABLE,
    group_push,
    group_push_texts,
    supervisor_alerts_group,
    wallboard_group,
)
from kpi.wallboard import queue_slice, wallboard_long_waits, wallboard_snapshot

logger = logging.getLogger(__name__)

# Twice a second at most: event → screen stays under a second even when the floor is busy.
PUSH_INTERVAL_S = 0.5
REFRESH_S = 5.0
IDLE_STOP_S = 30.0  # the thread ends after this long with nothing to do; the next note restarts it
SNAPSHOT_KEY = "kpi:wallboard:snapshot"
SNAPSHOT_TTL_S = 10
# Set while any process has a wallboard open; a process that only ingests computes snapshots just
# then (otherwise it checks for long waits only, every REFRESH_S).
WATCHED_KEY = "kpi:wallboard:watched"
WATCHED_TTL_S = 3 * REFRESH_S
ALERT_TTL_S = 6 * 3600


class WallboardPublisher:
    def __init__(
        self,
        *,
        push_interval_s: float = PUSH_INTERVAL_S,
        refresh_s: float = REFRESH_S,
        idle_stop_s: float = IDLE_STOP_S,
    ):
        self.push_interval_s = push_interval_s
        self.refresh_s = refresh_s
        self.idle_stop_s = idle_stop_s
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pending = False
        self._last_event_at: str | None = None
        self._viewers = 0
        self._queue_viewers: Counter = Counter()  # sockets of one queue's board, per queue
        self._announce = False
        self._seq = 0
        self._last_push = 0.0
        self._last_check = 0.0
        self._failing = False
        self.origin = f"{os.getpid()}-{id(self):x}"

    # --- inputs ------------------------------------------------------------------------------
    def note_activity(self, *, last_event_at: datetime | None = None) -> None:
        """Something changed (an ingest batch committed): push a snapshot soon."""
        with self._lock:
            self._pending = True
            if last_event_at is not None:
                stamp = last_event_at.isoformat()
                self._last_event_at = max(self._last_event_at or stamp, stamp)
            self._ensure_thread()
        self._wake.set()

    def viewer_joined(self, queue: str | None = None) -> None:
        with self._lock:
            self._viewers += 1
            if queue:
                self._queue_viewers[queue] += 1
            self._announce = True
            self._ensure_thread()
        self._wake.set()

    def viewer_left(self, queue: str | None = None) -> None:
        with self._lock:
            self._viewers = max(0, self._viewers - 1)
            if queue and self._queue_viewers[queue] > 0:
                self._queue_viewers[queue] -= 1

    @property
    def viewers(self) -> int:
        return self._viewers

    # --- the tick ------------------------------------------------------------------------------
    def tick(self, *, force: bool = False) -> dict[str, Any] | None:
        """Compute and push one snapshot if something is pending (or `force`); returns it.

        When the database or Redis (cache, channel layer) cannot be reached the tick is retried a
        push interval later, with one warning per outage: the thread never spins on a dead server.
        """
        try:
            snapshot = self._tick(force=force)
        except (DatabaseError, *REDIS_UNAVAILABLE) as error:
            with self._lock:
                self._pending = True
                self._last_push = time.monotonic()  # the next try waits a push interval
                first, self._failing = not self._failing, True
            if first:
                logger.warning("wallboard snapshot not pushed (%s); retrying until it is", error)
            return None
        if self._failing and snapshot is not None:
            self._failing = False
            logger.info("wallboard snapshots pushed again")
        return snapshot

    def _tick(self, *, force: bool) -> dict[str, Any] | None:
        with self._lock:
            refresh = self._viewers > 0 and time.monotonic() - self._last_push >= self.refresh_s
            announce, self._announce = self._announce, False
            local_queues = [queue for queue, n in self._queue_viewers.items() if n > 0]
            if not (self._pending or force or refresh):
                if announce:
                    self._announce_watched(local_queues)
                return None
        if self._viewers:
            self._announce_watched(local_queues)
        elif not force and not cache.get(WATCHED_KEY):
            # Nobody watches a board anywhere: no snapshot, but long waits still alert supervisors.
            with self._lock:
                self._pending = False
                due = time.monotonic() - self._last_check >= self.refresh_s
                if due:
                    self._last_check = time.monotonic()
            if due:
                long_wait_alerts_raise(
                    {"long_waits": wallboard_long_waits(), "at": timezone.now().isoformat()}
                )
            return None
        with self._lock:
            self._pending = False
            last_event_at = self._last_event_at
            self._last_push = time.monotonic()
            self._seq += 1
            seq = self._seq
        return snapshot_publish(seq=seq, origin=self.origin, last_event_at=last_event_at)

    def _announce_watched(self, queues: list[str]) -> None:
        cache.set_many({WATCHED_KEY: 1, **{_queue_watched_key(queue): 1 for queue in queues}}, WATCHED_TTL_S)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="wallboard-publisher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        idle_since = time.monotonic()
        while True:
            wait = max(0.0, self._last_push + self.push_interval_s - time.monotonic())
            if not self._pending:
                wait = max(wait, min(self.refresh_s, 1.0))
            self._wake.wait(timeout=wait)
            self._wake.clear()
            if time.monotonic() - self._last_push < self.push_interval_s:
                continue  # coalesce: at most one push per interval
            close_old_connections()
            try:
                pushed = self.tick()
            except Exception:
                logger.exception("wallboard tick failed")
                pushed = None
            finally:
                # This thread's connection is not needed between ticks (a pool takes it back).
                connection.close()
            if pushed is not None:
                idle_since = time.monotonic()
            with self._lock:
                idle = time.monotonic() - idle_since > self.idle_stop_s
                if idle and not self._pending and not self._viewers:
                    self._thread = None
                    return


def snapshot_publish(*, seq: int = 0, origin: str = "", last_event_at: str | None = None) -> dict[str, Any]:
    """Compute the floor snapshot, keep it for sockets that connect next, push it to the floor group
    and each queue's slice to that queue's group, and raise new long-wait alerts."""
    snapshot = wallboard_snapshot(now=timezone.now())
    snapshot.update(seq=seq, origin=origin, last_event_at=last_event_at)
    cache.set(SNAPSHOT_KEY, snapshot, SNAPSHOT_TTL_S)
    # A queue's slice goes out only while some process has that queue's board open.
    keys = {_queue_watched_key(tile["queue"]): tile["queue"] for tile in snapshot["queues"]}
    watched = [keys[key] for key in cache.get_many(list(keys))]
    group_push_texts(
        [
            (wallboard_group(None), _encoded(snapshot)),
            *((wallboard_group(queue), _encoded(queue_slice(snapshot, queue))) for queue in watched),
        ]
    )
    long_wait_alerts_raise(snapshot)
    return snapshot


def _queue_watched_key(queue: str) -> str:
    return f"{WATCHED_KEY}:queue:{queue}"


# The agent grid's columns, in the order each public agent row lists its values: `name` is ""
# when the agent has no name but the code, and `in_state_ms` is the milliseconds in the state at
# the snapshot's `at` (a number, a third the bytes of an instant). Left out, as all the snapshot
# holds for this process only: each agent's call, the per-queue agent lists used for slicing, and
# the long waits (supervisors get those as alerts, with the caller's number).
AGENT_FIELDS = ("code", "name", "state", "reason", "in_state_ms", "queue", "answered_today")
# Keys a board or a client checks first (which snapshot, from whom, of which instant) come first.
HEAD_KEYS = ("type", "seq", "origin", "at", "last_event_at")


def snapshot_public(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What boards get: what they show, the agent grid as rows of values under `agent_fields`.
    Every board gets every snapshot, so each byte left out is saved some thousand times a second
    on a busy floor (on the 500-board bench the floor's snapshot was 173 kB, its grid 125 kB of it,
    the names of its fields half of that, and the instants a third of what was left)."""
    public = {key: snapshot[key] for key in HEAD_KEYS if key in snapshot}
    public.update((key, value) for key, value in snapshot.items() if key not in public)
    public.pop("long_waits", None)
    public["queues"] = [{k: v for k, v in tile.items() if k != "agent_codes"} for tile in snapshot["queues"]]
    public["agent_fields"] = AGENT_FIELDS
    public["agents"] = [_agent_row(agent) for agent in snapshot["agents"]]
    return public


_NAME_AT = AGENT_FIELDS.index("name")


def _agent_row(agent: dict[str, Any]) -> list[Any]:
    row = [agent[name] for name in AGENT_FIELDS]
    if row[_NAME_AT] == agent["code"]:
        row[_NAME_AT] = ""
    return row


def _encoded(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot_public(snapshot), separators=(",", ":"))


def snapshot_current(*, queue: str | None = None) -> dict[str, Any]:
    """The latest floor snapshot (computed now if none is fresh), or a queue's slice of it: what a
    (re)connecting socket gets first. Reconnect storms cost one computation, not one per socket."""
    snapshot = cache.get(SNAPSHOT_KEY)
    if snapshot is None:
        snapshot = wallboard_snapshot(now=timezone.now())
        snapshot.update(seq=0, origin="", last_event_at=None)
        cache.set(SNAPSHOT_KEY, snapshot, SNAPSHOT_TTL_S)
    return snapshot_public(queue_slice(snapshot, queue) if queue else snapshot)


# Alert keys this process knows are raised (by it or another process), with when it learnt so:
# a busy floor's snapshot lists dozens of long waits twice a second, and asking the cache about
# each one every time was a tenth of the wallboard process's time.
_RAISED: dict[str, float] = {}
RAISED_KEPT = 10_000


def _known_raised(key: str) -> bool:
    at = _RAISED.get(key)
    return at is not None and time.monotonic() - at < ALERT_TTL_S


def _remember_raised(key: str) -> None:
    # Forgetting a key costs one more question to the cache, so the older half simply goes.
    if len(_RAISED) >= RAISED_KEPT:
        for old in list(_RAISED)[: RAISED_KEPT // 2]:
            del _RAISED[old]
    _RAISED[key] = time.monotonic()


def long_wait_alerts_raise(snapshot: dict[str, Any]) -> int:
    """One `long_wait` alert to every supervisor per waiting call past its queue's alert time
    (deduplicated across processes through the cache); returns the alerts sent."""
    sent = 0
    for call in snapshot["long_waits"]:
        key = f"kpi:long-wait:{call['source_id']}:{call['call_id']}:{call['seq']}"
        if _known_raised(key):
            continue
        added = cache.add(key, 1, ALERT_TTL_S)
        _remember_raised(key)
        if not added:
            continue
        group_push(
            supervisor_alerts_group(),
            {
                "type": "alert",
                "kind": "long_wait",
                "title": _("Long wait in %(queue)s") % {"queue": call["queue_name"]},
                "message": _("A caller has waited %(wait)s.") % {"wait": format_duration(call["wait_s"])},
                "url": f"{reverse('kpi:wallboard')}?queue={call['queue']}",
                "at": snapshot["at"],
                "queue": call["queue"],
                "call_id": call["call_id"],
                "queued_at": call["queued_at"],
                "wait_s": round(call["wait_s"], 1),
            },
        )
        sent += 1
    return sent


wallboard_publisher = WallboardPublisher()


def wallboard_activity_note(*, last_event_at: datetime | None) -> None:
    """Called by the ingest path after a batch commits: the wallboards should change."""
    wallboard_publisher.note_activity(last_event_at=last_event_at)
