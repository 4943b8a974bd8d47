"""Running a matter through the 四议两公开: proposed by the branch committee, then each meeting in
order with its numbers checked, then the two disclosures as village disclosure posts. Every
step is audited; a failed vote ends the matter as ``rejected``; no quorum stores nothing."""

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.feed import Category, Post, PostCreate
from app.models.proposals import (
    MeetingBody,
    Proposal,
    ProposalCreate,
    ProposalStage,
    ProposalStep,
    PublicationCreate,
    StepCreate,
)
from app.models.roster import ADMIN_ROLES, Role, Village
from app.services import audit, feed, media
from app.services.identity import (
    Location,
    Principal,
    ScopeRequired,
    caller_person,
    covers,
    location_of,
    own_village,
    scope_clause,
)
from app.services.kit import Page, WechatGateway, keyset_page
from app.services.proposals import rules
from app.services.roster import VillageNotFound, get_in_scope

WATCHERS = ADMIN_ROLES | {Role.supervisor}
PUBLISHED = (ProposalStage.resolution_published, ProposalStage.result_published)


class ProposalNotFound(NotFound):
    code = "proposal.not_found"
    detail = "找不到该议题。"


class WrongStage(Conflict):
    code = "proposal.wrong_stage"
    detail = "四议两公开须按顺序进行，这一步现在还不能做。"


class NoQuorum(Unprocessable):
    code = "proposal.no_quorum"
    detail = "到会人数不足，会议不能作出决定，本次没有记录。"


class VotesInvalid(Unprocessable):
    code = "proposal.votes_invalid"
    detail = "票数对不上：赞成、反对、弃权之和不能多于到会人数，到会人数不能多于应到人数。"


async def create_proposal(
    session: AsyncSession, *, principal: Principal, data: ProposalCreate
) -> Proposal:
    village = await get_in_scope(
        session,
        principal=principal,
        model=Village,
        row_id=data.village_id or own_village(principal),
    )
    if data.expected is not None and data.present > data.expected:
        raise VotesInvalid()
    proposal = Proposal(
        town_id=village.town_id,
        village_id=id_of(village),
        title=data.title,
        content=data.content,
        stage=ProposalStage.proposed,
        created_by_person_id=principal.person_id,
    )
    await audit.record_created(
        session, actor=principal, row=proposal, target_type="proposal", where=location_of(proposal)
    )
    session.add(
        ProposalStep(
            proposal_id=id_of(proposal),
            stage=ProposalStage.proposed,
            body=MeetingBody.branch_committee,
            held_at=data.held_at,
            expected=data.expected or data.present,
            present=data.present,
            note=data.note,
            actor_person_id=principal.person_id,
        )
    )
    await session.flush()
    return proposal


async def managed(session: AsyncSession, *, principal: Principal, proposal_id: int) -> Proposal:
    """A proposal the caller administers, locked for the step being taken."""
    proposal = await session.get(Proposal, proposal_id, with_for_update=True)
    if proposal is None or not covers(principal, location_of(proposal)):
        raise ProposalNotFound()
    return proposal


async def add_step(
    session: AsyncSession, *, principal: Principal, proposal_id: int, data: StepCreate
) -> Proposal:
    proposal = await managed(session, principal=principal, proposal_id=proposal_id)
    stage = ProposalStage(data.stage)
    if not rules.follows(ProposalStage(proposal.stage), stage):
        raise WrongStage(f"议题现在处于“{_STAGE_WORDS[proposal.stage]}”，不能记录这一步。")
    if data.present > data.expected or data.in_favour + data.against + data.abstain > data.present:
        raise VotesInvalid()
    await media.require_own(session, principal=principal, media_ids=data.media_ids)
    body = MeetingBody(data.body) if data.body else rules.MEETINGS[stage]
    verdict = rules.judge(
        body, expected=data.expected, present=data.present, in_favour=data.in_favour
    )
    if not verdict.quorum:
        raise NoQuorum()
    async with audit.change(
        session,
        actor=principal,
        row=proposal,
        action=f"proposal.{stage.value}",
        target_type="proposal",
        where=location_of(proposal),
        picture=audit.stage_of,
    ) as change:
        session.add(
            ProposalStep(
                proposal_id=id_of(proposal),
                stage=stage,
                body=body,
                held_at=data.held_at,
                expected=data.expected,
                present=data.present,
                in_favour=data.in_favour,
                against=data.against,
                abstain=data.abstain,
                passed=verdict.passed,
                note=data.note,
                media_ids=list(data.media_ids),
                actor_person_id=principal.person_id,
            )
        )
        proposal.stage = stage if verdict.passed else ProposalStage.rejected
        session.add(proposal)
        change.extra = data.model_dump(mode="json")
    return proposal


