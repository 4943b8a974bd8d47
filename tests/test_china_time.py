"""Days, months and years are China's, not UTC's."""

from datetime import UTC, datetime

import pytest

from app.china_time import day_bounds, month_bounds, parse_period, to_china, year_bounds


def test_a_day_starts_at_china_midnight() -> None:
    # 2026-03-01 07:30 UTC is 15:30 in China; 2026-02-28 17:00 UTC is already 03-01 in China.
    start, end = day_bounds(datetime(2026, 2, 28, 17, 0, tzinfo=UTC))
    assert start == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert to_china(start).hour == 0


def test_month_and_year_edges() -> None:
    start, end = month_bounds(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # Jan 1st in China
    assert (start, end) == (
        datetime(2026, 12, 31, 16, tzinfo=UTC),
        datetime(2027, 1, 31, 16, tzinfo=UTC),
    )
    y_start, y_end = year_bounds(datetime(2026, 6, 1, tzinfo=UTC))
    assert y_start == datetime(2025, 12, 31, 16, tzinfo=UTC)
    assert y_end == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert parse_period("2026-02") == month_bounds(datetime(2026, 2, 10, tzinfo=UTC))


def test_periods_outside_the_service_years_are_refused() -> None:
    for bad in ("0001-01", "9999-12", "2026-13", "2026"):
        with pytest.raises(ValueError):
            parse_period(bad)
