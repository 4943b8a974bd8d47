"""Star levels: member stars (党员星级) and volunteer stars, and the reward report."""

from enum import StrEnum

from pydantic import BaseModel
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
    items: list[MemberStar]


class RewardRequest(BaseModel):
    year: int = SchemaField(ge=2000, le=2100)
    total_fen: int = SchemaField(ge=1, le=10**11, description="要分配的金额（分）")
    top_n: int = SchemaField(default=10, ge=1, le=500)
    town_id: DbId | None = None
    branch_id: DbId | None = None


class RewardShare(BaseModel):
    rank: int
    person_id: int
    name: str
    points: int
    star_level: int
    share_fen: int


class RewardReport(BaseModel):
    year: int
    total_fen: int
    rule: str
    items: list[RewardShare]


class VolunteerStar(BaseModel):
    minutes: int
    star_level: int
    next_level_minutes: int | None
