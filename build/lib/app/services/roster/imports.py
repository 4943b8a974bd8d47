"""Importing a 花名册: a dry run by default, then all or nothing. People are matched by phone,
households by 户号 within their village, so the same file twice changes nothing the second time
and an edited file changes only its edited rows. A blank optional cell keeps what the roster has.
The whole import is one audit entry, with each changed row's before and after."""

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.db import SessionMaker, dialect_name
from app.db.background import Background
from app.errors import Conflict, NotFound
from app.models.base import id_of
from app.models.roster import Household, Person
from app.models.roster_import import ImportPublic, ImportStatus, RosterImport, Tally
from app.services import audit
from app.services.identity import Location, Principal, ScopeRequired, own_village
from app.services.kit import read_table
from app.services.roster import member_columns
from app.services.roster.import_rows import (
    HouseholdPlan,
    PersonPlan,
    Plan,
    Progress,
    data_rows,
    plan_rows,
)

_PERSON_FIELDS = (
    "name",
    "town_id",
    "village_id",
    "grid_id",
    "branch_id",
    "sex",
    "birth_month",
    "relation",
    "is_party_member",
    "is_mobile_member",
)


def _changes(row: Any, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields whose given value differs from the row's (None given: keep the row's)."""
    return {
        name: (getattr(row, name), value)
        for name, value in values.items()
        if value is not None and getattr(row, name) != value
    }


def _household_changes(plan: HouseholdPlan) -> dict[str, tuple[Any, Any]]:
    return _changes(plan.existing, plan.values) if plan.existing else {}


def _person_changes(plan: Plan, person: PersonPlan) -> dict[str, tuple[Any, Any]]:
    assert person.existing is not None
    values = {k: person.values.get(k) for k in _PERSON_FIELDS}
    changes = {**_changes(person.existing, values), **person.file_changes}
    if person.household_key is not None:
        household = plan.households[person.household_key].existing
        if household is None or person.existing.household_id != household.id:
            changes["household_id"] = (person.existing.household_id, "new")
    return changes


def _tally(plan: Plan) -> tuple[Tally, Tally, int]:
    created, updated, unchanged = Tally(), Tally(), 0
    for household in plan.households.values():
        if household.existing is None:
            created.households += 1
        elif _household_changes(household):
            updated.households += 1
    for person in plan.people:
        if person.existing is None:
            created.people += 1
        elif _person_changes(plan, person):
            updated.people += 1
        else:
            unchanged += 1
    return created, updated, unchanged


async def _apply(session: AsyncSession, plan: Plan) -> list[dict[str, Any]]:
    households: dict[tuple[int, str], Household] = {}
    for key, wanted in plan.households.items():
        row = wanted.existing
        if row is None:
            village_id, number = key
            row = Household(
                village_id=village_id, number=number, town_id=wanted.town_id, head_name=""
            )
        for name, value in wanted.values.items():
            if value is not None:
                setattr(row, name, value)
        session.add(row)
        households[key] = row
    await session.flush()
    changed = []
    for person in plan.people:
        household = households[person.household_key] if person.household_key else None
        if person.existing is None:
            values = {k: v for k, v in person.values.items() if v is not None}
            made = Person(**values, household_id=household.id if household else None)
            session.add(made)
            if person.file:
                await session.flush()
                await member_columns.write(session, id_of(made), made.town_id, person.file)
            changed.append(
                {
                    "row": person.line,
                    "before": None,
                    "after": values | member_columns.plain(person.file),
                }
            )
            continue
        diff = _person_changes(plan, person)
        if not diff:
            continue
        if person.file_changes:
            await member_columns.write(
                session, id_of(person.existing), person.existing.town_id, person.file
            )
        for name, (_, value) in diff.items():
            if name.startswith("file."):
                continue
            setattr(
                person.existing,
                name,
                household.id if name == "household_id" and household else value,
            )
        changed.append(
            {
                "row": person.line,
                "person_id": person.existing.id,
                "before": member_columns.plain({k: old for k, (old, _) in diff.items()}),
                "after": member_columns.plain(
                    {
                        k: value if k.startswith("file.") else getattr(person.existing, k)
                        for k, (_, value) in diff.items()
                    }
                ),
            }
        )
    await session.flush()
    return changed


def present(record: RosterImport) -> ImportPublic:
    report = record.report
    return ImportPublic(
        id=id_of(record),
        status=record.status,
        dry_run=record.dry_run,
        file_name=record.file_name,
        total_rows=record.total_rows,
        done_rows=record.done_rows,
        created=Tally(**report.get("created", {})),
        updated=Tally(**report.get("updated", {})),
        unchanged=report.get("unchanged", 0),
        errors=report.get("errors", []),
        error_count=report.get("error_count", len(report.get("errors", []))),
        created_at=record.created_at,
    )


KEPT_ERRORS = 200
# A file this long is checked and applied in the background: the upload answers 202 at once
# and the console polls done_rows, instead of a phone or proxy timing out on a long request.
BACKGROUND_ROWS = 1000
# A background import still running after this long died with its process; nothing was
# written (it applies in one transaction at its very end), so it can honestly be failed.
STALE_AFTER = timedelta(minutes=30)
_STALE_MESSAGE = "导入被中断（服务重启），没有写入任何数据，请重新上传。"


async def _conclude(
    session: AsyncSession, principal: Principal, record: RosterImport, plan: Plan
) -> None:
    """Fills the record from the plan and, when it is applied, writes the rows and the one
    audit entry, all in the session's current transaction."""
    created, updated, unchanged = _tally(plan)
    if plan.errors:
        status = ImportStatus.validated if record.dry_run else ImportStatus.failed
    else:
        status = ImportStatus.validated if record.dry_run else ImportStatus.applied
    record.status = status
    record.town_id = next((p.values["town_id"] for p in plan.people), None)
    record.total_rows = record.done_rows = plan.total_rows
    record.report = {
        "created": created.model_dump(),
        "updated": updated.model_dump(),
        "unchanged": unchanged,
        # A file of 100,000 bad rows is not kept as 100,000 problems: the first ones and the
        # count tell the secretary what to fix.
        "errors": [e.model_dump() for e in plan.errors[:KEPT_ERRORS]],
        "error_count": len(plan.errors),
    }
    session.add(record)
    await session.flush()
    if status is ImportStatus.applied:
        changed = await _apply(session, plan)
        villages = {p.values["village_id"] for p in plan.people}
        await audit.record(
            session,
            actor=principal,
            action="roster.import",
            target_type="roster_import",
            target_id=id_of(record),
            # Filed in the village (or town) the rows went to, where its admins look.
            where=Location(
                town_id=record.town_id,
                village_id=next(iter(villages)) if len(villages) == 1 else None,
            ),
            after={"file": record.file_name, "rows": changed},
        )


