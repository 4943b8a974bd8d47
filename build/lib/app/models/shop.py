"""The points shop (积分超市): goods per village, restocking with its cost, and redemptions."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as SchemaField
from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from app.models.base import (
    ChinaDatetime,
    DbId,
    Line,
    Text,
    UTCDateTime,
    created_at_field,
    enum_column,
)
from app.models.roster import OWN_VILLAGE


class RedemptionStatus(StrEnum):
    reserved = "reserved"
    fulfilled = "fulfilled"
    cancelled = "cancelled"
    expired = "expired"


class ShopGoods(SQLModel, table=True):
    __tablename__ = "shop_goods"
    # The database itself refuses to oversell, whatever the code does.
    __table_args__ = (CheckConstraint("stock >= 0", name="stock_not_negative"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id")
    village_id: int = Field(foreign_key="villages.id", index=True)
    name: str = Field(max_length=100)
    media_id: int | None = Field(default=None, foreign_key="media.id")
    points: int
    stock: int = 0
    monthly_limit: int | None = None  # per household per China month
    on_shelf: bool = True
    created_at: datetime = created_at_field()


class ShopFund(SQLModel, table=True):
    """An allocation from the village's collective income to its points shop (the plan: 每年从
    集体经济收益中拿出不少于x万元); several in a year add up."""

    __tablename__ = "shop_funds"
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int = Field(foreign_key="villages.id", index=True)
    year: int
    allocated_fen: int
    source: str = Field(max_length=100)
    person_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = created_at_field()


class ShopRestock(SQLModel, table=True):
    """Goods bought for the shop, and what they cost the village's prize fund."""

    __tablename__ = "shop_restocks"
    __table_args__ = (Index("ix_shop_restocks_village_time", "village_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    goods_id: int = Field(foreign_key="shop_goods.id", index=True)
    village_id: int = Field(foreign_key="villages.id")
    quantity: int
    cost_fen: int
    note: str | None = Field(default=None, max_length=200)
    person_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = created_at_field()


class ShopRedemption(SQLModel, table=True):
    __tablename__ = "shop_redemptions"
    __table_args__ = (
        Index("ix_shop_redemptions_village_time", "village_id", "created_at"),
        Index("ix_shop_redemptions_household", "household_id", "goods_id", "created_at"),
        Index("ix_shop_redemptions_open", "status", "expires_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, unique=True)
    goods_id: int = Field(foreign_key="shop_goods.id")
    town_id: int = Field(foreign_key="towns.id")
    village_id: int = Field(foreign_key="villages.id")
    household_id: int = Field(foreign_key="households.id")
    person_id: int | None = Field(default=None, foreign_key="people.id")
    quantity: int
    points: int
    status: RedemptionStatus = Field(sa_type=enum_column(RedemptionStatus))
    entry_id: int | None = Field(default=None, foreign_key="ledger_entries.id")
    refund_entry_id: int | None = Field(default=None, foreign_key="ledger_entries.id")
    expires_at: datetime = Field(sa_type=UTCDateTime)
    fulfilled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fulfilled_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------


class GoodsCreate(BaseModel):
    village_id: DbId | None = SchemaField(default=None, description=OWN_VILLAGE)
    name: Line = SchemaField(min_length=1, max_length=100)
    points: int = SchemaField(ge=1, le=1_000_000)
    stock: int = SchemaField(default=0, ge=0, le=1_000_000)
    media_id: DbId | None = None
    monthly_limit: int | None = SchemaField(default=None, ge=1, le=1000)
    on_shelf: bool = True


class GoodsUpdate(BaseModel):
    name: Line | None = SchemaField(default=None, min_length=1, max_length=100)
    points: int | None = SchemaField(default=None, ge=1, le=1_000_000)
    media_id: DbId | None = None
    monthly_limit: int | None = SchemaField(default=None, ge=1, le=1000)
    on_shelf: bool | None = None


class Restock(BaseModel):
    quantity: int = SchemaField(ge=1, le=100_000)
    cost_yuan: Decimal = SchemaField(
        ge=0, le=10_000_000, decimal_places=2, description="采购金额（元）"
    )
    note: Text | None = SchemaField(default=None, max_length=200)


class GoodsPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    village_id: int
    name: str
    points: int
    stock: int
    monthly_limit: int | None
    on_shelf: bool
    media_id: int | None
    photo_url: str | None = None


class RedemptionCreate(BaseModel):
    goods_id: DbId
    quantity: int = SchemaField(default=1, ge=1, le=100)


class Fulfil(BaseModel):
    code: str = SchemaField(pattern=r"^\d{8}$", description="兑换码（8 位数字）")


class RedemptionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    goods_id: int
    household_id: int
    quantity: int
    points: int
    status: RedemptionStatus
    expires_at: ChinaDatetime
    fulfilled_at: ChinaDatetime | None
    closed_at: ChinaDatetime | None
    created_at: ChinaDatetime


class GoodsLine(BaseModel):
    goods_id: int
    name: str
    redeemed: int
    given: int
    points_spent: int
    restocked: int
    cost_yuan: Decimal
    stock_left: int


class ShopReport(BaseModel):
    period: str
    village_id: int
    village_name: str
    redemptions: int
    points_spent: int
    goods_given: int
    fund_spent_yuan: Decimal
    allocated_fen: int = SchemaField(
        default=0, description="本年从集体收益拨给积分超市的经费（分）"
    )
    spent_fen: int = SchemaField(default=0, description="本年采购商品已花去的经费（分）")
    left_fen: int = SchemaField(default=0, description="本年经费余额（分）")
    goods: list[GoodsLine]


class FundCreate(BaseModel):
    village_id: DbId | None = SchemaField(default=None, description="所属村；只管一个村时可不填")
    year: int = SchemaField(ge=2000, le=2100)
    allocated_fen: int = SchemaField(ge=1, le=10**11, description="拨付金额（分）")
    source: Line = SchemaField(min_length=2, max_length=100, description="来源，如“村集体经济收益”")


class FundPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    village_id: int
    year: int
    allocated_fen: int
    source: str
    created_at: ChinaDatetime


class FundYear(BaseModel):
    village_id: int
    year: int
    allocated_fen: int
    spent_fen: int
    left_fen: int
    minimum_fen: int = SchemaField(description="本镇规定的最低拨付额（分），0 为未规定")
    below_minimum: bool
