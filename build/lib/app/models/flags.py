"""Favouritism flags for the supervision committee (村务监督委员会) and the town: each a pattern
the records show (points to one's own household, approving one's own request, a month's
discretionary points gathered on a few households, a photo used again, a keeper handing goods to
their own household), with the rows behind it. A flag moves no points; it is dismissed with a
reason or turned into an objection the village must answer."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as SchemaField
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import ChinaDatetime, Text, UTCDateTime, created_at_field, enum_column
from app.models.labels import ENUM_LABELS


class FlagKind(StrEnum):
    self_dealing = "self_dealing"  # points given or approved to one's own household
    self_approval = "self_approval"  # the same person asked for and approved the points
    concentration = "concentration"  # a month's discretionary points on a few households
    photo_reuse = "photo_reuse"  # a photo like one already used as evidence
    shop_self_fulfil = "shop_self_fulfil"  # a keeper handed goods to their own household


class FlagStatus(StrEnum):
    open = "open"
    dismissed = "dismissed"
    escalated = "escalated"


# How each kind reads on the supervisors' queue: what the records show, not what anyone meant.
KIND_WORDS: dict[str, str] = ENUM_LABELS["FlagKind"]

# The share of a village's households whose discretionary points are measured (the top 5 %).
TOP_SHARE = 0.05


class Flag(SQLModel, table=True):
    __tablename__ = "flags"
    # One cause, one flag: a retried write or a second run of the job finds the row there.
    __table_args__ = (UniqueConstraint("kind", "cause"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    # None for points between town cadres: the town's to read, no village's committee's.
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    kind: FlagKind = Field(sa_type=enum_column(FlagKind, 24))
    cause: str = Field(max_length=120)
    subject: str = Field(max_length=300)
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    status: FlagStatus = Field(default=FlagStatus.open, sa_type=enum_column(FlagStatus))
    decided_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str | None = Field(default=None, max_length=500)
    objection_id: int | None = Field(default=None)
    created_at: datetime = created_at_field()


class FlagScan(SQLModel, table=True):
    """A town's closed month looked at once for concentration, flagged or not."""

    __tablename__ = "flag_scans"
    __table_args__ = (UniqueConstraint("town_id", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id")
    period: str = Field(max_length=7)
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------


class Evidence(BaseModel):
    type: str = SchemaField(description="记录的类型：ledger_entry、household、person、media 等")
    id: int


class FlagPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: FlagKind
    village_id: int | None
    subject: str = SchemaField(description="发现了什么（中性表述）")
    evidence: list[Evidence] = SchemaField(description="背后的记录，可逐条核对")
    status: FlagStatus
    reason: str | None = SchemaField(description="排除的理由")
    objection_id: int | None = SchemaField(description="转成的监督意见")
    decided_at: ChinaDatetime | None
    created_at: ChinaDatetime


class FlagDismiss(BaseModel):
    reason: Text = SchemaField(min_length=2, max_length=500, description="排除的理由")


class FlagEscalate(BaseModel):
    note: Text | None = SchemaField(
        default=None, max_length=500, description="随监督意见一起交给村里的话（可不填）"
    )
