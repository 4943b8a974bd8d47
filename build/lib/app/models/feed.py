"""The publicity feed: posts, their review, likes, and the six monthly disclosures."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as SchemaField
from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import (
    MONTH_PATTERN,
    AwareMoment,
    ChinaDatetime,
    DbId,
    Line,
    Text,
    UTCDateTime,
    created_at_field,
    enum_column,
)


class Category(StrEnum):
    news = "news"
    commendation = "commendation"
    activity = "activity"
    policy = "policy"
    disclosure_party = "disclosure_party"  # 党务公开
    disclosure_village = "disclosure_village"  # 村务公开
    disclosure_finance = "disclosure_finance"  # 财务公开
    disclosure_member_development = "disclosure_member_development"  # 发展党员公开
    disclosure_dues = "disclosure_dues"  # 党费公开
    disclosure_benefits = "disclosure_benefits"  # 惠民惠农公开


DISCLOSURES = tuple(c for c in Category if c.value.startswith("disclosure_"))


class PostStatus(StrEnum):
    pending_review = "pending_review"
    published = "published"
    rejected = "rejected"


class Post(SQLModel, table=True):
    __tablename__ = "posts"
    __table_args__ = (
        # The feed reads this backwards: pinned first, then newest.
        Index("ix_posts_feed", "town_id", "status", "pin_rank", "published_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id")
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    author_account_id: int = Field(foreign_key="user_accounts.id")
    author_person_id: int | None = Field(default=None, foreign_key="people.id")
    # The organisation a post is published in the name of (an honour, a contest's result);
    # the account above is the one who did it.
    publisher: str | None = Field(default=None, max_length=100)
    title: str = Field(max_length=100)
    body: str = Field(max_length=5000)
    category: Category = Field(sa_type=enum_column(Category, 40), index=True)
    disclosure_period: str | None = Field(default=None, max_length=7)
    media_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    status: PostStatus = Field(sa_type=enum_column(PostStatus))
    pin_rank: int = 0  # 1 pinned, 0 not: an integer so it orders and pages like the rest
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    publish_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # asked-for time
    review_reason: str | None = Field(default=None, max_length=500)
    reviewed_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    like_count: int = 0
    view_count: int = 0
    created_at: datetime = created_at_field()


class PostLike(SQLModel, table=True):
    __tablename__ = "post_likes"
    __table_args__ = (UniqueConstraint("post_id", "account_id"),)
    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="posts.id", index=True)
    account_id: int = Field(foreign_key="user_accounts.id")
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------


class PostCreate(BaseModel):
    title: Line = SchemaField(min_length=1, max_length=100)
    body: Text = SchemaField(default="", max_length=5000)
    category: Category
    village_id: DbId | None = None
    media_ids: list[DbId] = SchemaField(default_factory=list, max_length=9)
    disclosure_period: str | None = SchemaField(default=None, pattern=MONTH_PATTERN)
    pinned: bool = False
    publish_at: AwareMoment | None = SchemaField(
        default=None, description="定时发布：到这个时间才出现在信息流里（带时区）"
    )
    mask_personal_data: bool = SchemaField(
        default=False, description="把身份证号、手机号、银行卡号打码后发布，而不是拒绝"
    )


class ReviewDecision(BaseModel):
    decision: str = SchemaField(pattern="^(approve|reject)$")
    reason: Text | None = SchemaField(default=None, max_length=500)


class PostMedia(BaseModel):
    id: int
    url: str
    thumb_url: str
    moderation: str = SchemaField(
        default="none",
        description="微信内容安全：none 未送检、checking 检测中、unchecked 未能送检、pass、review",
    )


class PostPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    town_id: int
    village_id: int | None
    title: str
    body: str
    category: Category
    disclosure_period: str | None
    status: PostStatus
    publisher: str | None = SchemaField(default=None, description="以组织名义发布时的发布单位")
    pinned: bool
    like_count: int
    view_count: int
    media: list[PostMedia]
    published_at: ChinaDatetime | None
    created_at: ChinaDatetime


class LikeState(BaseModel):
    post_id: int
    liked: bool
    like_count: int


class DisclosureItem(BaseModel):
    village_id: int
    village_name: str
    published: list[Category]
    missing: list[Category]


class DisclosureCompliance(BaseModel):
    period: str
    items: list[DisclosureItem]
