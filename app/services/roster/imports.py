"""Importing a 花名册: a dry run by default, then all or nothing. People are matched by phone,
households by 户号 within their village, so the same file twice changes nothing the second time
and an edited file changes only its edited rows. A blank optional cell keeps what the roster has.
The whole import is one audit entry, with each changed row's before and after."""

from collections.abc import Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound
from app.models.base import id_of
from app.models.roster import Household, Person
from app.models.roster_import import ImportPublic, ImportStatus, RosterImport, Tally
from app.services import audit
from app.services.identity import Principal
from app.services.kit import read_table
from app.services.roster.import_rows import HouseholdPlan, PersonPlan, Plan, plan_rows

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
    changes = _changes(person.existing, values)
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
            session.add(Person(**values, household_id=household.id if household else None))
            changed.append({"row": person.line, "before": None, "after": values})
            continue
        diff = _person_changes(plan, person)
        if not diff:
            continue
        for name, (_, value) in diff.items():
            setattr(
                person.existing,
                name,
                household.id if name == "household_id" and household else value,
            )
        changed.append(
            {
                "row": person.line,
                "person_id": person.existing.id,
                "before": {k: old for k, (old, _) in diff.items()},
                "after": {k: getattr(person.existing, k) for k in diff},
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
        created_at=record.created_at,
    )


async def import_roster(
    session: AsyncSession,
    *,
    principal: Principal,
    file_name: str,
    data: bytes,
    village_id: int | None,
    dry_run: bool,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> RosterImport:
    table = read_table(file_name, data)
    plan = await plan_rows(session, principal, table.rows, village_id=village_id, progress=progress)
    created, updated, unchanged = _tally(plan)
    if plan.errors:
        status = ImportStatus.validated if dry_run else ImportStatus.failed
    else:
        status = ImportStatus.validated if dry_run else ImportStatus.applied
    record = RosterImport(
        village_id=village_id,
        town_id=next((p.values["town_id"] for p in plan.people), None),
        account_id=principal.account_id if principal.account_id > 0 else None,
        file_name=file_name[:200],
        status=status,
        dry_run=dry_run,
        total_rows=plan.total_rows,
        done_rows=plan.total_rows,
        report={
            "created": created.model_dump(),
            "updated": updated.model_dump(),
            "unchanged": unchanged,
            "errors": [e.model_dump() for e in plan.errors],
        },
    )
    session.add(record)
    await session.flush()
    if status is ImportStatus.applied:
        changed = await _apply(session, plan)
        await audit.record(
            session,
            actor=principal,
            action="roster.import",
            target_type="roster_import",
            target_id=id_of(record),
            after={"file": record.file_name, "rows": changed},
        )
    return record


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