async def publish(
    session: AsyncSession,
    *,
    principal: Principal,
    proposal_id: int,
    data: PublicationCreate,
    wechat: WechatGateway,
) -> Post:
    """The resolution, then the result, as village disclosure posts of this month, which count
    for the month's disclosure compliance."""
    proposal = await managed(session, principal=principal, proposal_id=proposal_id)
    wanted = (
        ProposalStage.resolution_published
        if data.kind == "resolution"
        else ProposalStage.result_published
    )
    if not rules.follows(ProposalStage(proposal.stage), wanted):
        raise WrongStage(
            "决议通过后才能公开决议。"
            if data.kind == "resolution"
            else "公开决议后才能公开实施结果。"
        )
    heading = "决议公开" if data.kind == "resolution" else "实施结果公开"
    post = await feed.posts.create_post(
        session,
        principal=principal,
        wechat=wechat,
        data=PostCreate(
            title=f"{heading}：{proposal.title}"[:100],
            body=data.body,
            category=Category.disclosure_village,
            village_id=proposal.village_id,
            media_ids=list(data.media_ids),
            disclosure_period=to_china(utcnow()).strftime("%Y-%m"),
        ),
        on_behalf=Location(town_id=proposal.town_id, village_id=proposal.village_id),
    )
    async with audit.change(
        session,
        actor=principal,
        row=proposal,
        action=f"proposal.{wanted.value}",
        target_type="proposal",
        where=location_of(proposal),
        picture=audit.stage_of,
    ) as change:
        proposal.stage = wanted
        if data.kind == "resolution":
            proposal.resolution_post_id = post.id
        else:
            proposal.result_post_id = post.id
        session.add(proposal)
        change.extra = {"post_id": post.id}
    return post


async def readable(session: AsyncSession, *, principal: Principal, proposal_id: int) -> Proposal:
    """Admins and supervisors of the village read every stage; its villagers the published."""
    proposal = await session.get(Proposal, proposal_id)
    if proposal is None:
        raise ProposalNotFound()
    if covers(principal, location_of(proposal), WATCHERS):
        return proposal
    person = await caller_person(session, principal)
    ours = person is not None and person.village_id == proposal.village_id
    if ours and proposal.stage in PUBLISHED:
        return proposal
    raise ProposalNotFound()


async def watched(
    session: AsyncSession,
    *,
    principal: Principal,
    stage: str | None,
    village_id: int | None,
    limit: int,
    cursor: str | None,
) -> Page[Proposal]:
    """Every proposal the caller administers or supervises, at any stage."""
    stmt: Any = select(Proposal).where(scope_clause(principal, Proposal, WATCHERS))
    if stage is not None:
        stmt = stmt.where(col(Proposal.stage) == stage)
    if village_id is not None:
        stmt = stmt.where(col(Proposal.village_id) == village_id)
    return await keyset_page(
        session, stmt, order_by=[col(Proposal.id)], limit=limit, cursor=cursor, descending=True
    )


async def published(
    session: AsyncSession,
    *,
    principal: Principal,
    village_id: int | None,
    limit: int,
    cursor: str | None,
) -> Page[Proposal]:
    """A village's published proposals with their whole history: for its own villagers, and
    for those who administer or supervise it. The same readers as one proposal (``readable``)
    and as the village's disclosures in the feed: another village's list is "not found"."""
    person = await caller_person(session, principal)
    wanted = village_id if village_id is not None else (person.village_id if person else None)
    if wanted is None:
        raise ScopeRequired("请填写 village_id：要看哪个村的议题。")
    village = await session.get(Village, wanted)
    ours = person is not None and person.village_id == wanted
    if village is None or not (ours or covers(principal, location_of(village), WATCHERS)):
        raise VillageNotFound()
    stmt = select(Proposal).where(
        col(Proposal.village_id) == wanted, col(Proposal.stage).in_(PUBLISHED)
    )
    return await keyset_page(
        session, stmt, order_by=[col(Proposal.id)], limit=limit, cursor=cursor, descending=True
    )


_STAGE_WORDS = {
    ProposalStage.proposed: "党支部会提议",
    ProposalStage.deliberated: "两委会商议",
    ProposalStage.reviewed: "党员大会审议",
    ProposalStage.resolved: "村民（代表）会议决议",
    ProposalStage.resolution_published: "决议公开",
    ProposalStage.result_published: "实施结果公开",
    ProposalStage.rejected: "未通过",
}
