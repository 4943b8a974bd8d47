"""The volunteer papers: one activity's sign-in sheet with each volunteer's minutes, and the
month's activities of a village or town; printed on A4 and filed in the audit log."""

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china
from app.models.labels import label
from app.models.roster import Person, Village
from app.models.volunteer import VolunteerActivity, VolunteerRecord, VolunteerReport
from app.services import audit
from app.services.identity import Principal
from app.services.kit import Column, Paper, Sheet, paper
from app.services.volunteer import view

_ACTIVITIES = [
    Column("序号", 6),
    Column("活动", 28),
    Column("开始时间", 18),
    Column("志愿者人数", 10),
    Column("确认时长（小时）", 14),
    Column("待确认", 8),
]


def _clock(value: datetime | None) -> str:
    return to_china(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _activities(title: str, data: VolunteerReport) -> Sheet:
    return Sheet(
        "志愿服务",
        title,
        _ACTIVITIES,
        [
            [
                index,
                line.title,
                _clock(line.starts_at),
                line.volunteers,
                round(line.confirmed_minutes / 60, 1),
                line.pending,
            ]
            for index, line in enumerate(data.activities, start=1)
        ],
        lines=[
            f"活动 {len(data.activities)} 次，志愿者 {data.volunteers} 人，"
            f"确认时长 {data.hours} 小时"
        ],
    )


async def activity_paper(session: AsyncSession, *, principal: Principal, activity_id: int) -> Paper:
    data = await view.report(
        session, principal=principal, period=None, village_id=None, activity_id=activity_id
    )
    activity = await session.get(VolunteerActivity, activity_id)
    assert activity is not None  # view.report has just found it in the caller's scope
    records = (
        await session.exec(
            select(VolunteerRecord, Person)
            .join(Person, col(Person.id) == col(VolunteerRecord.person_id))
            .where(col(VolunteerRecord.activity_id) == activity_id)
            .order_by(col(VolunteerRecord.sign_in_at), col(VolunteerRecord.id))
        )
    ).all()
    sheet = Sheet(
        "志愿者",
        f"{activity.title} 志愿服务签到表",
        [
            Column("序号", 6),
            Column("姓名", 12),
            Column("签到", 18),
            Column("签退", 18),
            Column("时长（分钟）", 12),
            Column("状态", 10),
            Column("备注", 20),
        ],
        [
            [
                index,
                person.name,
                _clock(record.sign_in_at),
                _clock(record.sign_out_at),
                record.minutes,
                label("RecordStatus", record.status),
                "补录" if record.entered_by_hand else "",
            ]
            for index, (record, person) in enumerate(records, start=1)
        ],
        lines=[
            f"时间：{_clock(activity.starts_at)} 至 {_clock(activity.ends_at)}",
            f"志愿者 {data.volunteers} 人，确认时长 {data.hours} 小时",
        ],
        landscape=True,
    )
    name = paper.file_name(f"{activity.title}志愿服务签到表")
    drawn = paper.paper(name, f"activity-{activity_id}", [sheet])
    return await audit.exported(
        session, actor=principal, paper=drawn, params={"activity_id": activity_id}
    )


async def month_paper(
    session: AsyncSession, *, principal: Principal, period: str | None, village_id: int | None
) -> Paper:
    data = await view.report(
        session, principal=principal, period=period, village_id=village_id, activity_id=None
    )
    village = await session.get(Village, village_id) if village_id is not None else None
    place = village.name if village else ""
    when = paper.period_words(period) if period else "全部"
    name = f"{place}{when}志愿服务统计"
    drawn = paper.paper(name, f"volunteer-{period or 'all'}", [_activities(name + "表", data)])
    return await audit.exported(
        session, actor=principal, paper=drawn, params={"period": period, "village_id": village_id}
    )
