"""Stored first answers for ``Idempotency-Key`` replays."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, LargeBinary
from sqlmodel import Field, SQLModel, UniqueConstraint

from app.models.base import UTCDateTime, created_at_field


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("owner", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(max_length=64)
    key: str = Field(max_length=128)
    request_hash: str = Field(max_length=64)
    state: str = Field(max_length=16)  # in_flight | done
    response_status: int | None = None
    response_headers: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    response_body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
