"""Transfers of organisational relations (组织关系转接): the sending branch starts one to a branch
on the system (of this town or another) or to an organisation outside it; the receiving branch's
admin accepts or declines with a reason; acceptance moves the member's branch in one audited
step and nothing else (their points and history stay theirs)."""

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.models.base import id_of
from app.models.members import Transfer, TransferCreate, TransferStatus
from app.models.roster import ADMIN_ROLES, Branch, Person, ScopeType
from app.services import audit
from app.services.identity import Location, Principal, covers, location_of, scope_clause
from app.services.kit import Page, keyset_page
from app.services.members.files import member_in_scope


class TransferNotFound(NotFound):
    code = "transfer.not_found"
    detail = "找不到该组织关系转接。"


class NotReceiver(Forbidden):
    code = "transfer.not_receiver"
    detail = "只有接收党支部的管理员可以接收或退回。"


class AlreadyDecided(Conflict):
    code = "transfer.decided"
    detail = "这次转接已经办结。"


class Pending(Conflict):
    code = "transfer.pending"
    detail = "该党员已有一个在办的组织关系转接。"


class BranchInvalid(Unprocessable):
    code = "transfer.branch_invalid"
    detail = "接收党支部不存在，或就是该党员现在所在的支部。"


class NoBranch(Unprocessable):
    code = "transfer.no_branch"
    detail = "该党员还没有所在党支部，无从转出。"


def receiving(transfer: Transfer) -> Location | None:
    if transfer.to_branch_id is None:
        return None
    return Location(
        town_id=transfer.to_town_id,
        village_id=transfer.to_village_id,
        branch_id=transfer.to_branch_id,
    )


def covers_receiving(*, principal: Principal, transfer: Transfer) -> bool:
    """Whether the caller is an admin of the branch the member would move to."""
    where = receiving(transfer)
    return where is not None and covers(principal, where)


def _sees(principal: Principal, transfer: Transfer) -> bool:
    where = receiving(transfer)
    return covers(principal, location_of(transfer)) or (
        where is not None and covers(principal, where)
    )


def _receiving_clause(principal: Principal) -> ColumnElement[bool]:
    terms: list[ColumnElement[bool]] = []
    columns = {
        ScopeType.town: Transfer.to_town_id,
        ScopeType.village: Transfer.to_village_id,
        ScopeType.branch: Transfer.to_branch_id,
    }
    for grant in principal.grants:
        if grant.role not in ADMIN_ROLES:
            continue
        if grant.scope_type is ScopeType.global_:
            return true()
        column = columns.get(grant.scope_type)
        if column is not None:
            terms.append(col(column) == grant.scope_id)
    return or_(*terms) if terms else false()


async def start(session: AsyncSession, *, principal: Principal, data: TransferCreate) -> Transfer:
    person = await member_in_scope(session, principal=principal, person_id=data.person_id)
    if person.branch_id is None:
        raise NoBranch()
    busy = await session.exec(
        select(Transfer.id).where(
            col(Transfer.person_id) == person.id, col(Transfer.status) == TransferStatus.pending
        )
    )
    if busy.first() is not None:
        raise Pending()
    sending = await session.get(Branch, person.branch_id)
    assert sending is not None
    transfer = Transfer(
        person_id=id_of(person),
        town_id=sending.town_id,
        village_id=sending.village_id,
        branch_id=id_of(sending),
        reason=data.reason,
        created_by=principal.person_id,
    )
    if data.to_branch_id is not None:
        target = await session.get(Branch, data.to_branch_id)
        if target is None or target.id == sending.id:
            raise BranchInvalid()
        transfer.to_town_id, transfer.to_village_id = target.town_id, target.village_id
        transfer.to_branch_id = id_of(target)
        await audit.record_created(
            session,
            actor=principal,
            row=transfer,
            target_type="transfer",
            where=location_of(person),
        )
        return transfer
    # Out of the system: the letter is the record; the member leaves the branch now.
    assert data.to_outside is not None
    transfer.to_organisation = data.to_outside.organisation
    transfer.letter_no = data.to_outside.letter_no
    transfer.status = TransferStatus.accepted
    transfer.decided_by, transfer.decided_at = principal.person_id, utcnow()
    await audit.record_created(
        session, actor=principal, row=transfer, target_type="transfer", where=location_of(person)
    )
    await _move(session, principal, person, None, transfer)
    return transfer


async def _move(
    session: AsyncSession,
    principal: Principal,
    person: Person,
    branch_id: int | None,
    transfer: Transfer,
) -> None:
    async with audit.change(
        session,
        actor=principal,
        row=person,
        action="transfer.move",
        target_type="person",
        where=location_of(person),
        picture=lambda p: {"branch_id": p.branch_id},
    ) as change:
        person.branch_id = branch_id
        change.extra["transfer_id"] = transfer.id


async def _decidable(session: AsyncSession, principal: Principal, transfer_id: int) -> Transfer:
    transfer = await session.get(Transfer, transfer_id, with_for_update=True)
    if transfer is None or not _sees(principal, transfer):
        raise TransferNotFound()
    if not covers_receiving(principal=principal, transfer=transfer):
        raise NotReceiver()
    if transfer.status != TransferStatus.pending:
        raise AlreadyDecided()
    return transfer


async def accept(session: AsyncSession, *, principal: Principal, transfer_id: int) -> Transfer:
    transfer = await _decidable(session, principal, transfer_id)
    person = await session.get(Person, transfer.person_id, with_for_update=True)
    assert person is not None
    async with audit.change(
        session,
        actor=principal,
        row=transfer,
        action="transfer.accept",
        target_type="transfer",
        where=location_of(transfer),
    ):
        transfer.status = TransferStatus.accepted
        transfer.decided_by, transfer.decided_at = principal.person_id, utcnow()
    await _move(session, principal, person, transfer.to_branch_id, transfer)
    return transfer


async def decline(
    session: AsyncSession, *, principal: Principal, transfer_id: int, reason: str
) -> Transfer:
    transfer = await _decidable(session, principal, transfer_id)
    async with audit.change(
        session,
        actor=principal,
        row=transfer,
        action="transfer.decline",
        target_type="transfer",
        where=location_of(transfer),
    ):
        transfer.status = TransferStatus.declined
        transfer.decline_reason = reason
        transfer.decided_by, transfer.decided_at = principal.person_id, utcnow()
    return transfer


async def transfer_in_sight(
    session: AsyncSession, *, principal: Principal, transfer_id: int
) -> Transfer:
    transfer = await session.get(Transfer, transfer_id)
    if transfer is None or not _sees(principal, transfer):
        raise TransferNotFound()
    return transfer


def listing_query(*, principal: Principal, status: str | None) -> Any:
    stmt: Any = select(Transfer).where(
        or_(scope_clause(principal, Transfer), _receiving_clause(principal))
    )
    if status is not None:
        stmt = stmt.where(col(Transfer.status) == status)
    return stmt


async def listing(
    session: AsyncSession,
    *,
    principal: Principal,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> Page[Transfer]:
    """Both sides' transfers: those leaving the caller's branches and those coming in."""
    return await keyset_page(
        session,
        listing_query(principal=principal, status=status),
        order_by=[Transfer.id],
        limit=limit,
        cursor=cursor,
        descending=True,
    )
