"""Periods KPIs are reported in: 15-minute intervals (UTC-aligned) and the call center's local days.

Every time zone's offset is a whole number of quarter hours, so UTC-aligned quarter hours are also
the quarter hours of the local clock, and a local day is a whole number of intervals (92 or 100 on
daylight-saving days).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

INTERVAL = timedelta(minutes=15)
EPOCH = datetime(2001, 1, 1, tzinfo=UTC)  # a Monday at midnight: the origin intervals are counted from


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def interval_floor(moment: datetime) -> datetime:
    """The start of the 15-minute interval holding `moment` (aware), in UTC."""
    moment = moment.astimezone(UTC)
    return moment - (moment - EPOCH) % INTERVAL


def interval_ceil(moment: datetime) -> datetime:
    floor = interval_floor(moment)
    return floor if floor == moment else floor + INTERVAL


def intervals(start: datetime, end: datetime) -> list[datetime]:
    """Starts of the intervals overlapping [start, end)."""
    found = []
    cursor = interval_floor(start)
    while cursor < end:
        found.append(cursor)
        cursor += INTERVAL
    return found


def day_start(day: date) -> datetime:
    """Local midnight of `day`, as a UTC instant."""
    return datetime(day.year, day.month, day.day, tzinfo=zone()).astimezone(UTC)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    return day_start(day), day_start(day + timedelta(days=1))


def local_day(moment: datetime) -> date:
    return moment.astimezone(zone()).date()


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def runs(starts: Iterable[datetime]) -> Iterator[tuple[datetime, datetime]]:
    """Contiguous [start, end) ranges covering a set of interval starts, in order."""
    run_start = previous = None
    for start in sorted(set(starts)):
        if previous is not None and start == previous + INTERVAL:
            previous = start
            continue
        if run_start is not None:
            yield run_start, previous + INTERVAL
        run_start = previous = start
    if run_start is not None:
        yield run_start, previous + INTERVAL
