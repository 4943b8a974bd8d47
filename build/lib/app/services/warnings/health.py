"""Branch health, month by month: green, amber or red from signals the system already holds
(三会一课 held with minutes, attendance, the month's disclosures, open objections, overdue
requests and development steps, members six months in arrears), each against the town's
threshold. A signal with no data that month is left out, never counted as failing. A closed
month's grade is kept once; a branch turning red is told to the town's organisers."""

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import china_today, parse_period, to_china, utcnow
from app.db import rows
from app.errors import Unprocessable
from app.models.base import id_of
from app.models.development import DevelopmentCase
from app.models.duty import ServiceRequest
from app.models.events import PartyEvent
from app.models.feed import DISCLOSURES, Post, PostStatus
from app.models.notifications import NotificationKind
from app.models.proposals import Objection
from app.models.roster import Branch, Person, Role, Town
from app.models.warnings import (
    CRITICAL,
    DEFAULT_THRESHOLDS,
    SIGNAL_WORDS,
    BranchGrade,
    BranchHealth,
    Reason,
)
from app.services import development, dues, events
from app.services.identity import Location, Principal, acting_for, own_town, scope_clause
from app.services.notifications import notify
from app.services.roster import get_in_scope

_OPEN_REQUESTS = ("submitted", "accepted")


class BadPeriod(Unprocessable):
    code = "report.bad_period"
    detail = "period 应为 YYYY-MM。"


