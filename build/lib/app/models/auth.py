"""Login identities (WeChat accounts and console logins) and refresh-token families."""

from datetime import datetime

from pydantic import BaseModel
from pydantic import Field as SchemaField
from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, created_at_field


class UserAccount(SQLModel, table=True):
    """Who logged in: a WeChat openid, a console username, or both; bound to a roster person."""

    __tablename__ = "user_accounts"
    # One WeChat account per roster person, enforced by the database against racing binds.
    __table_args__ = (
        Index(
            "uq_user_accounts_wechat_person",
            "person_id",
            unique=True,
            postgresql_where=text("openid IS NOT NULL"),
            sqlite_where=text("openid IS NOT NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    openid: str | None = Field(default=None, max_length=64, unique=True)
    unionid: str | None = Field(default=None, max_length=64)
    username: str | None = Field(default=None, max_length=64, unique=True)
    password_hash: str | None = Field(default=None, max_length=255)
    created_at: datetime = created_at_field()
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RefreshToken(SQLModel, table=True):
    """One link of a rotation chain; the chain is a family that dies whole on reuse."""

    __tablename__ = "refresh_tokens"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="user_accounts.id", index=True)
    family_id: str = Field(max_length=64, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    issued_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WechatLoginRequest(BaseModel):
    code: str = SchemaField(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")


class BindPhoneRequest(BaseModel):
    code: str = SchemaField(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")


class RefreshRequest(BaseModel):
    refresh_token: str = SchemaField(min_length=1, max_length=256)


class LogoutRequest(BaseModel):
    refresh_token: str | None = SchemaField(default=None, min_length=1, max_length=256)
