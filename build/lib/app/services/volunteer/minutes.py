"""How many minutes a volunteer is credited for: the overlap of their time with the activity,
rounded down, capped, and nothing under the activity's minimum share."""

from datetime import datetime


def credited(
    *,
    sign_in: datetime,
    sign_out: datetime,
    starts: datetime,
    ends: datetime,
    round_minutes: int,
    max_minutes: int | None,
    min_share: float | None,
) -> int:
    length = int((ends - starts).total_seconds() // 60)
    overlap = int(max(0.0, (min(sign_out, ends) - max(sign_in, starts)).total_seconds()) // 60)
    if min_share is not None and overlap < min_share * length:
        return 0
    rounded = overlap // round_minutes * round_minutes
    return min(rounded, max_minutes if max_minutes is not None else length)
