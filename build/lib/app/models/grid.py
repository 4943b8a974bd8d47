"""Grid governance: tasks grid workers report or are given, their transitions, on-site scores,
and every use of a photo as evidence (to spot a photo paid for twice)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, model_validator
from pydantic import Field as SchemaField
from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from app.models.base import (
    ChinaDatetime,
    DbId,
    Line,
    Text,
    UTCDateTime,
    created_at_field,
    enum_column,
)
from app.models.events import CoordType
from app.models.points import EntryPublic


class TaskCategory(StrEnum):
    sanitation = "sanitation"  # 环境卫生
    safety_hazard = "safety_hazard"  # 安全隐患
    dispute = "dispute"  # 矛盾纠纷
    livelihood = "livelihood"  # 民生诉求
    errand = "errand"  # 代办服务
    other = "other"


CATEGORY_TITLES = {
    TaskCategory.sanitation: "环境卫生",
    TaskCategory.safety_hazard: "安全隐患",
    TaskCategory.dispute: "矛盾纠纷",
    TaskCategory.livelihood: "民生诉求",
    TaskCategory.errand: "代办服务",
    TaskCategory.other: "其他",
}


class TaskStatus(StrEnum):
    reported = "reported"
    accepted = "accepted"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"
    rejected = "rejected"


STATUS_TITLES = {
    TaskStatus.reported: "已上报",
    TaskStatus.accepted: "已受理",
    TaskStatus.in_progress: "处理中",
    TaskStatus.resolved: "已办结",
    TaskStatus.closed: "已关闭",
    TaskStatus.rejected: "已驳回",
}


class TaskOrigin(StrEnum):
    reported = "reported"  # a grid worker saw something
    assigned = "assigned"  # an admin gave a grid worker a job


class Priority(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class TaskAction(StrEnum):
    accept = "accept"
    start = "start"
    resolve = "resolve"
    close = "close"
    reject = "reject"
    reopen = "reopen"


# Hours from report to due, per priority; each town may change them.
DEFAULT_DUE_HOURS = {"urgent": 4, "high": 24, "normal": 72, "low": 168}


class GridTask(SQLModel, table=True):
    __tablename__ = "grid_tasks"
    __table_args__ = (
        # Lists read newest first within a village, a grid or a town.
        Index("ix_grid_tasks_village_list", "village_id", "created_at", "id"),
        Index("ix_grid_tasks_grid_list", "grid_id", "created_at", "id"),
        Index("ix_grid_tasks_town_list", "town_id", "created_at", "id"),
        Index("ix_grid_tasks_village_status", "village_id", "status", "created_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id")
    village_id: int = Field(foreign_key="villages.id")
    grid_id: int = Field(foreign_key="grids.id")
    origin: TaskOrigin = Field(sa_type=enum_column(TaskOrigin))
    category: TaskCategory = Field(sa_type=enum_column(TaskCategory, 20))
    title: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)
    lat: float | None = None  # GCJ-02, as WeChat's maps use
    lng: float | None = None
    priority: Priority = Field(sa_type=enum_column(Priority, 10))
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: TaskStatus = Field(sa_type=enum_column(TaskStatus))
    reporter_person_id: int | None = Field(default=None, foreign_key="people.id")
    assignee_person_id: int | None = Field(default=None, foreign_key="people.id")
    media_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    # Earlier evidence its photos resemble; any makes the task need a cadre's look.
    resembles: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class GridTaskTransition(SQLModel, table=True):
    __tablename__ = "grid_task_transitions"
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="grid_tasks.id", index=True)
    # A TaskAction, or the TaskOrigin of the task's first step.
    action: str = Field(max_length=16)
    from_status: TaskStatus | None = Field(default=None, sa_type=enum_column(TaskStatus))
    to_status: TaskStatus = Field(sa_type=enum_column(TaskStatus))
    actor_account_id: int = Field(foreign_key="user_accounts.id")
    actor_person_id: int | None = Field(default=None, foreign_key="people.id")
    note: str | None = Field(default=None, max_length=1000)
    media_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = created_at_field()


class GridScore(SQLModel, table=True):
    """An on-site score: the ledger entry it posted, who gave it, in which grid."""

    __tablename__ = "grid_scores"
    __table_args__ = (Index("ix_grid_scores_village_time", "village_id", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="ledger_entries.id", unique=True)
    town_id: int = Field(foreign_key="towns.id")
    village_id: int = Field(foreign_key="villages.id")
    grid_id: int | None = Field(default=None, foreign_key="grids.id")
    household_id: int = Field(foreign_key="households.id", index=True)
    scorer_person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    scorer_account_id: int = Field(foreign_key="user_accounts.id")
    rule_code: str = Field(max_length=64)
    points: int
    resembles: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = created_at_field()


class EvidenceUse(SQLModel, table=True):
    """A photo used as evidence in a village: what later photos are compared with."""

    __tablename__ = "evidence_uses"
    __table_args__ = (Index("ix_evidence_uses_village_time", "village_id", "used_at"),)
    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="villages.id")
    media_id: int = Field(foreign_key="media.id")
    sha256: str = Field(max_length=64)
    phash: str = Field(max_length=16)
    record_type: str = Field(max_length=20)  # grid_task | grid_score
    record_id: int
    used_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------


class TaskCreate(BaseModel):
    category: TaskCategory
    title: Line = SchemaField(min_length=1, max_length=100)
    description: Text = SchemaField(default="", max_length=2000)
    lat: float | None = SchemaField(default=None, ge=-90, le=90)
    lng: float | None = SchemaField(default=None, ge=-180, le=180)
    coord_type: CoordType = "gcj02"
    media_ids: list[DbId] = SchemaField(default_factory=list, max_length=9)
    priority: Priority = Priority.normal
    origin: TaskOrigin = TaskOrigin.reported
    grid_id: DbId | None = SchemaField(default=None, description="网格员管多个网格时必填；派单必填")
    assignee_person_id: DbId | None = SchemaField(default=None, description="派单给哪位网格员")

    @model_validator(mode="after")
    def _both_or_neither(self) -> "TaskCreate":
        if (self.lat is None) != (self.lng is None):
            raise ValueError("lat 和 lng 须同时填写")
        return self


class TransitionCreate(BaseModel):
    action: TaskAction
    note: Text | None = SchemaField(default=None, max_length=1000)
    media_ids: list[DbId] = SchemaField(default_factory=list, max_length=9)


class TaskMedia(BaseModel):
    id: int
    url: str
    thumb_url: str


class Resemblance(BaseModel):
    media_id: int
    earlier_media_id: int
    record_type: str
    record_id: int
    used_at: ChinaDatetime
    distance: int


class TransitionPublic(BaseModel):
    action: str = SchemaField(description="reported / assigned（创建），或 accept、start 等操作")
    from_status: TaskStatus | None
    to_status: TaskStatus
    actor_person_id: int | None
    note: str | None
    media: list[TaskMedia]
    created_at: ChinaDatetime


class TaskPublic(BaseModel):
    id: int
    origin: TaskOrigin
    category: TaskCategory
    title: str
    description: str
    lat: float | None
    lng: float | None
    priority: Priority
    due_at: ChinaDatetime
    overdue: bool
    status: TaskStatus
    town_id: int
    village_id: int
    grid_id: int
    reporter_person_id: int | None
    assignee_person_id: int | None
    media: list[TaskMedia]
    needs_review: bool
    resembles: list[Resemblance]
    resolved_at: ChinaDatetime | None
    closed_at: ChinaDatetime | None
    created_at: ChinaDatetime
    updated_at: ChinaDatetime
    transitions: list[TransitionPublic] | None = None


class ScoreCreate(BaseModel):
    household_id: DbId
    rule_code: str = SchemaField(min_length=1, max_length=64)
    quantity: int | None = SchemaField(default=None, ge=1, le=1000)
    note: Text | None = SchemaField(default=None, max_length=500)
    media_ids: list[DbId] = SchemaField(default_factory=list, max_length=9)


class ScorePublic(EntryPublic):
    """The ledger entry, with the household and whether a reused photo held it for review."""

    household_id: int
    grid_id: int | None
    needs_review: bool
    resembles: list[Resemblance]


class CountByKey(BaseModel):
    key: str
    title: str
    count: int


class ScorerLine(BaseModel):
    person_id: int | None
    name: str
    scores: int
    points: int


class GridReport(BaseModel):
    period: str
    village_id: int | None
    grid_id: int | None
    tasks: int
    by_category: list[CountByKey]
    by_status: list[CountByKey]
    resolved: int
    median_hours_to_resolve: float | None
    overdue: int
    scores_by_worker: list[ScorerLine]
