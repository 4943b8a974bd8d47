"""Admitting Party members by the "525" procedure (发展党员: five stages, twenty-five steps): a
case per applicant that moves one step at a time, the procedure's intervals, introducers and
votes enforced."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as SchemaField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel, UniqueConstraint

from app.models.base import ChinaDatetime, Day, DbId, Text, created_at_field, enum_column


class DevelopmentStage(StrEnum):
    applicant = "applicant"
    activist = "activist"
    candidate = "candidate"
    probationary = "probationary"
    full_member = "full_member"


class DevelopmentCase(SQLModel, table=True):
    __tablename__ = "development_cases"
    __table_args__ = (UniqueConstraint("person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int = Field(foreign_key="branches.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    applied_at: date
    stage: DevelopmentStage = Field(sa_type=enum_column(DevelopmentStage, 16))
    done_steps: int = 1  # the application is the first of the 25
    notice_post_id: int | None = Field(default=None, foreign_key="posts.id")
    created_at: datetime = created_at_field()


class DevelopmentStep(SQLModel, table=True):
    __tablename__ = "development_steps"
    __table_args__ = (UniqueConstraint("case_id", "step"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="development_cases.id", index=True)
    step: str = Field(max_length=32)
    done_at: date
    note: str | None = Field(default=None, max_length=1000)
    participants: list[int] = Field(default_factory=list, sa_type=JSON)
    votes: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    actor_person_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------


class StepRule(BaseModel):
    code: str
    stage: DevelopmentStage
    order: int
    title: str
    rule: str


class CaseCreate(BaseModel):
    person_id: DbId
    branch_id: DbId
    applied_at: Day


class Votes(BaseModel):
    expected: int = SchemaField(ge=1, le=10_000, description="有表决权的正式党员人数")
    present: int = SchemaField(ge=0, le=10_000)
    in_favour: int = SchemaField(ge=0, le=10_000)


class CaseStepCreate(BaseModel):
    step: str = SchemaField(min_length=2, max_length=32)
    done_at: Day
    note: Text | None = SchemaField(default=None, max_length=1000)
    participants: list[DbId] = SchemaField(default_factory=list, max_length=10)
    votes: Votes | None = None


class CaseStepPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    step: str
    done_at: date
    note: str | None
    participants: list[int]
    votes: dict[str, Any] | None


class CasePublic(BaseModel):
    id: int
    person_id: int
    name: str
    branch_id: int
    applied_at: date
    stage: DevelopmentStage
    next_step: str | None
    due_at: date | None = SchemaField(description="下一步的期限（须在此前完成），或最早可做的日期")
    due_kind: str | None = SchemaField(description="deadline：须在此前；earliest：此日起方可")
    overdue: bool
    notice_post_id: int | None
    steps: list[CaseStepPublic]
    created_at: ChinaDatetime
