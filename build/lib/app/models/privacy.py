"""The privacy notice (隐私保护指引) and each account's acceptance of a version of it: binding a
phone needs the current version accepted, and a new version asks again."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as SchemaField
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import ChinaDatetime, created_at_field

Version = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z._-]{1,32}$")]


class PrivacyConsent(SQLModel, table=True):
    __tablename__ = "privacy_consents"
    __table_args__ = (UniqueConstraint("account_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="user_accounts.id", index=True)
    version: str = Field(max_length=32)
    accepted_at: datetime = created_at_field()


class PrivacyNotice(BaseModel):
    version: str = SchemaField(description="隐私保护指引的版本")
    text: str = SchemaField(description="隐私保护指引全文（Markdown）")


class ConsentCreate(BaseModel):
    version: Version = SchemaField(description="用户同意的隐私保护指引版本（须为当前版本）")


class ConsentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: str
    accepted_at: ChinaDatetime
