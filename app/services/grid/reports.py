"""Monthly grid reports per village or grid: tasks by category and status, time to resolve,
overdue tasks, and the scores each grid worker gave; as JSON or a spreadsheet."""

import io
import statistics
from collections import Counter
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
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
from app.services.identity import Principal, covers, location_of, scope_clause


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


def report_xlsx(data: GridReport) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "网格任务"
    sheet.append([f"{data.period} 网格治理月报"])
    sheet["A1"].font = Font(bold=True, size=14)
    median = "—" if data.median_hours_to_resolve is None else f"{data.median_hours_to_resolve} 小时"
    sheet.append(
        [
            f"任务 {data.tasks} 件，办结 {data.resolved} 件，"
            f"办结用时中位数 {median}，超期 {data.overdue} 件"
        ]
    )
    sheet.append(["分类", "件数"])
    for row in data.by_category:
        sheet.append([row.title, row.count])
    sheet.append([])
    sheet.append(["状态", "件数"])
    for row in data.by_status:
        sheet.append([row.title, row.count])
    for row_cells in (sheet[3], sheet[4 + len(data.by_category) + 1]):
        for cell in row_cells:
            cell.font = Font(bold=True)
    scores = book.create_sheet("现场打分")
    scores.append(["网格员", "打分次数", "积分合计"])
    for cell in scores[1]:
        cell.font = Font(bold=True)
    for line in data.scores_by_worker:
        scores.append([line.name, line.scores, line.points])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
