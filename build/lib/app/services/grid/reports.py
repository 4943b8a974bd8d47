"""Monthly grid reports per village or grid: tasks by category and status, time to resolve,
overdue tasks, and the scores each grid worker gave; as JSON or a spreadsheet."""

import statistics
from collections import Counter
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import parse_period, utcnow
from app.errors import NotFound
from app.models.grid import (
    CATEGORY_TITLES,
    STATUS_TITLES,
    CountByKey,
    GridReport,
    GridScore,
    GridTask,
    ScorerLine,
    TaskStatus,
)
from app.models.roster import Grid, Person, Village
from app.services import audit
from app.services.identity import Principal, covers, location_of, scope_clause
from app.services.kit import Column, Paper, Sheet, paper


class ReportScope(NotFound):
    code = "grid.report_scope"
    detail = "找不到该村或网格。"


async def report(
    session: AsyncSession,
    *,
    principal: Principal,
    period: str,
    village_id: int | None,
    grid_id: int | None,
) -> GridReport:
    start, end = parse_period(period)
    for model, row_id in ((Village, village_id), (Grid, grid_id)):
        if row_id is not None:
            row = await session.get(model, row_id)
            if row is None or not covers(principal, location_of(row)):
                raise ReportScope()
    tasks_stmt: Any = select(GridTask).where(
        scope_clause(principal, GridTask),
        col(GridTask.created_at) >= start,
        col(GridTask.created_at) < end,
    )
    scores_stmt: Any = select(GridScore).where(
        scope_clause(principal, GridScore),
        col(GridScore.created_at) >= start,
        col(GridScore.created_at) < end,
    )
    if village_id is not None:
        tasks_stmt = tasks_stmt.where(col(GridTask.village_id) == village_id)
        scores_stmt = scores_stmt.where(col(GridScore.village_id) == village_id)
    if grid_id is not None:
        tasks_stmt = tasks_stmt.where(col(GridTask.grid_id) == grid_id)
        scores_stmt = scores_stmt.where(col(GridScore.grid_id) == grid_id)
    tasks = (await session.exec(tasks_stmt)).all()
    scores = (await session.exec(scores_stmt)).all()

    now = utcnow()
    hours = [(t.resolved_at - t.created_at).total_seconds() / 3600 for t in tasks if t.resolved_at]
    # Late: still open past the due time, or done after it.
    overdue = sum(
        1 for t in tasks if t.status != TaskStatus.rejected and (t.resolved_at or now) > t.due_at
    )
    categories = Counter(t.category for t in tasks)
    statuses = Counter(t.status for t in tasks)
    given: dict[int | None, list[int]] = {}
    for s in scores:
        given.setdefault(s.scorer_person_id, []).append(s.points)
    names = {
        p.id: p.name
        for p in (
            await session.exec(
                select(Person).where(col(Person.id).in_([k for k in given if k is not None]))
            )
        ).all()
    }
    return GridReport(
        period=period,
        village_id=village_id,
        grid_id=grid_id,
        tasks=len(tasks),
        by_category=[
            CountByKey(key=c.value, title=title, count=categories[c.value])
            for c, title in CATEGORY_TITLES.items()
        ],
        by_status=[
            CountByKey(key=s.value, title=title, count=statuses[s.value])
            for s, title in STATUS_TITLES.items()
        ],
        resolved=len(hours),
        median_hours_to_resolve=round(statistics.median(hours), 1) if hours else None,
        overdue=overdue,
        scores_by_worker=sorted(
            (
                ScorerLine(
                    person_id=person_id,
                    name=names.get(person_id or 0, "（未绑定人员）"),
                    scores=len(values),
                    points=sum(values),
                )
                for person_id, values in given.items()
            ),
            key=lambda line: (-line.scores, line.person_id or 0),
        ),
    )


async def _place(session: AsyncSession, village_id: int | None, grid_id: int | None) -> str:
    village = await session.get(Village, village_id) if village_id is not None else None
    grid = await session.get(Grid, grid_id) if grid_id is not None else None
    return "".join(row.name for row in (village, grid) if row is not None)


async def report_paper(
    session: AsyncSession,
    *,
    principal: Principal,
    period: str,
    village_id: int | None,
    grid_id: int | None,
) -> Paper:
    data = await report(
        session, principal=principal, period=period, village_id=village_id, grid_id=grid_id
    )
    place = await _place(session, village_id, grid_id)
    when = paper.period_words(period)
    median = "—" if data.median_hours_to_resolve is None else f"{data.median_hours_to_resolve} 小时"
    summary = (
        f"任务 {data.tasks} 件，办结 {data.resolved} 件，"
        f"办结用时中位数 {median}，超期 {data.overdue} 件"
    )
    tasks = Sheet(
        "网格任务",
        f"{place}{when}网格治理月报",
        [Column("项目", 10), Column("类别", 16), Column("件数", 10)],
        [["分类", row.title, row.count] for row in data.by_category]
        + [["状态", row.title, row.count] for row in data.by_status],
        lines=[summary],
    )
    scores = Sheet(
        "现场打分",
        f"{place}{when}网格员现场打分统计",
        [Column("序号", 6), Column("网格员", 14), Column("打分次数", 10), Column("积分合计", 10)],
        [
            [index, line.name, line.scores, line.points]
            for index, line in enumerate(data.scores_by_worker, start=1)
        ],
    )
    drawn = paper.paper(f"{place}{when}网格治理月报", f"grid-{period}", [tasks, scores])
    return await audit.exported(
        session,
        actor=principal,
        paper=drawn,
        params={"period": period, "village_id": village_id, "grid_id": grid_id},
    )
