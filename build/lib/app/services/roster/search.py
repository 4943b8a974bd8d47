"""Finding people and households by what a secretary remembers: part of a name, a few digits of
a phone number, a piece of an address. Always within the caller's scope."""

import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.roster import Household, Person
from app.services.identity import Principal
from app.services.kit import Page
from app.services.roster.lookup import list_in_scope


@dataclass(frozen=True, slots=True)
class PeopleFilter:
    q: str | None = None
    village_id: int | None = None
    branch_id: int | None = None
    grid_id: int | None = None
    household_id: int | None = None
    is_party_member: bool | None = None


@dataclass(frozen=True, slots=True)
class HouseholdFilter:
    q: str | None = None
    village_id: int | None = None
    grid_id: int | None = None


def _pattern(q: str | None) -> str | None:
    """``%fragment%`` with LIKE's own wildcards escaped; full-width digits typed on a phone's
    Chinese keyboard match the stored ASCII ones."""
    text = unicodedata.normalize("NFKC", q or "").strip()
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matching(q: str | None, *columns: Any) -> list[Any]:
    """One filter: any of ``columns`` contains the fragment; none when nothing was asked."""
    pattern = _pattern(q)
    if pattern is None:
        return []
    return [or_(*(col(column).like(pattern, escape="\\") for column in columns))]


def _equal(model: Any, **values: object) -> list[Any]:
    return [
        col(getattr(model, name)) == value for name, value in values.items() if value is not None
    ]


def people_filters(wanted: PeopleFilter) -> list[Any]:
    """The conditions of a people search: the list and its spreadsheet export select alike."""
    filters = _equal(
        Person,
        village_id=wanted.village_id,
        branch_id=wanted.branch_id,
        grid_id=wanted.grid_id,
        household_id=wanted.household_id,
        is_party_member=wanted.is_party_member,
    )
    return filters + _matching(wanted.q, Person.name, Person.phone)


async def find_people(
    session: AsyncSession,
    *,
    principal: Principal,
    wanted: PeopleFilter,
    limit: int,
    cursor: str | None,
) -> Page[Person]:
    filters = people_filters(wanted)
    return await list_in_scope(
        session, principal=principal, model=Person, limit=limit, cursor=cursor, filters=filters
    )


async def find_households(
    session: AsyncSession,
    *,
    principal: Principal,
    wanted: HouseholdFilter,
    limit: int,
    cursor: str | None,
) -> Page[Household]:
    filters = _equal(Household, village_id=wanted.village_id, grid_id=wanted.grid_id)
    filters += _matching(wanted.q, Household.head_name, Household.address)
    return await list_in_scope(
        session, principal=principal, model=Household, limit=limit, cursor=cursor, filters=filters
    )
