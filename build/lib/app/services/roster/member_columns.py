"""The member-file columns of the 花名册 (入党申请日期, 入党日期, 转正日期, 学历, 岗位): read from a
row, compared with the member file, written with the roster and exported beside it, so that
export → edit → import round-trips them."""

import re
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.models.members import EDUCATIONS as EDUCATION
from app.models.members import MemberFile

DATES = {"入党申请日期": "applied_at", "入党日期": "joined_at", "转正日期": "full_member_at"}
TEXTS = {"学历": "education", "岗位": "post"}
COLUMNS = [*DATES, *TEXTS]
_DAY = re.compile(r"^((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$")


def day_of(text: str) -> date | None:
    """``2001-07-01``, ``2001/7/1``, ``2001年7月1日`` or a spreadsheet's ``2001-07-01 00:00:00``."""
    found = _DAY.match(text.strip())
    if found is None:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


def read(cell: dict[str, str], fail: Any) -> dict[str, Any]:
    """The file's values a row gives (blank: keep what the file has)."""
    values: dict[str, Any] = {}
    for column, key in DATES.items():
        text = cell.get(column, "").strip()
        if not text:
            continue
        day = day_of(text)
        if day is None or day > date.today():
            fail(column, "roster.invalid_value", f"{column}请写成 2001-07-01 这样，且不晚于今天。")
        else:
            values[key] = day
    given = [values[k] for k in DATES.values() if k in values]
    if given != sorted(given):
        fail("入党日期", "roster.invalid_value", "日期须依次为申请入党、入党、转正。")
    education = cell.get("学历", "").strip()
    if education:
        if education not in EDUCATION:
            fail("学历", "roster.invalid_value", f"学历只能填：{'、'.join(EDUCATION)}。")
        else:
            values["education"] = education
    post = cell.get("岗位", "").strip()
    if post:
        if len(post) > 50:
            fail("岗位", "roster.invalid_value", "岗位不能超过 50 个字。")
        else:
            values["post"] = post
    return values


async def kept(session: AsyncSession, person_ids: list[int]) -> dict[int, MemberFile]:
    if not person_ids:
        return {}
    found = await session.exec(select(MemberFile).where(col(MemberFile.person_id).in_(person_ids)))
    return {f.person_id: f for f in found.all()}


def changes(file: MemberFile | None, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {
        f"file.{key}": (getattr(file, key, None), value)
        for key, value in values.items()
        if getattr(file, key, None) != value
    }


async def write(
    session: AsyncSession, person_id: int, town_id: int | None, values: dict[str, Any]
) -> None:
    if not values:
        return
    file = (await kept(session, [person_id])).get(person_id)
    if file is None:
        file = MemberFile(person_id=person_id, town_id=town_id)
        session.add(file)
    for key, value in values.items():
        setattr(file, key, value)
    file.updated_at = utcnow()


def plain(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe, for the audit log: days as ISO text."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def cells(file: MemberFile | None) -> list[str]:
    if file is None:
        return [""] * len(COLUMNS)
    return [
        *(getattr(file, key).isoformat() if getattr(file, key) else "" for key in DATES.values()),
        *(getattr(file, key) or "" for key in TEXTS.values()),
    ]
