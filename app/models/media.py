"""Uploaded photos: the public variants' keys and the private facts of the original."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, created_at_field


class Purpose(StrEnum):
    feed = "feed"
    grid = "grid"
    evidence = "evidence"
    avatar = "avatar"


# Where the photo was taken matters to cadres checking a grid report or evidence, never to the
# public: these purposes keep GPS and capture time in private columns.
KEEPS_LOCATION = frozenset({Purpose.grid, Purpose.evidence})


class Media(SQLModel, table=True):
    __tablename__ = "media"
    id: int | None = Field(default=None, primary_key=True)
    uploader_account_id: int = Field(foreign_key="user_accounts.id", index=True)
    uploader_person_id: int | None = Field(default=None, foreign_key="people.id")
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    purpose: str = Field(max_length=16)
    content_type: str = Field(max_length=32)
    width: int
    height: int
    byte_size: int
    sha256: str = Field(max_length=64, index=True)
    phash: str = Field(max_length=16, index=True)
    display_key: str = Field(max_length=200)
    thumb_key: str = Field(max_length=200)
    gps_lat: float | None = None
    gps_lng: float | None = None
    taken_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    moderation: str = Field(default="none", max_length=16)
    created_at: datetime = created_at_field()


class MediaPublic(BaseModel):
    id: int
    url: str
    thumb_url: str
    width: int
    height: int
    content_type: str
    sha256: str
