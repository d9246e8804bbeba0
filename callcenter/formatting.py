"""Numbers, durations and dates formatted for people, in the call center's zone and the user's calendar."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import jdatetime
from django.conf import settings
from django.utils import timezone

EMPTY = "—"


def format_duration(seconds: float | None) -> str:
    """`4m 12s`, `1h 05m`, `45s`; None gives an em dash."""
    if seconds is None:
        return EMPTY
    total = round(seconds)
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


def format_percent(value: float | None, digits: int = 1) -> str:
    """`87.5 %`; None (a zero denominator) gives an em dash."""
    if value is None:
        return EMPTY
    return f"{value:.{digits}f} %"


def to_local(value: datetime, zone: str | None = None) -> datetime:
    """An aware datetime in the call center's zone (settings.TIME_ZONE unless `zone` is given)."""
    if timezone.is_naive(value):
        raise ValueError("naive datetimes are ambiguous; store times aware, in UTC")
    return value.astimezone(ZoneInfo(zone or settings.TIME_ZONE))


def format_datetime(
    value: datetime | date | None, *, calendar: str = "gregorian", with_time: bool = True
) -> str:
    """A date or datetime as `2026-11-23 14:05` (Gregorian) or `1405/09/02 14:05` (Jalali)."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        local = to_local(value)
        if calendar == "jalali":
            jalali = jdatetime.datetime.fromgregorian(datetime=local)
            return jalali.strftime("%Y/%m/%d %H:%M" if with_time else "%Y/%m/%d")
        return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    if calendar == "jalali":
        return jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d")
    return value.strftime("%Y-%m-%d")
