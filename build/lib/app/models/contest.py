"""The yearly strongest-branch contest (最强党支部): criteria with weights adding up to 100,
judged on site or computed from the town's own data; judges' sheets; the ranking, frozen and
published when the contest closes."""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, model_validator
from pydantic import Field as SchemaField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel, UniqueConstraint

from app.models.base import (
    ChinaDatetime,
    DbId,
    Line,
    UTCDateTime,
    created_at_field,
    enum_column,
)


class Metric(StrEnum):
    meeting_compliance = "meeting_compliance"
    attendance_rate = "attendance_rate"
    volunteer_minutes_per_member = "volunteer_minutes_per_member"
    disclosures_on_time = "disclosures_on_time"
    collective_income = "collective_income"


class ContestStatus(StrEnum):
    open = "open"
    closed = "closed"


class Contest(SQLModel, table=True):
    __tablename__ = "contests"
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    year: int
    title: str = Field(max_length=100)
    prize_fen: int | None = None
    # The plan's x winners, and its prize rule: the whole prize to the first (first), or split
    # among the winners by their totals (split).
    winners: int = Field(default=3)
    prize_rule: str = Field(default="first", max_length=8)
    criteria: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    judge_person_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    status: ContestStatus = Field(sa_type=enum_column(ContestStatus, 8))
    ranking: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)
    post_id: int | None = Field(default=None, foreign_key="posts.id")
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class ScoreSheet(SQLModel, table=True):
    __tablename__ = "contest_score_sheets"
    __table_args__ = (UniqueConstraint("contest_id", "judge_person_id", "branch_id"),)
    id: int | None = Field(default=None, primary_key=True)
    contest_id: int = Field(foreign_key="contests.id", index=True)
    judge_person_id: int = Field(foreign_key="people.id")
    branch_id: int = Field(foreign_key="branches.id")
    scores: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------


class Criterion(BaseModel):
    code: str = SchemaField(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    title: Line = SchemaField(min_length=1, max_length=50)
    weight: int = SchemaField(ge=1, le=100)
    source: Literal["judged", "computed"]
    metric: Metric | None = None
    hard: bool = SchemaField(
        default=False,
        description="硬指标：未达到的支部参与排名，但不能评为先进（如支部领办合作社）",
    )

    @model_validator(mode="after")
    def _metric(self) -> "Criterion":
        if (self.source == "computed") != (self.metric is not None):
            raise ValueError("计算类指标须写明 metric；评审打分类指标不写 metric。")
        return self


class CriterionPublic(BaseModel):
    """A criterion as answered (the request's checks are not the answer's)."""

    code: str
    title: str
    weight: int
    source: Literal["judged", "computed"]
    metric: Metric | None
    hard: bool = False


class ContestCreate(BaseModel):
    town_id: DbId | None = None
    year: int = SchemaField(ge=2000, le=2100)
    title: Line = SchemaField(min_length=2, max_length=100)
    prize_fen: int | None = SchemaField(default=None, ge=1, le=10**11)
    winners: int = SchemaField(
        default=3, ge=1, le=50, description="评选的先进支部个数（方案中的 x 个）"
    )
    prize_rule: Literal["first", "split"] = SchemaField(
        default="first",
        description="奖金规则：first 全部奖励第一名（方案原文“奖励第一名x万元”），"
        "split 按得分在先进支部间分配",
    )
    criteria: list[Criterion] = SchemaField(min_length=1, max_length=20)


class JudgesSet(BaseModel):
    person_ids: list[DbId] = SchemaField(min_length=1, max_length=30)


class SheetCreate(BaseModel):
    branch_id: DbId
    scores: dict[str, float] = SchemaField(description="指标代码 → 0–100 的分数")


class ContestPublic(BaseModel):
    id: int
    town_id: int
    year: int
    title: str
    prize_fen: int | None
    winners: int
    prize_rule: Literal["first", "split"]
    criteria: list[CriterionPublic]
    judge_person_ids: list[int]
    status: ContestStatus
    post_id: int | None
    closed_at: ChinaDatetime | None
    created_at: ChinaDatetime


class RankingLine(BaseModel):
    branch_id: int
    branch_name: str
    values: dict[str, float] = SchemaField(description="各指标的得分（0–100）")
    sheets: int = SchemaField(description="收到的评审打分表数")
    total: float = SchemaField(description="加权总分")
    rank: int
    eligible: bool = SchemaField(default=True, description="是否可评为先进（硬指标都达到）")
    ineligible_reason: str | None = SchemaField(default=None, description="不能评为先进的原因")
    winner: bool = SchemaField(default=False, description="是否评为先进支部")
    prize_fen: int | None = SchemaField(default=None, description="分得的奖金（分）")


class Ranking(BaseModel):
    contest_id: int
    title: str
    year: int
    closed: bool
    criteria: list[CriterionPublic]
    items: list[RankingLine]
