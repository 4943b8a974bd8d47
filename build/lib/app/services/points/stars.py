"""Star levels. Member stars come from the year's member points and the democratic review grade;
volunteer stars from confirmed minutes (100/300/600/1,000/1,500 hours by default)."""

from typing import Any

from sqlalchemy import and_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Unprocessable
from app.models.contact import Pledge
from app.models.members import Reeducation
from app.models.points import Ledger, MemberReview, OwnerType, PointsAccount, PointsTotal
from app.models.roster import Person, Town
from app.models.stars import (
    MemberStar,
    MemberStars,
    ReviewCreate,
    ReviewGrade,
    RewardReport,
    RewardRequest,
    RewardShare,
)
from app.services import audit
from app.services.identity import Principal, location_of, scope_clause
from app.services.roster import get_in_scope


class NotAMember(Unprocessable):
    code = "stars.not_a_member"
    detail = "只有党员参加民主评议。"


DEFAULT_MEMBER_STAR_POINTS = (40, 60, 80, 100)
REEDUCATION_BELOW = 4


def member_star(points: int, grade: ReviewGrade | None, thresholds: list[int]) -> int:
    """1 star to start, one more per threshold reached; the review moves it: an excellent grade
    adds a star, basic caps it at three and unqualified at one."""
    stars = 1 + sum(1 for t in thresholds if points >= t)
    if grade is ReviewGrade.excellent:
        stars += 1
    elif grade is ReviewGrade.basic:
        stars = min(stars, 3)
    elif grade is ReviewGrade.unqualified:
        stars = 1
    return max(1, min(5, stars))


def volunteer_star(minutes: int, star_hours: list[int]) -> tuple[int, int | None]:
    """The star level for these minutes and the minutes still needed for the next one."""
    level = sum(1 for hours in star_hours if minutes >= hours * 60)
    following = next((h * 60 for h in star_hours if minutes < h * 60), None)
    return level, (following - minutes) if following is not None else None


async def enter_review(
    session: AsyncSession, *, principal: Principal, data: ReviewCreate
) -> MemberReview:
    person = await get_in_scope(session, principal=principal, model=Person, row_id=data.person_id)
    if not person.is_party_member:
        raise NotAMember()
    review = (
        await session.execute(
            select(MemberReview).where(
                col(MemberReview.person_id) == data.person_id, col(MemberReview.year) == data.year
            )
        )
    ).scalar_one_or_none()
    new = review is None
    if review is None:
        review = MemberReview(
            person_id=data.person_id, town_id=person.town_id, year=data.year, grade=data.grade.value
        )
        session.add(review)
    async with audit.change(
        session,
        actor=principal,
        row=review,
        new=new,
        action="stars.review",
        target_type="member_review",
        where=location_of(person),
    ):
        review.grade = data.grade.value
        review.entered_by_person_id = principal.person_id
    return review


async def _rules(session: AsyncSession, town_id: int | None) -> tuple[list[int], int]:
    """The town's star thresholds, and the stars below which a member goes to 回炉."""
    town = await session.get(Town, town_id) if town_id else None
    if town is None:
        return list(DEFAULT_MEMBER_STAR_POINTS), REEDUCATION_BELOW
    return list(town.member_star_points), town.reeducation_below_stars


