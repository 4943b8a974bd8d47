"""The child rows of many parents in one query, grouped by parent: the step lists, objections,
progress notes and yearly reports that a page of parents is presented with."""

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

Shown = TypeVar("Shown", bound=BaseModel)


async def rows_by_parent(
    session: AsyncSession, parent: Any, ids: Sequence[int], *, order_by: Any = None
) -> dict[int, list[Any]]:
    """Every row whose ``parent`` column is one of ``ids``, in ``order_by`` (the child's id by
    default) and grouped by parent; a parent without children gets []."""
    grouped: dict[int, list[Any]] = {i: [] for i in ids}
    if not ids:
        return grouped
    model = parent.class_
    rows = await session.exec(
        select(model)
        .where(col(parent).in_(ids))
        .order_by(order_by if order_by is not None else col(model.id))
    )
    for row in rows.all():
        grouped[getattr(row, parent.key)].append(row)
    return grouped


async def children_of(
    session: AsyncSession,
    parent: Any,
    ids: Sequence[int],
    *,
    shown_as: type[Shown],
    order_by: Any = None,
) -> dict[int, list[Shown]]:
    """As ``rows_by_parent``, each row shown as ``shown_as`` (its public model)."""
    grouped = await rows_by_parent(session, parent, ids, order_by=order_by)
    return {i: [shown_as.model_validate(row) for row in rows] for i, rows in grouped.items()}
