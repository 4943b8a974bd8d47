"""What the volunteer modules share: the scan grace, errors, and small look-ups."""

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound
from app.models.volunteer import (
    ScanKind,
    VolunteerActivity,
    VolunteerRecord,
)
from app.services.kit import qr_tokens
from app.services.volunteer import minutes as volunteer_minutes

# Volunteers may scan in a little before the start and out a little after the end.
SCAN_GRACE = timedelta(minutes=30)

PURPOSES = {
    ScanKind.sign_in: qr_tokens.Purpose.sign_in,
    ScanKind.sign_out: qr_tokens.Purpose.sign_out,
}


class ActivityNotFound(NotFound):
    code, detail = "volunteer.activity_not_found", "找不到该志愿活动。"


async def locked_record(
    session: AsyncSession, activity_id: int, person_id: int
) -> VolunteerRecord | None:
    return (
        await session.exec(
            select(VolunteerRecord)
            .where(
                col(VolunteerRecord.activity_id) == activity_id,
                col(VolunteerRecord.person_id) == person_id,
            )
            .with_for_update()
        )
    ).first()


def credited_minutes(activity: VolunteerActivity, sign_in: datetime, sign_out: datetime) -> int:
    return volunteer_minutes.credited(
        sign_in=sign_in,
        sign_out=sign_out,
        starts=activity.starts_at,
        ends=activity.ends_at,
        round_minutes=activity.round_minutes,
        max_minutes=activity.max_minutes,
        min_share=activity.min_share,
    )