async def member_stars(
    session: AsyncSession,
    *,
    principal: Principal,
    year: int,
    town_id: int | None = None,
    branch_id: int | None = None,
    re_education: bool = False,
) -> MemberStars:
    """Every Party member in the caller's scope with their points, grade and stars for a year;
    ``re_education``: only those below the town's stars for 回炉."""
    stmt: Any = (
        select(Person, PointsTotal.earned, MemberReview.grade)
        .outerjoin(
            PointsAccount,
            and_(
                col(PointsAccount.owner_type) == OwnerType.person,
                col(PointsAccount.owner_id) == Person.id,
                col(PointsAccount.ledger) == Ledger.member,
            ),
        )
        .outerjoin(
            PointsTotal,
            and_(
                col(PointsTotal.account_id) == PointsAccount.id,
                col(PointsTotal.period) == f"Y{year}",
            ),
        )
        .outerjoin(
            MemberReview,
            and_(col(MemberReview.person_id) == Person.id, col(MemberReview.year) == year),
        )
        .where(col(Person.is_party_member).is_(True), scope_clause(principal, Person))
        .order_by(col(Person.id))
    )
    if town_id is not None:
        stmt = stmt.where(col(Person.town_id) == town_id)
    if branch_id is not None:
        stmt = stmt.where(col(Person.branch_id) == branch_id)
    rows = (await session.execute(stmt)).all()
    rules_by_town: dict[int | None, tuple[list[int], int]] = {}
    items = []
    for person, earned, grade in rows:
        if person.town_id not in rules_by_town:
            rules_by_town[person.town_id] = await _rules(session, person.town_id)
        thresholds, below = rules_by_town[person.town_id]
        review = ReviewGrade(grade) if grade else None
        points = int(earned or 0)
        star = member_star(points, review, thresholds)
        if re_education and star >= below:
            continue
        items.append(
            MemberStar(
                person_id=person.id,
                name=person.name,
                branch_id=person.branch_id,
                year=year,
                points=points,
                grade=review,
                star_level=star,
            )
        )
    # The branch's assessment of each member's pledge sits beside the review that sets the stars.
    pledged = dict(
        (
            await session.exec(
                select(Pledge.person_id, Pledge.grade).where(
                    col(Pledge.year) == year,
                    col(Pledge.person_id).in_([m.person_id for m in items]),
                )
            )
        ).all()
    )
    for line in items:
        grade = pledged.get(line.person_id)
        line.pledge_grade = str(grade) if grade is not None else None
    # Last year's re-education, as it ended (or did not), sits beside this year's stars.
    courses = await session.exec(
        select(Reeducation)
        .where(
            col(Reeducation.person_id).in_([m.person_id for m in items]),
            col(Reeducation.year).in_([year - 1, year]),
        )
        .order_by(col(Reeducation.year))
    )
    latest = {c.person_id: c for c in courses.all()}
    for line in items:
        course = latest.get(line.person_id)
        if course is not None:
            line.reeducation_year, line.reeducation_status = course.year, course.status
            line.reeducation_conclusion = course.conclusion
    thresholds, below = next(
        iter(rules_by_town.values()), (list(DEFAULT_MEMBER_STAR_POINTS), REEDUCATION_BELOW)
    )
    return MemberStars(year=year, thresholds=thresholds, reeducation_below=below, items=items)


def split_largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Shares of ``total`` in proportion to ``weights`` that add up exactly (to the fen)."""
    if not weights:
        return []
    weight_sum = sum(weights)
    if weight_sum <= 0:
        base = [total // len(weights)] * len(weights)
        for i in range(total - sum(base)):
            base[i] += 1
        return base
    exact = [total * w / weight_sum for w in weights]
    shares = [int(x) for x in exact]
    order = sorted(
        range(len(weights)), key=lambda i: (exact[i] - shares[i], weights[i]), reverse=True
    )
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


async def reward_report(
    session: AsyncSession, *, principal: Principal, data: RewardRequest
) -> RewardReport:
    """Splits a sum (one third of the member activity fund) among the top members."""
    board = await member_stars(
        session, principal=principal, year=data.year, town_id=data.town_id, branch_id=data.branch_id
    )
    eligible = sorted(
        (m for m in board.items if m.points > 0 and m.star_level >= board.reeducation_below),
        key=lambda m: (-m.points, m.person_id),
    )[: data.top_n]
    pool = data.pool_fen
    shares = split_largest_remainder(pool, [m.points for m in eligible])
    rule = (
        f"{data.year} 年党员积分排名前 {data.top_n} 名"
        f"且星级不低于 {board.reeducation_below} 星的党员，"
        "按积分占比分配，精确到分，余数按小数部分从大到小补足。"
    )
    items = [
        RewardShare(
            rank=i + 1,
            person_id=m.person_id,
            name=m.name,
            points=m.points,
            star_level=m.star_level,
            share_fen=share,
        )
        for i, (m, share) in enumerate(zip(eligible, shares, strict=True))
    ]
    await audit.record(
        session,
        actor=principal,
        action="stars.reward_report",
        target_type="reward_report",
        target_id=data.year,
        after={"pool_fen": pool, "fund_fen": data.fund_fen, "shares": len(items)},
    )
    return RewardReport(year=data.year, pool_fen=pool, total_fen=pool, rule=rule, items=items)
