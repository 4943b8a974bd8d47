"""Raising favouritism flags in the transaction of the write that shows the pattern: the ledger
when points are given or approved, the grid when a photo resembles earlier evidence, the shop's
counter when a keeper hands goods over. A flag never refuses or changes the write; the same
cause (an entry, a redemption, a photo on a record) raises one flag however often it is seen.

This module reads only tables: the services that raise flags import it, so it imports none of
them."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.db import rows
from app.models.flags import Flag, FlagKind, FlagStatus
from app.models.points import LedgerEntry, OwnerType, SourceType
from app.models.roster import Household, Person
from app.models.shop import ShopRedemption
from app.services.identity import Principal

# Points an admin or a grid worker chooses to give; a check-in or a volunteer's hours follow
# from a scan and are nobody's favour.
DISCRETIONARY = frozenset({SourceType.manual, SourceType.score})

_RECORD_WORDS = {"grid_score": "现场打分", "grid_task": "网格任务"}


async def raise_flag(
    session: AsyncSession,
    *,
    kind: FlagKind,
    cause: str,
    town_id: int,
    village_id: int | None,
    subject: str,
    evidence: list[dict[str, Any]],
) -> bool:
    """True when this cause was new; False when it had raised its flag already."""
    made = await rows.insert_values(
        session,
        Flag,
        {
            "town_id": town_id,
            "village_id": village_id,
            "kind": kind,
            "cause": cause[:120],
            "subject": subject[:300],
            "evidence": evidence,
            "status": FlagStatus.open,
            "created_at": utcnow(),
        },
        skip_conflict=True,
    )
    return made is not None


async def _name(session: AsyncSession, person_id: int | None) -> str:
    person = await session.get(Person, person_id) if person_id is not None else None
    return person.name if person is not None else "（已删除的人员）"


async def _household_of_actor(session: AsyncSession, actor: Principal) -> int | None:
    if actor.home is not None:
        return actor.home.household_id
    person = await session.get(Person, actor.person_id) if actor.person_id is not None else None
    return person.household_id if person is not None else None


async def _relation(
    session: AsyncSession, actor: Principal, owner_type: OwnerType, owner_id: int
) -> tuple[str, str] | None:
    """How the owner of the points stands to the actor ("本人" or "本户") and the owner's name,
    or None when they are not the actor's own. The roster records relatives only within a
    household (与户主关系), so "own household" is also "a relative" as far as it knows."""
    if actor.person_id is None:
        return None
    if owner_type is OwnerType.person:
        if owner_id == actor.person_id:
            return "本人", await _name(session, owner_id)
        person = await session.get(Person, owner_id)
        mine = await _household_of_actor(session, actor)
        if person is not None and mine is not None and person.household_id == mine:
            return "本户", person.name
        return None
    mine = await _household_of_actor(session, actor)
    if mine is None or mine != owner_id:
        return None
    household = await session.get(Household, owner_id)
    return "本户", f"户主{household.head_name}" if household is not None else "本户"


def _entry_evidence(
    entry: LedgerEntry, actor: Principal, owner_type: OwnerType, owner_id: int
) -> list[dict[str, Any]]:
    return [
        {"type": "ledger_entry", "id": entry.id},
        {"type": "person", "id": actor.person_id},
        {"type": owner_type.value, "id": owner_id},
    ]


async def points_given(
    session: AsyncSession,
    *,
    entry: LedgerEntry,
    owner_type: OwnerType,
    owner_id: int,
    actor: Principal | None,
) -> None:
    """An award or an on-site score to the giver's own person or household."""
    if actor is None or SourceType(entry.source_type) not in DISCRETIONARY or entry.town_id is None:
        return
    found = await _relation(session, actor, owner_type, owner_id)
    if found is None:
        return
    whose, owner_name = found
    verb = "现场打分" if entry.source_type == SourceType.score else "记分"
    await raise_flag(
        session,
        kind=FlagKind.self_dealing,
        cause=f"given:{entry.id}",
        town_id=entry.town_id,
        village_id=entry.village_id,
        subject=f"{await _name(session, actor.person_id)}给{whose}（{owner_name}）{verb}"
        f" {entry.requested_points} 分：{entry.title}",
        evidence=_entry_evidence(entry, actor, owner_type, owner_id),
    )


