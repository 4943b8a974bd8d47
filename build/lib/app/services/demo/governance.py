"""Demo data for grid work, volunteering, the points shop and the feed, so each part of the
console has something to show on first start."""

from collections.abc import Callable
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.models.base import id_of
from app.models.contest import Contest, ContestStatus
from app.models.feed import Category, Post, PostStatus
from app.models.grid import GridTask, Priority, TaskCategory, TaskOrigin, TaskStatus
from app.models.roster import Grid, Role, RoleGrant, Village
from app.models.shop import ShopFund, ShopGoods, ShopRestock
from app.models.volunteer import VolunteerActivity

TASKS = (
    (TaskCategory.sanitation, "村口桥边堆放建筑垃圾", TaskStatus.reported),
    (TaskCategory.safety_hazard, "老屋电线裸露", TaskStatus.in_progress),
    (TaskCategory.livelihood, "独居老人申请代缴医保", TaskStatus.resolved),
)
GOODS = (("洗衣液", 30, 20, 1800), ("大米 5 斤", 60, 10, 2500), ("毛巾", 15, 30, 900))
# The plan's contest (line 3): one winner, the prize to the first, the branch-led cooperative a
# hard indicator.
CONTEST_CRITERIA = (
    {"code": "onsite", "title": "现场评审", "weight": 40, "source": "judged", "metric": None},
    {
        "code": "meetings",
        "title": "三会一课",
        "weight": 30,
        "source": "computed",
        "metric": "meeting_compliance",
    },
    {
        "code": "coops",
        "title": "支部领办合作社",
        "weight": 30,
        "source": "computed",
        "metric": "collective_income",
        "hard": True,
    },
)


async def seed_governance(
    session: AsyncSession,
    *,
    town_id: int,
    author_account_id: int,
    progress: Callable[[str], None],
) -> None:
    now = utcnow()
    villages = (await session.exec(select(Village).where(Village.town_id == town_id))).all()
    for village in villages:
        assert village.id is not None
        grid = (await session.exec(select(Grid).where(Grid.village_id == village.id))).first()
        worker = (
            await session.exec(
                select(RoleGrant.person_id).where(
                    col(RoleGrant.role) == Role.grid_worker,
                    col(RoleGrant.village_id) == village.id,
                )
            )
        ).first()
        if grid is not None:
            for hours_ago, (category, title, status) in enumerate(TASKS, start=1):
                created = now - timedelta(hours=hours_ago * 20)
                session.add(
                    GridTask(
                        town_id=town_id,
                        village_id=village.id,
                        grid_id=id_of(grid),
                        origin=TaskOrigin.reported,
                        category=category,
                        title=title,
                        priority=Priority.normal,
                        due_at=created + timedelta(hours=72),
                        status=status,
                        reporter_person_id=worker,
                        assignee_person_id=worker,
                        resolved_at=now if status is TaskStatus.resolved else None,
                        created_at=created,
                        updated_at=created,
                    )
                )
        saturday = now + timedelta(days=(5 - now.weekday()) % 7 or 7)
        session.add(
            VolunteerActivity(
                town_id=town_id,
                village_id=village.id,
                title=f"{village.name}环境清扫志愿服务",
                category="环境保护",
                starts_at=saturday.replace(hour=1, minute=0, second=0, microsecond=0),
                ends_at=saturday.replace(hour=4, minute=0, second=0, microsecond=0),
                rule_code="member_volunteer",
            )
        )
        session.add(
            ShopFund(
                town_id=town_id,
                village_id=village.id,
                year=to_china(now).year,
                allocated_fen=2_000_000,
                source="村集体经济收益",
            )
        )
        for name, points, stock, cost_fen in GOODS:
            goods = ShopGoods(
                town_id=town_id, village_id=village.id, name=name, points=points, stock=stock
            )
            session.add(goods)
            await session.flush()
            session.add(
                ShopRestock(
                    goods_id=id_of(goods),
                    village_id=village.id,
                    quantity=stock,
                    cost_fen=cost_fen,
                    note="村集体收入采购",
                )
            )
        session.add(
            Post(
                town_id=town_id,
                village_id=village.id,
                author_account_id=author_account_id,
                title=f"{village.name}开展人居环境整治",
                body="本周村两委带领党员、志愿者清理沟渠、清运垃圾，村容村貌焕然一新。",
                category=Category.news,
                status=PostStatus.published,
                published_at=now,
            )
        )
    session.add(
        Contest(
            town_id=town_id,
            year=to_china(now).year,
            title="最强党支部",
            prize_fen=5_000_000,
            winners=1,
            prize_rule="first",
            criteria=[dict(c) for c in CONTEST_CRITERIA],
            status=ContestStatus.open,
        )
    )
    await session.flush()
    progress(
        f"网格任务 {len(TASKS) * len(villages)} 件，志愿活动 {len(villages)} 场，"
        f"积分超市商品 {len(GOODS) * len(villages)} 种，宣传信息 {len(villages)} 条，"
        "“最强党支部”评比 1 项（支部领办合作社为硬指标）。"
    )
