"""Notifications: the inbox every person has, the WeChat subscribe-message quota each person
granted, their preferences, and the notices (通知公告) admins send.

An inbox row is also the delivery job of its WeChat message (state ``wechat``): written in the
same transaction as whatever caused it, so nothing is announced that did not happen."""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as SchemaField
from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel, UniqueConstraint

from app.models.base import (
    ChinaDatetime,
    DbId,
    Line,
    Text,
    UTCDateTime,
    created_at_field,
    enum_column,
)


class NotificationKind(StrEnum):
    event_reminder = "event_reminder"
    leave_decided = "leave_decided"
    appeal_decided = "appeal_decided"
    post_reviewed = "post_reviewed"
    points_posted = "points_posted"
    grid_task_assigned = "grid_task_assigned"
    grid_task_overdue = "grid_task_overdue"
    redemption_ready = "redemption_ready"
    redemption_expiring = "redemption_expiring"
    volunteer_confirmed = "volunteer_confirmed"
    service_request_updated = "service_request_updated"
    notice = "notice"
    development_overdue = "development_overdue"  # to the branch admin: a 525 step is late
    event_changed = "event_changed"  # time, venue or agenda changed
    event_cancelled = "event_cancelled"
    minutes_returned = "minutes_returned"  # to the recorder: the town sent the minutes back
    political_birthday = "political_birthday"  # 入党纪念日
    transfer_pending = "transfer_pending"  # to the receiving branch's admins
    dues_owed = "dues_owed"  # to the member: one and three months unpaid
    dues_arrears = "dues_arrears"  # to the branch and the town: six months unpaid
    branch_red = "branch_red"  # to the town's organisers: a branch's month turned red


