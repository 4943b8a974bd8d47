"""The append-only audit log of admin writes and point movements."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.models.base import ChinaDatetime, created_at_field


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entries"
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = created_at_field()
    actor_account_id: int | None = Field(default=None, index=True)
    actor_person_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=64, index=True)
    target_type: str = Field(max_length=32)
    target_id: str = Field(max_length=64)
    town_id: int | None = Field(default=None, index=True)
    village_id: int | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    request_id: str | None = Field(default=None, max_length=64)


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    created_at: ChinaDatetime
    actor_account_id: int | None
    actor_person_id: int | None
    action: str
    target_type: str
    target_id: str
    town_id: int | None
    village_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
