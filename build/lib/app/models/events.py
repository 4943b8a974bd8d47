"""Themed Party days and the other meetings of organisational life: events, attendance, leave."""

from datetime import date, datetime
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
    Moment,
    ShortText,
    Text,
    UTCDateTime,
    created_at_field,
    enum_column,
)


class EventKind(StrEnum):
    party_day = "party_day"  # 主题党日
    branch_congress = "branch_congress"  # 支部党员大会
    branch_committee = "branch_committee"  # 支部委员会
    group_meeting = "group_meeting"  # 党小组会
    party_lecture = "party_lecture"  # 党课
    org_life_meeting = "org_life_meeting"  # 组织生活会
    member_review = "member_review"  # 民主评议党员
    training = "training"  # 每季度轮训


KIND_TITLES = {
    EventKind.party_day: "主题党日",
    EventKind.branch_congress: "支部党员大会",
    EventKind.branch_committee: "支部委员会",
    EventKind.group_meeting: "党小组会",
    EventKind.party_lecture: "党课",
    EventKind.org_life_meeting: "组织生活会",
    EventKind.member_review: "民主评议党员",
    EventKind.training: "轮训",
}


class AttendanceStatus(StrEnum):
    present = "present"
    late = "late"
    pending_review = "pending_review"
    revoked = "revoked"
    rejected = "rejected"