def _previous(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


async def _signals(
    session: AsyncSession, branch: Branch, period: str, start: datetime, end: datetime
) -> dict[str, float]:
    found: dict[str, float] = {}
    [item] = await events.compliance.branch_items(
        session, [branch], events.compliance.parse(period)
    )
    monthly = [x for x in item.held + item.missing if events.compliance.cadence_of(x) == "month"]
    if monthly:
        held = sum(1 for x in item.held if events.compliance.cadence_of(x) == "month")
        found["meetings_held"] = round(held / len(monthly), 3)
    held_events = (
        await session.exec(
            select(PartyEvent).where(
                col(PartyEvent.branch_id) == branch.id,
                col(PartyEvent.starts_at) >= start,
                col(PartyEvent.starts_at) < end,
                col(PartyEvent.status) == "scheduled",
            )
        )
    ).all()
    owed = came = 0
    for event in held_events:
        counts = Counter(
            r.status for r in await events.attendance.expected(session, event) if r.is_member
        )
        owed += sum(counts.values())
        came += counts["present"] + counts["late"] + counts["attended_elsewhere"]
    if owed:
        found["attendance_rate"] = round(came / owed, 3)
    if branch.village_id is not None:
        posts = await session.exec(
            select(Post.category).where(
                col(Post.village_id) == branch.village_id,
                col(Post.status) == PostStatus.published,
                col(Post.disclosure_period) == period,
            )
        )
        found["disclosures_published"] = float(len({c for c in posts.all() if c in DISCLOSURES}))
        objections = await session.exec(
            select(Objection.id).where(
                col(Objection.village_id) == branch.village_id,
                col(Objection.created_at) < end,
                col(Objection.answer).is_(None),
            )
        )
        found["objections_open"] = float(len(objections.all()))
        overdue = await session.exec(
            select(ServiceRequest.id).where(
                col(ServiceRequest.village_id) == branch.village_id,
                col(ServiceRequest.status).in_(_OPEN_REQUESTS),
                col(ServiceRequest.due_at) < min(end, datetime.now(end.tzinfo)),
            )
        )
        found["requests_overdue"] = float(len(overdue.all()))
    cases = (
        await session.exec(
            select(DevelopmentCase).where(col(DevelopmentCase.branch_id) == branch.id)
        )
    ).all()
    if cases:
        done = await development.cases.steps_of(session, [id_of(c) for c in cases])
        until = min(to_china(end).date(), china_today())
        late = 0
        for case in cases:
            due, kind = development.cases.next_due(case, {s.step: s for s in done[id_of(case)]})
            late += kind == "deadline" and due is not None and due < until
        found["development_overdue"] = float(late)
    members = list(
        (
            await session.exec(
                select(Person).where(
                    col(Person.branch_id) == branch.id, col(Person.is_party_member).is_(True)
                )
            )
        ).all()
    )
    if members and await dues.bills.bases_of(session, [id_of(p) for p in members]):
        arrears = await dues.bills.owed(session, members, before=_next_month(period))
        found["dues_six_months"] = float(sum(1 for a in arrears if a.months_owed >= 6))
    return found


def _next_month(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return f"{year + 1}-01" if month == 12 else f"{year}-{month + 1:02d}"


def grade_of(
    signals: dict[str, float], thresholds: dict[str, dict[str, float]]
) -> tuple[str, list[Reason]]:
    reasons = []
    for name, value in signals.items():
        rule = thresholds.get(name, DEFAULT_THRESHOLDS.get(name, {}))
        if "min" in rule and value < rule["min"]:
            reasons.append(Reason(signal=name, value=value, threshold=rule["min"]))
        elif "max" in rule and value > rule["max"]:
            reasons.append(Reason(signal=name, value=value, threshold=rule["max"]))
    if len(reasons) >= 2 or any(r.signal in CRITICAL for r in reasons):
        return "red", reasons
    return ("amber" if reasons else "green"), reasons


async def _measure(session: AsyncSession, town: Town, branch: Branch, period: str) -> BranchHealth:
    start, end = parse_period(period)
    signals = await _signals(session, branch, period, start, end)
    thresholds = {**DEFAULT_THRESHOLDS, **(town.health_thresholds or {})}
    grade, reasons = grade_of(signals, thresholds)
    return BranchHealth(
        branch_id=id_of(branch),
        branch_name=branch.name,
        grade=grade,
        reasons=reasons,
        signals=signals,
    )


async def _kept(session: AsyncSession, town: Town, branch: Branch, period: str) -> BranchHealth:
    """A closed month's grade as kept (made once, and the town told of a new red); the month
    under way is measured afresh each time."""
    found = (
        await session.exec(
            select(BranchGrade).where(
                col(BranchGrade.branch_id) == branch.id, col(BranchGrade.period) == period
            )
        )
    ).first()
    if found is not None:
        return BranchHealth(
            branch_id=id_of(branch),
            branch_name=branch.name,
            grade=found.grade,
            reasons=[Reason(**r) for r in found.reasons],
            signals=found.signals,
        )
    health = await _measure(session, town, branch, period)
    if period >= china_today().strftime("%Y-%m"):
        return health
    made = await rows.insert_values(
        session,
        BranchGrade,
        {
            "town_id": id_of(town),
            "branch_id": id_of(branch),
            "period": period,
            "grade": health.grade,
            "reasons": [r.model_dump() for r in health.reasons],
            "signals": health.signals,
            "created_at": utcnow(),
        },
        skip_conflict=True,
    )
    if made is not None and health.grade == "red":
        await _tell_red(session, town, branch, period, health)
    return health


async def _tell_red(
    session: AsyncSession, town: Town, branch: Branch, period: str, health: BranchHealth
) -> None:
    before = (
        await session.exec(
            select(BranchGrade.grade).where(
                col(BranchGrade.branch_id) == branch.id,
                col(BranchGrade.period) == _previous(period),
            )
        )
    ).first()
    if before == "red":
        return  # still red: told when it turned
    organisers = await acting_for(session, Location(town_id=town.id), [Role.town_admin])
    words = "、".join(SIGNAL_WORDS.get(r.signal, r.signal) for r in health.reasons)
    await notify(
        session,
        people=organisers,
        kind=NotificationKind.branch_red,
        target=("branch", id_of(branch)),
        occasion=period,
        title="党支部预警：红色",
        body=f"{branch.name}{period}为红色：{words}。请安排走访。",
        values={"name": branch.name, "note": words[:20]},
    )


async def report(
    session: AsyncSession, *, principal: Principal, town_id: int | None, period: str | None
) -> dict[str, Any]:
    town = await get_in_scope(
        session, principal=principal, model=Town, row_id=town_id or own_town(principal)
    )
    asked = period or china_today().strftime("%Y-%m")
    try:
        parse_period(asked)
    except ValueError as exc:
        raise BadPeriod() from exc
    branches = (
        await session.exec(
            select(Branch).where(col(Branch.town_id) == town.id).order_by(col(Branch.id))
        )
    ).all()
    items = [await _kept(session, town, b, asked) for b in branches]
    return {"town_id": id_of(town), "period": asked, "items": items}


async def to_visit(session: AsyncSession, *, principal: Principal) -> list[BranchHealth]:
    """Last month's amber and red branches in the caller's scope, red first (the dashboard)."""
    period = _previous(china_today().strftime("%Y-%m"))
    found = await session.exec(
        select(BranchGrade, Branch)
        .join(Branch, col(Branch.id) == col(BranchGrade.branch_id))
        .where(
            col(BranchGrade.period) == period,
            col(BranchGrade.grade).in_(["amber", "red"]),
            scope_clause(principal, Branch),
        )
        .order_by(col(BranchGrade.grade).desc(), col(Branch.id))
    )
    return [
        BranchHealth(
            branch_id=id_of(branch),
            branch_name=branch.name,
            grade=grade.grade,
            reasons=[Reason(**r) for r in grade.reasons],
            signals=grade.signals,
        )
        for grade, branch in found.all()
    ]


async def grade_last_month(session: AsyncSession, *, today: date | None = None) -> int:
    """The job: every branch's grade for the month just closed, kept once."""
    day = today or china_today()
    period = _previous(day.strftime("%Y-%m"))
    made = 0
    for town in (await session.exec(select(Town))).all():
        branches = (await session.exec(select(Branch).where(col(Branch.town_id) == town.id))).all()
        for branch in branches:
            await _kept(session, town, branch, period)
            made += 1
    return made
