"""Telling people their points moved: the inbox (and WeChat) of the person whose account it is,
or of the household's members who have signed in (the rest have no inbox to read). The shop
and reversals say it in their own words (the redemption, the appeal), so they are not
announced twice."""

from collections.abc import Sequence
from typing import Protocol

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.auth import UserAccount
from app.models.base import id_of
from app.models.notifications import NotificationKind
from app.models.points import (
    EntryStatus,
    Ledger,
    LedgerEntry,
    OwnerType,
    SourceType,
)
from app.models.roster import Person
from app.services.notifications import Note, notify, notify_each

_QUIET_SOURCES = (SourceType.redemption, SourceType.reversal)


class _Book(Protocol):
    """An account as the ledger holds it while posting (a row or its locked values)."""

    @property
    def ledger(self) -> Ledger: ...
    @property
    def owner_type(self) -> OwnerType: ...
    @property
    def owner_id(self) -> int: ...


async def _people(session: AsyncSession, account: _Book) -> list[int]:
    if account.owner_type is OwnerType.person:
        return [account.owner_id]
    found = await session.exec(
        select(Person.id)
        .join(UserAccount, col(UserAccount.person_id) == col(Person.id))
        .where(col(Person.household_id) == account.owner_id)
        .distinct()
    )
    return [p for p in found.all() if p is not None]


def _told(account: _Book, entry: LedgerEntry) -> Note | None:
    """What the owner is told of an entry posted (at once, or approved) or rejected after
    review; None when the entry is not announced here."""
    if entry.source_type in _QUIET_SOURCES or entry.status is EntryStatus.pending:
        return None
    if account.ledger is Ledger.volunteer:
        return None  # minutes, not points: volunteer_confirmed tells them
    signed = f"{entry.points:+d}"
    if entry.status is EntryStatus.rejected:
        status, body = "未通过", f"“{entry.title}”的 {signed} 分审核未通过。"
    else:
        status = "已入账"
        body = f"{entry.title}：{signed} 分，余额 {entry.balance_after} 分。"
    return Note(
        kind=NotificationKind.points_posted,
        target=("ledger_entry", id_of(entry)),
        title=f"积分{status} {signed}",
        body=body,
        values={
            "name": entry.title,
            "points": signed,
            "status": status,
            "time": entry.posted_at or entry.created_at,
            "note": entry.note or entry.title,
        },
    )


async def entry_settled(session: AsyncSession, account: _Book, entry: LedgerEntry) -> None:
    """An entry posted (at once, or approved) or rejected after review."""
    note = _told(account, entry)
    if note is not None:
        await notify(session, people=await _people(session, account), **note.fields())


async def entries_settled(
    session: AsyncSession, settled: Sequence[tuple[_Book, LedgerEntry]]
) -> None:
    """Several entries posted together: a person's account is told in one statement for all
    of them; a household's members are looked up per entry, as ``entry_settled`` does."""
    alone: list[tuple[int, Note]] = []
    for account, entry in settled:
        note = _told(account, entry)
        if note is None:
            continue
        if account.owner_type is OwnerType.person:
            alone.append((account.owner_id, note))
        else:
            await notify(session, people=await _people(session, account), **note.fields())
    await notify_each(session, alone)
