"""The demo town's scoring rules (drawn from the town's plan) and real-looking balances, all
posted through the ledger as the real actions would post them (caps included)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import cycle
from typing import TypedDict

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.models.events import EventKind, PartyEvent
from app.models.points import Ledger, LedgerEntry, ScoringRule, SourceType, Unit
from app.models.roster import Branch, Household, Person
from app.services.points import ledger, scoring_rules

# code, title, ledger, points, unit, caps (day, month, year), approval, evidence
DEFAULT_RULES: list[
    tuple[str, str, Ledger, int, Unit, tuple[int | None, int | None, int | None], bool, bool]
] = [
    ("party_day", "参加主题党日", Ledger.member, 5, Unit.once, (None, 10, None), False, False),
    ("branch_meeting", "参加三会一课", Ledger.member, 3, Unit.once, (None, 15, None), False, False),
    ("party_lecture", "讲党课", Ledger.member, 10, Unit.once, (None, None, 40), False, True),
    (
        "member_volunteer",
        "党员参加志愿服务（每小时）",
        Ledger.member,
        2,
        Unit.hour,
        (None, 20, None),
        False,
        False,
    ),
    # A member's own report of a visit to a paired household: capped per day (two visits).
    ("contact_visit", "党员联系户走访", Ledger.member, 2, Unit.once, (4, 20, None), False, False),
    ("lead_coop", "支部领办合作社", Ledger.member, 20, Unit.once, (None, None, 40), True, True),
    (
        "absent_unexcused",
        "无故缺席组织生活",
        Ledger.member,
        -5,
        Unit.once,
        (None, None, None),
        False,
        False,
    ),
    (
        "volunteer_service",
        "志愿服务时长（每小时）",
        Ledger.volunteer,
        60,
        Unit.hour,
        (None, None, None),
        False,
        False,
    ),
    ("labour", "义务出工", Ledger.household, 5, Unit.once, (10, None, None), False, False),
    (
        "sanitation",
        "环境清扫（现场打分 1–5）",
        Ledger.household,
        2,
        Unit.score,
        (10, None, None),
        False,
        True,
    ),
    ("model_family", "最美家庭", Ledger.household, 50, Unit.once, (None, None, 50), True, True),
    ("good_neighbour", "邻里互助", Ledger.household, 3, Unit.once, (None, 9, None), False, False),
    ("litter", "乱扔垃圾", Ledger.household, -5, Unit.once, (None, None, None), False, False),
    (
        "straw_burning",
        "焚烧秸秆",
        Ledger.household,
        -20,
        Unit.once,
        (None, None, None),
        False,
        False,
    ),
]


async def seed_rules(session: AsyncSession, *, town_id: int) -> dict[str, ScoringRule]:
    rules = {}
    for code, title, book, points, unit, caps, approval, evidence in DEFAULT_RULES:
        rule = ScoringRule(
            town_id=town_id,
            code=code,
            title=title,
            ledger=book,
            points=points,
            unit=unit,
            daily_cap=caps[0],
            monthly_cap=caps[1],
            yearly_cap=caps[2],
            requires_approval=approval,
            requires_evidence=evidence,
        )
        session.add(rule)
        rules[code] = rule
    await session.flush()
    return rules


async def _give(
    session: AsyncSession,
    rules: dict[str, ScoringRule],
    code: str,
    owner: ledger.Owner,
    *,
    photos: dict[int | None, int],
    quantity: int | None = None,
    days_ago: int = 0,
) -> None:
    rule = rules[code]
    posting = scoring_rules.posting_for(
        rule,
        quantity=quantity,
        note="演示数据",
        media_ids=[photos[owner.village_id]] if rule.requires_evidence else [],
        source_type=SourceType.manual,
        source_id=None,
    )
    await ledger.credit(
        session, ledger=Ledger(rule.ledger), owner=owner, posting=posting, actor=None
    )


async def seed_balances(
    session: AsyncSession,
    *,
    town_id: int,
    rules: dict[str, ScoringRule],
    photos: dict[int | None, int],
    progress: Callable[[str], None],
) -> None:
    """`photos` holds an evidence photo per village id (None: the town's own)."""
    households = (await session.exec(select(Household).where(Household.town_id == town_id))).all()
    pattern = cycle(
        [
            ("labour", None),
            ("sanitation", 4),
            ("good_neighbour", None),
            ("sanitation", 5),
            ("labour", None),
            ("litter", None),
        ]
    )
    for index, household in enumerate(households):
        owner = ledger.Owner.of_household(household)
        for _ in range(3 + index % 5):
            code, quantity = next(pattern)
            await _give(session, rules, code, owner, photos=photos, quantity=quantity)
    members = (
        await session.exec(
            select(Person).where(Person.town_id == town_id, col(Person.is_party_member).is_(True))
        )
    ).all()
    for index, member in enumerate(members):
        owner = ledger.Owner.of_person(member)
        for _ in range(1 + index % 4):
            # Party-day points are left for today's demo check-in to earn.
            await _give(session, rules, "branch_meeting", owner, photos=photos)
        if index % 3 == 0:
            await _give(session, rules, "party_lecture", owner, photos=photos)
        await _give(
            session, rules, "member_volunteer", owner, photos=photos, quantity=1 + index % 3
        )
    leader = next((m for m in members if m.village_id is not None), None)
    if leader is not None:
        # The village branch secretary leads the cooperative.
        owner = ledger.Owner.of_person(leader)
        await _give(
            session, rules, "lead_coop", owner, photos=photos
        )  # waits in the approval queue
    entries = (await session.exec(select(LedgerEntry.id))).all()
    progress(f"积分：{len(rules)} 条规则，{len(entries)} 条积分记录（含 1 条待审核）")


async def seed_party_days(
    session: AsyncSession, *, town_id: int, progress: Callable[[str], None]
) -> None:
    """Today's themed Party day in each village branch, check-in already open."""
    branches = (
        await session.exec(
            select(Branch).where(Branch.town_id == town_id, col(Branch.village_id).is_not(None))
        )
    ).all()
    for number, branch in enumerate(branches):
        assert branch.id is not None
        lat, lng = DEMO_VENUE
        session.add(
            PartyEvent(
                town_id=town_id,
                village_id=branch.village_id,
                branch_id=branch.id,
                kind=EventKind.party_day,
                title=f"{branch.name}主题党日",
                theme="学习贯彻党的二十大精神",
                agenda={
                    "fixed": "学习习近平新时代中国特色社会主义思想",
                    "items": ["讲党课", "宣传支部领办合作社", "志愿服务"],
                },
                **party_day_window(utcnow()),
                # Each village's own 党群服务中心, a few hundred metres apart.
                venue_lat=lat + 0.01 * number,
                venue_lng=lng,
                venue_radius_m=DEMO_VENUE_RADIUS_M,
                venue_name="党群服务中心二楼会议室",
                rule_code="party_day",
            )
        )
    await session.flush()
    progress(f"主题党日：{len(branches)} 场（签到已开放，场地半径 {DEMO_VENUE_RADIUS_M} 米）")


# The demo villages' 党群服务中心 (GCJ-02), as the mini-program's wx.getLocation reports it.
DEMO_VENUE = (40.9312, 117.9632)
DEMO_VENUE_RADIUS_M = 300


class PartyDayWindow(TypedDict):
    starts_at: datetime
    ends_at: datetime
    checkin_opens_at: datetime
    checkin_closes_at: datetime


def party_day_window(now: datetime) -> PartyDayWindow:
    """Starts in ten minutes, runs two hours; check-in open from now until the end, so a demo
    started at any hour can be tried at once and for the rest of the afternoon."""
    start = now + timedelta(minutes=10)
    return {
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "checkin_opens_at": now - timedelta(minutes=1),
        "checkin_closes_at": start + timedelta(hours=2),
    }


async def refresh_party_days(session: AsyncSession, *, town_id: int) -> int:
    """Moves the demo's Party days to a window around now (``seed-demo --refresh``)."""
    days = (
        await session.exec(
            select(PartyEvent).where(
                col(PartyEvent.town_id) == town_id, col(PartyEvent.kind) == EventKind.party_day
            )
        )
    ).all()
    for day in days:
        window = party_day_window(utcnow())
        day.starts_at, day.ends_at = window["starts_at"], window["ends_at"]
        day.checkin_opens_at = window["checkin_opens_at"]
        day.checkin_closes_at = window["checkin_closes_at"]
    await session.flush()
    return len(days)
