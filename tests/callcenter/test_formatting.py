from datetime import UTC, date, datetime

import pytest

from callcenter.formatting import format_datetime, format_duration, format_percent


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0, "0s"), (45, "45s"), (252, "4m 12s"), (3900, "1h 05m"), (59.6, "1m 00s"), (-5, "-5s")],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_format_percent_and_null():
    assert format_percent(87.5) == "87.5 %"
    assert format_percent(None) == "—"


def test_gregorian_datetime_in_the_centers_zone(settings):
    settings.TIME_ZONE = "Asia/Tehran"
    moment = datetime(2026, 11, 23, 20, 45, tzinfo=UTC)
    assert format_datetime(moment) == "2026-11-24 00:15"


def test_jalali_datetime(settings):
    settings.TIME_ZONE = "Asia/Tehran"
    moment = datetime(2026, 3, 20, 21, 0, tzinfo=UTC)  # 00:30 on 1 Farvardin 1405 in Tehran
    assert format_datetime(moment, calendar="jalali") == "1405/01/01 00:30"


def test_jalali_date():
    assert format_datetime(date(2026, 11, 23), calendar="jalali") == "1405/09/02"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