class EventStatus(StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class LeaveStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class PartyEvent(SQLModel, table=True):
    __tablename__ = "party_events"
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    branch_id: int = Field(foreign_key="branches.id", index=True)
    # The mobile-member branch's monthly day is hosted by a different branch each month.
    host_branch_id: int | None = Field(default=None, foreign_key="branches.id")
    kind: EventKind = Field(sa_type=enum_column(EventKind, 32))
    title: str = Field(max_length=100)
    theme: str | None = Field(default=None, max_length=200)
    agenda: dict[str, object] = Field(default_factory=dict, sa_type=JSON)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    checkin_opens_at: datetime = Field(sa_type=UTCDateTime)
    checkin_closes_at: datetime = Field(sa_type=UTCDateTime)
    late_after_minutes: int = 10
    venue_lat: float | None = None
    venue_lng: float | None = None
    venue_radius_m: int | None = None
    venue_name: str | None = Field(default=None, max_length=100)
    rule_code: str | None = Field(default=None, max_length=64)
    invited_branch_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    # People asked by name (the two committees' training, reserve cadres, activists): expected
    # like members, never counted in a branch's rate unless they are its members.
    invitee_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    # A 党小组会 expects only its group's members.
    party_group_id: int | None = Field(default=None, foreign_key="party_groups.id")
    # Who files the minutes besides the branch's admins: a member the admin names.
    recorder_id: int | None = Field(default=None, foreign_key="people.id")
    status: EventStatus = Field(default=EventStatus.scheduled, sa_type=enum_column(EventStatus, 16))
    cancel_reason: str | None = Field(default=None, max_length=500)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # How many times time, venue or agenda were changed: each change notifies once.
    revision: int = Field(default=0)
    created_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = created_at_field()


class Attendance(SQLModel, table=True):
    """One check-in per member per event: the unique key makes a second phone's scan a repeat."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="party_events.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    town_id: int = Field(foreign_key="towns.id")
    branch_id: int | None = Field(default=None, foreign_key="branches.id")
    status: AttendanceStatus = Field(sa_type=enum_column(AttendanceStatus))
    scanned_at: datetime = Field(sa_type=UTCDateTime)
    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = None
    distance_m: float | None = None
    queued_offline: bool = False
    ledger_entry_id: int | None = Field(default=None, foreign_key="ledger_entries.id")
    points: int = 0
    note: str | None = Field(default=None, max_length=500)
    decided_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = created_at_field()


class LeaveRequest(SQLModel, table=True):
    __tablename__ = "leave_requests"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="party_events.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    town_id: int = Field(foreign_key="towns.id")
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int = Field(foreign_key="branches.id", index=True)
    reason: str = Field(max_length=500)
    status: LeaveStatus = Field(default=LeaveStatus.pending, sa_type=enum_column(LeaveStatus))
    decision_note: str | None = Field(default=None, max_length=500)
    decided_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------

CoordType = Literal["gcj02", "wgs84"]


class Venue(BaseModel):
    lat: float = SchemaField(ge=-90, le=90)
    lng: float = SchemaField(ge=-180, le=180)
    radius_m: int = SchemaField(default=200, ge=10, le=5000)
    coord_type: CoordType = "gcj02"
    name: Line | None = SchemaField(
        default=None, max_length=100, description="会场名称，印在海报上，如“村委会二楼会议室”"
    )


class Agenda(BaseModel):
    """ "1+x": the fixed theory study ("1") and the chosen items ("x")."""

    fixed: Line = SchemaField(default="学习习近平新时代中国特色社会主义思想", max_length=200)
    items: list[Annotated[Line, StringConstraints(max_length=200)]] = SchemaField(
        default_factory=list, max_length=10
    )


class EventCreate(BaseModel):
    branch_id: DbId
    kind: EventKind
    title: Line = SchemaField(min_length=1, max_length=100)
    theme: Line | None = SchemaField(default=None, max_length=200)
    agenda: Agenda | None = None
    starts_at: Moment
    ends_at: Moment
    checkin_opens_at: Moment | None = None
    checkin_closes_at: Moment | None = None
    late_after_minutes: int = SchemaField(default=10, ge=0, le=240)
    venue: Venue | None = None
    rule_code: str | None = SchemaField(default=None, max_length=64)
    invited_branch_ids: list[DbId] = SchemaField(default_factory=list, max_length=50)
    host_branch_id: DbId | None = None
    invitee_ids: list[DbId] = SchemaField(
        default_factory=list,
        max_length=500,
        description="按人邀请（两委干部、后备干部、积极分子等）",
    )
    party_group_id: DbId | None = SchemaField(
        default=None, description="党小组会（group_meeting）须指定党小组"
    )
    recorder_id: DbId | None = SchemaField(
        default=None, description="会议记录人（本支部党员）；不填则由支部管理员记录"
    )

    @model_validator(mode="after")
    def _times(self) -> "EventCreate":
        for moment in (self.starts_at, self.ends_at, self.checkin_opens_at, self.checkin_closes_at):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("时间须带时区，如 +08:00")
        if self.ends_at <= self.starts_at:
            raise ValueError("结束时间 ends_at 须晚于开始时间 starts_at")
        if (
            self.checkin_opens_at
            and self.checkin_closes_at
            and self.checkin_closes_at <= self.checkin_opens_at
        ):
            raise ValueError("签到截止 checkin_closes_at 须晚于签到开始 checkin_opens_at")
        return self


class EventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    town_id: int
    village_id: int | None
    branch_id: int
    host_branch_id: int | None
    kind: EventKind
    title: str
    theme: str | None
    agenda: dict[str, object]
    starts_at: ChinaDatetime
    ends_at: ChinaDatetime
    checkin_opens_at: ChinaDatetime
    checkin_closes_at: ChinaDatetime
    late_after_minutes: int
    venue_lat: float | None
    venue_lng: float | None
    venue_radius_m: int | None
    venue_name: str | None
    rule_code: str | None
    invited_branch_ids: list[int]
    invitee_ids: list[int]
    party_group_id: int | None
    recorder_id: int | None
    status: EventStatus
    cancel_reason: str | None
    cancelled_at: ChinaDatetime | None
    revision: int


class EventUpdate(BaseModel):
    """What may change before an event starts; the check-in window moves with its start."""

    title: Line | None = SchemaField(default=None, min_length=1, max_length=100)
    theme: Line | None = SchemaField(default=None, max_length=200)
    agenda: Agenda | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    venue: Venue | None = None
    recorder_id: DbId | None = None
    invitee_ids: list[DbId] | None = SchemaField(default=None, max_length=500)

    @model_validator(mode="after")
    def _zoned(self) -> "EventUpdate":
        for moment in (self.starts_at, self.ends_at):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("时间须带时区，如 +08:00")
        return self


class EventCancel(BaseModel):
    reason: ShortText = SchemaField(min_length=2)


class QrToken(BaseModel):
    token: str
    expires_at: ChinaDatetime
    rotate_seconds: int


class CheckinCreate(BaseModel):
    token: str = SchemaField(min_length=1, max_length=128)
    lat: float | None = SchemaField(default=None, ge=-90, le=90)
    lng: float | None = SchemaField(default=None, ge=-180, le=180)
    accuracy: float | None = SchemaField(default=None, ge=0, le=100_000)
    coord_type: CoordType = "gcj02"
    queued_offline: bool = False


class CheckinPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    event_id: int
    person_id: int
    status: AttendanceStatus
    points: int
    scanned_at: ChinaDatetime
    distance_m: float | None
    queued_offline: bool


class RevokeCheckin(BaseModel):
    reason: ShortText = SchemaField(min_length=2)


class ReviewCheckin(BaseModel):
    decision: Literal["accept", "reject"]
    note: ShortText | None = None


class LeaveCreate(BaseModel):
    reason: Text = SchemaField(min_length=2, max_length=500)


class LeaveDecision(BaseModel):
    decision: Literal["approve", "reject"]
    note: ShortText | None = None


class LeavePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    event_id: int
    person_id: int
    reason: str
    status: LeaveStatus
    decision_note: str | None
    created_at: ChinaDatetime


class AttendanceRow(BaseModel):
    person_id: int
    name: str
    branch_id: int | None
    # False for people invited by name who are not Party members: never in a branch's rate.
    is_member: bool = True
    status: Literal["present", "late", "excused", "absent", "pending_review", "attended_elsewhere"]
    scanned_at: ChinaDatetime | None
    checkin_id: int | None


class AttendanceReport(BaseModel):
    event_id: int
    title: str
    expected: int
    present: int
    late: int
    excused: int
    absent: int
    pending_review: int
    attended_elsewhere: int = SchemaField(default=0, description="流动党员当月在别处参加的人数")
    items: list[AttendanceRow]


class EventState(StrEnum):
    """Where an event stands for the county's inspection."""

    held = "held"  # took place, minutes filed in time and not sent back
    scheduled = "scheduled"  # not (yet) taken place: ahead, or nobody came
    minutes_missing = "minutes_missing"  # took place, no minutes within the days allowed
    minutes_returned = "minutes_returned"  # the town sent the minutes back
    cancelled = "cancelled"


class ComplianceEvent(BaseModel):
    event_id: int
    kind: EventKind
    title: str
    starts_at: ChinaDatetime
    ends_at: ChinaDatetime
    state: EventState
    minutes_due_on: date = SchemaField(description="会议记录最迟的提交日（含当日，北京时间）")
    party_group_id: int | None


class ComplianceItem(BaseModel):
    branch_id: int
    branch_name: str
    held: list[str] = SchemaField(description="已落实的（类别，或 类别:期间）")
    missing: list[str] = SchemaField(description="未落实的（类别，或 类别:期间）")
    events: list[ComplianceEvent] = SchemaField(description="本期内的每次活动及其状态")


class ComplianceReport(BaseModel):
    period: str
    items: list[ComplianceItem]


class MemberYear(BaseModel):
    person_id: int
    year: int
    expected: int
    present: int
    late: int
    excused: int
    absent: int


class EventSummary(BaseModel):
    event_id: int
    kind: EventKind
    title: str
    starts_at: ChinaDatetime
    expected: int
    present: int
    late: int
    excused: int
    absent: int


class BranchMonth(BaseModel):
    branch_id: int
    period: str
    items: list[EventSummary]
