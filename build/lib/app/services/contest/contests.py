"""Running the contest: the town sets criteria (weights adding up to 100) and judges; each
judge submits one final sheet per branch; the ranking weighs judged and computed values;
closing freezes it, publishes the winners and splits the prize to the fen."""

import statistics
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.models.base import id_of
from app.models.contest import (
    Contest,
    ContestCreate,
    ContestStatus,
    Criterion,
    CriterionPublic,
    JudgesSet,
    Metric,
    Ranking,
    RankingLine,
    ScoreSheet,
    SheetCreate,
)
from app.models.feed import Category, PostCreate
from app.models.roster import ADMIN_ROLES, Branch, Person, ScopeType, Town
from app.services import audit, feed
from app.services.contest import metrics
from app.services.identity import Location, Principal, covers, own_town
from app.services.kit import Page, WechatGateway, keyset_page
from app.services.points import stars
from app.services.roster import get_in_scope

DROP_FROM = 5  # with five judges' sheets or more, the highest and lowest are dropped


class ContestNotFound(NotFound):
    code = "contest.not_found"
    detail = "找不到该评比。"


class WeightsInvalid(Unprocessable):
    code = "contest.weights"
    detail = "各项指标的权重之和须为 100。"


class NotJudge(Forbidden):
    code = "contest.not_judge"
    detail = "您不是这次评比的评委。"


class AlreadyScored(Conflict):
    code = "contest.already_scored"
    detail = "您已提交过对这个党支部的打分表，提交后不能再改。"


class ContestClosed(Conflict):
    code = "contest.closed"
    detail = "评比已经结束。"


class ScoresInvalid(Unprocessable):
    code = "contest.scores_invalid"
    detail = "须对每一项评审打分类指标打 0–100 分，且只对这些指标打分。"


class BranchElsewhere(Unprocessable):
    code = "contest.branch_elsewhere"
    detail = "只能为本镇的党支部打分。"


def criteria_of(contest: Contest) -> list[Criterion]:
    return [Criterion.model_validate(c) for c in contest.criteria]


async def create(session: AsyncSession, *, principal: Principal, data: ContestCreate) -> Contest:
    town = await get_in_scope(
        session, principal=principal, model=Town, row_id=data.town_id or own_town(principal)
    )
    if sum(c.weight for c in data.criteria) != 100:
        total = sum(c.weight for c in data.criteria)
        raise WeightsInvalid(f"各项指标的权重之和须为 100，现在是 {total}。")
    if len({c.code for c in data.criteria}) != len(data.criteria):
        raise WeightsInvalid("指标代码不能重复。")
    contest = Contest(
        town_id=id_of(town),
        year=data.year,
        title=data.title,
        prize_fen=data.prize_fen,
        winners=data.winners,
        prize_rule=data.prize_rule,
        criteria=[c.model_dump(mode="json") for c in data.criteria],
        status=ContestStatus.open,
    )
    await audit.record_created(
        session,
        actor=principal,
        row=contest,
        target_type="contest",
        where=Location(town_id=town.id),
    )
    return contest


async def listing(
    session: AsyncSession, *, principal: Principal, limit: int, cursor: str | None
) -> Page[Contest]:
    """The contests of the towns the caller administers as a town, the latest first (a
    village's admins are ranked, they do not run the contest)."""
    towns = {
        g.scope_id
        for g in principal.grants
        if g.role in ADMIN_ROLES and g.scope_type is ScopeType.town
    }
    stmt = select(Contest)
    if not principal.is_superadmin:
        stmt = stmt.where(col(Contest.town_id).in_(towns))
    return await keyset_page(
        session, stmt, order_by=[Contest.id], limit=limit, cursor=cursor, descending=True
    )


async def managed(
    session: AsyncSession, *, principal: Principal, contest_id: int, lock: bool = True
) -> Contest:
    """A contest of a town the caller administers; locked unless only read."""
    contest = await session.get(Contest, contest_id, with_for_update=lock or None)
    if contest is None or not covers(principal, Location(town_id=contest.town_id)):
        raise ContestNotFound()
    return contest


