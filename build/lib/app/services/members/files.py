"""The member file (党员档案): the dates of applying, joining and full membership, education and
post, the Party age, and the branches the member has been in. Dates come from the member's
development case where one exists, else from the branch (audited); never an ID number."""

from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import china_today, to_china, utcnow
from app.errors import NotFound, Unprocessable
from app.models.base import id_of
from app.models.development import DevelopmentCase, DevelopmentStep
from app.models.members import (
    BranchStay,
    MemberFile,
    MemberFilePublic,
    MemberFileUpdate,
    Transfer,
    TransferStatus,
)
from app.models.roster import Branch, Person
from app.services import audit
from app.services.identity import Principal, bound_person, covers, location_of

# The case's steps that date joining (支部大会通过接收) and full membership (支部大会通过转正).
JOINING_STEP, FULL_STEP = "branch_congress", "full_congress"


class DatesOutOfOrder(Unprocessable):
    code = "member_file.dates_out_of_order"
    detail = "日期须依次为申请入党、入党、转正。"


class NotAMember(NotFound):
    code = "member.not_found"
    detail = "找不到该党员。"


def anniversary(joined: date, year: int) -> date:
    """The day a year marks joining: 29 February falls on 1 March in a common year, so the
    Party age and the political birthday turn over on the same day."""
    try:
        return joined.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def party_age(joined: date | None, today: date) -> int | None:
    if joined is None or joined > today:
        return None
    return today.year - joined.year - (today < anniversary(joined, today.year))


async def _from_case(session: AsyncSession, person_id: int) -> dict[str, date]:
    case = (
        await session.exec(
            select(DevelopmentCase).where(col(DevelopmentCase.person_id) == person_id)
        )
    ).first()
    if case is None:
        return {}
    steps = await session.exec(
        select(DevelopmentStep).where(
            col(DevelopmentStep.case_id) == case.id,
            col(DevelopmentStep.step).in_([JOINING_STEP, FULL_STEP]),
        )
    )
    done = {s.step: s.done_at for s in steps.all()}
    found = {"applied_at": case.applied_at}
    if JOINING_STEP in done:
        found["joined_at"] = done[JOINING_STEP]
    if FULL_STEP in done:
        found["full_member_at"] = done[FULL_STEP]
    return found


async def _history(session: AsyncSession, person: Person) -> list[BranchStay]:
    moves = (
        await session.exec(
            select(Transfer)
            .where(
                col(Transfer.person_id) == person.id,
                col(Transfer.status) == TransferStatus.accepted,
            )
            .order_by(col(Transfer.decided_at), col(Transfer.id))
        )
    ).all()
    ids = {m.branch_id for m in moves} | {m.to_branch_id for m in moves} | {person.branch_id}
    names = {
        id_of(b): b.name
        for b in (
            await session.exec(select(Branch).where(col(Branch.id).in_([i for i in ids if i])))
        ).all()
    }
    first = moves[0].branch_id if moves else person.branch_id
    stays = [BranchStay(branch_id=first, branch_name=names.get(first or 0), since=None)]
    for move in moves:
        when = to_china(move.decided_at).date() if move.decided_at else None
        stays.append(
            BranchStay(
                branch_id=move.to_branch_id,
                branch_name=names.get(move.to_branch_id or 0, move.to_organisation),
                since=when,
            )
        )
    return stays


async def present(session: AsyncSession, person: Person) -> MemberFilePublic:
    kept = (
        await session.exec(select(MemberFile).where(col(MemberFile.person_id) == person.id))
    ).first()
    case = await _from_case(session, id_of(person))
    # What the branch typed wins over the case; the case fills what it left empty.
    dates = {
        key: getattr(kept, key, None) or case.get(key)
        for key in ("applied_at", "joined_at", "full_member_at")
    }
    from_case = any(getattr(kept, k, None) is None and k in case for k in dates)
    return MemberFilePublic(
        person_id=id_of(person),
        name=person.name,
        branch_id=person.branch_id,
        **dates,
        education=kept.education if kept else None,
        post=kept.post if kept else None,
        party_age_years=party_age(dates["joined_at"], china_today()),
        from_development=from_case,
        branch_history=await _history(session, person),
    )


async def member_in_scope(session: AsyncSession, *, principal: Principal, person_id: int) -> Person:
    """A Party member the caller administers: where they live, or the branch they belong to
    (a member transferred to another village's branch is that branch's member)."""
    person = await session.get(Person, person_id)
    if person is None or not person.is_party_member:
        raise NotAMember()
    if covers(principal, location_of(person)):
        return person
    branch = await session.get(Branch, person.branch_id) if person.branch_id else None
    if branch is None or not covers(principal, location_of(branch)):
        raise NotAMember()
    return person


async def read_file(
    session: AsyncSession, *, principal: Principal, person_id: int
) -> MemberFilePublic:
    person = await member_in_scope(session, principal=principal, person_id=person_id)
    return await present(session, person)


async def my_file(session: AsyncSession, *, principal: Principal) -> MemberFilePublic:
    person = await bound_person(session, principal, to="查看党员档案")
    if not person.is_party_member:
        raise NotAMember("您不是党员，没有党员档案。")
    return await present(session, person)


async def update_file(
    session: AsyncSession, *, principal: Principal, person_id: int, data: MemberFileUpdate
) -> MemberFilePublic:
    person = await member_in_scope(session, principal=principal, person_id=person_id)
    kept = (
        await session.exec(select(MemberFile).where(col(MemberFile.person_id) == person.id))
    ).first()
    asked = data.model_dump(exclude_unset=True)
    merged = [
        asked.get(key, getattr(kept, key, None))
        for key in ("applied_at", "joined_at", "full_member_at")
    ]
    given = [d for d in merged if d is not None]
    if given != sorted(given):
        raise DatesOutOfOrder()
    new = kept is None
    if kept is None:
        kept = MemberFile(person_id=id_of(person), town_id=person.town_id)
        session.add(kept)
        await session.flush()
    async with audit.change(
        session,
        actor=principal,
        row=kept,
        action="member_file.update",
        target_type="member_file",
        where=location_of(person),
        new=new,
    ):
        for key, value in asked.items():
            setattr(kept, key, value)
        kept.updated_at = utcnow()
    return await present(session, person)
