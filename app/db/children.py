"""The child rows of many parents in one query, grouped by parent: the step lists, objections
and yearly reports that a page of parents is presented with."""

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

Shown = TypeVar("Shown", bound=BaseModel)


async def children_of(
    session: AsyncSession,
    parent: Any,
    ids: Sequence[int],
    *,
    shown_as: type[Shown],
    order_by: Any = None,
) -> dict[int, list[Shown]]:
    """Every row whose ``parent`` column is one of ``ids``, as ``shown_as``, in ``order_by``
    (the child's id by default) and grouped by parent; a parent without children gets []."""
    grouped: dict[int, list[Shown]] = {i: [] for i in ids}
    if not ids:
        return grouped
    model = parent.class_
    rows = await session.exec(
        select(model)
        .where(col(parent).in_(ids))
        .order_by(order_by if order_by is not None else col(model.id))
    )
    for row in rows.all():
        grouped[getattr(row, parent.key)].append(shown_as.model_validate(row))
    return grouped
