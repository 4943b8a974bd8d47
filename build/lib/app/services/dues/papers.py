"""The dues on paper: a branch's dues book for a year (党费收缴台账) as JSON and as an A4 sheet,
the year's disclosure drafted as a Party-affairs post (names and sums only, nothing else of a
person) for the branch to read and publish, and the town's totals per branch."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.models.base import id_of
from app.models.dues import (
    BaseKind,
    Book,
    BookLine,
    BranchTotal,
    DisclosureRequest,
    DuesBase,
)
from app.models.feed import Category, Post, PostCreate
from app.models.roster import Branch, Person, Town
from app.services import audit, feed
from app.services.dues import bills
from app.services.identity import Principal, location_of
from app.services.kit import Column, Paper, Sheet, WechatGateway, paper
from app.services.roster import get_in_scope


async def book(session: AsyncSession, *, principal: Principal, branch_id: int, year: int) -> Book:
    branch = await get_in_scope(
        session, principal=principal, model=Branch, row_id=branch_id, roles=bills.KEEPERS
    )
    members = list(
        (
            await session.exec(
                select(Person)
                .where(col(Person.branch_id) == branch.id, col(Person.is_party_member).is_(True))
                .order_by(col(Person.id))
            )
        ).all()
    )
    ids = [id_of(p) for p in members]
    kinds = {
        b.person_id: b
        for b in (
            await session.exec(
                select(DuesBase).where(col(DuesBase.person_id).in_(ids), col(DuesBase.year) == year)
            )
        ).all()
    }
    paid = await bills.paid_of(session, ids)
    lines = []
    for person in members:
        base = kinds.get(id_of(person))
        monthly = base.monthly_fen if base else 0
        months = {m: fen for m, fen in paid[id_of(person)].items() if m.startswith(f"{year}-")}
        lines.append(
            BookLine(
                person_id=id_of(person),
                name=person.name,
                kind=BaseKind(base.kind) if base else None,
                monthly_fen=monthly,
                due_fen=monthly * 12,
                paid_fen=sum(months.values()),
                paid_months=sorted(m for m, fen in months.items() if fen >= monthly > 0),
            )
        )
    return Book(
        branch_id=id_of(branch),
        year=year,
        items=lines,
        due_fen=sum(line.due_fen for line in lines),
        paid_fen=sum(line.paid_fen for line in lines),
    )


async def totals(
    session: AsyncSession, *, principal: Principal, town_id: int, year: int
) -> list[BranchTotal]:
    """The town's year by branch: members, what was due and what was paid."""
    town = await get_in_scope(session, principal=principal, model=Town, row_id=town_id)
    branches = await session.exec(
        select(Branch).where(col(Branch.town_id) == town.id).order_by(col(Branch.id))
    )
    lines = []
    for branch in branches.all():
        kept = await book(session, principal=principal, branch_id=id_of(branch), year=year)
        lines.append(
            BranchTotal(
                branch_id=id_of(branch),
                branch_name=branch.name,
                members=len(kept.items),
                due_fen=kept.due_fen,
                paid_fen=kept.paid_fen,
            )
        )
    return lines


def _yuan(fen: int) -> str:
    return f"{fen / 100:.2f}"


async def book_paper(
    session: AsyncSession, *, principal: Principal, branch_id: int, year: int
) -> Paper:
    kept = await book(session, principal=principal, branch_id=branch_id, year=year)
    branch = await session.get(Branch, branch_id)
    name = branch.name if branch else ""
    rows = [
        [
            index,
            line.name,
            ""
            if line.kind is None
            else {"employed": "在职", "retired": "离退休"}.get(line.kind.value, "固定额"),
            _yuan(line.monthly_fen),
            _yuan(line.due_fen),
            _yuan(line.paid_fen),
            "、".join(m[5:].lstrip("0") for m in line.paid_months) or "—",
        ]
        for index, line in enumerate(kept.items, start=1)
    ]
    sheet = Sheet(
        "党费",
        f"{name}{year}年党费收缴台账",
        [
            Column("序号", 6),
            Column("姓名", 12),
            Column("类别", 10),
            Column("每月应交（元）", 14),
            Column("全年应交（元）", 14),
            Column("已交（元）", 12),
            Column("已交清的月份", 30),
        ],
        rows,
        lines=[
            f"党员 {len(rows)} 人，全年应交 {_yuan(kept.due_fen)} 元，"
            f"已交 {_yuan(kept.paid_fen)} 元"
        ],
        landscape=True,
    )
    drawn = paper.paper(f"{name}{year}年党费收缴台账", f"dues-{branch_id}-{year}", [sheet])
    return await audit.exported(
        session, actor=principal, paper=drawn, params={"branch_id": branch_id, "year": year}
    )


async def draft_disclosure(
    session: AsyncSession,
    *,
    principal: Principal,
    data: DisclosureRequest,
    wechat: WechatGateway,
) -> Post:
    """The year's dues as a Party-affairs disclosure, waiting for the branch to publish it."""
    kept = await book(session, principal=principal, branch_id=data.branch_id, year=data.year)
    branch = await session.get(Branch, data.branch_id)
    assert branch is not None
    lines = [
        f"{line.name}：交纳 {_yuan(line.paid_fen)} 元"
        + (
            f"（{'、'.join(m[5:].lstrip('0') for m in line.paid_months)}月）"
            if line.paid_months
            else ""
        )
        for line in kept.items
        if line.paid_fen
    ]
    body = "\n".join(
        [
            f"{branch.name}{data.year}年党费收缴情况公开如下：",
            *lines,
            f"合计 {_yuan(kept.paid_fen)} 元。如有疑问，请向支部党费收缴员反映。",
        ]
    )[:5000]
    return await feed.posts.create_post(
        session,
        principal=principal,
        wechat=wechat,
        data=PostCreate(
            title=f"{branch.name}{data.year}年党费收缴情况公开"[:100],
            body=body,
            category=Category.disclosure_party,
            village_id=branch.village_id,
            disclosure_period=to_china(utcnow()).strftime("%Y-%m"),
        ),
        branch_id=id_of(branch),
        draft=True,
        on_behalf=location_of(branch),
    )
