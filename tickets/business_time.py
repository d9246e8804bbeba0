"""Business-time arithmetic over opening hours and holidays: pure functions, no database.

SLA targets count only the minutes a team is open. A calendar is a time zone, opening spans per
weekday (local wall time) and holiday dates; a calendar with no spans at all is open around the
clock. Instants are timezone-aware; results are aware UTC instants.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A target never lies further ahead than this; a calendar open for no minute at all raises instead
# of looping forever.
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str = "UTC"
    # weekday (0 = Monday) → opening spans (opens, closes) in local wall time, closes after opens.
    spans: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return not any(self.spans.values())

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def open_spans(self, start: datetime, days: int = MAX_DAYS) -> Iterator[tuple[datetime, datetime]]:
        """Opening spans as UTC instants, in order, from the local day of `start` on (clipped to it)."""
        zone = self._zone()
        first_day = start.astimezone(zone).date()
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            if day in self.holidays:
                continue
            for opens, closes in self.spans.get(day.weekday(), ()):
                span_start = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
                span_end = datetime.combine(day, closes, tzinfo=zone).astimezone(UTC)
                span_start = max(span_start, start)
                if span_end > span_start:
                    yield span_start, span_end


def business_add(calendar: BusinessCalendar, start: datetime, seconds: float) -> datetime:
    """The instant at which `seconds` of open time have passed since `start`.

    Time outside opening hours and on holidays does not count; a target of 0 at a closed moment is
    due at the next opening. Raises ValueError when the calendar opens for less than `seconds` in
    MAX_DAYS days (no opening hours on any remaining day).
    """
    if seconds < 0:
        raise ValueError(f"seconds must be 0 or more, got {seconds!r}")
    if calendar.always_open:
        return (start + timedelta(seconds=seconds)).astimezone(UTC)
    remaining = float(seconds)
    for span_start, span_end in calendar.open_spans(start):
        length = (span_end - span_start).total_seconds()
        if remaining <= length:
            return span_start + timedelta(seconds=remaining)
        remaining -= length
    raise ValueError(f"the business calendar is not open for {seconds} s within {MAX_DAYS} days")


def business_seconds(calendar: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Open seconds between `start` and `end` (0 when end is not after start)."""
    if end <= start:
        return 0.0
    if calendar.always_open:
        return (end - start).total_seconds()
    days = (end - start).days + 2
    total = 0.0
    for span_start, span_end in calendar.open_spans(start, days=days):
        if span_start >= end:
            break
        total += (min(span_end, end) - span_start).total_seconds()
    return total
