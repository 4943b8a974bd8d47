"""A village's points ledger for one month (积分台账): each account's opening balance, what it
earned and spent in the month, and its closing balance; printed with every entry of the month.

Balances come from the accounts and the entries posted since, never from a second bookkeeping:
closing = today's balance − what was posted after the month; opening = closing − the month."""

from typing import Any

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import parse_period, to_china
from app.models.base import id_of
from app.models.labels import label
from app.models.points import (
    Ledger,
    LedgerEntry,
    OwnerType,
    PointsAccount,
    VillageLedger,
    VillageLedgerLine,
)
from app.models.roster import Household, Person, Village
from app.services import audit
from app.services.identity import Principal, covers, location_of, own_village
from app.services.kit import Column, Paper, Sheet, paper
from app.services.points import roots
from app.services.roster import VillageNotFound


async def _village(session: AsyncSession, principal: Principal, village_id: int | None) -> Village:
    wanted = village_id if village_id is not None else own_village(principal)
    village = await session.get(Village, wanted)
    if village is None or not covers(principal, location_of(village)):
        raise VillageNotFound()
    return village


async def _names(session: AsyncSession, accounts: list[PointsAccount]) -> dict[int, str]:
    households = [a.owner_id for a in accounts if a.owner_type is OwnerType.household]
    people = [a.owner_id for a in accounts if a.owner_type is OwnerType.person]
    names: dict[tuple[OwnerType, int], str] = {}
    if households:
        for home in (
            await session.exec(select(Household).where(col(Household.id).in_(households)))
        ).all():
            number = f"（{home.number}号）" if home.number else ""
            names[(OwnerType.household, id_of(home))] = f"{home.head_name}户{number}"
    if people:
        for person in (await session.exec(select(Person).where(col(Person.id).in_(people)))).all():
            names[(OwnerType.person, id_of(person))] = person.name
    return {id_of(a): names.get((a.owner_type, a.owner_id), "") for a in accounts}


async def village_ledger(
    session: AsyncSession,
    *,
    principal: Principal,
    period: str,
    village_id: int | None,
    book: Ledger,
) -> VillageLedger:
    village = await _village(session, principal, village_id)
    start, end = parse_period(period)
    accounts = (
        await session.exec(
            select(PointsAccount)
            .where(
                col(PointsAccount.village_id) == village.id,
                col(PointsAccount.ledger) == book,
            )
            .order_by(col(PointsAccount.id))
        )
    ).all()
    points = col(LedgerEntry.points)
    posted = col(LedgerEntry.posted_at)
    in_month = (posted >= start) & (posted < end)
    # Only entries in the chain move a balance: pending and rejected ones never did.
    sums: Any = (
        select(
            col(LedgerEntry.account_id),
            func.sum(case((posted >= end, points), else_=0)),
            func.sum(case((in_month & (points > 0), points), else_=0)),
            func.sum(case((in_month & (points < 0), -points), else_=0)),
        )
        .where(
            col(LedgerEntry.account_id).in_([a.id for a in accounts]),
            col(LedgerEntry.seq).is_not(None),
            posted >= start,
        )
        .group_by(col(LedgerEntry.account_id))
    )
    moved = {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in await session.exec(sums)}
    names = await _names(session, list(accounts))
    items = []
    for account in accounts:
        after, earned, spent = moved.get(id_of(account), (0, 0, 0))
        closing = account.balance - after
        items.append(
            VillageLedgerLine(
                account_id=id_of(account),
                owner_type=account.owner_type,
                owner_id=account.owner_id,
                name=names[id_of(account)],
                opening=closing - earned + spent,
                earned=earned,
                spent=spent,
                closing=closing,
            )
        )
    return VillageLedger(
        period=period,
        village_id=id_of(village),
        village_name=village.name,
        ledger=book,
        earned=sum(i.earned for i in items),
        spent=sum(i.spent for i in items),
        items=items,
    )


async def _month_entries(
    session: AsyncSession, report: VillageLedger
) -> list[tuple[LedgerEntry, str]]:
    start, end = parse_period(report.period)
    names = {i.account_id: i.name for i in report.items}
    entries = (
        await session.exec(
            select(LedgerEntry)
            .where(
                col(LedgerEntry.account_id).in_(list(names)),
                col(LedgerEntry.seq).is_not(None),
                col(LedgerEntry.posted_at) >= start,
                col(LedgerEntry.posted_at) < end,
            )
            .order_by(col(LedgerEntry.posted_at), col(LedgerEntry.id))
        )
    ).all()
    return [(e, names[e.account_id]) for e in entries]


async def _witness(session: AsyncSession, village_id: int) -> list[str]:
    """The town's latest signed head and its key's fingerprint, printed with the ledger so that
    the paper on the notice board is a witness of what the town signed."""
    village = await session.get(Village, village_id)
    head = await roots.latest(session, village.town_id) if village else None
    if head is None:
        return []
    return [
        f"全镇积分账本已签名：{head.tree_size} 条记录，树根 {head.root_hash[:16]}，"
        f"签名密钥 {head.key_id}（公钥见 /.well-known/xiangzhi/ledger-keys）"
    ]


async def village_ledger_paper(
    session: AsyncSession,
    *,
    principal: Principal,
    period: str,
    village_id: int | None,
    book: Ledger,
) -> Paper:
    report = await village_ledger(
        session, principal=principal, period=period, village_id=village_id, book=book
    )
    when = paper.period_words(period)
    kind = label("Ledger", book)
    name = f"{report.village_name}{when}{kind}台账"
    summary = Sheet(
        "汇总",
        name,
        [
            Column("序号", 6),
            Column("户 / 姓名", 22),
            Column("期初", 10),
            Column("本月获得", 10),
            Column("本月扣减", 10),
            Column("期末", 10),
        ],
        [
            [index, i.name, i.opening, i.earned, i.spent, i.closing]
            for index, i in enumerate(report.items, start=1)
        ],
        lines=[
            f"本月共获得 {report.earned} 分，扣减（含兑换）{report.spent} 分",
            *await _witness(session, report.village_id),
        ],
    )
    details = Sheet(
        "明细",
        f"{name}（明细）",
        [
            Column("入账时间", 18),
            Column("户 / 姓名", 22),
            Column("事项", 24),
            Column("积分", 8),
            Column("余额", 8),
            Column("状态", 8),
            Column("备注", 28),
        ],
        [
            [
                to_china(entry.posted_at).strftime("%Y-%m-%d %H:%M") if entry.posted_at else "",
                owner,
                entry.title,
                entry.points,
                entry.balance_after,
                label("EntryStatus", entry.status),
                entry.note or "",
            ]
            for entry, owner in await _month_entries(session, report)
        ],
        landscape=True,
    )
    drawn = paper.paper(name, f"ledger-{period}", [summary, details])
    return await audit.exported(
        session,
        actor=principal,
        paper=drawn,
        params={"period": period, "village_id": report.village_id, "ledger": book.value},
    )
