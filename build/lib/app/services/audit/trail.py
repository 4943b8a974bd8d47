"""Writes the append-only audit log. Nothing here updates or deletes an entry."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.db import rows
from app.models.audit import AuditEntry
from app.request_context import current_request_id
from app.services.identity import Location, Principal, home_of, scope_clause
from app.services.kit import Page, Paper, keyset_page


def snapshot(row: Any) -> dict[str, Any]:
    """A JSON-safe picture of a row, for before/after."""
    if isinstance(row, BaseModel):
        return row.model_dump(mode="json", exclude={"password_hash"})
    return dict(row)


def values(
    *,
    actor: Principal | None,
    action: str,
    target_type: str,
    target_id: int | str,
    where: Location | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """One audit entry's columns, for a writer that sends it with its own statement (the
    ledger's posting on PostgreSQL); everyone else calls ``record``. ``request_id``: the
    request's, when the entry is written outside it (group commit)."""
    return {
        "created_at": utcnow(),
        "actor_account_id": actor.account_id if actor else None,
        "actor_person_id": actor.person_id if actor else None,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "town_id": where.town_id if where else None,
        "village_id": where.village_id if where else None,
        "before": before,
        "after": after,
        "request_id": request_id or current_request_id(),
    }


async def record(
    session: AsyncSession,
    *,
    actor: Principal | None,
    action: str,
    target_type: str,
    target_id: int | str,
    where: Location | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    entry = values(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        where=where,
        before=before,
        after=after,
    )
    await record_values(session, entry)


async def record_values(session: AsyncSession, entry: dict[str, Any]) -> None:
    """Writes an entry made by ``values``: one Core INSERT now, from plain values (every
    posting and admin write makes one, and the ORM's instance and flush cost more)."""
    await rows.insert_values(session, AuditEntry, entry)


async def record_many(session: AsyncSession, entries: list[dict[str, Any]]) -> None:
    """Writes entries made by ``values`` in one trip (a group commit's)."""
    await rows.insert_many(await rows.connection(session), AuditEntry, entries)


async def record_created(
    session: AsyncSession,
    *,
    actor: Principal | None,
    row: Any,
    target_type: str,
    where: Location,
) -> None:
    """Adds a new row and logs its creation with the row as written."""
    session.add(row)
    await session.flush()
    await record(
        session,
        actor=actor,
        action=f"{target_type}.create",
        target_type=target_type,
        target_id=row.id,
        where=where,
        after=snapshot(row),
    )


def stage_of(row: Any) -> dict[str, Any]:
    """The picture of a row that advances through stages (a case, a proposal): its stage."""
    return {"stage": row.stage}


@dataclass(slots=True)
class Change:
    """What the body of ``change`` may add: facts the row itself does not hold."""

    extra: dict[str, Any] = field(default_factory=dict)


@asynccontextmanager
async def change(
    session: AsyncSession,
    *,
    actor: Principal | None,
    row: Any,
    action: str | Callable[[Any], str],
    target_type: str,
    where: Location | Callable[[Any], Location],
    picture: Callable[[Any], dict[str, Any]] = snapshot,
    new: bool = False,
) -> AsyncIterator[Change]:
    """An audited change: the row is pictured before the body runs, flushed after it, and
    logged with both pictures. ``action`` and ``where`` may be read from the changed row (a
    decision names its outcome; a change may move the row). A body that raises logs nothing:
    its transaction rolls back. A ``new`` row (made just before, for a create-or-update) has no
    before."""
    before = None if new else picture(row)
    change = Change()
    yield change
    await session.flush()
    await record(
        session,
        actor=actor,
        action=action(row) if callable(action) else action,
        target_type=target_type,
        target_id=row.id,
        where=where(row) if callable(where) else where,
        before=before,
        after={**picture(row), **change.extra},
    )


async def record_updated(
    session: AsyncSession,
    *,
    actor: Principal | None,
    row: Any,
    changes: dict[str, Any],
    target_type: str,
    where: Callable[[Any], Location],
) -> None:
    """Applies ``changes`` to a row and logs it with the row before and after."""
    async with change(
        session,
        actor=actor,
        row=row,
        action=f"{target_type}.update",
        target_type=target_type,
        where=where,
    ):
        for key, value in changes.items():
            setattr(row, key, value)


async def list_entries(
    session: AsyncSession,
    *,
    principal: Principal,
    action: str | None,
    limit: int,
    cursor: str | None,
    actor_person_id: int | None = None,
    target: tuple[str, str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEntry]:
    """The caller's entries, newest first; ``action`` matches a whole action or, ending in a
    dot, every action of a kind (``points.``)."""
    stmt = select(AuditEntry).where(scope_clause(principal, AuditEntry))
    if action and action.endswith("."):
        stmt = stmt.where(col(AuditEntry.action).startswith(action, autoescape=True))
    elif action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor_person_id is not None:
        stmt = stmt.where(AuditEntry.actor_person_id == actor_person_id)
    if target is not None:
        stmt = stmt.where(AuditEntry.target_type == target[0], AuditEntry.target_id == target[1])
    if since is not None:
        stmt = stmt.where(col(AuditEntry.created_at) >= since)
    if until is not None:
        stmt = stmt.where(col(AuditEntry.created_at) < until)
    return await keyset_page(
        session, stmt, order_by=[AuditEntry.id], limit=limit, cursor=cursor, descending=True
    )


async def exported(
    session: AsyncSession, *, actor: Principal, paper: Paper, params: dict[str, Any]
) -> Paper:
    """A report downloaded: who took which paper (and so whose personal data), and when. Filed
    where the caller works, so the admins above them see it."""
    await record(
        session,
        actor=actor,
        action="report.export",
        target_type="report",
        target_id=paper.name,
        where=home_of(actor),
        after={"paper": paper.name, "rows": paper.rows, **params},
    )
    return paper