async def set_judges(
    session: AsyncSession, *, principal: Principal, contest_id: int, data: JudgesSet
) -> Contest:
    contest = await managed(session, principal=principal, contest_id=contest_id)
    if contest.status is ContestStatus.closed:
        raise ContestClosed()
    found = (
        await session.exec(
            select(Person.id).where(
                col(Person.id).in_(data.person_ids), col(Person.town_id) == contest.town_id
            )
        )
    ).all()
    if len(set(found)) != len(set(data.person_ids)):
        raise ScoresInvalid("评委须是本镇登记的人员。")
    before = list(contest.judge_person_ids)
    contest.judge_person_ids = sorted(set(data.person_ids))
    session.add(contest)
    await audit.record(
        session,
        actor=principal,
        action="contest.judges",
        target_type="contest",
        target_id=id_of(contest),
        where=Location(town_id=contest.town_id),
        before={"judges": before},
        after={"judges": contest.judge_person_ids},
    )
    await session.flush()
    return contest


async def score(
    session: AsyncSession, *, principal: Principal, contest_id: int, data: SheetCreate
) -> ScoreSheet:
    """A judge's one sheet for a branch: every judged criterion, 0–100, final once sent."""
    contest = await session.get(Contest, contest_id, with_for_update=True)
    if contest is None:
        raise ContestNotFound()
    if principal.person_id is None or principal.person_id not in contest.judge_person_ids:
        raise NotJudge()
    if contest.status is ContestStatus.closed:
        raise ContestClosed()
    branch = await session.get(Branch, data.branch_id)
    if branch is None or branch.town_id != contest.town_id:
        raise BranchElsewhere()
    judged = {c.code for c in criteria_of(contest) if c.source == "judged"}
    if set(data.scores) != judged or not all(0 <= v <= 100 for v in data.scores.values()):
        raise ScoresInvalid()
    taken = (
        await session.exec(
            select(ScoreSheet.id).where(
                col(ScoreSheet.contest_id) == contest_id,
                col(ScoreSheet.judge_person_id) == principal.person_id,
                col(ScoreSheet.branch_id) == data.branch_id,
            )
        )
    ).first()
    if taken is not None:
        raise AlreadyScored()
    sheet = ScoreSheet(
        contest_id=contest_id,
        judge_person_id=principal.person_id,
        branch_id=data.branch_id,
        scores=dict(data.scores),
    )
    session.add(sheet)
    await session.flush()
    return sheet


def judged_value(values: Sequence[float]) -> float:
    """The mean of the judges' scores, without the highest and lowest from five sheets on."""
    ordered = sorted(values)
    if len(ordered) >= DROP_FROM:
        ordered = ordered[1:-1]
    return round(statistics.fmean(ordered), 2) if ordered else 0.0


async def compute(session: AsyncSession, contest: Contest) -> list[RankingLine]:
    branches = (
        await session.exec(
            select(Branch).where(col(Branch.town_id) == contest.town_id).order_by(col(Branch.id))
        )
    ).all()
    sheets = (
        await session.exec(select(ScoreSheet).where(col(ScoreSheet.contest_id) == contest.id))
    ).all()
    values: dict[int, dict[str, float]] = {id_of(b): {} for b in branches}
    for criterion in criteria_of(contest):
        if criterion.source == "computed":
            assert criterion.metric is not None
            measured = await metrics.measure(
                session, Metric(criterion.metric), branches, contest.town_id, contest.year
            )
            for branch, value in measured.items():
                values[branch][criterion.code] = value
        else:
            for branch in values:
                given = [s.scores[criterion.code] for s in sheets if s.branch_id == branch]
                values[branch][criterion.code] = judged_value(given)
    weights = {c.code: c.weight for c in criteria_of(contest)}
    lines = [
        RankingLine(
            branch_id=id_of(b),
            branch_name=b.name,
            values=values[id_of(b)],
            sheets=sum(1 for s in sheets if s.branch_id == b.id),
            total=round(sum(weights[k] * v for k, v in values[id_of(b)].items()) / 100, 2),
            rank=0,
        )
        for b in branches
    ]
    lines.sort(key=lambda line: (-line.total, line.branch_id))
    for position, line in enumerate(lines, start=1):
        previous = lines[position - 2] if position > 1 else None
        line.rank = previous.rank if previous and previous.total == line.total else position
    await _hard_indicators(session, contest, branches, lines)
    eligible = [line for line in lines if line.eligible and line.total > 0]
    for line in eligible[: contest.winners]:
        line.winner = True
    return lines


