"""The contest's ranking as the paper the town files (the judges' table)."""

from sqlmodel.ext.asyncio.session import AsyncSession

from app.services import audit
from app.services.contest.contests import ranking
from app.services.identity import Principal
from app.services.kit import Column, Paper, Sheet, paper


async def ranking_paper(session: AsyncSession, *, principal: Principal, contest_id: int) -> Paper:
    data = await ranking(session, principal=principal, contest_id=contest_id)
    columns = [Column("名次", 6), Column("党支部", 22)]
    columns += [Column(f"{c.title}（{c.weight}%）", 12) for c in data.criteria]
    columns += [Column("加权总分", 10), Column("奖金（元）", 10)]
    rows = [
        [line.rank, line.branch_name]
        + [line.values.get(c.code, 0) for c in data.criteria]
        + [line.total, line.prize_fen / 100 if line.prize_fen else ""]
        for line in data.items
    ]
    name = f"{data.year}年度{data.title}评比排名"
    sheet = Sheet(
        "排名",
        name,
        columns,
        rows,
        lines=["已结束，排名已锁定" if data.closed else "评比进行中，排名随打分变化"],
        landscape=True,
    )
    drawn = paper.paper(name, f"contest-{contest_id}", [sheet])
    return await audit.exported(
        session, actor=principal, paper=drawn, params={"contest_id": contest_id}
    )
