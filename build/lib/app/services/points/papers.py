"""The points papers a town files: the household (or member) ranking, the members' star levels,
the 回炉 list of members below four stars, and the reward split (分配表) signed by the branch."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Forbidden
from app.models.base import id_of
from app.models.labels import label
from app.models.points import Ledger
from app.models.roster import Branch, Town, Village
from app.models.stars import MemberStars, RewardRequest
from app.services import audit
from app.services.identity import Location, Principal, covers
from app.services.kit import Column, Paper, Sheet, paper
from app.services.points import leaderboard, stars


class ExportNotAllowed(Forbidden):
    code = "points.export_forbidden"
    detail = "只有管理该村或该镇的管理员可以导出排行榜。"


async def _place(session: AsyncSession, village_id: int | None, town_id: int | None) -> str:
    village = await session.get(Village, village_id) if village_id is not None else None
    town = await session.get(Town, town_id) if town_id is not None and village is None else None
    found = village or town
    return found.name if found is not None else ""


async def ranking_paper(
    session: AsyncSession,
    *,
    principal: Principal,
    book: Ledger,
    period: leaderboard.Period,
    village_id: int | None,
    town_id: int | None,
    limit: int,
) -> Paper:
    board = await leaderboard.leaderboard(
        session,
        principal=principal,
        book=book,
        period=period,
        village_id=village_id,
        town_id=town_id,
        limit=limit,
    )
    # Villagers may look at their board on the phone; a file of names leaves with admins only.
    if not covers(principal, Location(town_id=board.town_id, village_id=village_id)):
        raise ExportNotAllowed()
    place = await _place(session, village_id, board.town_id)
    when = {"year": "本年度", "month": "本月", "all": "累计"}[period]
    name = f"{place}{label('Ledger', book)}{when}排名"
    sheet = Sheet(
        "排名",
        name,
        [Column("名次", 6), Column("户 / 姓名", 22), Column("积分", 10)],
        [[row.rank, row.name, row.points] for row in board.items],
        lines=[f"按{when}获得的积分排名，共 {len(board.items)} 名；同分同名次"],
    )
    drawn = paper.paper(name, f"ranking-{book.value}", [sheet])
    return await audit.exported(
        session,
        actor=principal,
        paper=drawn,
        params={"ledger": book.value, "period": period, "village_id": village_id},
    )


async def _branch_names(session: AsyncSession, board: MemberStars) -> dict[int, str]:
    ids = {m.branch_id for m in board.items if m.branch_id is not None}
    if not ids:
        return {}
    found = await session.exec(select(Branch).where(col(Branch.id).in_(ids)))
    return {id_of(b): b.name for b in found.all()}


async def stars_paper(
    session: AsyncSession,
    *,
    principal: Principal,
    year: int,
    town_id: int | None,
    branch_id: int | None,
    re_education: bool,
) -> Paper:
    board = await stars.member_stars(
        session,
        principal=principal,
        year=year,
        town_id=town_id,
        branch_id=branch_id,
        re_education=re_education,
    )
    branches = await _branch_names(session, board)
    place = branches.get(branch_id, "") if branch_id is not None else ""
    name = f"{place}{year}年{'四星以下党员（回炉教育）名单' if re_education else '党员星级评定表'}"
    sheet = Sheet(
        "回炉教育" if re_education else "党员星级",
        name,
        [
            Column("序号", 6),
            Column("姓名", 12),
            Column("党支部", 24),
            Column("年度积分", 10),
            Column("民主评议", 12),
            Column("星级", 8),
        ],
        [
            [
                index,
                m.name,
                branches.get(m.branch_id, "") if m.branch_id is not None else "",
                m.points,
                label("ReviewGrade", m.grade) if m.grade else "未评议",
                "★" * m.star_level or "无",
            ]
            for index, m in enumerate(board.items, start=1)
        ],
        lines=[
            "星级门槛（年度积分）："
            + "、".join(f"{s + 1}星 {p} 分" for s, p in enumerate(board.thresholds))
        ],
    )
    drawn = paper.paper(name, f"{'re-education' if re_education else 'stars'}-{year}", [sheet])
    return await audit.exported(
        session,
        actor=principal,
        paper=drawn,
        params={"year": year, "town_id": town_id, "branch_id": branch_id},
    )


async def reward_paper(
    session: AsyncSession, *, principal: Principal, data: RewardRequest
) -> Paper:
    report = await stars.reward_report(session, principal=principal, data=data)
    name = f"{data.year}年党员奖励分配表"
    sheet = Sheet(
        "分配表",
        name,
        [
            Column("名次", 6),
            Column("姓名", 12),
            Column("年度积分", 10),
            Column("星级", 8),
            Column("分配金额（元）", 14),
            Column("领取人签字", 16),
        ],
        [
            [r.rank, r.name, r.points, "★" * r.star_level, r.share_fen / 100, ""]
            for r in report.items
        ],
        lines=[f"分配总额 {report.pool_fen / 100:.2f} 元。{report.rule}"],
    )
    drawn = paper.paper(name, f"rewards-{data.year}", [sheet])
    return await audit.exported(
        session, actor=principal, paper=drawn, params=data.model_dump(mode="json")
    )
