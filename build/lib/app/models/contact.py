"""Party members serving households one to one (党员联系户): pairings made by the branch, the
member's contact logs; and members' yearly pledges (亮承诺践诺) with progress and assessment."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as SchemaField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel, UniqueConstraint

from app.models.base import (
    ChinaDatetime,
    DbId,
    Text,
    UTCDateTime,
    created_at_field,
    enum_column,
)
from app.models.events import CoordType


class Pairing(SQLModel, table=True):
    """One household served by one member (a household has one member at a time)."""

    __tablename__ = "pairings"
    __table_args__ = (UniqueConstraint("household_id"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id")
    village_id: int = Field(foreign_key="villages.id", index=True)
    branch_id: int | None = Field(default=None, foreign_key="branches.id", index=True)
    member_person_id: int = Field(foreign_key="people.id", index=True)
    household_id: int = Field(foreign_key="households.id")
    created_at: datetime = created_at_field()


class ContactKind(StrEnum):
    visit = "visit"
    call = "call"
    help = "help"


class ContactLog(SQLModel, table=True):
    __tablename__ = "contact_logs"
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id")
    village_id: int = Field(foreign_key="villages.id")
    branch_id: int | None = Field(default=None, foreign_key="branches.id", index=True)
    member_person_id: int = Field(foreign_key="people.id", index=True)
    household_id: int = Field(foreign_key="households.id", index=True)
    kind: ContactKind = Field(sa_type=enum_column(ContactKind, 8))
    note: str = Field(max_length=1000)
    media_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    lat: float | None = None
    lng: float | None = None
    entry_id: int | None = Field(default=None, foreign_key="ledger_entries.id")
    created_at: datetime = created_at_field()


class PledgeGrade(StrEnum):
    excellent = "excellent"
    good = "good"
    basic = "basic"
    poor = "poor"


class Pledge(SQLModel, table=True):
    __tablename__ = "pledges"
    __table_args__ = (UniqueConstraint("person_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int | None = Field(default=None, foreign_key="branches.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    year: int
    items: list[str] = Field(default_factory=list, sa_type=JSON)
    grade: PledgeGrade | None = Field(default=None, sa_type=enum_column(PledgeGrade, 16))
    assessment_note: str | None = Field(default=None, max_length=1000)
    assessed_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    assessed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class PledgeProgress(SQLModel, table=True):
    __tablename__ = "pledge_progress"
    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(foreign_key="pledges.id", index=True)
    item_index: int
    note: str = Field(max_length=1000)
    media_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------


class PairingCreate(BaseModel):
    person_id: DbId
    household_ids: list[DbId] = SchemaField(min_length=1, max_length=50)


class PairedHousehold(BaseModel):
    household_id: int
    head_name: str
    number: str | None


class PairingsMade(BaseModel):
    person_id: int
    name: str
    households: list[PairedHousehold]


class MyPairing(BaseModel):
    member_person_id: int
    member_name: str
    household_id: int
    head_name: str
    last_contact_at: ChinaDatetime | None


class ContactLogCreate(BaseModel):
    household_id: DbId
    kind: ContactKind
    note: Text = SchemaField(min_length=2, max_length=1000)
    media_ids: list[DbId] = SchemaField(default_factory=list, max_length=9)
    lat: float | None = SchemaField(default=None, ge=-90, le=90)
    lng: float | None = SchemaField(default=None, ge=-180, le=180)
    coord_type: CoordType = "gcj02"


class ContactLogPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    member_person_id: int
    household_id: int
    kind: ContactKind
    note: str
    media_ids: list[int]
    lat: float | None
    lng: float | None
    entry_id: int | None
    created_at: ChinaDatetime


class NeverVisited(BaseModel):
    household_id: int
    head_name: str
    member_name: str


class ContactReport(BaseModel):
    period: str
    branch_id: int
    pairings: int
    visited: int
    never_visited: list[NeverVisited]


class PledgeCreate(BaseModel):
    year: int = SchemaField(ge=2000, le=2100)
    items: list[Annotated[Text, StringConstraints(min_length=1, max_length=500)]] = SchemaField(
        min_length=1, max_length=10
    )


class ProgressCreate(BaseModel):
    item_index: int = SchemaField(ge=0, le=9)
    note: Text = SchemaField(min_length=2, max_length=1000)
    media_ids: list[DbId] = SchemaField(default_factory=list, max_length=9)


class AssessmentCreate(BaseModel):
    grade: PledgeGrade
    note: Text = SchemaField(min_length=1, max_length=1000)


class ProgressPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    item_index: int
    note: str
    media_ids: list[int]
    created_at: ChinaDatetime


class PledgePublic(BaseModel):
    id: int
    person_id: int
    name: str
    branch_id: int | None
    year: int
    items: list[str]
    progress: list[ProgressPublic]
    grade: PledgeGrade | None
    assessment_note: str | None
    created_at: ChinaDatetime
