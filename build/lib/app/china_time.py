"""China time (Asia/Shanghai): days, months and years for caps, reports and star years.

A daily cap must reset at midnight in China, not at 08:00 when UTC's day turns.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_china(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA)


def china_today(moment: datetime | None = None) -> date:
    return to_china(moment or utcnow()).date()


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CHINA).astimezone(UTC)


def day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The China day holding ``moment``, as [start, end) in UTC."""
    day = to_china(moment).date()
    return _start_of(day), _start_of(day + timedelta(days=1))


def month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    local = to_china(moment)
    first = local.date().replace(day=1)
    following = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    return _start_of(first), _start_of(following)


def year_bounds(moment: datetime) -> tuple[datetime, datetime]:
    year = to_china(moment).year
    return _start_of(date(year, 1, 1)), _start_of(date(year + 1, 1, 1))


def parse_period(period: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` → that China month as [start, end) in UTC; ValueError if malformed."""
    year_text, month_text = period.split("-")
    year = int(year_text)
    if not 2000 <= year <= 2100:
        raise ValueError("year out of range")
    moment = datetime(year, int(month_text), 15, tzinfo=CHINA)
    return month_bounds(moment)
