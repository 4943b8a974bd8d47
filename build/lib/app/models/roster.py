"""The organisation: town → villages → grids → households → people; branches; role grants.

Every row carries ``town_id`` (the tenant boundary) and whichever of village, branch and grid it
belongs to, so one scope filter serves every list.
"""

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as SchemaField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel, UniqueConstraint

from app.models.base import (
    ChinaDatetime,
    DbId,
    Name,
    Phone,
    ShortText,
    Text,
    UTCDateTime,
    created_at_field,
    enum_column,
)


class Role(StrEnum):
    superadmin = "superadmin"
    town_admin = "town_admin"
    village_admin = "village_admin"
    branch_admin = "branch_admin"
    grid_worker = "grid_worker"
    shop_keeper = "shop_keeper"
    supervisor = "supervisor"  # 村务监督委员会: reads the village's affairs, files objections
    dues_keeper = "dues_keeper"  # 党费收缴员: records cash dues of one branch


class ScopeType(StrEnum):
    global_ = "global"
    town = "town"
    village = "village"
    branch = "branch"
    grid = "grid"


ADMIN_ROLES = frozenset({Role.superadmin, Role.town_admin, Role.village_admin, Role.branch_admin})

ROLE_SCOPES: dict[Role, frozenset[ScopeType]] = {
    Role.superadmin: frozenset({ScopeType.global_}),
    Role.town_admin: frozenset({ScopeType.town}),
    Role.village_admin: frozenset({ScopeType.village}),
    Role.branch_admin: frozenset({ScopeType.branch}),
    Role.grid_worker: frozenset({ScopeType.grid, ScopeType.village}),
    Role.shop_keeper: frozenset({ScopeType.village}),
    Role.supervisor: frozenset({ScopeType.village}),
    Role.dues_keeper: frozenset({ScopeType.branch}),
}


class Town(SQLModel, table=True):
    __tablename__ = "towns"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    rankings_enabled: bool = Field(default=True)
    appeal_days: int = Field(default=7)
    # Yearly member points for 2, 3, 4 and 5 stars (one star needs nothing).
    member_star_points: list[int] = Field(default_factory=lambda: [40, 60, 80, 100], sa_type=JSON)
    # Hours from a grid task's report to its due time, per priority.
    grid_due_hours: dict[str, int] = Field(
        default_factory=lambda: {"urgent": 4, "high": 24, "normal": 72, "low": 168}, sa_type=JSON
    )
    # Hours a villager's service request (代办) may wait before it is overdue.
    service_due_hours: int = Field(default=48)
    # Days after a meeting's end within which its minutes must be filed for it to count.
    minutes_due_days: int = Field(default=7)
    # 回炉教育 for members below this many stars: the plan's 四星级以下, read as 1–3 stars (4);
    # a town that reads 以下 as inclusive sets 5.
    reeducation_below_stars: int = Field(default=4)
    # The least a village gives its points shop from collective income each year (fen; the
    # plan's 不少于x万元); 0: the town has not set one.
    shop_fund_min_fen: int = Field(default=0)
    # Branch health: a signal's threshold where the town reads it otherwise than the defaults
    # (app/models/warnings.py), e.g. {"attendance_rate": {"min": 0.8}}.
    health_thresholds: dict[str, dict[str, float]] = Field(default_factory=dict, sa_type=JSON)
    # A village is flagged when the share of its month's discretionary points going to its top
    # 5 % of households passes the town's median village by more than this.
    concentration_margin: float = Field(default=0.3)
    created_at: datetime = created_at_field()


