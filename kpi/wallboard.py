"""The live wallboard's figures: one snapshot of the whole floor, computed once and sent to every
board (a queue's board gets its slice). Reads only; `kpi.live` decides when to compute and push.

Per queue and overall: calls waiting and the longest current wait, agents by state (not ready with
reasons), and today's offered, answered, abandoned, service level (each queue with its own
threshold T), abandon rate, ASA and AHT, with a colour per figure from the queue's thresholds.
The agent grid lists every logged-in agent with state, reason and since when. Clocks tick in the
browser from the instants sent (`since`, `oldest_queued_at`), so a snapshot is needed only when
something changes.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from agents.models import AgentState
from agents.selectors import presence_now
from kpi import definitions as d
from kpi import inputs
from kpi.models import QueueThresholds
from kpi.periods import day_bounds, local_day
from kpi.selectors import kpi_totals_many
from kpi.services.settings import thresholds_default
from kpi.totals import Totals
from telephony.models import Queue, QueueVisit

# A visit open longer than this is a feed that never said how the call ended, not a caller waiting.
STALE_WAIT = timedelta(hours=4)
# An agent with no feed event for this long is gone (the PBX lost them), not logged in.
STALE_PRESENCE = timedelta(hours=24)
STATE_ORDER = ("ringing", "on_call", "wrap_up", "available", "not_ready", "break")
TODAY_KEYS = ("offered", "answered", "abandoned", "service_level", "abandon_rate", "asa_s", "aht_s")


def colour_higher_better(value: float | None, *, green: float, amber: float) -> str:
    if value is None:
        return ""
    return "green" if value >= green else "amber" if value >= amber else "red"


def colour_lower_better(value: float | None, *, amber: float, red: float) -> str:
    if value is None:
        return ""
    return "red" if value >= red else "amber" if value >= amber else "green"


@dataclass
class _Queue:
    name: str
    display: str
    threshold_s: int
    target: int
    limits: QueueThresholds


def _queues() -> list[_Queue]:
    found = []
    for queue in Queue.objects.select_related("kpi_thresholds").order_by("name"):
        try:
            limits = queue.kpi_thresholds
        except QueueThresholds.DoesNotExist:
            limits = thresholds_default(queue)
        found.append(_Queue(queue.name, str(queue), queue.sl_threshold_s, queue.sl_target_percent, limits))
    return found


def _waiting(now: datetime) -> dict[str, list[dict[str, Any]]]:
    rows = QueueVisit.objects.filter(
        queue_id__in=list(Queue.objects.values_list("id", flat=True)),
        queued_at__gte=now - STALE_WAIT,
        queued_at__lte=now,
        answered_at__isnull=True,
        left_at__isnull=True,
    ).values_list("queue__name", "queued_at", "call__source_id", "call__call_id", "seq", "call__caller")
    waiting: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for queue, queued_at, source_id, call_id, seq, caller in rows.order_by("queued_at"):
        waiting[queue].append(
            {"queued_at": queued_at, "source_id": source_id, "call_id": call_id, "seq": seq, "caller": caller}
        )
    return waiting


def _agents(now: datetime) -> list[dict[str, Any]]:
    floor = presence_now(now=now, active_since=now - STALE_PRESENCE)
    live = {row[0]: row for row in floor if row[1] != AgentState.LOGGED_OUT}
    names = _names(set(live))
    return [
        {
            "code": code,
            "name": names.get(code, code),
            "state": state,
            "reason": reason or ("break" if state == AgentState.BREAK else ""),
            "since": started_at,
            "queue": queue,
            "call_id": call_id,
        }
        for code, (_code, state, reason, started_at, queue, call_id) in live.items()
    ]


_NAMES: dict[str, str] = {}
_NAMES_AT = [0.0]
NAMES_TTL_S = 60.0


def _names(codes: set[str]) -> dict[str, str]:
    """Display names, remembered for a minute: they change rarely, snapshots come twice a second."""
    if time.monotonic() - _NAMES_AT[0] > NAMES_TTL_S:
        _NAMES.clear()
        _NAMES_AT[0] = time.monotonic()
    missing = codes - _NAMES.keys()
    if missing:
        found = inputs.agent_names(missing)
        _NAMES.update({code: found.get(code, code) for code in missing})
    return {code: _NAMES[code] for code in codes}


def _agent_counts(agents: list[dict[str, Any]]) -> tuple[dict[str, int], list[dict[str, Any]]]:
    counts = Counter(agent["state"] for agent in agents)
    not_ready = counts["not_ready"] + counts["break"]
    reasons = Counter(agent["reason"] or "—" for agent in agents if agent["state"] in ("not_ready", "break"))
    return (
        {
            "available": counts["available"],
            "ringing": counts["ringing"],
            "on_call": counts["on_call"],
            "wrap_up": counts["wrap_up"],
            "not_ready": not_ready,
            "logged_in": len(agents),
        },
        [{"reason": reason, "count": n} for reason, n in reasons.most_common()],
    )


def _today(totals: Totals, threshold_s: int) -> dict[str, Any]:
    kpis = totals.kpis(d.Params(sl_threshold_s=threshold_s))
    return {key: kpis[key] for key in TODAY_KEYS}


def _tile(
    *,
    name: str,
    display: str,
    today: dict[str, Any],
    waiting: list[dict[str, Any]],
    agents: list[dict[str, Any]],
    now: datetime,
    limits: QueueThresholds | None,
    threshold_s: int | None,
    target: int | None,
) -> dict[str, Any]:
    counts, reasons = _agent_counts(agents)
    oldest = waiting[0]["queued_at"] if waiting else None
    longest = (now - oldest).total_seconds() if oldest else None
    tile: dict[str, Any] = {
        "queue": name,
        "name": display,
        "waiting": len(waiting),
        "oldest_queued_at": oldest.isoformat() if oldest else None,
        "longest_wait_s": longest,
        "agents": counts,
        "not_ready_reasons": reasons,
        "today": today,
        "sl_threshold_s": threshold_s,
        "sl_target_percent": target,
        "colours": {},
        "thresholds": {},
    }
    if limits is not None:
        tile["thresholds"] = {
            "wait_amber_s": limits.wait_amber_s,
            "wait_red_s": limits.wait_red_s,
            "long_wait_alert_s": limits.long_wait_alert_s,
        }
        tile["colours"] = {
            "service_level": colour_higher_better(
                today["service_level"], green=limits.sl_green_percent, amber=limits.sl_amber_percent
            ),
            "abandon_rate": colour_lower_better(
                today["abandon_rate"], amber=limits.abandon_amber_percent, red=limits.abandon_red_percent
            ),
            "asa_s": colour_lower_better(today["asa_s"], amber=limits.asa_amber_s, red=limits.asa_red_s),
            "waiting": colour_lower_better(len(waiting), amber=limits.waiting_amber, red=limits.waiting_red),
            "longest_wait_s": colour_lower_better(longest, amber=limits.wait_amber_s, red=limits.wait_red_s)
            if longest is not None
            else "green",
        }
    return tile


def _long_waits(queue: _Queue, waiting: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    alert_after = queue.limits.long_wait_alert_s
    found = []
    for call in waiting:
        wait = (now - call["queued_at"]).total_seconds()
        if alert_after and wait >= alert_after:
            found.append(
                {
                    "queue": queue.name,
                    "queue_name": queue.display,
                    "call_id": call["call_id"],
                    "source_id": call["source_id"],
                    "seq": call["seq"],
                    "caller": call["caller"],
                    "queued_at": call["queued_at"].isoformat(),
                    "wait_s": wait,
                }
            )
    return found


def wallboard_long_waits(*, now: datetime | None = None) -> list[dict[str, Any]]:
    """Only the callers waiting past their queue's alert time (two queries): for when no board is open."""
    now = now or timezone.now()
    waiting = _waiting(now)
    return [call for queue in _queues() for call in _long_waits(queue, waiting.get(queue.name, []), now)]


