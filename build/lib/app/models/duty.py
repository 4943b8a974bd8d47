"""Daily service at the village office: the duty rota (坐班值班) and villagers' service requests
(代办, 群众诉求) that the cadre on duty takes, with their history and the requester's rating."""

from datetime import datetime, time
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as SchemaField
from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from app.models.base import (
    ChinaDatetime,
    Day,
    DbId,
    Line,
    Moment,
    Text,
    UTCDateTime,
    created_at_field,
    enum_column,
)


class DutyShift(SQLModel, table=True):
    __tablename__ = "duty_shifts"
    __table_args__ = (
        Index("ix_duty_shifts_village_time", "village_id", "starts_at"),
        Index("ix_duty_shifts_person_time", "person_id", "starts_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id")
    village_id: int = Field(foreign_key="villages.id")
    person_id: int = Field(foreign_key="people.id")
    # Office hours held in one villager group (组级现场办公), not at the village's office.
    villager_group_id: int | None = Field(default=None, foreign_key="villager_groups.id")
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class ServiceKind(StrEnum):
    errand = "errand"
    livelihood = "livelihood"
    dispute = "dispute"
    other = "other"
    # The plan's own (line 24: 党务、民政、计生、医疗、农经).
    party_affairs = "party_affairs"
    civil_affairs = "civil_affairs"
    family_health = "family_health"
    medical_insurance = "medical_insurance"
    rural_economy = "rural_economy"


class ServiceStatus(StrEnum):
    submitted = "submitted"
    accepted = "accepted"
    done = "done"
    declined = "declined"


class ServiceAction(StrEnum):
    accept = "accept"
    done = "done"
    decline = "decline"
    reassign = "reassign"


class ServiceRequest(SQLModel, table=True):
    __tablename__ = "service_requests"
    __table_args__ = (Index("ix_service_requests_village_status", "village_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int = Field(foreign_key="villages.id")
    requester_person_id: int = Field(foreign_key="people.id", index=True)
    kind: ServiceKind = Field(sa_type=enum_column(ServiceKind, 32))
    title: str = Field(max_length=100)
    description: str = Field(max_length=2000)
    media_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    status: ServiceStatus = Field(sa_type=enum_column(ServiceStatus))
    # The cadre on duty when it was filed, or whom it was handed to; None: the village admins.
    handler_person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rating: int | None = None
    rating_comment: str | None = Field(default=None, max_length=500)
    rated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ServiceStep(SQLModel, table=True):
    __tablename__ = "service_request_steps"
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="service_requests.id", index=True)
    action: str = Field(max_length=16)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    actor_person_id: int | None = Field(default=None, foreign_key="people.id")
    handler_person_id: int | None = Field(default=None, foreign_key="people.id")
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------


class ShiftCreate(BaseModel):
    village_id: DbId | None = None
    person_id: DbId
    date: Day
    # A clock time on ``date`` (09:00), or a full time with its offset.
    starts_at: time | Moment
    ends_at: time | Moment
    repeat_days: int = SchemaField(
        default=1, ge=1, le=7, description="连排天数：1 为当天，7 为从 date 起的一整周"
    )
    villager_group_id: DbId | None = SchemaField(
        default=None, description="在某个村民小组现场办公（组级）；不填为在村里值班"
    )


class ShiftPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    village_id: int
    person_id: int
    villager_group_id: int | None = None
    starts_at: ChinaDatetime
    ends_at: ChinaDatetime


class ShiftsMade(ShiftPublic):
    """The first shift made, and with it every shift of the request (a week at once)."""

    items: list[ShiftPublic]


class OnDuty(BaseModel):
    name: str
    role: str = SchemaField(description="职务，如 村干部、党支部委员")
    starts_at: ChinaDatetime
    ends_at: ChinaDatetime
    office_phone: str | None


class Handler(BaseModel):
    person_id: int
    name: str


class ServiceRequestCreate(BaseModel):
    kind: ServiceKind
    title: Line = SchemaField(min_length=2, max_length=100)
    description: Text = SchemaField(min_length=1, max_length=2000)
    media_ids: list[DbId] = SchemaField(default_factory=list, max_length=9)


class ServiceTransition(BaseModel):
    action: ServiceAction
    note: Text | None = SchemaField(default=None, max_length=500)
    person_id: DbId | None = SchemaField(default=None, description="reassign：交给谁办理")

    @model_validator(mode="after")
    def _needs(self) -> "ServiceTransition":
        if self.action is ServiceAction.reassign and self.person_id is None:
            raise ValueError("转交须写明交给谁（person_id）。")
        if self.action is ServiceAction.decline and not (self.note or "").strip():
            raise ValueError("不予办理须写明原因（note）。")
        return self


class RatingCreate(BaseModel):
    stars: int = SchemaField(ge=1, le=5)
    comment: Text | None = SchemaField(default=None, max_length=500)


class StepPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    action: str
    from_status: str | None
    to_status: str
    actor_person_id: int | None
    handler_person_id: int | None
    note: str | None
    created_at: ChinaDatetime


class ServiceRequestPublic(BaseModel):
    id: int
    village_id: int
    requester_person_id: int
    kind: ServiceKind
    title: str
    description: str
    media_ids: list[int]
    status: ServiceStatus
    handler: Handler | None
    due_at: ChinaDatetime
    overdue: bool
    created_at: ChinaDatetime
    done_at: ChinaDatetime | None
    rating: int | None
    rating_comment: str | None
    steps: list[StepPublic]


class HandlerLine(BaseModel):
    person_id: int | None
    name: str
    requests: int
    done: int
    median_hours: float | None
    average_rating: float | None


class ServiceReport(BaseModel):
    period: str
    village_id: int
    village_name: str
    requests: int
    done: int
    median_hours: float | None
    average_rating: float | None
    handlers: list[HandlerLine]
