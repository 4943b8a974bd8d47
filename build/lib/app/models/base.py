"""Shared column types, constrained field types and the metadata naming convention."""

import unicodedata
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
)
from sqlalchemy import DateTime, MetaData, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field as ColumnField
from sqlmodel import SQLModel

from app.china_time import to_china, utcnow

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

MAX_DB_INT = 2_147_483_647


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always hands back aware UTC (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E]):
    """A StrEnum kept as its plain value in a VARCHAR, as the migrations made it (no database
    enum type to migrate when a status is added); rows read back hold the enum itself."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int = 16) -> None:
        super().__init__(length=length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


def enum_column(enum: type[StrEnum], length: int = 16) -> Any:
    """The column type for a status or kind held as a StrEnum."""
    return EnumText(enum, length)


# Marks that turn text around (a name shown as another) have no place in a roster.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Line breaks and tabs belong in a note or a body; nowhere in a name or a title.
_LAYOUT = frozenset("\n\r\t")


def text_problem(text: str, *, multiline: bool) -> str | None:
    """What is wrong with text a person typed or a file carried, in Chinese, or None. The one
    rule for the API's schemas and the roster import alike: no control characters (a bell, NUL,
    escape codes; line breaks only where ``multiline``), no marks that reverse the text, and
    something visible."""
    for c in text:
        if c in _BIDI_CONTROLS:
            return "不能含有改变文字方向的控制字符"
        kind = unicodedata.category(c)
        if kind == "Cc" and not (multiline and c in _LAYOUT):
            return "含有不可见的控制字符" if multiline else "含有换行、制表符或不可见的控制字符"
        if kind in ("Cs", "Co", "Cn"):
            return "含有无法显示的字符"
    if text and not any(unicodedata.category(c)[0] in "LNPS" for c in text):
        return "须含有看得见的文字"
    return None


def _one_line(text: str) -> str:
    problem = text_problem(text, multiline=False)
    if problem:
        raise ValueError(problem)
    return text


def _many_lines(text: str) -> str:
    problem = text_problem(text, multiline=True)
    if problem:
        raise ValueError(problem)
    return text


def _nfkc(value: Any) -> Any:
    """Full-width and other-script digits (１３８…, ١٣٨…) read as the ASCII number they are, so a
    number cannot be stored twice in two spellings."""
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


# Dates and times that enter: a village's records start after 1900 and plan no further than
# 2100. Outside, the arithmetic on them (a week of shifts from 9999-12-31, a year of probation)
# overflows; so they are refused on the way in with a 422, in every schema alike.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2100, 12, 31)
_OUT_OF_RANGE = "日期须在 1900 年到 2100 年之间"


def _sane_day(day: date) -> date:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(_OUT_OF_RANGE)
    return day


def _sane_moment(moment: datetime) -> datetime:
    _sane_day(moment.date())
    return moment


Day = Annotated[date, AfterValidator(_sane_day)]
Moment = Annotated[datetime, AfterValidator(_sane_moment)]
AwareMoment = Annotated[AwareDatetime, AfterValidator(_sane_moment)]

DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_one_line),
]
ShortText = Annotated[str, StringConstraints(max_length=500), AfterValidator(_many_lines)]
# Lengths are the field's own (SchemaField); these say what characters it may hold.
Line = Annotated[str, AfterValidator(_one_line)]  # a title, a name of a thing
Text = Annotated[str, AfterValidator(_many_lines)]  # a note, a reason, a body
# [0-9], not \d: the pattern engine's \d takes any script's digits.
Phone = Annotated[str, StringConstraints(pattern=r"^1[3-9][0-9]{9}$"), BeforeValidator(_nfkc)]
ChinaDatetime = Annotated[
    datetime, PlainSerializer(lambda d: to_china(d).isoformat(), return_type=str)
]


def created_at_field() -> Any:
    return ColumnField(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# A China month as "YYYY-MM", for disclosure periods and monthly reports.
MONTH_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2])$"


class _Saved(Protocol):
    id: int | None


def id_of(row: _Saved) -> int:
    """The id of a row that has been flushed. A row without one is a bug to surface, never a
    0 to write into an append-only log or a foreign key."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id
