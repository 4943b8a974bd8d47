"""Uploaded photos: the public variants' keys and the private facts of the original."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from app.models.base import ChinaDatetime, UTCDateTime, created_at_field, enum_column


class Purpose(StrEnum):
    feed = "feed"
    grid = "grid"
    evidence = "evidence"
    avatar = "avatar"


# Where the photo was taken matters to cadres checking a grid report or evidence, never to the
# public: these purposes keep GPS and capture time in private columns.
KEEPS_LOCATION = frozenset({Purpose.grid, Purpose.evidence})
# Evidence decides points: its original, as the phone sent it, is kept privately for checking.
KEEPS_ORIGINAL = frozenset({Purpose.evidence})
# Shown to everyone, so checked by WeChat's content safety in live mode.
PUBLIC_PURPOSES = frozenset({Purpose.feed, Purpose.avatar})


class Moderation(StrEnum):
    none = "none"  # not checked: mock mode, or a photo only admins see
    checking = "checking"  # sent to WeChat, verdict not yet pushed back
    unchecked = "unchecked"  # live mode but WeChat could not take it: humans decide
    passed = "pass"
    review = "review"
    risky = "risky"


# A post carrying one of these goes to a human even when an admin wrote it.
NEEDS_HUMAN = frozenset({Moderation.unchecked, Moderation.review})


class Media(SQLModel, table=True):
    __tablename__ = "media"
    id: int | None = Field(default=None, primary_key=True)
    uploader_account_id: int = Field(foreign_key="user_accounts.id", index=True)
    uploader_person_id: int | None = Field(default=None, foreign_key="people.id")
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    purpose: Purpose = Field(sa_type=enum_column(Purpose))
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
    original_key: str | None = Field(default=None, max_length=200)
    moderation: Moderation = Field(default=Moderation.none, sa_type=enum_column(Moderation))
    moderation_trace_id: str | None = Field(default=None, max_length=64, index=True)
    moderation_label: str | None = Field(default=None, max_length=32)
    created_at: datetime = created_at_field()


class MediaPublic(BaseModel):
    id: int
    url: str
    thumb_url: str
    width: int
    height: int
    content_type: str
    sha256: str


class MediaPrivate(MediaPublic):
    """What an admin of the photo's village sees: where and when it was taken, WeChat's
    verdict, and a short-lived link to the original of evidence photos."""

    purpose: Purpose
    uploader_person_id: int | None
    village_id: int | None
    gps_lat: float | None
    gps_lng: float | None
    taken_at: ChinaDatetime | None
    moderation: Moderation
    moderation_label: str | None
    original_url: str | None
    original_expires_in: int | None
    created_at: ChinaDatetime
