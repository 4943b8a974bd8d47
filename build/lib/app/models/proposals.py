"""Village decisions by the 四议两公开 method: a proposal moves through its six stages in order,
each meeting's numbers kept; the two disclosures become village disclosure posts; the
supervision committee (村务监督委员会) watches and files objections the village must answer."""

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as SchemaField
from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from app.models.base import (
    AwareMoment,
    ChinaDatetime,
    DbId,
    Line,
    Text,
    UTCDateTime,
    created_at_field,
    enum_column,
)


class ProposalStage(StrEnum):
    proposed = "proposed"
    deliberated = "deliberated"
    reviewed = "reviewed"
    resolved = "resolved"
    resolution_published = "resolution_published"
    result_published = "result_published"
    rejected = "rejected"


class MeetingBody(StrEnum):
    branch_committee = "branch_committee"  # 党支部委员会: proposes
    two_committees = "two_committees"  # 村“两委”联席会议: deliberates
    party_congress = "party_congress"  # 党员大会: reviews
    representatives = "representatives"  # 村民代表会议: resolves
    villagers = "villagers"  # 村民会议: resolves


class Proposal(SQLModel, table=True):
    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_village_stage", "village_id", "stage"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int = Field(foreign_key="villages.id")
    title: str = Field(max_length=100)
    content: str = Field(max_length=5000)
    stage: ProposalStage = Field(sa_type=enum_column(ProposalStage, 24))
    created_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    resolution_post_id: int | None = Field(default=None, foreign_key="posts.id")
    result_post_id: int | None = Field(default=None, foreign_key="posts.id")
    created_at: datetime = created_at_field()


class ProposalStep(SQLModel, table=True):
    __tablename__ = "proposal_steps"
    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="proposals.id", index=True)
    stage: ProposalStage = Field(sa_type=enum_column(ProposalStage, 24))
    body: MeetingBody = Field(sa_type=enum_column(MeetingBody, 24))
    held_at: datetime = Field(sa_type=UTCDateTime)
    expected: int
    present: int
    in_favour: int | None = None
    against: int | None = None
    abstain: int | None = None
    passed: bool = True
    note: str | None = Field(default=None, max_length=1000)
    media_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    actor_person_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = created_at_field()


class Objection(SQLModel, table=True):
    __tablename__ = "proposal_objections"
    id: int | None = Field(default=None, primary_key=True)
    # An objection is filed on a proposal, or made from a favouritism flag (flag_id).
    proposal_id: int | None = Field(default=None, foreign_key="proposals.id", index=True)
    flag_id: int | None = Field(default=None, foreign_key="flags.id", unique=True)
    town_id: int = Field(foreign_key="towns.id")
    village_id: int = Field(foreign_key="villages.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="people.id")
    reason: str = Field(max_length=1000)
    answer: str | None = Field(default=None, max_length=1000)
    answered_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------

Count = SchemaField(ge=0, le=100_000)


class ProposalCreate(BaseModel):
    village_id: DbId | None = None
    title: Line = SchemaField(min_length=2, max_length=100)
    content: Text = SchemaField(min_length=1, max_length=5000)
    held_at: AwareMoment = SchemaField(description="党支部会提议的时间")
    expected: int | None = SchemaField(default=None, ge=1, le=100_000)
    present: int = SchemaField(ge=1, le=100_000)
    note: Text | None = SchemaField(default=None, max_length=1000)


class StepCreate(BaseModel):
    stage: Literal["deliberated", "reviewed", "resolved"]
    held_at: AwareMoment
    body: Literal["villagers", "representatives"] | None = SchemaField(
        default=None, description="决议的会议：村民会议 villagers 或村民代表会议 representatives"
    )
    expected: int = SchemaField(ge=1, le=100_000)
    present: int = SchemaField(ge=0, le=100_000)
    in_favour: int = SchemaField(ge=0, le=100_000)
    against: int = SchemaField(default=0, ge=0, le=100_000)
    abstain: int = SchemaField(default=0, ge=0, le=100_000)
    note: Text | None = SchemaField(default=None, max_length=1000)
    media_ids: list[DbId] = SchemaField(default_factory=list, max_length=9)

    @model_validator(mode="after")
    def _body(self) -> "StepCreate":
        if self.stage == "resolved" and self.body is None:
            raise ValueError(
                "决议须写明会议：村民会议（villagers）或村民代表会议（representatives）。"
            )
        return self


class PublicationCreate(BaseModel):
    kind: Literal["resolution", "result"]
    body: Text = SchemaField(min_length=1, max_length=5000)
    media_ids: list[DbId] = SchemaField(default_factory=list, max_length=9)


class ObjectionCreate(BaseModel):
    reason: Text = SchemaField(min_length=2, max_length=1000)


class ObjectionAnswer(BaseModel):
    answer: Text = SchemaField(min_length=2, max_length=1000)


class StepView(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    stage: ProposalStage
    body: MeetingBody
    held_at: ChinaDatetime
    expected: int
    present: int
    in_favour: int | None
    against: int | None
    abstain: int | None
    passed: bool
    note: str | None
    media_ids: list[int]


class ObjectionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    proposal_id: int | None = SchemaField(description="针对的议题（由预警转来的为空）")
    flag_id: int | None = SchemaField(default=None, description="由哪条监督预警转来")
    village_id: int
    reason: str
    answer: str | None
    answered_at: ChinaDatetime | None
    created_at: ChinaDatetime


class ProposalPublic(BaseModel):
    id: int
    village_id: int
    title: str
    content: str
    stage: ProposalStage
    resolution_post_id: int | None
    result_post_id: int | None
    created_at: ChinaDatetime
    steps: list[StepView]
    objections: list[ObjectionPublic]
