"""A flag's evidence as a person reads it: each row behind it in one line (the entry with its
points and who gave them, the household, the photo, the redemption), so a supervisor checks a
flag in a minute without opening pages their role does not reach. One query per kind of row."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china
from app.models.base import id_of
from app.models.flags import Flag
from app.models.grid import GridScore, GridTask
from app.models.labels import ENUM_LABELS
from app.models.media import Media
from app.models.points import LedgerEntry
from app.models.roster import Household, Person
from app.models.shop import ShopRedemption
from app.services.kit import Storage, address


@dataclass(frozen=True, slots=True)
class Shown:
    type: str
    id: int
    text: str
    url: str | None = None  # a photo, opened full size
    thumb: str | None = None


_MODELS: dict[str, Any] = {
    "ledger_entry": LedgerEntry,
    "person": Person,
    "household": Household,
    "media": Media,
    "shop_redemption": ShopRedemption,
    "grid_task": GridTask,
    "grid_score": GridScore,
}


def _day(row: Any) -> str:
    return to_china(row.created_at).strftime("%Y-%m-%d")


def _label(enum: str, value: Any) -> str:
    return ENUM_LABELS.get(enum, {}).get(str(value), str(value))


def _line(kind: str, row: Any, names: dict[int, str], storage: Storage) -> Shown:
    match kind:
        case "ledger_entry":
            giver = names.get(row.actor_person_id, "系统")
            text = (
                f"积分记录 {row.id}：{_day(row)} {row.title} {row.requested_points:+d} 分"
                f"（{_label('EntryStatus', row.status)}），记分人 {giver}"
            )
        case "person":
            text = f"人员：{row.name}"
        case "household":
            text = f"农户：户主{row.head_name}" + (f"，户号 {row.number}" if row.number else "")
        case "media":
            return Shown(
                kind,
                row.id,
                f"照片 {row.id}（{_day(row)} 上传，"
                f"上传人 {names.get(row.uploader_person_id, '—')}）",
                url=address(storage, row.display_key),
                thumb=address(storage, row.thumb_key),
            )
        case "shop_redemption":
            text = (
                f"兑换 {row.code}：{_day(row)} {row.quantity} 件、{row.points} 分"
                f"（{_label('RedemptionStatus', row.status)}）"
            )
        case "grid_task":
            text = (
                f"网格任务 {row.id}：{_day(row)} {row.title}（{_label('TaskStatus', row.status)}）"
            )
        case "grid_score":
            text = (
                f"现场打分 {row.id}：{_day(row)} {row.rule_code} {row.points:+d} 分，"
                f"打分人 {names.get(row.scorer_person_id, '—')}"
            )
        case _:
            text = f"{kind} {row.id}"
    return Shown(kind, row.id, text)


async def explain(
    session: AsyncSession, flags: Sequence[Flag], storage: Storage
) -> dict[int, list[Shown]]:
    """Each flag's evidence, in the flag's order; a row since removed is said to be so."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for flag in flags:
        for item in flag.evidence:
            if item.get("type") in _MODELS and isinstance(item.get("id"), int):
                wanted[item["type"]].add(item["id"])
    found: dict[tuple[str, int], Any] = {}
    for kind, ids in wanted.items():
        model = _MODELS[kind]
        for row in (await session.exec(select(model).where(col(model.id).in_(ids)))).all():
            found[kind, row.id] = row
    people = {
        getattr(row, attr)
        for row in found.values()
        for attr in ("actor_person_id", "uploader_person_id", "scorer_person_id")
        if getattr(row, attr, None) is not None
    }
    names = {
        p.id: p.name
        for p in (await session.exec(select(Person).where(col(Person.id).in_(people)))).all()
        if p.id is not None
    }
    shown: dict[int, list[Shown]] = {}
    for flag in flags:
        lines = []
        for item in flag.evidence:
            kind, row_id = str(item.get("type")), item.get("id")
            row = found.get((kind, row_id)) if isinstance(row_id, int) else None
            lines.append(
                _line(kind, row, names, storage)
                if row is not None
                else Shown(kind, row_id or 0, f"{kind} {row_id}（已不存在）")
            )
        shown[id_of(flag)] = lines
    return shown
