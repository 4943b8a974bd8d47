"""Volunteer service: activities, enrolments and each volunteer's record of one activity."""

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as SchemaField
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import (
    ChinaDatetime,
    DbId,
    Line,
    Moment,
    Text,
    UTCDateTime,
    created_at_field,
    enum_column,
)
from app.models.events import CoordType, Venue

_MAX_LENGTH = timedelta(days=7)


class RecordStatus(StrEnum):
    signed_in = "signed_in"
    pending_confirmation = "pending_confirmation"
    confirmed = "confirmed"
    rejected = "rejected"


class ScanKind(StrEnum):
    sign_in = "sign_in"
    sign_out = "sign_out"


class VolunteerActivity(SQLModel, table=True):
    __tablename__ = "volunteer_activities"
    __table_args__ = (Index("ix_volunteer_activities_scope", "town_id", "village_id", "starts_at"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id")
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int | None = Field(default=None, foreign_key="branches.id")
    title: str = Field(max_length=100)
    category: str = Field(default="其他", max_length=20)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime, index=True)
    venue_lat: float | None = None  # GCJ-02
    venue_lng: float | None = None
    venue_radius_m: int | None = None
    capacity: int | None = None
    enrolment_required: bool = False
    round_minutes: int = 30
    max_minutes: int | None = None  # None: the activity's length
    min_share: float | None = None  # of the activity's length, to be credited at all
    rule_code: str | None = Field(default=None, max_length=64)
    created_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = created_at_field()

    @property
    def length_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class VolunteerEnrolment(SQLModel, table=True):
    __tablename__ = "volunteer_enrolments"
    __table_args__ = (UniqueConstraint("activity_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="volunteer_activities.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    created_at: datetime = created_at_field()


class VolunteerRecord(SQLModel, table=True):
    __tablename__ = "volunteer_records"
    __table_args__ = (UniqueConstraint("activity_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="volunteer_activities.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    town_id: int = Field(foreign_key="towns.id")
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    status: RecordStatus = Field(sa_type=enum_column(RecordStatus, 24))
    sign_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sign_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    minutes: int = 0
    entered_by_hand: bool = False  # 补录 or corrected by the organiser
    no_sign_out: bool = False  # closed when the activity ended, still signed in
    note: str | None = Field(default=None, max_length=500)
    entered_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    decided_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    entry_id: int | None = Field(default=None, foreign_key="ledger_entries.id")
    points_entry_id: int | None = Field(default=None, foreign_key="ledger_entries.id")
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------


class ActivityCreate(BaseModel):
    title: Line = SchemaField(min_length=1, max_length=100)
    category: str = SchemaField(default="其他", min_length=1, max_length=20)
    town_id: DbId | None = SchemaField(
        default=None, description="镇组织的活动填镇；镇、村、支部都不填时为发布者自己管理的范围"
    )
    village_id: DbId | None = None
    branch_id: DbId | None = None
    starts_at: Moment
    ends_at: Moment
    venue: Venue | None = None
    capacity: int | None = SchemaField(default=None, ge=1, le=100_000)
    enrolment_required: bool = False
    round_minutes: int = SchemaField(default=30, ge=1, le=240)
    max_minutes: int | None = SchemaField(default=None, ge=1, le=24 * 60 * 7)
    min_share: float | None = SchemaField(default=None, gt=0, le=1, description="如 0.6")
    rule_code: str | None = SchemaField(default=None, max_length=64)

    @model_validator(mode="after")
    def _times(self) -> "ActivityCreate":
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("时间须带时区，如 2026-11-28T09:00:00+08:00")
        if self.ends_at <= self.starts_at:
            raise ValueError("结束时间 ends_at 须晚于开始时间 starts_at")
        if self.ends_at - self.starts_at > _MAX_LENGTH:
            raise ValueError("一次活动最长 7 天")
        return self


class ActivityPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    town_id: int
    village_id: int | None
    branch_id: int | None
    title: str
    category: str
    starts_at: ChinaDatetime
    ends_at: ChinaDatetime
    venue_lat: float | None
    venue_lng: float | None
    venue_radius_m: int | None
    capacity: int | None
    enrolment_required: bool
    round_minutes: int
    max_minutes: int | None
    min_share: float | None
    rule_code: str | None
    created_at: ChinaDatetime


class EnrolmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    activity_id: int
    person_id: int
    created_at: ChinaDatetime


class ScanCreate(BaseModel):
    token: str = SchemaField(min_length=1, max_length=128)
    lat: float | None = SchemaField(default=None, ge=-90, le=90)
    lng: float | None = SchemaField(default=None, ge=-180, le=180)
    accuracy: float | None = SchemaField(default=None, ge=0, le=100_000)
    coord_type: CoordType = "gcj02"


class RecordPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    activity_id: int
    person_id: int
    status: RecordStatus
    sign_in_at: ChinaDatetime | None
    sign_out_at: ChinaDatetime | None
    minutes: int
    entered_by_hand: bool
    no_sign_out: bool
    note: str | None
    entry_id: int | None
    points_entry_id: int | None


class HandEntry(BaseModel):
    person_id: DbId
    sign_in_at: Moment
    sign_out_at: Moment
    note: Text = SchemaField(min_length=2, max_length=500, description="补录或更正的原因")

    @model_validator(mode="after")
    def _order(self) -> "HandEntry":
        if self.sign_in_at.tzinfo is None or self.sign_out_at.tzinfo is None:
            raise ValueError("时间须带时区，如 +08:00")
        if self.sign_out_at <= self.sign_in_at:
            raise ValueError("签退时间 sign_out_at 须晚于签到时间 sign_in_at")
        return self


class RecordIds(BaseModel):
    record_ids: list[DbId] = SchemaField(min_length=1, max_length=500)
    note: Text | None = SchemaField(default=None, max_length=500)


class MyVolunteer(BaseModel):
    minutes: int
    star_level: int
    next_level_minutes: int | None
    records: list[RecordPublic]


class ActivityReportLine(BaseModel):
    activity_id: int
    title: str
    starts_at: ChinaDatetime
    volunteers: int
    confirmed_minutes: int
    pending: int


class VolunteerReport(BaseModel):
    period: str | None
    village_id: int | None
    activities: list[ActivityReportLine]
    volunteers: int
    confirmed_minutes: int
    hours: float
