"""Builds the ``/me`` profile: who I am, where I belong, what I may do.

Two queries beyond the caller's principal (which already carries the grants and their scope
names): the person with every place they belong to and this year's review; their balances.
"""

from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.models.me import Balances, MeProfile, PlaceRef, RoleView
from app.models.points import Ledger, MemberReview, OwnerType, PointsAccount, PointsTotal
from app.models.roster import Branch, Grid, Household, Person, Town, Village
from app.models.stars import ReviewGrade
from app.services.identity import Principal, load_principal
from app.services.points import stars


def _ref(row_id: int | None, name: str | None) -> PlaceRef | None:
    return PlaceRef(id=row_id, name=name) if row_id is not None and name is not None else None


# Built once: /me is the mini-program's most frequent call. Plain columns, no ORM instances.
_PROFILE = (
    select(  # type: ignore[call-overload, misc]
        Person.id,
        Person.name,
        Person.phone,
        Person.is_party_member,
        Person.is_mobile_member,
        Person.town_id,
        Town.name.label("town_name"),  # type: ignore[attr-defined]
        Person.village_id,
        Village.name.label("village_name"),  # type: ignore[attr-defined]
        Person.branch_id,
        Branch.name.label("branch_name"),  # type: ignore[attr-defined]
        Person.household_id,
        Household.head_name.label("household_name"),  # type: ignore[attr-defined]
        Person.grid_id,
        Grid.name.label("grid_name"),  # type: ignore[attr-defined]
        Town.member_star_points,
        MemberReview.grade.label("review_grade"),  # type: ignore[attr-defined]
    )
    .select_from(Person)
    .outerjoin(Town, col(Town.id) == Person.town_id)
    .outerjoin(Village, col(Village.id) == Person.village_id)
    .outerjoin(Branch, col(Branch.id) == Person.branch_id)
    .outerjoin(Household, col(Household.id) == Person.household_id)
    .outerjoin(Grid, col(Grid.id) == Person.grid_id)
    .outerjoin(
        MemberReview,
        and_(col(MemberReview.person_id) == Person.id, col(MemberReview.year) == bindparam("year")),
    )
    .where(col(Person.id) == bindparam("person_id"))
)

# The person's member and volunteer accounts and their household's, with this year's earnings.
_BALANCES = (
    select(PointsAccount.ledger, PointsAccount.balance, PointsTotal.earned)  # type: ignore[call-overload]
    .outerjoin(
        PointsTotal,
        and_(
            col(PointsTotal.account_id) == PointsAccount.id,
            col(PointsTotal.period) == bindparam("year_key"),
        ),
    )
    .where(
        or_(
            and_(
                col(PointsAccount.owner_type) == OwnerType.person,
                col(PointsAccount.owner_id) == bindparam("person_id"),
            ),
            and_(
                col(PointsAccount.owner_type) == OwnerType.household,
                col(PointsAccount.owner_id) == bindparam("household_id"),
            ),
        )
    )
)


async def profile_for(
    session: AsyncSession, *, account_id: int, star_hours: list[int]
) -> MeProfile:
    principal = await load_principal(session, account_id=account_id, session_id="")
    assert principal is not None
    return await profile_of(session, principal=principal, star_hours=star_hours)


async def _balances(
    session: AsyncSession, person: Any, year: int, star_hours: list[int]
) -> Balances:
    params = {
        "person_id": person["id"],
        "household_id": person["household_id"],
        "year_key": f"Y{year}",
    }
    rows = (await session.execute(_BALANCES, params)).all()
    by_ledger = {Ledger(book): (balance, earned or 0) for book, balance, earned in rows}
    member_year = by_ledger.get(Ledger.member, (0, 0))[1]
    minutes = by_ledger.get(Ledger.volunteer, (0, 0))[0]
    member_level = None
    if person["is_party_member"]:
        grade = ReviewGrade(person["review_grade"]) if person["review_grade"] else None
        thresholds = person["member_star_points"] or list(stars.DEFAULT_MEMBER_STAR_POINTS)
        member_level = stars.member_star(member_year, grade, thresholds)
    return Balances(
        member_points_year=member_year,
        household_points=by_ledger.get(Ledger.household, (0, 0))[0],
        volunteer_minutes=minutes,
        member_star_level=member_level,
        volunteer_star_level=stars.volunteer_star(minutes, star_hours)[0],
    )


async def profile_of(
    session: AsyncSession, *, principal: Principal, star_hours: list[int]
) -> MeProfile:
    person = None
    year = to_china(utcnow()).year
    if principal.person_id is not None:
        result = await session.execute(_PROFILE, {"person_id": principal.person_id, "year": year})
        person = result.mappings().first()
    if person is None:
        return MeProfile(
            account_id=principal.account_id,
            person_id=None,
            name=None,
            phone=None,
            is_bound=False,
            is_party_member=False,
            is_mobile_member=False,
            roles=[],
            town=None,
            village=None,
            branch=None,
            household=None,
            grid=None,
            balances=Balances(),
        )
    places = {
        place: _ref(person[f"{place}_id"], person[f"{place}_name"])
        for place in ("town", "village", "branch", "household", "grid")
    }
    return MeProfile(
        account_id=principal.account_id,
        person_id=person["id"],
        name=person["name"],
        phone=person["phone"],
        is_bound=True,
        is_party_member=person["is_party_member"],
        is_mobile_member=person["is_mobile_member"],
        roles=[
            RoleView(
                role=g.role, scope_type=g.scope_type, scope_id=g.scope_id, scope_name=g.scope_name
            )
            for g in principal.grants
        ],
        **places,
        balances=await _balances(session, person, year, star_hours),
    )
