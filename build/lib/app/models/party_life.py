"""Party life as it is inspected: a branch's Party groups (党小组) and the minutes (会议记录) of
its meetings, every version kept."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pydantic import Field as SchemaField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlalchemy import Text as TextColumn
from sqlmodel import Field, SQLModel

from app.models.base import (
    ChinaDatetime,
    DbId,
    Line,
    Name,
    ShortText,
    Text,
    UTCDateTime,
    created_at_field,
)


class PartyGroup(SQLModel, table=True):
    __tablename__ = "party_groups"
    __table_args__ = (UniqueConstraint("branch_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    branch_id: int = Field(foreign_key="branches.id", index=True)
    name: str = Field(max_length=50)
    leader_id: int = Field(foreign_key="people.id")
    created_at: datetime = created_at_field()


class PartyGroupMember(SQLModel, table=True):
    """A member is in at most one group of their branch."""

    __tablename__ = "party_group_members"
    __table_args__ = (UniqueConstraint("person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="party_groups.id", index=True)
    person_id: int = Field(foreign_key="people.id")


class EventMinutes(SQLModel, table=True):
    """One version of an event's minutes: an amendment is a new row, the old ones stay."""

    __tablename__ = "event_minutes"
    __table_args__ = (UniqueConstraint("event_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="party_events.id", index=True)
    version: int
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int = Field(foreign_key="branches.id")
    topics: list[str] = Field(default_factory=list, sa_type=JSON)
    content: str = Field(sa_column=Column(TextColumn, nullable=False))
    decisions: list[str] = Field(default_factory=list, sa_type=JSON)
    media_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    present_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    filed_at: datetime = Field(sa_type=UTCDateTime)
    filed_by: int | None = Field(default=None, foreign_key="people.id")
    filed_by_account_id: int = Field(foreign_key="user_accounts.id")
    # The town's review: a version sent back no longer counts until a new one is filed.
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    returned_by: int | None = Field(default=None, foreign_key="people.id")
    return_reason: str | None = Field(default=None, max_length=500)


# ---- API schemas -------------------------------------------------------------------------


class PartyGroupCreate(BaseModel):
    branch_id: DbId
    name: Name = SchemaField(max_length=50, description="如“第一党小组”")
    leader_id: DbId = SchemaField(description="党小组长，须是本支部党员")
    member_ids: list[DbId] = SchemaField(default_factory=list, max_length=300)


class PartyGroupUpdate(BaseModel):
    name: Name | None = SchemaField(default=None, max_length=50)
    leader_id: DbId | None = None
    member_ids: list[DbId] | None = SchemaField(default=None, max_length=300)


class PartyGroupPublic(BaseModel):
    id: int
    branch_id: int
    name: str
    leader_id: int
    member_ids: list[int]


def _listed(value: object) -> object:
    # "topics" as one line of text is as good as a list of one.
    return [value] if isinstance(value, str) else value


Item = Annotated[Line, StringConstraints(min_length=1, max_length=200)]


class MinutesCreate(BaseModel):
    topics: Annotated[list[Item], BeforeValidator(_listed)] = SchemaField(
        min_length=1, max_length=20, description="议题（一条或多条）"
    )
    content: Text = SchemaField(min_length=2, max_length=20_000, description="会议内容")
    decisions: Annotated[list[Item], BeforeValidator(_listed)] = SchemaField(
        default_factory=list, max_length=20, description="决定事项"
    )
    media_ids: list[DbId] = SchemaField(
        default_factory=list, max_length=9, description="会议照片（本人上传的）"
    )
    present_ids: list[DbId] | None = SchemaField(
        default=None,
        max_length=1000,
        description="确认的到会人员；不填则按签到记录（到会、迟到）",
    )


class MinutesReturn(BaseModel):
    reason: ShortText = SchemaField(min_length=2)


class MinutesPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    event_id: int
    version: int
    filed_at: ChinaDatetime
    filed_by: int | None
    topics: list[str]
    content: str
    decisions: list[str]
    media_ids: list[int]
    present_ids: list[int]
    returned_at: ChinaDatetime | None
    returned_by: int | None
    return_reason: str | None


class MinutesHistory(BaseModel):
    event_id: int
    latest: MinutesPublic | None
    versions: list[MinutesPublic] = SchemaField(description="从新到旧")


class MinutesToReview(BaseModel):
    """A line of the town's review list: the latest minutes of an event."""

    event_id: int
    branch_id: int
    title: str
    kind: str
    starts_at: ChinaDatetime
    version: int
    filed_at: ChinaDatetime
    returned_at: ChinaDatetime | None
    return_reason: str | None
