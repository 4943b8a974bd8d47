"""A member's Party life over time: the member file (党员档案), mobile members out and in
(流动党员), their thought reports (思想汇报), the town's rota of who hosts their Party day,
transfers of organisational relations (组织关系转接) and re-education (回炉教育)."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from pydantic import Field as SchemaField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlalchemy import Text as TextColumn
from sqlmodel import Field, SQLModel

from app.models.base import (
    ChinaDatetime,
    DbId,
    Line,
    Name,
    Phone,
    ShortText,
    Text,
    UTCDateTime,
    created_at_field,
    enum_column,
)


class MemberFile(SQLModel, table=True):
    """What a branch keeps of a member beyond the roster; never an ID number."""

    __tablename__ = "member_files"
    __table_args__ = (UniqueConstraint("person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    applied_at: date | None = None
    joined_at: date | None = None  # 入党 (预备党员)
    full_member_at: date | None = None  # 转正
    education: str | None = Field(default=None, max_length=20)
    post: str | None = Field(default=None, max_length=50)
    updated_at: datetime = created_at_field()


class Direction(StrEnum):
    out = "out"  # 流出: a member of ours living elsewhere
    in_ = "in"  # 流入: someone else's member living and attending here


class MobileMember(SQLModel, table=True):
    __tablename__ = "mobile_members"
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int = Field(foreign_key="branches.id", index=True)  # the branch keeping it
    direction: Direction = Field(sa_type=enum_column(Direction, 8))
    person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    name: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=20)
    place: str | None = Field(default=None, max_length=200)  # where to (out)
    employer: str | None = Field(default=None, max_length=100)
    contact: str | None = Field(default=None, max_length=100)
    home_organisation: str | None = Field(default=None, max_length=200)  # whose member (in)
    since: date
    expected_return: date | None = None
    ended_at: date | None = None
    created_at: datetime = created_at_field()


class ReportStatus(StrEnum):
    submitted = "submitted"
    accepted = "accepted"


class ThoughtReport(SQLModel, table=True):
    """A mobile member's report of their study for a month, accepted by the home branch."""

    __tablename__ = "thought_reports"
    __table_args__ = (UniqueConstraint("person_id", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int | None = Field(default=None, foreign_key="branches.id", index=True)
    period: str = Field(max_length=7)  # YYYY-MM
    content: str = Field(sa_column=Column(TextColumn, nullable=False))
    media_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    status: ReportStatus = Field(
        default=ReportStatus.submitted, sa_type=enum_column(ReportStatus, 16)
    )
    accepted_by: int | None = Field(default=None, foreign_key="people.id")
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class RotationMonth(SQLModel, table=True):
    """Which branch hosts the mobile members' themed Party day (主题党日轮值) in a month."""

    __tablename__ = "mobile_rotation"
    __table_args__ = (UniqueConstraint("town_id", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id")
    period: str = Field(max_length=7)  # YYYY-MM
    # The branch the mobile members belong to (流动党员党支部), whose Party day is hosted.
    mobile_branch_id: int = Field(foreign_key="branches.id")
    host_branch_id: int = Field(foreign_key="branches.id")


class TransferStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"


class Transfer(SQLModel, table=True):
    __tablename__ = "transfers"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    town_id: int = Field(foreign_key="towns.id", index=True)  # the sending side
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int = Field(foreign_key="branches.id", index=True)  # the sending branch
    to_town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    to_village_id: int | None = Field(default=None, foreign_key="villages.id")
    to_branch_id: int | None = Field(default=None, foreign_key="branches.id", index=True)
    to_organisation: str | None = Field(default=None, max_length=200)  # outside the system
    letter_no: str | None = Field(default=None, max_length=50)
    reason: str = Field(max_length=500)
    status: TransferStatus = Field(
        default=TransferStatus.pending, sa_type=enum_column(TransferStatus, 16)
    )
    decided_by: int | None = Field(default=None, foreign_key="people.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decline_reason: str | None = Field(default=None, max_length=500)
    created_by: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = created_at_field()


class ReeducationStatus(StrEnum):
    open = "open"
    closed = "closed"


class Reeducation(SQLModel, table=True):
    __tablename__ = "reeducations"
    __table_args__ = (UniqueConstraint("person_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int | None = Field(default=None, foreign_key="branches.id", index=True)
    year: int
    # [{"text": ..., "done_at": "YYYY-MM-DD" | None, "note": ... | None}]
    plan: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    status: ReeducationStatus = Field(
        default=ReeducationStatus.open, sa_type=enum_column(ReeducationStatus, 16)
    )
    conclusion: str | None = Field(default=None, max_length=1000)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------

Education = Literal["小学", "初中", "高中", "中专", "大专", "本科", "研究生"]
EDUCATIONS: tuple[str, ...] = get_args(Education)


class MemberFileUpdate(BaseModel):
    applied_at: date | None = None
    joined_at: date | None = None
    full_member_at: date | None = None
    education: Education | None = SchemaField(default=None, description="学历")
    post: Line | None = SchemaField(default=None, max_length=50, description="岗位，如“村会计”")

    @model_validator(mode="after")
    def _order(self) -> "MemberFileUpdate":
        dates = [d for d in (self.applied_at, self.joined_at, self.full_member_at) if d]
        if dates != sorted(dates):
            raise ValueError("日期须依次为申请入党、入党、转正")
        if any(d > date.today() for d in dates):
            raise ValueError("日期不能晚于今天")
        return self


class BranchStay(BaseModel):
    branch_id: int | None
    branch_name: str | None
    since: date | None = SchemaField(description="转入本支部的日期（最初的为 null）")


class MemberFilePublic(BaseModel):
    person_id: int
    name: str
    branch_id: int | None
    applied_at: date | None
    joined_at: date | None
    full_member_at: date | None
    education: str | None
    post: str | None
    party_age_years: int | None = SchemaField(description="党龄（自入党之日起的整年数）")
    from_development: bool = SchemaField(description="日期取自发展党员档案")
    branch_history: list[BranchStay] = SchemaField(description="所在党支部的变化，由早到晚")


class MobileMemberCreate(BaseModel):
    direction: Literal["out", "in"]
    person_id: DbId | None = None
    name: Name | None = None
    phone: Phone | None = None
    place: Line | None = SchemaField(default=None, max_length=200, description="流向地（流出）")
    employer: Line | None = SchemaField(default=None, max_length=100)
    contact: Line | None = SchemaField(default=None, max_length=100)
    home_organisation: Line | None = SchemaField(
        default=None, max_length=200, description="组织关系所在党组织（流入）"
    )
    branch_id: DbId | None = SchemaField(
        default=None, description="登记的党支部；流出默认为本人所在支部"
    )
    since: date
    expected_return: date | None = None

    @model_validator(mode="after")
    def _shape(self) -> "MobileMemberCreate":
        if self.direction == "out" and (self.person_id is None or not self.place):
            raise ValueError("流出登记须有 person_id 和流向地 place")
        if self.direction == "in" and (not self.name or not self.home_organisation):
            raise ValueError("流入登记须有姓名 name 和组织关系所在党组织 home_organisation")
        if self.expected_return and self.expected_return < self.since:
            raise ValueError("预计返回日期不能早于流出日期")
        return self


class MobileMemberPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    branch_id: int
    direction: Direction
    person_id: int | None
    name: str
    phone: str | None
    place: str | None
    employer: str | None
    contact: str | None
    home_organisation: str | None
    since: date
    expected_return: date | None
    ended_at: date | None


Period = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class ThoughtReportCreate(BaseModel):
    period: Period = SchemaField(description="汇报的月份 YYYY-MM")
    content: Text = SchemaField(min_length=10, max_length=10_000)
    media_ids: list[DbId] = SchemaField(default_factory=list, max_length=9)


class ThoughtReportPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    person_id: int
    branch_id: int | None
    period: str
    content: str
    media_ids: list[int]
    status: ReportStatus
    accepted_at: ChinaDatetime | None
    created_at: ChinaDatetime


class RotationUpdate(BaseModel):
    town_id: DbId | None = None
    year: int = SchemaField(ge=2000, le=2100)
    mobile_branch_id: DbId = SchemaField(description="流动党员所在的党支部（其主题党日轮流承办）")
    hosts: dict[Annotated[str, StringConstraints(pattern=r"^(0?[1-9]|1[0-2])$")], DbId] = (
        SchemaField(description='月份 → 承办党支部，如 {"1": 3, "2": 4}', max_length=12)
    )


class RotationPublic(BaseModel):
    town_id: int
    year: int
    mobile_branch_id: int | None
    hosts: dict[str, int]


class OutsideOrganisation(BaseModel):
    organisation: Line = SchemaField(min_length=2, max_length=200)
    letter_no: Line = SchemaField(min_length=1, max_length=50)


class TransferCreate(BaseModel):
    person_id: DbId
    to_branch_id: DbId | None = None
    to_outside: OutsideOrganisation | None = None
    reason: ShortText = SchemaField(min_length=2)

    @model_validator(mode="after")
    def _one_destination(self) -> "TransferCreate":
        if (self.to_branch_id is None) == (self.to_outside is None):
            raise ValueError("to_branch_id 与 to_outside 须填且只填一个")
        return self


class TransferDecline(BaseModel):
    reason: ShortText = SchemaField(min_length=2)


class TransferPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    person_id: int
    branch_id: int
    to_branch_id: int | None
    to_organisation: str | None
    letter_no: str | None
    reason: str
    status: TransferStatus
    decline_reason: str | None
    decided_at: ChinaDatetime | None
    created_at: ChinaDatetime


class ReeducationCreate(BaseModel):
    person_id: DbId
    year: int = SchemaField(ge=2000, le=2100, description="星级评定的年度")
    plan: list[Annotated[Line, StringConstraints(min_length=2, max_length=200)]] = SchemaField(
        min_length=1, max_length=20, description="学习、谈话等事项"
    )


class ItemDone(BaseModel):
    note: ShortText | None = None


class ReeducationClose(BaseModel):
    conclusion: ShortText = SchemaField(min_length=2)


class PlanItem(BaseModel):
    text: str
    done_at: date | None
    note: str | None


class ReeducationPublic(BaseModel):
    id: int
    person_id: int
    branch_id: int | None
    year: int
    plan: list[PlanItem]
    status: ReeducationStatus
    conclusion: str | None
    closed_at: ChinaDatetime | None
