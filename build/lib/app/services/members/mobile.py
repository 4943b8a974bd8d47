"""Mobile members (流动党员): the outflow register a home branch keeps of its members living
elsewhere, the inflow register of others' members living and attending here, their monthly
thought reports (思想汇报) and the town's rota of which branch hosts their Party day."""

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.members import (
    Direction,
    MobileMember,
    MobileMemberCreate,
    ReportStatus,
    RotationMonth,
    RotationPublic,
    RotationUpdate,
    ThoughtReport,
    ThoughtReportCreate,
)
from app.models.roster import Branch, Person, Town
from app.services import audit, media
from app.services.identity import (
    Principal,
    bound_person,
    covers,
    location_of,
    own_town,
    scope_clause,
)
from app.services.kit import Page, keyset_page
from app.services.members.files import member_in_scope
from app.services.roster import get_in_scope


class BranchRequired(Unprocessable):
    code = "mobile.branch_required"
    detail = "流入登记须指定参加组织生活的党支部 branch_id。"


class PersonInvalid(Unprocessable):
    code = "mobile.person_invalid"
    detail = "所填的人员不是系统中的党员。"


class NotMobile(Unprocessable):
    code = "thought_report.not_mobile"
    detail = "思想汇报由外出的流动党员提交。"


class ReportNotFound(NotFound):
    code = "thought_report.not_found"
    detail = "找不到该思想汇报。"


class AlreadyAccepted(Conflict):
    code = "thought_report.accepted"
    detail = "这份思想汇报已被支部接收，不能再修改。"


class HostInvalid(Unprocessable):
    code = "rotation.branch_invalid"
    detail = "承办的党支部须在本镇。"


async def register(
    session: AsyncSession, *, principal: Principal, data: MobileMemberCreate
) -> MobileMember:
    if data.direction == "out":
        assert data.person_id is not None
        person = await member_in_scope(session, principal=principal, person_id=data.person_id)
        branch = await get_in_scope(
            session,
            principal=principal,
            model=Branch,
            row_id=data.branch_id or person.branch_id or 0,
        )
        name, phone = person.name, data.phone or person.phone
    else:
        if data.branch_id is None:
            raise BranchRequired()
        branch = await get_in_scope(
            session, principal=principal, model=Branch, row_id=data.branch_id
        )
        name, phone = data.name or "", data.phone
        if data.person_id is not None:
            # Someone else's member who is on the system: named by id, shown by name.
            known = await session.get(Person, data.person_id)
            if known is None or not known.is_party_member:
                raise PersonInvalid()
            name = known.name
    row = MobileMember(
        town_id=branch.town_id,
        village_id=branch.village_id,
        branch_id=id_of(branch),
        direction=Direction(data.direction),
        person_id=data.person_id,
        name=name,
        phone=phone,
        place=data.place,
        employer=data.employer,
        contact=data.contact,
        home_organisation=data.home_organisation,
        since=data.since,
        expected_return=data.expected_return,
    )
    await audit.record_created(
        session, actor=principal, row=row, target_type="mobile_member", where=location_of(row)
    )
    return row


async def register_list(
    session: AsyncSession,
    *,
    principal: Principal,
    branch_id: int | None,
    direction: str | None,
    limit: int,
    cursor: str | None,
) -> Page[MobileMember]:
    stmt: Any = select(MobileMember).where(scope_clause(principal, MobileMember))
    if branch_id is not None:
        stmt = stmt.where(col(MobileMember.branch_id) == branch_id)
    if direction is not None:
        stmt = stmt.where(col(MobileMember.direction) == direction)
    return await keyset_page(
        session, stmt, order_by=[MobileMember.id], limit=limit, cursor=cursor, descending=True
    )


async def _is_out(session: AsyncSession, person: Person) -> bool:
    found = await session.exec(
        select(MobileMember.id).where(
            col(MobileMember.person_id) == person.id,
            col(MobileMember.direction) == Direction.out,
            col(MobileMember.ended_at).is_(None),
        )
    )
    return person.is_mobile_member or found.first() is not None


async def submit_report(
    session: AsyncSession, *, principal: Principal, data: ThoughtReportCreate
) -> tuple[ThoughtReport, bool]:
    """A month's report: a resend before the branch accepts it replaces the text."""
    person = await bound_person(session, principal, to="提交思想汇报")
    if not person.is_party_member or not await _is_out(session, person):
        raise NotMobile()
    await media.require_own(session, principal=principal, media_ids=data.media_ids)
    kept = (
        await session.exec(
            select(ThoughtReport).where(
                col(ThoughtReport.person_id) == person.id,
                col(ThoughtReport.period) == data.period,
            )
        )
    ).first()
    if kept is not None:
        if kept.status == ReportStatus.accepted:
            raise AlreadyAccepted()
        if (kept.content, kept.media_ids) == (data.content, data.media_ids):
            return kept, False  # the phone's retry
        kept.content, kept.media_ids = data.content, data.media_ids
        await session.flush()
        return kept, False
    report = ThoughtReport(
        person_id=id_of(person),
        town_id=person.town_id,
        village_id=person.village_id,
        branch_id=person.branch_id,
        period=data.period,
        content=data.content,
        media_ids=data.media_ids,
    )
    session.add(report)
    await session.flush()
    return report, True