async def _hard_indicators(
    session: AsyncSession, contest: Contest, branches: Sequence[Branch], lines: list[RankingLine]
) -> None:
    """A branch failing a hard indicator is ranked but cannot win; the ranking says why. The
    cooperative's is failed without a branch-led cooperative that reported for the year; any
    other's, with nothing at all (0)."""
    for criterion in criteria_of(contest):
        if not criterion.hard:
            continue
        if criterion.metric == Metric.collective_income:
            reported = await metrics.with_reports(session, branches, contest.year)
            failing = {line.branch_id for line in lines if line.branch_id not in reported}
            reason = f"硬指标“{criterion.title}”未达到：没有支部领办合作社的{contest.year}年度报告"
        else:
            failing = {line.branch_id for line in lines if line.values[criterion.code] <= 0}
            reason = f"硬指标“{criterion.title}”未达到"
        for line in lines:
            if line.branch_id in failing:
                line.eligible = False
                line.ineligible_reason = "；".join(r for r in (line.ineligible_reason, reason) if r)


async def ranking(session: AsyncSession, *, principal: Principal, contest_id: int) -> Ranking:
    contest = await session.get(Contest, contest_id)
    if contest is None or not covers(principal, Location(town_id=contest.town_id)):
        raise ContestNotFound()
    if contest.ranking is not None:  # frozen at the close
        lines = [RankingLine.model_validate(line) for line in contest.ranking]
    else:
        lines = await compute(session, contest)
    return Ranking(
        contest_id=id_of(contest),
        title=contest.title,
        year=contest.year,
        closed=contest.status is ContestStatus.closed,
        criteria=[CriterionPublic.model_validate(c.model_dump()) for c in criteria_of(contest)],
        items=lines,
    )


async def close(
    session: AsyncSession, *, principal: Principal, contest_id: int, wechat: WechatGateway
) -> Contest:
    contest = await managed(session, principal=principal, contest_id=contest_id)
    if contest.status is ContestStatus.closed:
        raise ContestClosed()
    lines = await compute(session, contest)
    winners = [line for line in lines if line.winner]
    if contest.prize_fen and winners:
        if contest.prize_rule == "split":
            shares = stars.split_largest_remainder(
                contest.prize_fen, [round(w.total * 100) for w in winners]
            )
            for line, share in zip(winners, shares, strict=True):
                line.prize_fen = share
        else:  # the plan's rule: 奖励第一名
            winners[0].prize_fen = contest.prize_fen
    names = "；".join(f"{w.branch_name}（{w.total} 分）" for w in winners)
    post = await feed.posts.create_post(
        session,
        principal=principal,
        wechat=wechat,
        data=PostCreate(
            title=f"{contest.year}年度{contest.title}评比结果"[:100],
            body=f"经评审和数据测评，{contest.year}年度{contest.title}评比结果如下：{names}。"
            "特予表彰。",
            category=Category.commendation,
        ),
        on_behalf=Location(town_id=contest.town_id),
    )
    contest.ranking = [line.model_dump() for line in lines]
    contest.status = ContestStatus.closed
    contest.closed_at = utcnow()
    contest.post_id = post.id
    session.add(contest)
    await audit.record(
        session,
        actor=principal,
        action="contest.close",
        target_type="contest",
        target_id=id_of(contest),
        where=Location(town_id=contest.town_id),
        after={"winners": [w.model_dump() for w in winners], "post_id": post.id},
    )
    await session.flush()
    return contest
