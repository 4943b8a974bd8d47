"""Branch-led cooperatives (支部领办合作社) with their yearly figures, and the yearly honours
(表彰) a village or town gives people and households."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as SchemaField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel, UniqueConstraint

from app.models.base import ChinaDatetime, Day, DbId, Line, Text, created_at_field


class Cooperative(SQLModel, table=True):
    __tablename__ = "cooperatives"
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id")
    branch_id: int = Field(foreign_key="branches.id", index=True)
    name: str = Field(max_length=100)
    industry: str = Field(max_length=20)
    founded_at: date
    leader_person_id: int = Field(foreign_key="people.id")
    member_person_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = created_at_field()


class CooperativeReport(SQLModel, table=True):
    __tablename__ = "cooperative_reports"
    __table_args__ = (UniqueConstraint("cooperative_id", "year"),)
    id: int | None = Field(default=None, primary_key=True)
    cooperative_id: int = Field(foreign_key="cooperatives.id")
    town_id: int = Field(foreign_key="towns.id", index=True)
    branch_id: int = Field(foreign_key="branches.id")
    year: int
    income_fen: int
    collective_income_fen: int
    households_benefited: int
    created_at: datetime = created_at_field()


class Honour(SQLModel, table=True):
    __tablename__ = "honours"
    id: int | None = Field(default=None, primary_key=True)
    town_id: int = Field(foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    year: int
    title: str = Field(max_length=50)
    person_id: int | None = Field(default=None, foreign_key="people.id")
    household_id: int | None = Field(default=None, foreign_key="households.id")
    # A collective (先进集体): a branch, a grid, a villager group; or, naming none, the village.
    branch_id: int | None = Field(default=None, foreign_key="branches.id")
    grid_id: int | None = Field(default=None, foreign_key="grids.id")
    villager_group_id: int | None = Field(default=None, foreign_key="villager_groups.id")
    honoured_name: str = Field(max_length=100)
    citation: str = Field(max_length=2000)
    post_id: int | None = Field(default=None, foreign_key="posts.id")
    created_at: datetime = created_at_field()


# ---- API schemas -------------------------------------------------------------------------

Fen = SchemaField(ge=0, le=10**12)


class CooperativeCreate(BaseModel):
    branch_id: DbId
    name: Line = SchemaField(min_length=2, max_length=100)
    industry: Line = SchemaField(
        min_length=1, max_length=20, description="产业，如 黑猪、肉驴、芦笋、光伏"
    )
    founded_at: Day
    leader_person_id: DbId
    member_person_ids: list[DbId] = SchemaField(default_factory=list, max_length=2000)


class CooperativeReportCreate(BaseModel):
    year: int = SchemaField(ge=2000, le=2100)
    income_fen: int = Fen
    collective_income_fen: int = Fen
    households_benefited: int = SchemaField(ge=0, le=100_000)


class CooperativeReportPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    year: int
    income_fen: int
    collective_income_fen: int
    households_benefited: int


class CooperativePublic(BaseModel):
    id: int
    town_id: int
    village_id: int | None
    branch_id: int
    name: str
    industry: str
    founded_at: date
    leader_person_id: int
    leader_name: str
    members: int
    reports: list[CooperativeReportPublic]


class HonourCreate(BaseModel):
    year: int = SchemaField(ge=2000, le=2100)
    title: Line = SchemaField(
        min_length=2, max_length=50, description="称号，如 优秀共产党员、文明家庭"
    )
    person_id: DbId | None = None
    household_id: DbId | None = None
    branch_id: DbId | None = SchemaField(default=None, description="先进集体：党支部")
    grid_id: DbId | None = SchemaField(default=None, description="先进集体：网格")
    villager_group_id: DbId | None = SchemaField(default=None, description="先进集体：村民小组")
    village_id: DbId | None = SchemaField(
        default=None, description="所在村；其他都不填时表彰的就是这个村"
    )
    citation: Text = SchemaField(min_length=2, max_length=2000)

    @model_validator(mode="after")
    def _one(self) -> "HonourCreate":
        named = [
            x
            for x in (
                self.person_id,
                self.household_id,
                self.branch_id,
                self.grid_id,
                self.villager_group_id,
            )
            if x is not None
        ]
        if len(named) > 1 or (not named and self.village_id is None):
            raise ValueError(
                "请只填写一个表彰对象：person_id、household_id、branch_id、grid_id、"
                "villager_group_id，或只填 village_id 表彰整个村。"
            )
        return self


class HonourPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    town_id: int
    village_id: int | None
    year: int
    title: str
    person_id: int | None
    household_id: int | None
    branch_id: int | None = None
    grid_id: int | None = None
    villager_group_id: int | None = None
    honoured_name: str
    citation: str
    post_id: int | None
    created_at: ChinaDatetime