async def import_roster(
    session: AsyncSession,
    *,
    principal: Principal,
    file_name: str,
    data: bytes,
    village_id: int | None,
    dry_run: bool,
    progress: Progress | None = None,
    background: Background | None = None,
    background_rows: int = BACKGROUND_ROWS,
) -> RosterImport:
    """Checks (and unless ``dry_run``, applies) a file. Given ``background``, a file of more
    than ``background_rows`` people answers at once with a ``running`` record instead."""
    home = await _refuse_while_running(session, principal, village_id)
    table = await read_table(file_name, data)
    record = RosterImport(
        village_id=home,
        account_id=principal.account_id if principal.account_id > 0 else None,
        file_name=file_name[:200],
        status=ImportStatus.running,
        dry_run=dry_run,
        total_rows=data_rows(table.rows),
        report={},
    )
    session.add(record)
    await session.flush()
    if background is not None and record.total_rows > background_rows:
        job = _BackgroundImport(id_of(record), principal, table.rows, village_id)
        background.start(f"roster-import-{record.id}", job.run)
        return record
    plan = await plan_rows(
        session, principal=principal, rows=table.rows, village_id=village_id, progress=progress
    )
    await _conclude(session, principal, record, plan)
    return record


class ImportRunning(Conflict):
    code = "roster.import_running"
    detail = "这个村还有一份花名册正在导入，请等它完成后再上传。"