async def points_approved(
    session: AsyncSession,
    *,
    entry: LedgerEntry,
    owner_type: OwnerType,
    owner_id: int,
    actor: Principal,
) -> None:
    """An approval of points to the approver's own household, or of points the approver had
    asked for (given, scored or claimed) themselves."""
    if entry.town_id is None or actor.person_id is None:
        return
    approver = await _name(session, actor.person_id)
    found = await _relation(session, actor, owner_type, owner_id)
    if found is not None:
        whose, owner_name = found
        await raise_flag(
            session,
            kind=FlagKind.self_dealing,
            cause=f"approved:{entry.id}",
            town_id=entry.town_id,
            village_id=entry.village_id,
            subject=f"{approver}审批通过了{whose}（{owner_name}）的 {entry.points} 分："
            f"{entry.title}",
            evidence=_entry_evidence(entry, actor, owner_type, owner_id),
        )
    if entry.actor_person_id == actor.person_id:
        await raise_flag(
            session,
            kind=FlagKind.self_approval,
            cause=f"entry:{entry.id}",
            town_id=entry.town_id,
            village_id=entry.village_id,
            subject=f"{approver}提交的 {entry.points} 分由本人审批通过：{entry.title}",
            evidence=_entry_evidence(entry, actor, owner_type, owner_id),
        )


async def photo_reused(
    session: AsyncSession,
    *,
    town_id: int,
    village_id: int,
    record_type: str,
    record_id: int,
    found: Sequence[dict[str, Any]],
) -> None:
    """The grid's resemblance check, surfaced: one flag per new photo on a record, naming every
    earlier record it resembles."""
    by_photo: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for match in found:
        by_photo[int(match["media_id"])].append(match)
    for media_id, matches in by_photo.items():
        evidence: list[dict[str, Any]] = [
            {"type": record_type, "id": record_id},
            {"type": "media", "id": media_id},
        ]
        for match in matches:
            evidence.append({"type": match["record_type"], "id": match["record_id"]})
            evidence.append({"type": "media", "id": match["earlier_media_id"]})
        earliest = min(m["used_at"] for m in matches)[:10]
        await raise_flag(
            session,
            kind=FlagKind.photo_reuse,
            cause=f"{record_type}:{record_id}:{media_id}",
            town_id=town_id,
            village_id=village_id,
            subject=f"{_RECORD_WORDS.get(record_type, record_type)}的照片与 {len(matches)} 条"
            f"早先的记录相似（最早 {earliest}）",
            evidence=evidence,
        )


async def fulfilled(
    session: AsyncSession, *, redemption: ShopRedemption, keeper: Principal
) -> None:
    """A keeper handing over a redemption of their own household."""
    mine = await _household_of_actor(session, keeper) if keeper.person_id is not None else None
    if mine is None or mine != redemption.household_id:
        return
    household = await session.get(Household, redemption.household_id)
    head = household.head_name if household is not None else ""
    await raise_flag(
        session,
        kind=FlagKind.shop_self_fulfil,
        cause=f"redemption:{redemption.id}",
        town_id=redemption.town_id,
        village_id=redemption.village_id,
        subject=f"{await _name(session, keeper.person_id)}核销了本户（户主{head}）的兑换，"
        f"共 {redemption.quantity} 件、{redemption.points} 分",
        evidence=[
            {"type": "shop_redemption", "id": redemption.id},
            {"type": "person", "id": keeper.person_id},
            {"type": "household", "id": redemption.household_id},
        ],
    )
