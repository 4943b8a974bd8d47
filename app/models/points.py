"""Scoring rules, points accounts, append-only ledger entries, period totals, appeals, reviews."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as SchemaField
from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import (
    ChinaDatetime,
    DbId,
    Line,
    ShortText,
    Text,
    UTCDateTime,
    created_at_field,
    enum_column,
)


class Ledger(StrEnum):
    member = "member"
    household = "household"
    volunteer = "volunteer"


class Unit(StrEnum):
    once = "once"
    hour = "hour"
    score = "score"


class EntryStatus(StrEnum):
    pending = "pending"
    posted = "posted"
    rejected = "rejected"
    reversed = "reversed"


class SourceType(StrEnum):
    manual = "manual"
    checkin = "checkin"
    score = "score"
    volunteer = "volunteer"
    redemption = "redemption"
    reversal = "reversal"
    contact = "contact"  # a member's visit to a household they serve


class AppealStatus(StrEnum):
    open = "open"
    upheld = "upheld"
    rejected = "rejected"


class OwnerType(StrEnum):
    person = "person"
    household = "household"


LEDGER_OWNER = {
    Ledger.member: OwnerType.person,
    Ledger.volunteer: OwnerType.person,
    Ledger.household: OwnerType.household,
}


TOWN_WIDE = 0  # the village_key of a rule for the whole town: no village has id 0


def village_key(village_id: int | None) -> int:
    return TOWN_WIDE if village_id is None else village_id


class ScoringRule(SQLModel, table=True):
    __tablename__ = "scoring_rules"
    # village_key is the village id, or TOWN_WIDE for a town-wide rule, so one unique key
    # covers both.
    __table_args__ = (UniqueConstraint("town_id", "village_key", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    village_key: int = Field(default=0)
    code: str = Field(max_length=64)
    title: str = Field(max_length=100)
    ledger: Ledger = Field(sa_type=enum_column(Ledger))
    points: int
    unit: Unit = Field(sa_type=enum_column(Unit))
    daily_cap: int | None = None
    monthly_cap: int | None = None
    yearly_cap: int | None = None
    requires_approval: bool = False
    requires_evidence: bool = False
    enabled: bool = True
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class PointsAccount(SQLModel, table=True):
    """One balance per ledger and owner; the row is locked by every posting to it."""

    __tablename__ = "points_accounts"
    __table_args__ = (UniqueConstraint("ledger", "owner_type", "owner_id"),)
    id: int | None = Field(default=None, primary_key=True)
    ledger: Ledger = Field(sa_type=enum_column(Ledger))
    owner_type: OwnerType = Field(sa_type=enum_column(OwnerType))
    owner_id: int
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    balance: int = 0
    entry_count: int = 0
    head_hash: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()


class LedgerEntry(SQLModel, table=True):
    """Append-only. A pending entry gets its place in the chain (seq, balance, hash) when it is
    approved; a posted entry is corrected only by a reversal entry that names it."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("account_id", "seq"),
        Index("ix_ledger_entries_account_rule_time", "account_id", "rule_code", "created_at"),
        Index("ix_ledger_entries_status_town", "status", "town_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="points_accounts.id", index=True)
    town_id: int | None = Field(default=None, foreign_key="towns.id")
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    seq: int | None = None
    status: EntryStatus = Field(sa_type=enum_column(EntryStatus))
    points: int
    requested_points: int
    capped: bool = False
    balance_after: int | None = None
    rule_id: int | None = Field(default=None, foreign_key="scoring_rules.id")
    rule_code: str | None = Field(default=None, max_length=64)
    title: str = Field(max_length=100)
    rule_points: int | None = None
    unit: Unit | None = Field(default=None, sa_type=enum_column(Unit))
    quantity: int = 1
    source_type: SourceType = Field(sa_type=enum_column(SourceType))
    source_id: str | None = Field(default=None, max_length=64)
    reverses_entry_id: int | None = Field(default=None, foreign_key="ledger_entries.id")
    actor_person_id: int | None = Field(default=None, foreign_key="people.id")
    note: str | None = Field(default=None, max_length=500)
    media_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = created_at_field()
    posted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    decision_note: str | None = Field(default=None, max_length=500)
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class LedgerLeaf(SQLModel, table=True):
    """The town's append-only log: each posted entry once, in the order it was logged (after the
    heads before it, so a head's leaves never move); its leaf hash as it was then."""

    __tablename__ = "ledger_log"
    __table_args__ = (UniqueConstraint("town_id", "leaf_index"), UniqueConstraint("entry_id"))
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id")
    leaf_index: int
    entry_id: int = Field(foreign_key="ledger_entries.id")
    leaf_hash: str = Field(max_length=64)


class LedgerLogNode(SQLModel, table=True):
    """A perfect subtree of the town's log above its leaves (2**level leaves from
    position * 2**level), kept as the log grows, so a proof reads O(log² n) hashes."""

    __tablename__ = "ledger_log_nodes"
    __table_args__ = (UniqueConstraint("town_id", "level", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id")
    level: int
    position: int
    node_hash: str = Field(max_length=64)


class TreeHead(SQLModel, table=True):
    """A signed tree head (RFC 9162): kept, never changed, each naming the previous root."""

    __tablename__ = "ledger_tree_heads"
    __table_args__ = (UniqueConstraint("town_id", "tree_size"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    tree_size: int
    root_hash: str = Field(max_length=64)
    issued_at: datetime = Field(sa_type=UTCDateTime)
    previous_root_hash: str | None = Field(default=None, max_length=64)
    key_id: str = Field(max_length=32)
    signed: str = Field(max_length=1000)  # base64 of the exact bytes signed
    signature: str = Field(max_length=200)  # base64 Ed25519
    post_id: int | None = Field(default=None, foreign_key="posts.id")


class LedgerCheck(SQLModel, table=True):
    """An auditor's run of verify-ledger over a town: what the supervisors read."""

    __tablename__ = "ledger_checks"
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    ok: bool
    entries: int
    heads: int
    first_bad_entry_id: int | None = None
    problem: str | None = Field(default=None, max_length=500)
    checked_at: datetime = created_at_field()


class PointsTotal(SQLModel, table=True):
    """Points earned per account and period (year, month, all time), kept at posting time so a
    leaderboard is an index scan, not a sum over millions of entries."""

    __tablename__ = "points_totals"
    __table_args__ = (
        UniqueConstraint("account_id", "period"),
        # A board reads one of these backwards: highest earned first, ties by account.
        Index(
            "ix_points_totals_board_village",
            "ledger",
            "period",
            "village_id",
            "earned",
            "account_id",
        ),
        Index("ix_points_totals_board_town", "ledger", "period", "town_id", "earned", "account_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="points_accounts.id")
    ledger: Ledger = Field(sa_type=enum_column(Ledger))
    period: str = Field(max_length=8)  # "all", "Y2026", "M2026-11"
    town_id: int | None = Field(default=None, foreign_key="towns.id")
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    earned: int = 0


class Appeal(SQLModel, table=True):
    __tablename__ = "appeals"
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="ledger_entries.id", unique=True)
    account_id: int = Field(foreign_key="points_accounts.id", index=True)
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    reason: str = Field(max_length=500)
    status: AppealStatus = Field(default=AppealStatus.open, sa_type=enum_column(AppealStatus))
    decision_note: str | None = Field(default=None, max_length=500)
    decided_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reversal_entry_id: int | None = Field(default=None, foreign_key="ledger_entries.id")
    created_at: datetime = created_at_field()


class MemberReview(SQLModel, table=True):
    """The democratic review grade (民主评议) of a Party member for a year."""

    __tablename__ = "member_reviews"
    __table_args__ = (UniqueConstraint("person_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id")
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    year: int
    grade: str = Field(max_length=16)
    entered_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------

Code = SchemaField(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.-]*$", title="规则代码")
Cap = SchemaField(default=None, ge=1, le=1_000_000)


class ScoringRuleCreate(BaseModel):
    code: str | None = SchemaField(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_.-]*$",
        title="规则代码",
        description="规则代码；不填则由标题的拼音生成（如 huanjing_weisheng），在本镇内不重复",
    )
    title: Line = SchemaField(min_length=1, max_length=100)
    ledger: Ledger
    points: int = SchemaField(ge=-100_000, le=100_000)
    unit: Unit = Unit.once
    town_id: DbId | None = None
    village_id: DbId | None = None
    daily_cap: int | None = Cap
    monthly_cap: int | None = Cap
    yearly_cap: int | None = Cap
    requires_approval: bool = False
    requires_evidence: bool = False

    @model_validator(mode="after")
    def _placed(self) -> "ScoringRuleCreate":
        if self.points == 0:
            raise ValueError("分值 points 不能为 0")
        return self


class ScoringRuleUpdate(BaseModel):
    title: Line | None = SchemaField(default=None, min_length=1, max_length=100)
    points: int | None = SchemaField(default=None, ge=-100_000, le=100_000)
    daily_cap: int | None = Cap
    monthly_cap: int | None = Cap
    yearly_cap: int | None = Cap
    requires_approval: bool | None = None
    requires_evidence: bool | None = None
    enabled: bool | None = None


class ScoringRulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    title: str
    ledger: Ledger
    points: int
    unit: Unit
    town_id: int
    village_id: int | None
    daily_cap: int | None
    monthly_cap: int | None
    yearly_cap: int | None
    requires_approval: bool
    requires_evidence: bool
    enabled: bool
    updated_at: ChinaDatetime


class RuleForVillagers(BaseModel):
    """A rule as a villager reads it: what earns or costs points, how many, up to how many."""

    model_config = ConfigDict(from_attributes=True)
    code: str
    title: str
    ledger: Ledger
    points: int
    unit: Unit
    daily_cap: int | None
    monthly_cap: int | None
    yearly_cap: int | None
    requires_evidence: bool
    requires_approval: bool


class AccountOwner(BaseModel):
    person_id: DbId | None = None
    household_id: DbId | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "AccountOwner":
        if (self.person_id is None) == (self.household_id is None):
            raise ValueError("person_id 和 household_id 须填且只填一个")
        return self


class AwardCreate(BaseModel):
    rule_code: str = Code
    account_owner: AccountOwner
    quantity: int | None = SchemaField(default=None, ge=1, le=10_000)
    note: ShortText = ""
    media_ids: list[DbId] = SchemaField(default_factory=list, max_length=9)


class EntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    account_id: int
    status: EntryStatus
    points: int
    requested_points: int
    capped: bool
    balance_after: int | None
    rule_code: str | None
    title: str
    quantity: int
    source_type: SourceType
    source_id: str | None
    reverses_entry_id: int | None
    note: str | None
    media_ids: list[int]
    created_at: ChinaDatetime
    posted_at: ChinaDatetime | None


class Decision(StrEnum):
    approve = "approve"
    reject = "reject"


class EntryDecision(BaseModel):
    decision: Decision
    note: ShortText | None = None


class BulkDecision(BaseModel):
    entry_ids: list[DbId] = SchemaField(min_length=1, max_length=200)
    decision: Decision
    note: ShortText | None = None


class MediaRef(BaseModel):
    id: int
    url: str | None = None  # None when the photo is no longer stored
    thumb_url: str | None = None


class AppealState(BaseModel):
    id: int
    status: str
    decision_note: str | None


class MyEntry(BaseModel):
    id: int
    points: int
    balance_after: int | None
    rule_code: str | None
    title: str
    status: EntryStatus
    capped: bool
    source_type: SourceType
    source_id: str | None
    note: str | None
    created_at: ChinaDatetime
    media: list[MediaRef]
    appeal: AppealState | None


class MyPoints(BaseModel):
    account_id: int | None
    ledger: Ledger
    balance: int
    items: list[MyEntry]
    next_cursor: str | None


class VerifyResult(BaseModel):
    ok: bool
    entries: int
    head: str | None
    balance: int
    first_bad_entry_id: int | None = None


class LeaderboardRow(BaseModel):
    rank: int
    account_id: int
    owner_type: OwnerType
    owner_id: int
    name: str
    points: int


class Leaderboard(BaseModel):
    ledger: Ledger
    period: str
    village_id: int | None
    town_id: int | None
    items: list[LeaderboardRow]


class AppealCreate(BaseModel):
    reason: Text = SchemaField(min_length=2, max_length=500)


class AppealDecisionKind(StrEnum):
    uphold = "uphold"
    reject = "reject"


class AppealDecision(BaseModel):
    decision: AppealDecisionKind
    note: ShortText = ""


class AppealPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    entry_id: int
    account_id: int
    person_id: int
    reason: str
    status: AppealStatus
    decision_note: str | None
    reversal_entry_id: int | None
    created_at: ChinaDatetime
    decided_at: ChinaDatetime | None


class VillageLedgerLine(BaseModel):
    account_id: int
    owner_type: OwnerType
    owner_id: int
    name: str
    opening: int
    earned: int
    spent: int
    closing: int


class VillageLedger(BaseModel):
    period: str
    village_id: int
    village_name: str
    ledger: Ledger
    earned: int
    spent: int
    items: list[VillageLedgerLine]


class HeadPublic(BaseModel):
    """A signed tree head as a phone checks it."""

    model_config = ConfigDict(from_attributes=True)
    town_id: int
    tree_size: int
    root_hash: str
    issued_at: ChinaDatetime
    previous_root_hash: str | None
    key_id: str
    signed: str
    signature: str


class InclusionProof(BaseModel):
    entry: dict[str, Any]
    leaf_index: int
    leaf_hash: str
    audit_path: list[str]
    head: HeadPublic


class ConsistencyProof(BaseModel):
    town_id: int
    from_size: int
    to_size: int
    proof: list[str]


class LedgerKey(BaseModel):
    key_id: str
    town_id: int
    public_key: str


class LedgerKeys(BaseModel):
    keys: list[LedgerKey]


class HeadRequest(BaseModel):
    town_id: DbId | None = None


class CheckPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    town_id: int
    ok: bool
    entries: int
    heads: int
    first_bad_entry_id: int | None
    problem: str | None
    checked_at: ChinaDatetime
