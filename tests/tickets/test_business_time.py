"""Business-time arithmetic: opening hours, weekends, holidays, time zones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from tickets.business_time import BusinessCalendar, business_add, business_seconds

WEEKDAYS_9_TO_5 = {day: ((time(9), time(17)),) for day in range(5)}
OFFICE = BusinessCalendar(time_zone="UTC", spans=WEEKDAYS_9_TO_5)
HOUR = 3600


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_target_inside_the_same_day():
    # Tuesday 2026-12-01 10:00 + 2 h
    assert business_add(OFFICE, at(2026, 12, 1, 10), 2 * HOUR) == at(2026, 12, 1, 12)


def test_target_rolls_over_to_the_next_morning():
    assert business_add(OFFICE, at(2026, 12, 1, 16), 2 * HOUR) == at(2026, 12, 2, 10)


def test_weekend_does_not_count():
    # Friday 2026-12-04 16:00 + 2 h → Monday 10:00
    assert business_add(OFFICE, at(2026, 12, 4, 16), 2 * HOUR) == at(2026, 12, 7, 10)


def test_clock_started_at_night_begins_at_opening():
    assert business_add(OFFICE, at(2026, 12, 1, 22), HOUR) == at(2026, 12, 2, 10)
    assert business_add(OFFICE, at(2026, 12, 5, 12), 0) == at(2026, 12, 7, 9)


def test_holiday_is_skipped():
    calendar = BusinessCalendar(
        time_zone="UTC", spans=WEEKDAYS_9_TO_5, holidays=frozenset({date(2026, 12, 25)})
    )
    # Thursday 24th 16:00 + 2 h: Friday 25th is a holiday, so Monday 28th 10:00.
    assert business_add(calendar, at(2026, 12, 24, 16), 2 * HOUR) == at(2026, 12, 28, 10)


def test_hours_are_local_to_the_calendars_zone():
    tehran = BusinessCalendar(time_zone="Asia/Tehran", spans=WEEKDAYS_9_TO_5)  # UTC+03:30, no DST now
    # 09:00 Tehran is 05:30 UTC; a clock started at 05:00 UTC runs from 05:30.
    assert business_add(tehran, at(2026, 12, 1, 5), HOUR) == at(2026, 12, 1, 6, 30)


def test_daylight_saving_change_keeps_wall_clock_hours():
    new_york = BusinessCalendar(time_zone="America/New_York", spans=WEEKDAYS_9_TO_5)
    # Friday 2026-03-06 16:00 EST (21:00 UTC) + 2 h → Monday 2026-03-09 10:00 EDT (14:00 UTC).
    assert business_add(new_york, at(2026, 3, 6, 21), 2 * HOUR) == at(2026, 3, 9, 14)


def test_always_open_calendar_is_plain_time():
    assert business_add(BusinessCalendar(), at(2026, 12, 5, 23), 2 * HOUR) == at(2026, 12, 6, 1)
    assert business_seconds(BusinessCalendar(), at(2026, 12, 5, 23), at(2026, 12, 6, 1)) == 2 * HOUR


def test_several_spans_a_day():
    lunch_break = BusinessCalendar(spans={1: ((time(9), time(12)), (time(13), time(17)))})
    assert business_add(lunch_break, at(2026, 12, 1, 11), 2 * HOUR) == at(2026, 12, 1, 14)


def test_seconds_between_count_only_open_time():
    assert business_seconds(OFFICE, at(2026, 12, 4, 16), at(2026, 12, 7, 10)) == 2 * HOUR
    assert business_seconds(OFFICE, at(2026, 12, 5, 8), at(2026, 12, 6, 20)) == 0
    assert business_seconds(OFFICE, at(2026, 12, 7, 10), at(2026, 12, 4, 16)) == 0


@pytest.mark.parametrize("hours", [0.5, 3, 8, 11, 40, 100])
def test_add_and_seconds_between_agree(hours):
    start = at(2026, 12, 3, 15, 20)
    due = business_add(OFFICE, start, hours * HOUR)
    assert business_seconds(OFFICE, start, due) == pytest.approx(hours * HOUR)
    assert business_seconds(OFFICE, start, due - timedelta(seconds=1)) < hours * HOUR


def test_negative_target_is_refused():
    with pytest.raises(ValueError):
        business_add(OFFICE, at(2026, 12, 1), -1)


def test_target_beyond_what_the_calendar_opens_raises():
    one_hour_on_mondays = BusinessCalendar(spans={0: ((time(9), time(10)),)})
    with pytest.raises(ValueError, match="not open"):
        business_add(one_hour_on_mondays, at(2026, 12, 1), 1000 * HOUR)
