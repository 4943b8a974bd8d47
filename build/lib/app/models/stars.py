"""Star levels: member stars (党员星级) and volunteer stars, and the reward report."""

import math
from enum import StrEnum
from fractions import Fraction

from pydantic import BaseModel, model_validator
from pydantic import Field as SchemaField

from app.models.base import DbId


class ReviewGrade(StrEnum):
    """The democratic review (民主评议) grades."""

    excellent = "excellent"  # 优秀
    qualified = "qualified"  # 合格
    basic = "basic"  # 基本合格
    unqualified = "unqualified"  # 不合格


class ReviewCreate(BaseModel):
    person_id: DbId
    year: int = SchemaField(ge=2000, le=2100)
    grade: ReviewGrade


class MemberStar(BaseModel):
    person_id: int
    name: str
    branch_id: int | None
    year: int
    points: int
    grade: ReviewGrade | None
    star_level: int
    pledge_grade: str | None = None
    reeducation_year: int | None = SchemaField(
        default=None, description="回炉教育的年度（上年或本年）"
    )
    reeducation_status: str | None = SchemaField(
        default=None, description="回炉教育：open 进行中，closed 已结束"
    )
    reeducation_conclusion: str | None = SchemaField(default=None, description="回炉教育的结论")


class MemberStars(BaseModel):
    year: int
    thresholds: list[int]
    reeducation_below: int = SchemaField(
        default=4, description="低于几星进入回炉教育（方案原文“四星级以下”，默认 4：1–3 星）"
    )
    items: list[MemberStar]


class RewardRequest(BaseModel):
    year: int = SchemaField(ge=2000, le=2100)
    fund_fen: int | None = SchemaField(
        default=None, ge=1, le=10**11, description="当年党员活动经费（分）；奖励池为其 share"
    )
    share: str = SchemaField(
        default="1/3",
        pattern=r"^(0?\.\d{1,4}|1|[1-9]/[1-9]\d?)$",
        description="奖励池占经费的份额，方案原文“1/3经费”：默认 1/3，也可写 0.25 这样的小数",
    )
    total_fen: int | None = SchemaField(
        default=None, ge=1, le=10**11, description="直接给出要分配的金额（分），代替 fund_fen"
    )
    top_n: int = SchemaField(default=10, ge=1, le=500)
    town_id: DbId | None = None
    branch_id: DbId | None = None

    @model_validator(mode="after")
    def _one_sum(self) -> "RewardRequest":
        if (self.fund_fen is None) == (self.total_fen is None):
            raise ValueError("fund_fen 与 total_fen 须填且只填一个")
        if self.share_fraction > 1 or self.share_fraction <= 0:
            raise ValueError("share 须在 0 与 1 之间")
        return self

    @property
    def share_fraction(self) -> Fraction:
        return Fraction(self.share)

    @property
    def pool_fen(self) -> int:
        """The fund's share, rounded down to the fen; or the sum given."""
        if self.total_fen is not None:
            return self.total_fen
        assert self.fund_fen is not None
        return math.floor(self.fund_fen * self.share_fraction)


class RewardShare(BaseModel):
    rank: int
    person_id: int
    name: str
    points: int
    star_level: int
    share_fen: int


class RewardReport(BaseModel):
    year: int
    pool_fen: int = SchemaField(description="奖励池（分）：经费 × 份额，向下取整到分")
    total_fen: int
    rule: str
    items: list[RewardShare]


class VolunteerStar(BaseModel):
    minutes: int
    star_level: int
    next_level_minutes: int | None