def reports_query(*, principal: Principal) -> Any:
    return select(ThoughtReport).where(
        scope_clause(principal, ThoughtReport),
        col(ThoughtReport.status) == ReportStatus.submitted,
    )


async def reports_to_accept(
    session: AsyncSession, *, principal: Principal, limit: int, cursor: str | None
) -> Page[ThoughtReport]:
    stmt = reports_query(principal=principal)
    return await keyset_page(
        session, stmt, order_by=[ThoughtReport.id], limit=limit, cursor=cursor, descending=True
    )


async def accept_report(
    session: AsyncSession, *, principal: Principal, report_id: int
) -> ThoughtReport:
    report = await session.get(ThoughtReport, report_id, with_for_update=True)
    if report is None or not covers(principal, location_of(report)):
        raise ReportNotFound()
    if report.status == ReportStatus.accepted:
        return report
    async with audit.change(
        session,
        actor=principal,
        row=report,
        action="thought_report.accept",
        target_type="thought_report",
        where=location_of(report),
    ):
        report.status = ReportStatus.accepted
        report.accepted_by = principal.person_id
        report.accepted_at = utcnow()
    return report


async def rotation(
    session: AsyncSession, *, principal: Principal, town_id: int | None, year: int
) -> RotationPublic:
    town = await get_in_scope(
        session, principal=principal, model=Town, row_id=town_id or own_town(principal)
    )
    months = await session.exec(
        select(RotationMonth).where(
            col(RotationMonth.town_id) == town.id,
            col(RotationMonth.period).startswith(f"{year}-"),
        )
    )
    planned = months.all()
    return RotationPublic(
        town_id=id_of(town),
        year=year,
        mobile_branch_id=planned[0].mobile_branch_id if planned else None,
        hosts={str(int(m.period[5:])): m.host_branch_id for m in planned},
    )


async def plan_rotation(
    session: AsyncSession, *, principal: Principal, data: RotationUpdate
) -> RotationPublic:
    """The year's plan, month by month; a month not named keeps its host."""
    town = await get_in_scope(
        session, principal=principal, model=Town, row_id=data.town_id or own_town(principal)
    )
    before = await rotation(session, principal=principal, town_id=town.id, year=data.year)
    mobile = await session.get(Branch, data.mobile_branch_id)
    if mobile is None or mobile.town_id != town.id:
        raise HostInvalid()
    for month, branch_id in data.hosts.items():
        branch = await session.get(Branch, branch_id)
        if branch is None or branch.town_id != town.id:
            raise HostInvalid()
        period = f"{data.year}-{int(month):02d}"
        kept = (
            await session.exec(
                select(RotationMonth).where(
                    col(RotationMonth.town_id) == town.id, col(RotationMonth.period) == period
                )
            )
        ).first()
        if kept is None:
            kept = RotationMonth(
                town_id=id_of(town),
                period=period,
                mobile_branch_id=data.mobile_branch_id,
                host_branch_id=branch_id,
            )
            session.add(kept)
        kept.mobile_branch_id, kept.host_branch_id = data.mobile_branch_id, branch_id
    await session.flush()
    after = await rotation(session, principal=principal, town_id=town.id, year=data.year)
    await audit.record(
        session,
        actor=principal,
        action="mobile_rotation.update",
        target_type="town",
        target_id=id_of(town),
        where=location_of(town),
        before=before.model_dump(),
        after=after.model_dump(),
    )
    return after


async def registered_in(session: AsyncSession, person_id: int, branch_ids: set[int]) -> bool:
    """Whether one of these branches keeps this member on its inflow register (流入)."""
    found = await session.exec(
        select(MobileMember.id).where(
            col(MobileMember.person_id) == person_id,
            col(MobileMember.direction) == Direction.in_,
            col(MobileMember.branch_id).in_(branch_ids),
            col(MobileMember.ended_at).is_(None),
        )
    )
    return found.first() is not None


async def host_of(session: AsyncSession, branch_id: int, period: str) -> int | None:
    """The branch hosting this mobile-member branch's Party day that month, if planned."""
    found = await session.exec(
        select(RotationMonth.host_branch_id).where(
            col(RotationMonth.mobile_branch_id) == branch_id, col(RotationMonth.period) == period
        )
    )
    return found.first()
