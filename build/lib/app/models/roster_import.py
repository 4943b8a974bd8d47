"""One roster import (花名册导入): its file, whether it was applied, and its per-row report."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as SchemaField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.models.base import ChinaDatetime, created_at_field, enum_column


class ImportStatus(StrEnum):
    validated = "validated"
    applied = "applied"
    failed = "failed"
    running = "running"


class RosterImport(SQLModel, table=True):
    __tablename__ = "roster_imports"
    id: int | None = Field(default=None, primary_key=True)
    town_id: int | None = Field(default=None, foreign_key="towns.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="villages.id", index=True)
    # Who ran it; None when run from the command line (`xiangzhi import-roster`).
    account_id: int | None = Field(default=None, foreign_key="user_accounts.id")
    file_name: str = Field(max_length=200)
    status: ImportStatus = Field(sa_type=enum_column(ImportStatus))
    dry_run: bool = True
    total_rows: int = 0
    done_rows: int = 0
    report: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = created_at_field()


class RowError(BaseModel):
    row: int = SchemaField(description="表格中的行号（标题行为第 1 行）")
    column: str = SchemaField(description="列名，如 手机号")
    code: str = SchemaField(description="错误代码，如 roster.phone_invalid")
    message: str = SchemaField(description="中文说明")


class Tally(BaseModel):
    people: int = SchemaField(default=0, description="人员数")
    households: int = SchemaField(default=0, description="户数")


class ImportPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    status: ImportStatus
    dry_run: bool = SchemaField(description="是否只检查不写入")
    file_name: str
    total_rows: int
    done_rows: int
    created: Tally = SchemaField(description="将新建（或已新建）的")
    updated: Tally = SchemaField(description="将更新（或已更新）的")
    unchanged: int = SchemaField(description="与花名册一致、无需改动的行数")
    errors: list[RowError] = SchemaField(
        description="逐行的问题（最多列出前 200 条）；有任何问题则整个文件不写入"
    )
    error_count: int = SchemaField(default=0, description="问题的总条数")
    created_at: ChinaDatetime
