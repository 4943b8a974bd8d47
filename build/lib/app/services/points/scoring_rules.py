"""Scoring rules (积分规则): per town, overridden per village by a rule with the same code."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.db import row_cache
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.models.points import (
    TOWN_WIDE,
    ScoringRule,
    ScoringRuleCreate,
    ScoringRuleUpdate,
    SourceType,
    Unit,
    village_key,
)
from app.models.roster import ADMIN_ROLES, Town, Village
from app.services import audit
from app.services.identity import (
    Location,
    Principal,
    bound_person,
    caller_person,
    covers,
    covers_one_village,
    location_of,
    own_town,
    own_village,
    scope_clause,
)
from app.services.kit import Page, keyset_page
from app.services.points import ledger
from app.services.points.rule_codes import free_code
from app.services.roster import get_in_scope


class QuantityOutOfRange(Unprocessable):
    code = "points.quantity_out_of_range"
    detail = "「…」的数量应在 … 到 … 之间。"


class RuleCodeTaken(Conflict):
    code = "points.rule_code_taken"
    detail = "同一范围内已有相同代码的积分规则。"


class RuleInvalid(Unprocessable):
    code = "points.rule_invalid"
    detail = "分值不能为 0。"


class CapRequired(Unprocessable):
    code = "points.cap_required"
    detail = "这条规则按本人申报计分（如党员走访 contact_visit），须设每日上限（daily_cap）。"


# Rules whose points follow from what the earner reports alone: each needs a daily cap.
SELF_REPORTED = frozenset({"contact_visit"})


class RuleNotFound(NotFound):
    code = "points.rule_not_found"
    detail = "找不到该积分规则。"


class RuleScope(Forbidden):
    code = "points.rule_scope"
    detail = "只有镇管理员可以制定全镇的积分规则。"


class RuleVillageMismatch(Unprocessable):
    code = "points.rule_village_mismatch"
    detail = "该村不属于所填的镇。"


class RuleUnknown(Unprocessable):
    code = "points.rule_unknown"
    detail = "没有这条积分规则。"


class EvidenceRequired(Unprocessable):
    code = "points.evidence_required"
    detail = "这条积分规则需要上传照片作为凭证。"


class RuleDisabled(Unprocessable):
    code = "points.rule_disabled"
    detail = "这条积分规则已停用。"


async def create_rule(
    session: AsyncSession, *, principal: Principal, data: ScoringRuleCreate
) -> ScoringRule:
    village_id, wanted_town = data.village_id, data.town_id
    if village_id is None and wanted_town is None:
        # Left out: a village secretary's rule is for their village, a town admin's for the town.
        if covers_one_village(principal):
            village_id = own_village(principal)
        else:
            wanted_town = own_town(principal)
    if village_id is not None:
        village = await get_in_scope(session, principal=principal, model=Village, row_id=village_id)
        if wanted_town is not None and wanted_town != village.town_id:
            raise RuleVillageMismatch()
        town_id = village.town_id
    else:
        assert wanted_town is not None
        if wanted_town in _admin_towns(principal) and not covers(
            principal, Location(town_id=wanted_town)
        ):
            raise RuleScope()
        town = await get_in_scope(session, principal=principal, model=Town, row_id=wanted_town)
        assert town.id is not None
        town_id = town.id
    code = data.code or await free_code(session, town_id=town_id, title=data.title)
    if code in SELF_REPORTED and data.daily_cap is None:
        raise CapRequired()
    clash = await session.execute(
        select(ScoringRule.id).where(
            col(ScoringRule.town_id) == town_id,
            col(ScoringRule.village_key) == village_key(village_id),
            col(ScoringRule.code) == code,
        )
    )
    if clash.first() is not None:
        raise RuleCodeTaken()
    rule = ScoringRule(
        **data.model_dump(exclude={"code", "town_id", "village_id", "ledger", "unit"}),
        code=code,
        ledger=data.ledger,
        unit=data.unit,
        town_id=town_id,
        village_id=village_id,
        village_key=village_key(village_id),
    )
    await audit.record_created(
        session, actor=principal, row=rule, target_type="scoring_rule", where=location_of(rule)
    )
    _RULES.forget_all()  # a village's own rule now wins over the town's
    return rule


async def _rule_in_scope(session: AsyncSession, principal: Principal, rule_id: int) -> ScoringRule:
    rule = await session.get(ScoringRule, rule_id)
    if rule is None or not covers(principal, location_of(rule)):
        raise RuleNotFound()
    return rule


async def update_rule(
    session: AsyncSession, *, principal: Principal, rule_id: int, data: ScoringRuleUpdate
) -> ScoringRule:
    """Changes apply from now on: every entry keeps the points that applied when it was made."""
    rule = await _rule_in_scope(session, principal, rule_id)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items()}
    for key in ("title", "points", "requires_approval", "requires_evidence", "enabled"):
        if key in changes and changes[key] is None:
            del changes[key]
    if changes.get("points") == 0:
        raise RuleInvalid()
    if rule.code in SELF_REPORTED and "daily_cap" in changes and changes["daily_cap"] is None:
        raise CapRequired()
    await audit.record_updated(
        session,
        actor=principal,
        row=rule,
        changes={**changes, "updated_at": utcnow()},
        target_type="scoring_rule",
        where=location_of,
    )
    _RULES.forget_all()
    return rule


async def village_version(
    session: AsyncSession,
    *,
    principal: Principal,
    town_rule_id: int,
    village_id: int,
    points: int | None,
) -> ScoringRule:
    """A village's own version of one of its town's rules: the same code, title, book, unit,
    caps and checks, with the village's points (the plan lets each village weigh its items)."""
    rule = await session.get(ScoringRule, town_rule_id)
    if rule is None or rule.village_id is not None or rule.town_id not in _admin_towns(principal):
        raise RuleNotFound()
    data = ScoringRuleCreate(
        code=rule.code,
        title=rule.title,
        ledger=rule.ledger,
        points=points if points is not None else rule.points,
        unit=rule.unit,
        village_id=village_id,
        daily_cap=rule.daily_cap,
        monthly_cap=rule.monthly_cap,
        yearly_cap=rule.yearly_cap,
        requires_approval=rule.requires_approval,
        requires_evidence=rule.requires_evidence,
    )
    return await create_rule(session, principal=principal, data=data)


