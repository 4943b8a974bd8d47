"""The shop's month per village: redemptions, points spent, goods given, stock left and the
prize fund spent on restocking; as JSON or a spreadsheet."""

from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import parse_period
from app.models.base import id_of
from app.models.roster import Village
from app.models.shop import (
    GoodsLine,
    RedemptionStatus,
    ShopGoods,
    ShopRedemption,
    ShopReport,
    ShopRestock,
)
from app.services import audit
from app.services.identity import Principal, covers, location_of
from app.services.kit import Column, Paper, Sheet, paper
from app.services.roster import VillageNotFound
from app.services.shop import funds
from app.services.shop.common import REPORT_ROLES, yuan

# Cancelled and expired redemptions gave their points back: they spent nothing.
SPENT = (RedemptionStatus.reserved, RedemptionStatus.fulfilled)


async def report(
    session: AsyncSession, *, principal: Principal, period: str, village_id: int
) -> ShopReport:
    village = await session.get(Village, village_id)
    if village is None or not covers(principal, location_of(village), REPORT_ROLES):
        raise VillageNotFound()
    start, end = parse_period(period)
    goods = (
        await session.exec(
            select(ShopGoods)
            .where(col(ShopGoods.village_id) == village_id)
            .order_by(col(ShopGoods.id))
        )
    ).all()
    redemptions = (
        await session.exec(
            select(ShopRedemption).where(
                col(ShopRedemption.village_id) == village_id,
                col(ShopRedemption.created_at) >= start,
                col(ShopRedemption.created_at) < end,
            )
        )
    ).all()
    restocks = (
        await session.exec(
            select(ShopRestock).where(
                col(ShopRestock.village_id) == village_id,
                col(ShopRestock.created_at) >= start,
                col(ShopRestock.created_at) < end,
            )
        )
    ).all()
    lines = []
    for item in goods:
        mine = [r for r in redemptions if r.goods_id == item.id and r.status in SPENT]
        bought = [r for r in restocks if r.goods_id == item.id]
        lines.append(
            GoodsLine(
                goods_id=id_of(item),
                name=item.name,
                redeemed=sum(r.quantity for r in mine),
                given=sum(r.quantity for r in mine if r.status == RedemptionStatus.fulfilled),
                points_spent=sum(r.points for r in mine),
                restocked=sum(r.quantity for r in bought),
                cost_yuan=yuan(sum(r.cost_fen for r in bought)),
                stock_left=item.stock,
            )
        )
    fund = await funds.year_of(session, village, int(period[:4]))
    return ShopReport(
        period=period,
        allocated_fen=fund.allocated_fen,
        spent_fen=fund.spent_fen,
        left_fen=fund.left_fen,
        village_id=village_id,
        village_name=village.name,
        redemptions=sum(1 for r in redemptions if r.status in SPENT),
        points_spent=sum(line.points_spent for line in lines),
        goods_given=sum(line.given for line in lines),
        fund_spent_yuan=sum((line.cost_yuan for line in lines), Decimal("0.00")),
        goods=lines,
    )


async def report_paper(
    session: AsyncSession, *, principal: Principal, period: str, village_id: int
) -> Paper:
    data = await report(session, principal=principal, period=period, village_id=village_id)
    when = paper.period_words(period)
    sheet = Sheet(
        "积分超市",
        f"{data.village_name}{when}积分超市月报",
        [
            Column("序号", 6),
            Column("商品", 20),
            Column("兑换件数", 10),
            Column("已发放", 10),
            Column("消耗积分", 10),
            Column("采购件数", 10),
            Column("采购金额（元）", 14),
            Column("库存", 8),
        ],
        [
            [
                index,
                line.name,
                line.redeemed,
                line.given,
                line.points_spent,
                line.restocked,
                float(line.cost_yuan),
                line.stock_left,
            ]
            for index, line in enumerate(data.goods, start=1)
        ],
        lines=[
            f"兑换 {data.redemptions} 笔，消耗积分 {data.points_spent}，"
            f"发放商品 {data.goods_given} 件，采购支出 {data.fund_spent_yuan} 元"
        ],
        landscape=True,
    )
    drawn = paper.paper(f"{data.village_name}{when}积分超市月报", f"shop-{period}", [sheet])
    return await audit.exported(
        session, actor=principal, paper=drawn, params={"period": period, "village_id": village_id}
    )