async def _refuse_while_running(
    session: AsyncSession, principal: Principal, village_id: int | None
) -> int | None:
    """One import at a time for a village (or, when no village is named, for the account):
    a second big file would only race the first and double the work. Answers the village the
    import is for, when it is one."""
    if village_id is None:
        try:
            village_id = own_village(principal)
        except ScopeRequired:
            village_id = None
    same = (
        col(RosterImport.village_id) == village_id
        if village_id is not None
        else col(RosterImport.account_id) == principal.account_id
    )
    running = (
        await session.exec(
            select(RosterImport.id).where(
                col(RosterImport.status) == ImportStatus.running,
                col(RosterImport.created_at) > utcnow() - STALE_AFTER,
                same,
            )
        )
    ).first()
    if running is not None:
        raise ImportRunning()
    return village_id


class _BackgroundImport:
    def __init__(
        self, import_id: int, principal: Principal, rows: list[list[str]], village_id: int | None
    ) -> None:
        self.import_id, self.principal = import_id, principal
        self.rows, self.village_id = rows, village_id

    async def run(self, sessionmaker: SessionMaker) -> None:
        try:
            await self._run(sessionmaker)
        except Exception:
            async with sessionmaker() as session, session.begin():
                record = await session.get(RosterImport, self.import_id)
                if record is not None and record.status is ImportStatus.running:
                    record.status = ImportStatus.failed
                    record.report = {"errors": [_job_error("导入出错，没有写入任何数据，请重试。")]}
            raise

    async def _run(self, sessionmaker: SessionMaker) -> None:
        async with sessionmaker() as session:
            record = await self._committed(session)
            if record is None:
                return  # the upload's transaction rolled back: there is nothing to do

            # SQLite lets one transaction at a time in (reads too: see app/db.py), and a
            # waiting one polls: between steps this one stands aside long enough to be passed.
            pause = 0.1 if dialect_name(session) == "sqlite" else 0

            async def progress(done: int, total: int) -> None:
                # Each step commits: the console sees done_rows grow, and other requests get
                # their turn between steps instead of waiting out the whole file.
                record.done_rows = min(done, record.total_rows)
                session.add(record)
                await session.commit()
                await asyncio.sleep(pause)

            plan = await plan_rows(
                session,
                principal=self.principal,
                rows=self.rows,
                village_id=self.village_id,
                progress=progress,
            )
            await _conclude(session, self.principal, record, plan)
            await session.commit()

    async def _committed(self, session: AsyncSession) -> RosterImport | None:
        """The record once the upload's transaction is visible (it commits as its answer
        leaves, which may be just after this task starts)."""
        for _ in range(100):
            record = await session.get(RosterImport, self.import_id)
            if record is not None:
                return record
            await session.rollback()  # the next look takes a fresh snapshot
            await asyncio.sleep(0.1)
        return None


def _job_error(message: str) -> dict[str, Any]:
    return {"row": 0, "column": "", "code": "roster.job_failed", "message": message}


async def fail_stale(session: AsyncSession, *, now: datetime) -> int:
    """Background imports whose process died: failed, with a message saying nothing was
    written."""
    stale = (
        await session.exec(
            select(RosterImport).where(
                col(RosterImport.status) == ImportStatus.running,
                col(RosterImport.created_at) < now - STALE_AFTER,
            )
        )
    ).all()
    for record in stale:
        record.status = ImportStatus.failed
        record.report = {"errors": [_job_error(_STALE_MESSAGE)]}
        session.add(record)
    return len(stale)


class ImportNotFound(NotFound):
    code = "roster.import_not_found"
    detail = "找不到这次导入。"


async def get_import(
    session: AsyncSession, *, principal: Principal, import_id: int
) -> RosterImport:
    """An import is read back by whoever ran it (and the superadmin)."""
    record = await session.get(RosterImport, import_id)
    mine = record is not None and record.account_id == principal.account_id
    if record is None or not (mine or principal.is_superadmin):
        raise ImportNotFound()
    return record