async def list_rules(
    session: AsyncSession,
    *,
    principal: Principal,
    village_id: int | None,
    limit: int,
    cursor: str | None,
) -> Page[ScoringRule]:
    stmt: Any = select(ScoringRule).where(
        or_(scope_clause(principal, ScoringRule), _town_rules_visible(principal))
    )
    if village_id is not None:
        stmt = stmt.where(
            or_(col(ScoringRule.village_id) == village_id, col(ScoringRule.village_id).is_(None))
        )
    return await keyset_page(session, stmt, order_by=[ScoringRule.id], limit=limit, cursor=cursor)


class VillageNotFound(NotFound):
    code = "village.not_found"
    detail = "找不到该村。"


async def village_rules(
    session: AsyncSession, *, principal: Principal, village_id: int | None
) -> list[ScoringRule]:
    """The rules that score a village, as its villagers read them (村规民约、诚信村民管理办法):
    each code once, the village's own version over the town's, only those in force."""
    person = await caller_person(session, principal)
    if person is None and village_id is None:
        await bound_person(session, principal, to="查看积分规则")  # says: bind first
    wanted = village_id or (person.village_id if person else None)
    village = await session.get(Village, wanted) if wanted else None
    own = person is not None and village is not None and village.id == person.village_id
    if village is None or not (own or covers(principal, location_of(village))):
        raise VillageNotFound()
    found = await session.exec(
        select(ScoringRule)
        .where(
            col(ScoringRule.town_id) == village.town_id,
            or_(col(ScoringRule.village_id) == village.id, col(ScoringRule.village_id).is_(None)),
            col(ScoringRule.enabled).is_(True),
        )
        .order_by(col(ScoringRule.code), col(ScoringRule.village_key).desc())
    )
    chosen: dict[str, ScoringRule] = {}
    for rule in found.all():
        chosen.setdefault(rule.code, rule)  # the village's own first (its key is not 0)
    return sorted(chosen.values(), key=lambda r: (r.ledger, r.code))


def _admin_towns(principal: Principal) -> set[int]:
    return {g.town_id for g in principal.grants if g.role in ADMIN_ROLES and g.town_id}


def _town_rules_visible(principal: Principal) -> Any:
    # A village admin works under the town's rules too, so they may read (not change) them.
    towns = _admin_towns(principal)
    return col(ScoringRule.village_id).is_(None) & col(ScoringRule.town_id).in_(towns)


async def resolve(
    session: AsyncSession, *, code: str, town_id: int | None, village_id: int | None
) -> ScoringRule:
    """The rule that applies in a village: its own rule of that code, else the town's."""
    if town_id is None:
        raise RuleUnknown()
    candidates = (
        (
            await session.execute(
                select(ScoringRule).where(
                    col(ScoringRule.town_id) == town_id,
                    col(ScoringRule.code) == code,
                    col(ScoringRule.village_key).in_([village_key(village_id), TOWN_WIDE]),
                )
            )
        )
        .scalars()
        .all()
    )
    if not candidates:
        raise RuleUnknown(f"没有代码为 {code} 的积分规则。")
    rule: ScoringRule = max(candidates, key=lambda r: r.village_key)  # the village's own wins
    if not rule.enabled:
        raise RuleDisabled(f"积分规则「{rule.title}」已停用。")
    return rule


_RULES: row_cache.RowCache[ScoringRule] = row_cache.RowCache(seconds=60)


async def resolve_recent(
    session: AsyncSession, *, code: str, town_id: int | None, village_id: int | None
) -> ScoringRule:
    """``resolve``, cached for a minute: a check-in burst reads its event's rule once, not
    once per member. A change made here is seen at once; on another worker within the minute."""

    async def load() -> ScoringRule:
        rule = await resolve(session, code=code, town_id=town_id, village_id=village_id)
        # A copy of its own: the loading session's rollback would expire the shared instance
        # under the requests reading it.
        return ScoringRule(**rule.model_dump())

    return await _RULES.get(session, (code, town_id, village_id), load)


QUANTITY_RANGE = {Unit.once: (1, 1), Unit.hour: (1, 24), Unit.score: (1, 5)}


def check_quantity(rule: ScoringRule, quantity: int | None) -> int:
    low, high = QUANTITY_RANGE[Unit(rule.unit)]
    value = low if quantity is None else quantity
    if not low <= value <= high:
        raise QuantityOutOfRange(f"「{rule.title}」的数量应在 {low} 到 {high} 之间。")
    return value


def posting_for(
    rule: ScoringRule,
    *,
    quantity: int | None,
    note: str | None,
    media_ids: Sequence[int],
    source_type: SourceType,
    source_id: str | None,
) -> ledger.Posting:
    """Turns a rule and what was done into a posting: the checks every awarding path shares."""
    amount = check_quantity(rule, quantity)
    if rule.requires_evidence and not media_ids:
        raise EvidenceRequired(f"「{rule.title}」需要上传照片作为凭证。")
    return ledger.Posting(
        title=rule.title,
        points_each=rule.points,
        quantity=amount,
        rule=rule,
        source_type=source_type,
        source_id=source_id,
        note=note,
        media_ids=list(media_ids),
        pending=rule.requires_approval,
    )