class WechatState(StrEnum):
    pending = "pending"
    sent = "sent"
    no_quota = "no_quota"
    failed = "failed"
    skipped = "skipped"


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (
        # A trigger that runs twice (two workers, a retry) adds nothing the second time.
        UniqueConstraint("person_id", "kind", "target_type", "target_id", "occasion"),
        Index("ix_notifications_person_id_id", "person_id", "id"),
        Index("ix_notifications_delivery", "wechat", "deliver_after"),
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    kind: NotificationKind = Field(sa_type=enum_column(NotificationKind, 32))
    target_type: str = Field(max_length=32)
    target_id: str = Field(max_length=64)
    # Which of several notices about one target (the reminder the evening before, the hour
    # before); empty for the rest.
    occasion: str = Field(default="", max_length=16)
    title: str = Field(max_length=100)
    body: str = Field(max_length=500)
    page: str = Field(max_length=200)
    values: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = created_at_field()
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    wechat: WechatState = Field(sa_type=enum_column(WechatState, 16))
    wechat_detail: str | None = Field(default=None, max_length=200)
    deliver_after: datetime = Field(sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    msgid: str | None = Field(default=None, max_length=64, index=True)


class WechatSend(SQLModel, table=True):
    """At most one WeChat message per (person, kind, target), whatever runs how often."""

    __tablename__ = "notification_sends"
    __table_args__ = (UniqueConstraint("person_id", "kind", "target_type", "target_id"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    kind: NotificationKind = Field(sa_type=enum_column(NotificationKind, 32))
    target_type: str = Field(max_length=32)
    target_id: str = Field(max_length=64)
    notification_id: int = Field(foreign_key="notifications.id")
    created_at: datetime = created_at_field()


class SubscribeQuota(SQLModel, table=True):
    """What a person allows of one kind: one-time messages left, or a long-term template
    accepted (unlimited until withdrawn)."""

    __tablename__ = "notification_quotas"
    __table_args__ = (UniqueConstraint("person_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    kind: NotificationKind = Field(sa_type=enum_column(NotificationKind, 32))
    remaining: int = 0
    long_term: bool = False
    updated_at: datetime = created_at_field()


class GrantSource(StrEnum):
    phone = "phone"
    push = "push"


class GrantReport(SQLModel, table=True):
    """One answer to ``wx.requestSubscribeMessage`` as the phone or WeChat's push told it. The
    two report the same tap: the first one counts, the second is matched to it (and where they
    disagree, the push wins)."""

    __tablename__ = "notification_grant_reports"
    __table_args__ = (
        Index("ix_grant_reports_person_kind", "person_id", "kind", "created_at"),
        # WeChat retries a push it thinks we missed: the retry is the same report.
        UniqueConstraint("person_id", "template_id", "push_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    kind: NotificationKind = Field(sa_type=enum_column(NotificationKind, 32))
    template_id: str = Field(max_length=128)
    source: GrantSource = Field(sa_type=enum_column(GrantSource, 8))
    status: str = Field(max_length=16)
    matched: bool = False
    push_key: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()


class NotificationSetting(SQLModel, table=True):
    __tablename__ = "notification_settings"
    __table_args__ = (UniqueConstraint("person_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    kind: NotificationKind = Field(sa_type=enum_column(NotificationKind, 32))
    wechat: bool = True


class Notice(SQLModel, table=True):
    """通知公告: one message from an admin to a town, a village or a branch."""

    __tablename__ = "notices"
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    branch_id: int | None = Field(default=None, foreign_key="branches.id")
    title: str = Field(max_length=100)
    body: str = Field(max_length=2000)
    party_members_only: bool = False
    author_person_id: int | None = Field(default=None, foreign_key="people.id")
    recipients: int = 0
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------


class NotificationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: NotificationKind
    title: str
    body: str
    page: str = SchemaField(description="点开后进入的小程序页面")
    target_type: str
    target_id: str
    created_at: ChinaDatetime
    read_at: ChinaDatetime | None
    wechat: WechatState = SchemaField(description="微信订阅消息的状态")


class UnreadCount(BaseModel):
    count: int


class MarkRead(BaseModel):
    ids: list[DbId] = SchemaField(default_factory=list, max_length=500)
    all: bool = False

    @model_validator(mode="after")
    def _something(self) -> "MarkRead":
        if not self.ids and not self.all:
            raise ValueError("请给出要标为已读的 ids，或 all: true。")
        return self


class MarkedRead(BaseModel):
    updated: int


class TemplatePublic(BaseModel):
    kind: NotificationKind
    template_id: str
    title: str
    long_term: bool


GrantAnswer = Literal["accept", "reject", "ban", "filter"]


class GrantsCreate(BaseModel):
    results: dict[str, GrantAnswer] = SchemaField(
        max_length=20, description="wx.requestSubscribeMessage 的回答：模板 id → accept 等"
    )


class QuotaPublic(BaseModel):
    kind: NotificationKind
    remaining: int = SchemaField(description="还可发送的一次性订阅消息条数")
    long_term: bool = SchemaField(description="长期订阅已同意（不限条数）")


class Audience(BaseModel):
    town_id: DbId | None = None
    village_id: DbId | None = None
    branch_id: DbId | None = None


class NoticeCreate(BaseModel):
    title: Line = SchemaField(min_length=1, max_length=100)
    body: Text = SchemaField(min_length=1, max_length=2000)
    audience: Audience = SchemaField(default_factory=Audience)
    party_members_only: bool = False


class Reach(BaseModel):
    inbox: int = SchemaField(description="站内消息条数（每位收件人一条）")
    sent: int = SchemaField(description="微信消息已发送")
    pending: int = SchemaField(description="微信消息待发送（如夜间顺延到 7 点）")
    no_quota: int = SchemaField(description="未订阅或订阅次数用完，未发微信")
    failed: int = SchemaField(description="微信发送失败")
    skipped: int = SchemaField(description="不发微信（未绑定微信、本人关闭提醒或未配置模板）")


class NoticePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    town_id: int
    village_id: int | None
    branch_id: int | None
    title: str
    body: str
    party_members_only: bool
    created_at: ChinaDatetime
    recipients: int
    reach: Reach
