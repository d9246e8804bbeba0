"""Synthetic call history with an exact weekly and intraday pattern and a linear trend."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from telephony.models import Call, FeedSource, Queue, QueueVisit

# Calls in each 30-minute interval of a day, per unit of the week's level: a morning peak.
PROFILE = {18: 1, 19: 2, 20: 3, 21: 2, 26: 1, 27: 2}  # 09:00, 09:30, 10:00, 10:30, 13:00, 13:30
WEEKDAY_BASE = {0: 4, 1: 3, 2: 3, 3: 3, 4: 2, 5: 1, 6: 0}  # Monday busiest, Sunday closed
TALK_S = {18: 200.0, 19: 200.0, 20: 260.0, 21: 260.0, 26: 150.0, 27: 150.0}


def level(weekday: int, weeks_ago: int) -> int:
    """The multiplier of the profile: the weekday's base plus one per week of growth."""
    return WEEKDAY_BASE[weekday] + (6 - weeks_ago) if WEEKDAY_BASE[weekday] else 0


def fill(*, queue: Queue, today: date, weeks: int = 6, zone: str = "UTC") -> int:
    """Answered calls on each of the `weeks` weeks before `today` (talk per interval, 30 s of ACW),
    every third one of the 10:00 interval abandoned after 60 s instead. Returns the visits made."""
    source, _created = FeedSource.objects.get_or_create(name="history")
    tz = ZoneInfo(zone)
    calls, visits = [], []
    n = 0
    for back in range(1, weeks * 7 + 1):
        day = today - timedelta(days=back)
        weeks_ago = (back - 1) // 7 + 1
        for slot, units in PROFILE.items():
            for k in range(units * level(day.weekday(), weeks_ago)):
                n += 1
                start = datetime.combine(day, time(slot // 2, 30 * (slot % 2)), tzinfo=tz) + timedelta(
                    seconds=20 * k
                )
                abandoned = slot == 20 and k % 3 == 2
                calls.append(
                    Call(
                        source=source,
                        call_id=f"h{n}",
                        queue=queue,
                        queued_at=start,
                        first_event_at=start,
                        last_event_at=start,
                    )
                )
                visits.append(
                    QueueVisit(
                        seq=1,
                        queue=queue,
                        queued_at=start,
                        outcome="abandoned" if abandoned else "answered",
                        wait_s=60.0 if abandoned else 10.0,
                        talk_s=None if abandoned else TALK_S[slot],
                        hold_s=None if abandoned else 0.0,
                        acw_s=None if abandoned else 30.0,
                    )
                )
    Call.objects.bulk_create(calls, batch_size=2000)
    for call, visit in zip(calls, visits, strict=True):
        visit.call = call
    QueueVisit.objects.bulk_create(visits, batch_size=2000)
    return len(visits)
