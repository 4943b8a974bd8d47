"""Party dues (党费): each member's yearly base and what it makes due each month, payments on the
phone (WeChat Pay orders) and in cash, each spread over the months it pays; a correction is a
reversing payment, never an edit. Money is integer fen everywhere."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from pydantic import Field as SchemaField
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import (
    ChinaDatetime,
    DbId,
    Line,
    ShortText,
    UTCDateTime,
    created_at_field,
    enum_column,
)


class BaseKind(StrEnum):
    employed = "employed"  # 在职：税后收入
    retired = "retired"  # 离退休：养老金
    farmer = "farmer"  # 农民：每月固定额
    no_income = "no_income"  # 学生、无固定收入：每月固定额


class DuesBase(SQLModel, table=True):
    __tablename__ = "dues_bases"
    __table_args__ = (UniqueConstraint("person_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int | None = Field(default=None, foreign_key="branches.id", index=True)
    year: int
    kind: BaseKind = Field(sa_type=enum_column(BaseKind, 16))
    base_fen: int | None = None
    fixed_fen: int | None = None
    monthly_fen: int  # what each month of the year is due, computed once by the rules
    reason: str | None = Field(default=None, max_length=500)
    updated_at: datetime = created_at_field()


class Method(StrEnum):
    wechat = "wechat"
    cash = "cash"


class PaymentState(StrEnum):
    posted = "posted"
    reversed = "reversed"  # a reversal stands against it
    reversal = "reversal"  # this one takes another back


class DuesPayment(SQLModel, table=True):
    __tablename__ = "dues_payments"
    __table_args__ = (UniqueConstraint("order_id"), UniqueConstraint("branch_id", "receipt_no"))
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int | None = Field(default=None, foreign_key="branches.id", index=True)
    method: Method = Field(sa_type=enum_column(Method, 8))
    amount_fen: int  # negative for a reversal
    # {"YYYY-MM": fen}: how the amount is spread over the months it pays.
    months: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    receipt_no: str | None = Field(default=None, max_length=40)
    order_id: int | None = Field(default=None, foreign_key="dues_orders.id")
    state: PaymentState = Field(default=PaymentState.posted, sa_type=enum_column(PaymentState, 16))
    reverses_id: int | None = Field(default=None, foreign_key="dues_payments.id")
    reason: str | None = Field(default=None, max_length=500)
    recorded_by: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = created_at_field()


class OrderState(StrEnum):
    created = "created"
    paid = "paid"
    closed = "closed"


class DuesOrder(SQLModel, table=True):
    """A WeChat Pay order for some months' dues: paid exactly once however often WeChat says so."""

    __tablename__ = "dues_orders"
    __table_args__ = (UniqueConstraint("out_trade_no"),)
    id: int | None = Field(default=None, primary_key=True)
    out_trade_no: str = Field(max_length=32)
    person_id: int = Field(foreign_key="people.id", index=True)
    account_id: int = Field(foreign_key="user_accounts.id")
    town_id: int | None = Field(default=None, foreign_key="towns.id")
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int | None = Field(default=None, foreign_key="branches.id")
    months: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    amount_fen: int
    state: OrderState = Field(default=OrderState.created, sa_type=enum_column(OrderState, 16))
    prepay_id: str | None = Field(default=None, max_length=64)
    transaction_id: str | None = Field(default=None, max_length=64)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class ArrearsFlag(SQLModel, table=True):
    """Six months unpaid, raised to the branch and the town once per run of arrears."""

    __tablename__ = "dues_arrears_flags"
    __table_args__ = (UniqueConstraint("person_id", "first_owed"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int | None = Field(default=None, foreign_key="branches.id", index=True)
    first_owed: str = Field(max_length=7)
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------

Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Fen = Annotated[int, SchemaField(ge=0, le=100_000_000)]


class BaseSet(BaseModel):
    year: int = SchemaField(ge=2000, le=2100)
    kind: BaseKind
    base_fen: Fen | None = SchemaField(default=None, description="月收入（在职税后）或养老金，分")
    fixed_fen: int | None = SchemaField(
        default=None, description="农民、学生和无固定收入党员每月固定交纳的分数（20–100）"
    )
    reason: ShortText | None = SchemaField(default=None, description="调整的原因")

    @model_validator(mode="after")
    def _shape(self) -> "BaseSet":
        if self.kind in (BaseKind.employed, BaseKind.retired) and self.base_fen is None:
            raise ValueError("在职和离退休党员须填 base_fen")
        return self


class BasePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    person_id: int
    year: int
    kind: BaseKind
    base_fen: int | None
    fixed_fen: int | None
    monthly_fen: int = SchemaField(description="每月应交（分）")


class MonthBill(BaseModel):
    month: str = SchemaField(description="月份 YYYY-MM")
    due_fen: int = SchemaField(description="应交（分）")
    paid_fen: int = SchemaField(description="已交（分）")
    status: Literal["paid", "partial", "owed"]


class Bills(BaseModel):
    year: int
    items: list[MonthBill]
    next_cursor: None = None


class PaymentOrder(BaseModel):
    months: list[Month] = SchemaField(min_length=1, max_length=24)
    extra_fen: Fen = SchemaField(default=0, description="自愿多交的分数")


class PayParams(BaseModel):
    timeStamp: str
    nonceStr: str
    package: str
    signType: Literal["RSA"]
    paySign: str


class OrderPublic(BaseModel):
    order_id: int
    amount_fen: int
    pay_params: PayParams


class CashPayment(BaseModel):
    person_id: DbId
    months: list[Month] = SchemaField(min_length=1, max_length=24)
    amount_fen: int = SchemaField(ge=1, le=100_000_000)
    receipt_no: Line = SchemaField(min_length=1, max_length=40, description="收据编号")


class Reverse(BaseModel):
    reason: ShortText = SchemaField(min_length=2)


class PaymentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    person_id: int
    method: Method
    amount_fen: int
    months: dict[str, int]
    receipt_no: str | None
    state: PaymentState
    reverses_id: int | None
    created_at: ChinaDatetime


class Arrear(BaseModel):
    person_id: int
    name: str
    months_owed: int
    owed_fen: int
    months: list[str]


class DisclosureRequest(BaseModel):
    branch_id: DbId
    year: int = SchemaField(ge=2000, le=2100)


class BookLine(BaseModel):
    person_id: int
    name: str
    kind: BaseKind | None
    monthly_fen: int
    due_fen: int
    paid_fen: int
    paid_months: list[str]


class BranchTotal(BaseModel):
    branch_id: int
    branch_name: str
    members: int = SchemaField(description="党员人数")
    due_fen: int
    paid_fen: int


class Book(BaseModel):
    branch_id: int
    year: int
    items: list[BookLine]
    due_fen: int
    paid_fen: int
