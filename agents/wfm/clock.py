"""The center's local calendar: local days to aware instants and back, weeks that start on Monday."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_moment(day: date, at: time) -> datetime:
    """`day` at local time `at`, aware (a time skipped by a clock change moves forward)."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone())
    # Round trip through UTC normalises a non-existent local time (spring forward) to a real one.
    return aware.astimezone(ZoneInfo("UTC")).astimezone(zone())


def day_start(day: date) -> datetime:
    return local_moment(day, time(0, 0))


def day_bounds(day: date) -> tuple[datetime, datetime]:
    return day_start(day), day_start(day + timedelta(days=1))


def local_day(moment: datetime) -> date:
    return moment.astimezone(zone()).date()


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def week_days(monday: date) -> list[date]:
    return [monday + timedelta(days=n) for n in range(7)]
