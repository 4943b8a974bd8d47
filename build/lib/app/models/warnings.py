"""Early warnings: each branch's health grade per month, with the signals behind it."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from pydantic import Field as SchemaField
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import created_at_field

# Each signal's threshold, as a town keeps them (Town.health_thresholds overrides any): a
# ``min`` signal fails below it, a ``max`` signal above it.
DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "meetings_held": {"min": 0.6},  # share of the month's 三会一课 held with minutes (2 of 3)
    "attendance_rate": {"min": 0.7},
    "disclosures_published": {"min": 6},  # of the six monthly disclosures
    "objections_open": {"max": 0},
    "requests_overdue": {"max": 0},
    "development_overdue": {"max": 0},
    "dues_six_months": {"max": 0},  # members six months or more in arrears
}
# Each signal as the town's organiser reads it.
SIGNAL_WORDS = {
    "meetings_held": "三会一课未按时落实",
    "attendance_rate": "到会率低",
    "disclosures_published": "公开不全",
    "objections_open": "有未答复的监督意见",
    "requests_overdue": "群众诉求超期",
    "development_overdue": "发展党员步骤超期",
    "dues_six_months": "有党员六个月未交党费",
}

# Signals whose failure alone makes a branch red: the plan's 软弱涣散 begins with meetings.
CRITICAL = frozenset({"meetings_held"})


class BranchGrade(SQLModel, table=True):
    """A closed month's grade, kept: computed once however often the job runs."""

    __tablename__ = "branch_grades"
    __table_args__ = (UniqueConstraint("branch_id", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    branch_id: int = Field(foreign_key="branches.id")
    period: str = Field(max_length=7)
    grade: str = Field(max_length=8)
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    signals: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = created_at_field()


class Reason(BaseModel):
    signal: str = SchemaField(description="信号")
    value: float = SchemaField(description="本月的值")
    threshold: float = SchemaField(description="阈值")


class BranchHealth(BaseModel):
    branch_id: int
    branch_name: str
    grade: Literal["green", "amber", "red"]
    reasons: list[Reason] = SchemaField(description="未达标的信号")
    signals: dict[str, float] = SchemaField(description="本月有数据的各信号的值（没有的不列）")


class HealthReport(BaseModel):
    town_id: int
    period: str
    items: list[BranchHealth]
