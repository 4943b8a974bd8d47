"""The Party-day papers a branch secretary hands to the town: one event's attendance sheet and
the 三会一课 compliance table, printed on A4 and filed in the audit log as downloads."""

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china
from app.models.labels import label
from app.services import audit
from app.services.events import attendance, compliance, events
from app.services.identity import Principal
from app.services.kit import Column, Paper, Sheet, paper

_ATTENDANCE = [
    Column("序号", 6),
    Column("姓名", 12),
    Column("党支部", 24),
    Column("状态", 10),
    Column("签到时间", 18),
]
_STATUS = {
    "present": "出席",
    "late": "迟到",
    "excused": "请假",
    "absent": "缺席",
    "pending_review": "待审核",
    "attended_elsewhere": "异地参加",
}


def _clock(value: datetime | None) -> str:
    return to_china(value).strftime("%Y-%m-%d %H:%M") if value else ""


async def attendance_paper(session: AsyncSession, *, principal: Principal, event_id: int) -> Paper:
    report = await attendance.event_report(session, principal=principal, event_id=event_id)
    event = await events.event_for_host(session, principal=principal, event_id=event_id)
    names = await attendance.branch_names(
        session, {r.branch_id for r in report.items if r.branch_id} | {event.branch_id}
    )
    day = to_china(event.starts_at)
    rows = [
        [
            index,
            row.name,
            names.get(row.branch_id, "") if row.branch_id is not None else "",
            _STATUS[row.status],
            _clock(row.scanned_at),
        ]
        for index, row in enumerate(report.items, start=1)
    ]
    sheet = Sheet(
        "考勤",
        f"{report.title} 考勤表",
        _ATTENDANCE,
        rows,
        lines=[
            f"党支部：{names.get(event.branch_id, '')}    类别：{label('EventKind', event.kind)}"
            f"    时间：{day:%Y年%m月%d日 %H:%M}",
            f"应到 {report.expected} 人，出席 {report.present}，迟到 {report.late}，"
            f"请假 {report.excused}，缺席 {report.absent}，待审核 {report.pending_review}",
        ],
    )
    name = paper.file_name(f"{day:%Y年%m月%d日}{report.title}考勤表")
    drawn = paper.paper(name, f"attendance-{event_id}", [sheet])
    return await audit.exported(
        session, actor=principal, paper=drawn, params={"event_id": event_id}
    )


def _kinds(labels: list[str]) -> str:
    """``party_day:2026-10`` → 主题党日（2026-10）, for a quarter's table."""
    out = []
    for item in labels:
        kind, _, month = item.partition(":")
        word = label("EventKind", kind)
        out.append(f"{word}（{month}）" if month else word)
    return "、".join(out)


async def compliance_paper(session: AsyncSession, *, principal: Principal, period: str) -> Paper:
    report = await compliance.report(session, principal=principal, period=period)
    rows = [
        [
            index,
            item.branch_name,
            _kinds(item.held),
            _kinds(item.missing) or "无",
            "是" if not item.missing else "否",
        ]
        for index, item in enumerate(report.items, start=1)
    ]
    done = sum(1 for item in report.items if not item.missing)
    when = paper.period_words(period)
    sheet = Sheet(
        "三会一课",
        f"{when}“三会一课”落实情况统计表",
        [
            Column("序号", 6),
            Column("党支部", 24),
            Column("已开展", 40),
            Column("未开展", 40),
            Column("全部落实", 10),
        ],
        rows,
        lines=[f"党支部 {len(rows)} 个，全部落实 {done} 个，未全部落实 {len(rows) - done} 个"],
        landscape=True,
    )
    events = [
        [
            item.branch_name,
            label("EventKind", e.kind),
            e.title,
            _clock(e.starts_at),
            label("EventState", e.state),
            e.minutes_due_on.isoformat(),
        ]
        for item in report.items
        for e in item.events
    ]
    ledger = Sheet(
        "活动明细",
        f"{when}各次活动落实情况",
        [
            Column("党支部", 24),
            Column("类别", 14),
            Column("活动", 30),
            Column("时间", 18),
            Column("状态", 12),
            Column("记录截止", 12),
        ],
        events,
        lines=["到会至少一人、且在截止日前提交会议记录（未被镇里退回）的活动才算落实"],
        landscape=True,
    )
    name = f"{when}三会一课落实情况"
    drawn = paper.paper(name, f"compliance-{period}", [sheet, ledger])
    return await audit.exported(session, actor=principal, paper=drawn, params={"period": period})
