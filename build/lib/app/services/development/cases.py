"""A development case moves one step at a time, in the procedure's order, with its rules
enforced: a year as activist before candidacy, two introducers who are full members, training
and the public notice before the branch congress, the congress's quorum and majority, a year of
probation before full membership. The stage sets the person's roster flags."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.db.children import rows_by_parent
from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.development import (
    CaseCreate,
    CaseStepCreate,
    DevelopmentCase,
    DevelopmentStage,
    DevelopmentStep,
)
from app.models.roster import Branch, Person
from app.services import audit
from app.services.development import notices
from app.services.development.steps import BY_CODE, ORDER, STEPS, VOTED, add_months
from app.services.identity import Principal, covers, location_of, scope_clause
from app.services.kit import Page, WechatGateway, keyset_page
from app.services.roster import get_in_scope


class CaseNotFound(NotFound):
    code = "development.not_found"
    detail = "找不到该发展党员记录。"


class CaseExists(Conflict):
    code = "development.case_exists"
    detail = "此人已有发展党员记录。"


class WrongStep(Conflict):
    code = "development.wrong_step"
    detail = "发展党员须按 25 个步骤依次进行，这一步现在还不能做。"


class TooEarly(Unprocessable):
    code = "development.too_early"
    detail = "未到规定的时间，这一步还不能做。"


class ParticipantsRequired(Unprocessable):
    code = "development.participants_required"
    detail = "须有两名正式党员作入党介绍人（participants）。"


class NoQuorum(Unprocessable):
    code = "development.no_quorum"
    detail = "到会的有表决权党员未过半数，支部大会不能表决。"


class NotPassed(Unprocessable):
    code = "development.not_passed"
    detail = "赞成票未超过有表决权党员的半数，未获通过。"


class VotesRequired(Unprocessable):
    code = "development.votes_required"
    detail = "支部大会须记录票数（votes：应到、实到、赞成）。"


class VotesInvalid(Unprocessable):
    code = "development.votes_invalid"
    detail = "票数对不上：赞成不能多于实到，实到不能多于应到。"


class UnknownStep(Unprocessable):
    code = "development.unknown_step"
    detail = "没有这个步骤；步骤代码见 GET /admin/development/steps。"


class PersonElsewhere(Unprocessable):
    code = "development.person_elsewhere"
    detail = "申请人须是该党支部所在村（镇级支部：所在镇）登记的人员，且还不是党员。"


def _may_join(principal: Principal, branch: Branch, person: Person) -> bool:
    """An applicant of this branch: not yet a member, of the branch's own village (a village's
    branch recruits its villagers) and not placed in another branch; for a town-level branch,
    of its town and someone the caller covers. Another village's admin never reaches a name
    outside their village through a case."""
    if person.is_party_member or person.town_id != branch.town_id:
        return False
    if person.branch_id is not None and person.branch_id != branch.id:
        return False
    if branch.village_id is not None:
        return person.village_id == branch.village_id
    return person.branch_id == branch.id or covers(principal, location_of(person))


def today() -> date:
    return to_china(utcnow()).date()


async def open_case(
    session: AsyncSession, *, principal: Principal, data: CaseCreate
) -> DevelopmentCase:
    branch = await get_in_scope(session, principal=principal, model=Branch, row_id=data.branch_id)
    person = await session.get(Person, data.person_id)
    if person is None or not _may_join(principal, branch, person):
        raise PersonElsewhere()
    if data.applied_at > today():
        raise TooEarly("申请日期不能晚于今天。")
    taken = (
        await session.exec(
            select(DevelopmentCase.id).where(col(DevelopmentCase.person_id) == person.id)
        )
    ).first()
    if taken is not None:
        raise CaseExists()
    case = DevelopmentCase(
        town_id=branch.town_id,
        village_id=branch.village_id,
        branch_id=id_of(branch),
        person_id=id_of(person),
        applied_at=data.applied_at,
        stage=DevelopmentStage.applicant,
    )
    await audit.record_created(
        session, actor=principal, row=case, target_type="development_case", where=location_of(case)
    )
    session.add(
        DevelopmentStep(
            case_id=id_of(case),
            step="application",
            done_at=data.applied_at,
            actor_person_id=principal.person_id,
        )
    )
    await session.flush()
    return case


async def steps_of(
    session: AsyncSession, case_ids: Sequence[int]
) -> dict[int, list[DevelopmentStep]]:
    return await rows_by_parent(session, DevelopmentStep.case_id, case_ids)


async def _introducers(
    session: AsyncSession, principal: Principal, case: DevelopmentCase, ids: list[int]
) -> None:
    chosen = set(ids)
    if len(chosen) != 2 or case.person_id in chosen:
        raise ParticipantsRequired()
    people = (await session.exec(select(Person).where(col(Person.id).in_(chosen)))).all()
    # Full members of the case's branch, or members the caller administers: an id from
    # elsewhere is refused like any other wrong introducer.
    full = [
        p
        for p in people
        if p.is_party_member
        and not p.is_probationary_member
        and p.town_id == case.town_id
        and (p.branch_id == case.branch_id or covers(principal, location_of(p)))
    ]
    if len(full) != 2:
        raise ParticipantsRequired("入党介绍人须是两名正式党员（预备党员不能作介绍人）。")


def _congress(data: CaseStepCreate) -> dict[str, int]:
    if data.votes is None:
        raise VotesRequired()
    votes = data.votes
    if votes.in_favour > votes.present or votes.present > votes.expected:
        raise VotesInvalid()
    if votes.present * 2 <= votes.expected:
        raise NoQuorum()
    if votes.in_favour * 2 <= votes.expected:
        raise NotPassed()
    return votes.model_dump()


async def add_step(
    session: AsyncSession,
    *,
    principal: Principal,
    case_id: int,
    data: CaseStepCreate,
    wechat: WechatGateway,
) -> DevelopmentCase:
    case = await session.get(DevelopmentCase, case_id, with_for_update=True)
    if case is None or not covers(principal, location_of(case)):
        raise CaseNotFound()
    if data.step not in BY_CODE:
        raise UnknownStep()
    if ORDER[data.step] != case.done_steps:
        expected = (
            STEPS[case.done_steps].title if case.done_steps < len(STEPS) else "（已全部完成）"
        )
        raise WrongStep(f"下一步应是“{expected}”。")
    done = (await steps_of(session, [id_of(case)]))[id_of(case)]
    by_code = {s.step: s for s in done}
    if data.done_at > today():
        raise TooEarly("完成日期不能晚于今天。")
    if done and data.done_at < done[-1].done_at:
        raise TooEarly("完成日期不能早于上一步。")
    earliest = _earliest(data.step, by_code)
    if earliest is not None and data.done_at < earliest:
        raise TooEarly(f"最早 {earliest:%Y年%m月%d日} 才能进行这一步。")
    votes = _congress(data) if data.step in VOTED else None
    if data.step == "introducers":
        await _introducers(session, principal, case, list(data.participants))
    person = await session.get(Person, case.person_id)
    assert person is not None
    if data.step == "branch_committee_review":
        case.notice_post_id = await notices.publish(
            session, principal=principal, case=case, person=person, wechat=wechat
        )
    if data.step == "approval":
        person.is_party_member, person.is_probationary_member = True, True
        person.branch_id = case.branch_id  # a member belongs to the branch that admitted them
    if data.step == "full_approval":
        person.is_probationary_member = False
    session.add(person)
    async with audit.change(
        session,
        actor=principal,
        row=case,
        action=f"development.{data.step}",
        target_type="development_case",
        where=location_of(case),
        picture=audit.stage_of,
    ) as change:
        session.add(
            DevelopmentStep(
                case_id=id_of(case),
                step=data.step,
                done_at=data.done_at,
                note=data.note,
                participants=list(data.participants),
                votes=votes,
                actor_person_id=principal.person_id,
            )
        )
        case.done_steps += 1
        case.stage = BY_CODE[data.step].stage
        session.add(case)
        change.extra = data.model_dump(mode="json")
    return case


def _earliest(step: str, done: dict[str, DevelopmentStep]) -> date | None:
    if step == "candidate_selection" and "activist_selection" in done:
        return add_months(done["activist_selection"].done_at, 12)
    if step == "full_congress" and "approval" in done:
        return add_months(done["approval"].done_at, 12)
    return None


def next_due(
    case: DevelopmentCase, done: dict[str, DevelopmentStep]
) -> tuple[date | None, str | None]:
    """When the next step is due: a deadline it must meet, or the earliest day it may be done."""
    if case.done_steps >= len(STEPS):
        return None, None
    step = STEPS[case.done_steps].code
    if step == "talk":
        return add_months(case.applied_at, 1), "deadline"
    if step == "approval" and "branch_congress" in done:
        return add_months(done["branch_congress"].done_at, 3), "deadline"
    earliest = _earliest(step, done)
    return (earliest, "earliest") if earliest is not None else (None, None)


async def listing(
    session: AsyncSession,
    *,
    principal: Principal,
    stage: str | None,
    limit: int,
    cursor: str | None,
) -> Page[DevelopmentCase]:
    stmt: Any = select(DevelopmentCase).where(scope_clause(principal, DevelopmentCase))
    if stage is not None:
        stmt = stmt.where(col(DevelopmentCase.stage) == stage)
    return await keyset_page(
        session, stmt, order_by=[col(DevelopmentCase.id)], limit=limit, cursor=cursor
    )


async def overdue_cases(session: AsyncSession, *, principal: Principal) -> list[DevelopmentCase]:
    """Every case in scope whose next step has passed its deadline (a branch has tens)."""
    cases = (
        await session.exec(select(DevelopmentCase).where(scope_clause(principal, DevelopmentCase)))
    ).all()
    done = await steps_of(session, [id_of(c) for c in cases])
    late = []
    for case in cases:
        due, kind = next_due(case, {s.step: s for s in done[id_of(case)]})
        if kind == "deadline" and due is not None and due < today():
            late.append(case)
    return late


async def case_in_scope(
    session: AsyncSession, *, principal: Principal, case_id: int
) -> DevelopmentCase:
    case = await session.get(DevelopmentCase, case_id)
    if case is None or not covers(principal, location_of(case)):
        raise CaseNotFound()
    return case
