"""What happens to a scan once the checks have let it in: its attendance and, by the event's
rule, member points through the ledger (once); written by the check-in writer in a transaction
of its own, alone at a quiet moment or with the scans arriving beside it (group commit; on
PostgreSQL one statement per table for the whole group)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config import Settings
from app.db import rows
from app.db.group_commit import GroupCommit
from app.models.events import Attendance, AttendanceStatus, PartyEvent
from app.models.points import Ledger, OwnerType, SourceType
from app.models.roster import Person
from app.request_context import acting_for
from app.services.identity import Principal
from app.services.points import ledger, scoring_rules


@dataclass(frozen=True, slots=True)
class Member:
    """Who is checking in, as the check-in writer needs them."""

    id: int
    town_id: int | None
    village_id: int | None
    branch_id: int | None
    is_party_member: bool


async def existing(session: AsyncSession, event_id: int, person_id: int) -> Attendance | None:
    return (
        await session.exec(
            select(Attendance).where(
                col(Attendance.event_id) == event_id, col(Attendance.person_id) == person_id
            )
        )
    ).first()


async def _posting(
    session: AsyncSession, event: PartyEvent, attendance: Attendance
) -> ledger.Posting:
    assert event.rule_code is not None
    rule = await scoring_rules.resolve_recent(
        session, code=event.rule_code, town_id=event.town_id, village_id=event.village_id
    )
    return scoring_rules.posting_for(
        rule,
        quantity=None,
        note=event.title,
        media_ids=[],
        source_type=SourceType.checkin,
        source_id=str(attendance.id),
    )


async def award_points(
    session: AsyncSession,
    event: PartyEvent,
    attendance: Attendance,
    actor: Principal | None,
    owner: ledger.Owner | None = None,
) -> None:
    """Posts the event's rule to the member once; the attendance keeps the entry's id."""
    if not event.rule_code or attendance.ledger_entry_id is not None:
        return
    posting = await _posting(session, event, attendance)
    if owner is None:
        person = await session.get(Person, attendance.person_id)
        assert person is not None
        owner = ledger.Owner.of_person(person)
    entry = await ledger.credit(
        session,
        ledger=Ledger.member,
        owner=owner,
        posting=posting,
        actor=actor,
    )
    await rows.update_row(session, attendance, ledger_entry_id=entry.id, points=entry.points)


@dataclass(frozen=True, slots=True)
class Scan:
    """A scan let in by the checks, to be written (alone, or with others at a burst)."""

    event: PartyEvent
    member: Member
    record: dict[str, Any]  # the attendance's columns, as the checks made them
    principal: Principal
    request_id: str | None


class CheckinWriter(GroupCommit[Scan, tuple[Attendance, bool]]):
    """Where scans wait to be written: together at a burst, alone at a quiet moment."""

    @classmethod
    def grouped(cls, settings: Settings) -> bool:
        return settings.group_checkins  # XZ_GROUP_CHECKINS=false: each scan alone

    async def together(
        self, session: AsyncSession, items: Sequence[Scan]
    ) -> list[tuple[Attendance, bool]]:
        return await write_scans(session, items)

    async def alone(self, session: AsyncSession, item: Scan) -> tuple[Attendance, bool]:
        return await write_scan(session, item)


async def write_scan(session: AsyncSession, scan: Scan) -> tuple[Attendance, bool]:
    """One scan's attendance and points, in the caller's transaction, recorded as the scanning
    request's (the check-in writer runs outside it)."""
    attendance, person = _fresh(scan), scan.member
    if not await rows.insert_row(session, attendance, skip_conflict=True):
        # Already checked in (a retry, or the member's other phone got there first).
        first = await existing(session, attendance.event_id, person.id)
        assert first is not None
        return first, False
    if attendance.status is not AttendanceStatus.pending_review:
        owner = ledger.Owner(OwnerType.person, person.id, person.town_id, person.village_id)
        with acting_for(scan.request_id):
            await award_points(session, scan.event, attendance, scan.principal, owner)
    return attendance, True


def _fresh(scan: Scan) -> Attendance:
    """A new row each time: a group that failed may have written ids into the rows it tried,
    and its scans are then written again one by one."""
    return Attendance(**scan.record)


def _key(scan: Scan) -> tuple[int, int]:
    return scan.record["event_id"], scan.record["person_id"]


async def write_scans(
    session: AsyncSession, scans: Sequence[Scan]
) -> list[tuple[Attendance, bool]]:
    """Scans written together (PostgreSQL; group commit): the attendances in one statement,
    the repeats found in one more, the points through ``ledger.credit_each``, and the entries'
    ids on the attendances in one more. Each answer is what ``write_scan`` would give."""
    conn = await rows.connection(session)
    if conn.dialect.name != "postgresql":
        return [await write_scan(session, scan) for scan in scans]
    written = await rows.insert_new_many(
        conn,
        Attendance,
        [scan.record for scan in scans],
        returning=("id", "event_id", "person_id"),
    )
    new_ids = {(event_id, person_id): row_id for row_id, event_id, person_id in written}
    made: list[Attendance | None] = []
    for scan in scans:
        # The same member twice in one group (two phones): the first scan made the row.
        row_id = new_ids.pop(_key(scan), None)
        made.append(
            None if row_id is None else rows.unsaved(Attendance, {"id": row_id, **scan.record})
        )
    repeats = [_key(s) for s, a in zip(scans, made, strict=True) if a is None]
    firsts = await _existing_many(session, repeats) if repeats else {}
    await _award_each(session, [(s, a) for s, a in zip(scans, made, strict=True) if a is not None])
    return [
        (a, True) if a is not None else (firsts[_key(s)], False)
        for s, a in zip(scans, made, strict=True)
    ]


async def _existing_many(
    session: AsyncSession, keys: list[tuple[int, int]]
) -> dict[tuple[int, int], Attendance]:
    found: dict[tuple[int, int], Attendance] = {}
    for event_id in sorted({event_id for event_id, _ in keys}):
        people = sorted({person_id for e, person_id in keys if e == event_id})
        result = await session.exec(
            select(Attendance).where(
                col(Attendance.event_id) == event_id, col(Attendance.person_id).in_(people)
            )
        )
        found.update({(a.event_id, a.person_id): a for a in result.all()})
    return found


async def _award_each(session: AsyncSession, fresh: list[tuple[Scan, Attendance]]) -> None:
    """The points of newly written scans, posted together; each attendance keeps its entry."""
    earning = [
        (scan, attendance)
        for scan, attendance in fresh
        if scan.event.rule_code and attendance.status is not AttendanceStatus.pending_review
    ]
    credits = []
    for scan, attendance in earning:
        member = scan.member
        posting = await _posting(session, scan.event, attendance)
        owner = ledger.Owner(OwnerType.person, member.id, member.town_id, member.village_id)
        credits.append(ledger.Credit(owner, posting, scan.principal, scan.request_id))
    if not credits:
        return
    entries = await ledger.credit_each(session, ledger=Ledger.member, credits=credits)
    for (_, attendance), entry in zip(earning, entries, strict=True):
        attendance.ledger_entry_id, attendance.points = entry.id, entry.points
    await rows.update_many(
        await rows.connection(session),
        Attendance,
        [
            {"row_id": a.id, "ledger_entry_id": a.ledger_entry_id, "points": a.points}
            for _, a in earning
        ],
    )
