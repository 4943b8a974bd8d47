"""The supervisors' queue of favouritism flags: the village's supervision committee reads its
village's, the town's admins the town's. A flag is dismissed with a reason, or escalated into
an objection the village's admins must answer; both are audited, and neither moves a point."""

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.models.base import id_of
from app.models.flags import KIND_WORDS, Flag, FlagDismiss, FlagEscalate, FlagStatus
from app.models.proposals import Objection
from app.models.roster import Role
from app.services import audit
from app.services.identity import Location, Principal, covers, scope_clause
from app.services.kit import Page, keyset_page

# Not the village's own admins: the flags are often about them.
READERS = frozenset({Role.superadmin, Role.town_admin, Role.supervisor})


class NotAReader(Forbidden):
    code = "flag.forbidden"
    detail = "监督预警只给村务监督委员会和镇里看。"


class FlagNotFound(NotFound):
    code = "flag.not_found"
    detail = "找不到该预警。"


class AlreadyDecided(Conflict):
    code = "flag.already_decided"
    detail = "这条预警已经处理过了。"


class NoVillage(Unprocessable):
    code = "flag.no_village"
    detail = "这条预警不属于哪个村，没有村务监督委员会可以答复，请直接排除并写明理由。"


def _where(flag: Flag) -> Location:
    return Location(town_id=flag.town_id, village_id=flag.village_id)


def open_count_query(*, principal: Principal) -> object:
    return select(Flag).where(
        scope_clause(principal, Flag, READERS), col(Flag.status) == FlagStatus.open
    )


async def listing(
    session: AsyncSession,
    *,
    principal: Principal,
    village_id: int | None,
    status: FlagStatus | None,
    limit: int,
    cursor: str | None,
) -> Page[Flag]:
    """Newest first."""
    if not principal.has_role(READERS):
        raise NotAReader()
    stmt = select(Flag).where(scope_clause(principal, Flag, READERS))
    if village_id is not None:
        stmt = stmt.where(col(Flag.village_id) == village_id)
    if status is not None:
        stmt = stmt.where(col(Flag.status) == status)
    return await keyset_page(
        session, stmt, order_by=[col(Flag.id)], limit=limit, cursor=cursor, descending=True
    )


async def _open_flag(session: AsyncSession, principal: Principal, flag_id: int) -> Flag:
    if not principal.has_role(READERS):
        raise NotAReader()
    flag = await session.get(Flag, flag_id, with_for_update=True)
    if flag is None or not covers(principal, _where(flag), READERS):
        raise FlagNotFound()
    if flag.status != FlagStatus.open:
        raise AlreadyDecided()
    return flag


async def dismiss(
    session: AsyncSession, *, principal: Principal, flag_id: int, data: FlagDismiss
) -> Flag:
    flag = await _open_flag(session, principal, flag_id)
    async with audit.change(
        session,
        actor=principal,
        row=flag,
        action="flag.dismiss",
        target_type="flag",
        where=_where(flag),
        picture=lambda f: {"status": f.status, "reason": f.reason},
    ):
        flag.status = FlagStatus.dismissed
        flag.reason = data.reason
        flag.decided_by_person_id = principal.person_id
        flag.decided_at = utcnow()
    return flag


async def escalate(
    session: AsyncSession, *, principal: Principal, flag_id: int, data: FlagEscalate
) -> Objection:
    """The flag becomes the supervision committee's objection, which the village must answer."""
    flag = await _open_flag(session, principal, flag_id)
    if flag.village_id is None:
        raise NoVillage()
    words = f"【监督预警·{KIND_WORDS[flag.kind]}】{flag.subject}"
    objection = Objection(
        flag_id=id_of(flag),
        town_id=flag.town_id,
        village_id=flag.village_id,
        person_id=principal.person_id,
        reason=f"{words}\n{data.note}" if data.note else words,
    )
    await audit.record_created(
        session, actor=principal, row=objection, target_type="objection", where=_where(flag)
    )
    async with audit.change(
        session,
        actor=principal,
        row=flag,
        action="flag.escalate",
        target_type="flag",
        where=_where(flag),
        picture=lambda f: {"status": f.status, "objection_id": f.objection_id},
    ):
        flag.status = FlagStatus.escalated
        flag.objection_id = id_of(objection)
        flag.decided_by_person_id = principal.person_id
        flag.decided_at = utcnow()
    return objection
