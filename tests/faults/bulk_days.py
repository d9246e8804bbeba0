"""Several past days of calls, queue visits and presence written straight into the tables (what
ingest would have derived), enough for a rollup that takes a few seconds."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from agents.models import PresenceCursor, PresenceSegment
from telephony.models import Call, FeedSource, Queue, QueueVisit

QUEUES = ("sales", "support")


def days_generate(*, first_day_start: datetime, days: int, calls_per_day: int, agents: int, seed: int) -> int:
    """Write `days` days from `first_day_start` (each 08:00-18:00); returns the calls written."""
    rng = random.Random(seed)
    source, _ = FeedSource.objects.get_or_create(name="bulk")
    queues = {name: Queue.objects.get_or_create(name=name)[0] for name in QUEUES}
    calls: list[Call] = []
    visits: list[tuple[int, dict]] = []
    segments: list[PresenceSegment] = []
    for day in range(days):
        opens = first_day_start + timedelta(days=day, hours=8)
        closes = opens + timedelta(hours=10)
        free_at = {f"bulk{n}": opens for n in range(agents)}
        last_state = dict.fromkeys(free_at, ("available", opens))
        for n in range(calls_per_day):
            queued = opens + timedelta(seconds=rng.uniform(0, 10 * 3600 - 1800))
            queue = rng.choice(QUEUES)
            code = min(free_at, key=lambda c: free_at[c])
            index = len(calls)
            call_id = f"d{day}-c{n}"
            if rng.random() < 0.1:
                wait = rng.uniform(1, 60)
                calls.append(_call(source, call_id, queues[queue], queued, wait=wait, outcome="abandoned"))
                visits.append((index, _visit(queues[queue], queued, wait=wait, outcome="abandoned")))
                continue
            answered = max(queued + timedelta(seconds=rng.uniform(0, 30)), free_at[code])
            wait = (answered - queued).total_seconds()
            talk, acw = rng.expovariate(1 / 150), rng.uniform(5, 40)
            ended = answered + timedelta(seconds=talk)
            wrapped = ended + timedelta(seconds=acw)
            state, since = last_state[code]
            segments.append(_segment(code, state, since, answered))
            segments += [
                _segment(code, "on_call", answered, ended),
                _segment(code, "wrap_up", ended, wrapped),
            ]
            last_state[code] = ("available", wrapped)
            free_at[code] = wrapped + timedelta(seconds=rng.uniform(1, 30))
            call = _call(source, call_id, queues[queue], queued, wait=wait, outcome="answered")
            call.agent_code, call.answered_at, call.ended_at, call.wrapup_ended_at = (
                code,
                answered,
                ended,
                wrapped,
            )
            call.talk_s, call.hold_s, call.acw_s, call.last_event_at = talk, 0.0, acw, wrapped
            calls.append(call)
            visit = _visit(queues[queue], queued, wait=wait, outcome="answered")
            visit.update(
                answered_at=answered, ended_at=ended, agent_code=code, talk_s=talk, hold_s=0.0, acw_s=acw
            )
            visits.append((index, visit))
        for code, (state, since) in last_state.items():
            end = max(since, closes)
            segments.append(_segment(code, state, since, end))
            segments.append(_segment(code, "logged_out", end, opens + timedelta(hours=23)))
    Call.objects.bulk_create(calls, batch_size=2000)
    QueueVisit.objects.bulk_create(
        [QueueVisit(call=calls[index], seq=1, **fields) for index, fields in visits], batch_size=2000
    )
    PresenceSegment.objects.bulk_create(segments, batch_size=2000)
    last = max(segment.started_at for segment in segments)
    PresenceCursor.objects.bulk_create(
        [PresenceCursor(agent_code=f"bulk{n}", last_event_at=last) for n in range(agents)]
    )
    return len(calls)


def _call(
    source: FeedSource, call_id: str, queue: Queue, queued: datetime, *, wait: float, outcome: str
) -> Call:
    left = queued + timedelta(seconds=wait)
    return Call(
        source=source,
        call_id=call_id,
        queue=queue,
        offered_at=queued,
        queued_at=queued,
        wait_s=wait,
        outcome=outcome,
        first_event_at=queued,
        last_event_at=left,
    )


def _visit(queue: Queue, queued: datetime, *, wait: float, outcome: str) -> dict:
    left = queued + timedelta(seconds=wait)
    return {
        "queue": queue,
        "queued_at": queued,
        "left_at": left if outcome != "answered" else None,
        "outcome": outcome,
        "wait_s": wait,
    }


def _segment(code: str, state: str, started: datetime, ended: datetime) -> PresenceSegment:
    return PresenceSegment(agent_code=code, state=state, started_at=started, ended_at=ended)
