"""Credited minutes on a table of cases: a Saturday clean-up from 9:00 to 12:00 (180 min)."""

from datetime import datetime, timedelta

import pytest

from app.china_time import CHINA
from app.services.volunteer.minutes import credited

START = datetime(2026, 11, 28, 9, 0, tzinfo=CHINA)
END = START + timedelta(hours=3)


def at(hour: int, minute: int = 0) -> datetime:
    return START.replace(hour=hour, minute=minute)


@pytest.mark.parametrize(
    ("case", "sign_in", "sign_out", "rules", "minutes"),
    [
        ("whole activity", at(9), at(12), {}, 180),
        ("early arrival counts from the start", at(8, 10), at(12), {}, 180),
        ("staying late counts to the end", at(9), at(13, 30), {}, 180),
        ("late arrival, rounded down", at(9, 40), at(12), {}, 120),
        ("partial", at(10), at(11), {}, 60),
        ("just under a round step", at(9), at(10, 29), {}, 60),
        ("exactly a round step", at(9), at(10, 30), {}, 90),
        ("under the first step", at(9), at(9, 29), {}, 0),
        ("finer rounding", at(9), at(10, 29), {"round_minutes": 15}, 75),
        ("over the cap", at(8), at(13), {"max_minutes": 120}, 120),
        ("cap above what was done", at(10), at(11), {"max_minutes": 120}, 60),
        ("under the minimum share", at(10), at(11), {"min_share": 0.6}, 0),
        ("exactly the minimum share", at(9), at(10, 48), {"min_share": 0.6}, 90),
        ("all before the start", at(7), at(8, 30), {}, 0),
        ("all after the end", at(12, 30), at(13), {}, 0),
    ],
)
def test_credited_minutes(
    case: str, sign_in: datetime, sign_out: datetime, rules: dict[str, object], minutes: int
) -> None:
    settings: dict[str, object] = {"round_minutes": 30, "max_minutes": None, "min_share": None}
    settings.update(rules)
    got = credited(sign_in=sign_in, sign_out=sign_out, starts=START, ends=END, **settings)  # type: ignore[arg-type]
    assert got == minutes, case
