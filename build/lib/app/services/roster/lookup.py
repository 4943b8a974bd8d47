"""Reading roster rows within the caller's scope. Rows outside it answer exactly like rows
that do not exist (404), so a village admin never learns of another village's households or
people."""

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound
from app.models.roster import (
    ADMIN_ROLES,
    Branch,
    Grid,
    Household,
    Person,
    Role,
    RoleGrant,
    Town,
    Village,
)
from app.services import audit
from app.services.identity import (
    Principal,
    covers,
    location_of,
    scope_clause,
)
from app.services.kit import Page, keyset_page

Row = TypeVar("Row", bound=SQLModel)


LABELS: dict[type[Any], tuple[str, str]] = {
    Town: ("town", "镇"),
    Village: ("village", "村"),
    Branch: ("branch", "党支部"),
    Grid: ("grid", "网格"),
    Household: ("household", "农户"),
    Person: ("person", "人员"),
    RoleGrant: ("role_grant", "授权"),
}


class VillageNotFound(NotFound):
    code = "village.not_found"
    detail = "找不到该村。"


def not_found(model: type[Any]) -> NotFound:
    name, label = LABELS[model]
    return NotFound(f"找不到该{label}。", code=f"{name}.not_found")


async def get_in_scope(
    session: AsyncSession,
    *,
    principal: Principal,
    model: type[Row],
    row_id: int,
    roles: Iterable[Role] = ADMIN_ROLES,
) -> Row:
    row = await session.get(model, row_id)
    if row is None or not covers(principal, location_of(row), roles):
        raise not_found(model)
    return row


async def list_in_scope(
    session: AsyncSession,
    *,
    principal: Principal,
    model: type[Row],
    limit: int,
    cursor: str | None,
    filters: Iterable[Any] = (),
) -> Page[Row]:
    stmt = select(model).where(scope_clause(principal, model), *filters)
    model_id: Any = model.id  # type: ignore[attr-defined]
    return await keyset_page(session, stmt, order_by=[model_id], limit=limit, cursor=cursor)


async def created(session: AsyncSession, *, principal: Principal, row: Row) -> Row:
    name, _ = LABELS[type(row)]
    await audit.record_created(
        session, actor=principal, row=row, target_type=name, where=location_of(row)
    )
    return row


async def names_of(session: AsyncSession, person_ids: Iterable[int | None]) -> dict[int, str]:
    """The names of these people, by id (one query; none for an empty set)."""
    wanted = {i for i in person_ids if i is not None}
    if not wanted:
        return {}
    found = await session.exec(select(Person).where(col(Person.id).in_(wanted)))
    return {p.id: p.name for p in found.all() if p.id is not None}