class Village(SQLModel, table=True):
    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("town_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    name: str = Field(max_length=100)
    # The village office's phone (村委会值班电话): shown with who is on duty, never a cadre's own.
    office_phone: str | None = Field(default=None, max_length=20)
    created_at: datetime = created_at_field()


class Branch(SQLModel, table=True):
    __tablename__ = "branches"
    __table_args__ = (UniqueConstraint("town_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    name: str = Field(max_length=100)
    created_at: datetime = created_at_field()


class Grid(SQLModel, table=True):
    __tablename__ = "grids"
    __table_args__ = (UniqueConstraint("village_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int = Field(foreign_key="villages.id", index=True)
    name: str = Field(max_length=100)
    created_at: datetime = created_at_field()


# No 0/O, 1/I/L: the code is also printed under the QR for a worker to type in.
PLATE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_plate_code() -> str:
    """A household's door-plate code: 10 random characters (about 49 bits), not its id."""
    return "".join(secrets.choice(PLATE_ALPHABET) for _ in range(10))


class VillagerGroup(SQLModel, table=True):
    """村民小组: the group level under a village (镇、村、组三级), holding households."""

    __tablename__ = "villager_groups"
    __table_args__ = (UniqueConstraint("village_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int = Field(foreign_key="villages.id", index=True)
    name: str = Field(max_length=50)
    created_at: datetime = created_at_field()


class VillageLiaison(SQLModel, table=True):
    """包村: a town cadre assigned to a village, who may be on its rota and take its requests."""

    __tablename__ = "village_liaisons"
    __table_args__ = (UniqueConstraint("village_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int = Field(foreign_key="villages.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    created_at: datetime = created_at_field()


class Household(SQLModel, table=True):
    __tablename__ = "households"
    # 户号: the village's own number for the household, by which a roster import finds it.
    __table_args__ = (UniqueConstraint("village_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int = Field(foreign_key="villages.id", index=True)
    grid_id: int | None = Field(default=None, foreign_key="grids.id", index=True)
    villager_group_id: int | None = Field(default=None, foreign_key="villager_groups.id")
    number: str | None = Field(default=None, max_length=32)
    head_name: str = Field(max_length=100)
    address: str | None = Field(default=None, max_length=500)
    # 门牌码: printed on the door plate; random, so the code alone says nothing about the home.
    plate_code: str = Field(default_factory=new_plate_code, max_length=16, unique=True)
    created_at: datetime = created_at_field()


class Person(SQLModel, table=True):
    __tablename__ = "people"
    id: int | None = Field(default=None, primary_key=True)
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    household_id: int | None = Field(default=None, foreign_key="households.id", index=True)
    branch_id: int | None = Field(default=None, foreign_key="branches.id", index=True)
    grid_id: int | None = Field(default=None, foreign_key="grids.id", index=True)
    name: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=20, unique=True)
    is_party_member: bool = Field(default=False)
    is_mobile_member: bool = Field(default=False)
    # 预备党员: a Party member in probation, set and cleared by the admission procedure.
    is_probationary_member: bool = Field(default=False)
    # From the 花名册: 性别 (男/女), 出生年月 (YYYY-MM), 与户主关系.
    sex: str | None = Field(default=None, max_length=2)
    birth_month: str | None = Field(default=None, max_length=7)
    relation: str | None = Field(default=None, max_length=20)
    # 个人信息删除 (PIPL art. 47): the person's data went; their ledger entries stay, owned by
    # the pseudonym their name became.
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()


class RoleGrant(SQLModel, table=True):
    __tablename__ = "role_grants"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    role: Role = Field(sa_type=enum_column(Role, 32))
    scope_type: ScopeType = Field(sa_type=enum_column(ScopeType))
    scope_id: int | None = Field(default=None)
    # Where the scope sits, so grants list under the same filter as every other row.
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int | None = Field(default=None, foreign_key="branches.id")
    grid_id: int | None = Field(default=None, foreign_key="grids.id")
    granted_by_person_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = created_at_field()
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# ---- API schemas -------------------------------------------------------------------------


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class TownCreate(BaseModel):
    name: Name


class TownUpdate(BaseModel):
    name: Name | None = None
    rankings_enabled: bool | None = None
    appeal_days: int | None = SchemaField(default=None, ge=1, le=90)
    member_star_points: list[int] | None = SchemaField(default=None, min_length=4, max_length=4)
    grid_due_hours: dict[Literal["urgent", "high", "normal", "low"], int] | None = SchemaField(
        default=None, description="各优先级网格任务的办理时限（小时）"
    )
    service_due_hours: int | None = SchemaField(
        default=None, ge=1, le=24 * 30, description="群众代办诉求的办理时限（小时），默认 48"
    )
    minutes_due_days: int | None = SchemaField(
        default=None, ge=1, le=60, description="会后几天内须提交会议记录才算落实，默认 7"
    )
    health_thresholds: dict[str, dict[Literal["min", "max"], float]] | None = SchemaField(
        default=None, description='党支部健康信号的阈值，如 {"attendance_rate": {"min": 0.8}}'
    )
    concentration_margin: float | None = SchemaField(
        default=None,
        ge=0.05,
        le=0.95,
        description="积分集中预警：某村当月前 5% 农户所得的自由裁量积分占比，"
        "超过全镇各村中位数多少即提示（默认 0.3）",
    )
    shop_fund_min_fen: int | None = SchemaField(
        default=None,
        ge=0,
        le=10**11,
        description="每村每年从集体经济收益拨给积分超市的最低金额（分；方案原文“不少于x万元”）",
    )
    reeducation_below_stars: int | None = SchemaField(
        default=None,
        ge=2,
        le=6,
        description="低于几星的党员进入回炉教育。方案原文“四星级以下”：默认 4（1–3 星）；"
        "把“以下”理解为含四星的镇设为 5",
    )

    @field_validator("grid_due_hours")
    @classmethod
    def _hours(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        if value is not None and (
            len(value) != 4 or any(not 1 <= h <= 24 * 90 for h in value.values())
        ):
            raise ValueError("须给出四个优先级的办理时限，每个 1 到 2160 小时")
        return value

    @field_validator("member_star_points")
    @classmethod
    def _ascending(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and (value != sorted(value) or len(set(value)) != 4 or value[0] < 0):
            raise ValueError("须为四个递增、不重复、不小于 0 的分数线")
        return value


class TownPublic(_Public):
    id: int
    name: str
    rankings_enabled: bool
    appeal_days: int
    member_star_points: list[int]
    grid_due_hours: dict[str, int]
    service_due_hours: int
    minutes_due_days: int
    reeducation_below_stars: int
    shop_fund_min_fen: int
    health_thresholds: dict[str, dict[str, float]]
    concentration_margin: float
    created_at: ChinaDatetime


OWN_TOWN = "所属镇；不填则为您所管辖的那一个镇（管辖不止一个镇时必填）"
OWN_VILLAGE = "所属村；不填则为您所管辖的那一个村（管辖不止一个村时必填）"


OfficePhone = Annotated[
    str,
    SchemaField(pattern=r"^[0-9][0-9-]{4,19}$", description="村委会值班电话（固定电话或办公手机）"),
]


class VillageCreate(BaseModel):
    town_id: DbId | None = SchemaField(default=None, description=OWN_TOWN)
    name: Name
    office_phone: OfficePhone | None = None


class VillageUpdate(BaseModel):
    name: Name | None = None
    office_phone: OfficePhone | None = None


class VillagePublic(_Public):
    id: int
    town_id: int
    name: str
    office_phone: str | None
    created_at: ChinaDatetime


class BranchCreate(BaseModel):
    town_id: DbId | None = SchemaField(default=None, description=OWN_TOWN)
    village_id: DbId | None = None
    name: Name


class BranchPublic(_Public):
    id: int
    town_id: int
    village_id: int | None
    name: str
    created_at: ChinaDatetime


class GridCreate(BaseModel):
    village_id: DbId | None = SchemaField(default=None, description=OWN_VILLAGE)
    name: Name


class GridPublic(_Public):
    id: int
    town_id: int
    village_id: int
    name: str
    created_at: ChinaDatetime


class HouseholdCreate(BaseModel):
    village_id: DbId | None = SchemaField(default=None, description=OWN_VILLAGE)
    grid_id: DbId | None = None
    villager_group_id: DbId | None = SchemaField(default=None, description="所在村民小组")
    head_name: Name
    address: ShortText | None = None


class HouseholdPublic(_Public):
    id: int
    town_id: int
    village_id: int
    grid_id: int | None
    villager_group_id: int | None = SchemaField(default=None, description="所在村民小组")
    number: str | None = SchemaField(description="户号")
    head_name: str
    address: str | None
    created_at: ChinaDatetime


class PersonCreate(BaseModel):
    name: Name
    phone: Phone
    town_id: DbId | None = None
    village_id: DbId | None = None
    household_id: DbId | None = None
    branch_id: DbId | None = None
    grid_id: DbId | None = None
    is_party_member: bool = False
    is_mobile_member: bool = False


class PersonErase(BaseModel):
    reason: Text = SchemaField(
        min_length=2, max_length=500, description="删除的理由（如：已迁出、已故、本人申请）"
    )


class PersonUpdate(BaseModel):
    name: Name | None = None
    phone: Phone | None = None
    village_id: DbId | None = None
    household_id: DbId | None = None
    branch_id: DbId | None = None
    grid_id: DbId | None = None
    is_party_member: bool | None = None
    is_mobile_member: bool | None = None


class PersonPublic(_Public):
    id: int
    name: str
    phone: str | None
    town_id: int | None
    village_id: int | None
    household_id: int | None
    branch_id: int | None
    grid_id: int | None
    is_party_member: bool
    is_mobile_member: bool
    is_probationary_member: bool = SchemaField(default=False, description="是否预备党员")
    created_at: ChinaDatetime


class RoleGrantCreate(BaseModel):
    person_id: DbId
    role: Role
    scope_type: ScopeType
    scope_id: DbId | None = None


class RoleGrantPublic(_Public):
    id: int
    person_id: int
    role: Role
    scope_type: ScopeType
    scope_id: int | None
    granted_by_person_id: int | None
    created_at: ChinaDatetime
    revoked_at: ChinaDatetime | None


class ConsoleLoginCreate(BaseModel):
    username: str = SchemaField(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = SchemaField(min_length=8, max_length=128)


class ConsoleLoginPublic(BaseModel):
    person_id: int
    username: str


class VillagerGroupCreate(BaseModel):
    village_id: DbId | None = SchemaField(default=None, description=OWN_VILLAGE)
    name: Name = SchemaField(max_length=50, description="如“第三村民小组”")


class VillagerGroupPublic(_Public):
    id: int
    village_id: int
    name: str


class LiaisonCreate(BaseModel):
    person_id: DbId = SchemaField(description="包村的镇干部（须是本镇的镇管理员）")


class LiaisonPublic(_Public):
    id: int
    village_id: int
    person_id: int
