"""The month's service requests of a village: how many, how many done, the median hours to
done and the average rating, per handler and in all; as JSON or a paper for the town."""

import statistics
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import parse_period
from app.models.base import id_of
from app.models.duty import HandlerLine, ServiceReport, ServiceRequest, ServiceStatus
from app.models.roster import Village
from app.services import audit
from app.services.identity import Principal, own_village
from app.services.kit import Column, Paper, Sheet, paper
from app.services.roster import get_in_scope, names_of


def _figures(rows: Sequence[ServiceRequest]) -> tuple[int, float | None, float | None]:
    done = [r for r in rows if r.status == ServiceStatus.done and r.done_at is not None]
    hours = [(r.done_at - r.created_at).total_seconds() / 3600 for r in done if r.done_at]
    ratings = [r.rating for r in rows if r.rating is not None]
    return (
        len(done),
        round(statistics.median(hours), 1) if hours else None,
        round(sum(ratings) / len(ratings), 2) if ratings else None,
    )


async def report(
    session: AsyncSession, *, principal: Principal, period: str, village_id: int | None
) -> ServiceReport:
    village = await get_in_scope(
        session, principal=principal, model=Village, row_id=village_id or own_village(principal)
    )
    start, end = parse_period(period)
    rows = (
        await session.exec(
            select(ServiceRequest).where(
                col(ServiceRequest.village_id) == village.id,
                col(ServiceRequest.created_at) >= start,
                col(ServiceRequest.created_at) < end,
            )
        )
    ).all()
    by_handler: dict[int | None, list[ServiceRequest]] = {}
    for row in rows:
        by_handler.setdefault(row.handler_person_id, []).append(row)
    names = await names_of(session, by_handler)
    lines = []
    for handler, mine in sorted(by_handler.items(), key=lambda item: -len(item[1])):
        done, median, rating = _figures(mine)
        lines.append(
            HandlerLine(
                person_id=handler,
                name=names.get(handler, "") if handler is not None else "（村干部共同办理）",
                requests=len(mine),
                done=done,
                median_hours=median,
                average_rating=rating,
            )
        )
    done, median, rating = _figures(rows)
    return ServiceReport(
        period=period,
        village_id=id_of(village),
        village_name=village.name,
        requests=len(rows),
        done=done,
        median_hours=median,
        average_rating=rating,
        handlers=lines,
    )


async def report_paper(
    session: AsyncSession, *, principal: Principal, period: str, village_id: int | None
) -> Paper:
    data = await report(session, principal=principal, period=period, village_id=village_id)
    when = paper.period_words(period)
    name = f"{data.village_name}{when}代办服务统计"
    sheet = Sheet(
        "代办服务",
        name,
        [
            Column("序号", 6),
            Column("办理人", 16),
            Column("件数", 8),
            Column("办结", 8),
            Column("办结用时中位数（小时）", 14),
            Column("平均评分", 10),
        ],
        [
            [
                index,
                line.name,
                line.requests,
                line.done,
                "—" if line.median_hours is None else line.median_hours,
                "—" if line.average_rating is None else line.average_rating,
            ]
            for index, line in enumerate(data.handlers, start=1)
        ],
        lines=[
            f"共 {data.requests} 件，办结 {data.done} 件，"
            f"办结用时中位数 {'—' if data.median_hours is None else data.median_hours} 小时，"
            f"平均评分 {'—' if data.average_rating is None else data.average_rating}"
        ],
    )
    drawn = paper.paper(name, f"service-{period}", [sheet])
    return await audit.exported(
        session, actor=principal, paper=drawn, params={"period": period, "village_id": village_id}
    )