def wallboard_snapshot(*, now: datetime | None = None) -> dict[str, Any]:
    """The whole floor now: a tile per queue, the overall tile, the agent grid, the long waits.

    About ten queries whatever the number of calls: today's figures come from the rollups plus the
    raw visits of intervals not rolled up yet (the open one).
    """
    now = now or timezone.now()
    today = local_day(now)
    start, end = day_bounds(today)
    queues = _queues()
    # Queue figures from the whole-queue rows (each queue's own T needs the wait histograms);
    # who served which queue from the agent rows, counts only; today's open interval read once.
    figures = kpi_totals_many(
        start=start,
        end=end,
        groupings={"queue": (("queue",), True), "agent": (("queue", "agent_code"), False)},
        presence=False,
        annotations=False,
        now=now,
    )
    by_queue = {queue: totals for (queue,), totals in figures["queue"].items()}
    by_agent = figures["agent"]
    served: dict[str, set[str]] = defaultdict(set)  # agents who answered a queue's calls today
    answered_today: Counter = Counter()
    for (queue, agent), totals in by_agent.items():
        if agent and totals.answered:
            served[queue].add(agent)
            answered_today[agent] += totals.answered
    waiting = _waiting(now)
    agents = _agents(now)
    for agent in agents:
        agent["answered_today"] = answered_today[agent["code"]]
    agents.sort(key=lambda a: (STATE_ORDER.index(a["state"]) if a["state"] in STATE_ORDER else 9, a["name"]))
    tiles = []
    long_waits = []
    within = offered_less_short = 0
    overall = Totals()
    for queue in queues:
        totals = by_queue.get(queue.name, Totals())
        overall.add(totals)
        params = d.Params(sl_threshold_s=queue.threshold_s)
        within += totals.answered_within(params)
        offered_less_short += totals.offered - totals.short_abandoned(params)
        members = [a for a in agents if a["queue"] == queue.name or a["code"] in served[queue.name]]
        queue_waiting = waiting.get(queue.name, [])
        tile = _tile(
            name=queue.name,
            display=queue.display,
            today=_today(totals, queue.threshold_s),
            waiting=queue_waiting,
            agents=members,
            now=now,
            limits=queue.limits,
            threshold_s=queue.threshold_s,
            target=queue.target,
        )
        tile["agent_codes"] = [a["code"] for a in members]
        tiles.append(tile)
        long_waits += _long_waits(queue, queue_waiting, now)
    overall_today = _today(overall, d.SL_THRESHOLD_S)
    # Each queue's calls count against its own threshold; the floor's SL adds them up.
    overall_today["service_level"] = d.service_level(
        answered_within_t=within, offered=offered_less_short, short_abandoned=0
    )
    every_wait = sorted((call for calls in waiting.values() for call in calls), key=lambda c: c["queued_at"])
    overall_tile = _tile(
        name="",
        display="",
        today=overall_today,
        waiting=every_wait,
        agents=agents,
        now=now,
        limits=None,
        threshold_s=None,
        target=None,
    )
    # Whole milliseconds of both instants, as a browser reads them: `at` less this is the same
    # instant in every snapshot, so a board's clock does not jitter.
    now_ms = _epoch_ms(now)
    for agent in agents:
        agent["in_state_ms"] = now_ms - _epoch_ms(agent.pop("since"))
    return {
        "type": "wallboard.snapshot",
        "at": now.isoformat(),
        "day": today.isoformat(),
        "overall": overall_tile,
        "queues": tiles,
        "agents": agents,
        "long_waits": long_waits,
    }


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def _epoch_ms(instant: datetime) -> int:
    return (instant - _EPOCH) // _MS


def queue_slice(snapshot: dict[str, Any], queue: str) -> dict[str, Any]:
    """The part of a floor snapshot a single queue's board shows (same shape, one tile)."""
    tiles = [tile for tile in snapshot["queues"] if tile["queue"] == queue]
    codes = set(tiles[0]["agent_codes"]) if tiles else set()
    return {
        **snapshot,
        "scope": queue,
        "overall": {k: v for k, v in tiles[0].items() if k != "agent_codes"} if tiles else None,
        "queues": tiles,
        "agents": [agent for agent in snapshot["agents"] if agent["code"] in codes],
        "long_waits": [call for call in snapshot["long_waits"] if call["queue"] == queue],
    }
