"""On-site scores: a grid worker scores a household of their grid by a household rule; the
points go through the ledger, and a reused photo holds the entry for review."""

import dataclasses

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import NotFound
from app.models.base import id_of
from app.models.grid import GridScore, Resemblance, ScoreCreate, ScorePublic
from app.models.points import LEDGER_OWNER, EntryPublic, Ledger, LedgerEntry, OwnerType, SourceType
from app.models.roster import Household
from app.services.grid import evidence
from app.services.grid.tasks import TASK_ROLES
from app.services.identity import Principal, covers, location_of
from app.services.points import awards as points
from app.services.points import ledger, scoring_rules
from app.services.warnings import flags


class HouseholdNotFound(NotFound):
    code = "household.not_found"
    detail = "找不到该农户。"


async def score(
    session: AsyncSession, *, principal: Principal, data: ScoreCreate
) -> tuple[LedgerEntry, GridScore]:
    household = await session.get(Household, data.household_id)
    if household is None or not covers(principal, location_of(household), TASK_ROLES):
        raise HouseholdNotFound()
    rule = await scoring_rules.resolve(
        session, code=data.rule_code, town_id=household.town_id, village_id=household.village_id
    )
    if LEDGER_OWNER[Ledger(rule.ledger)] is not OwnerType.household:
        raise points.OwnerMismatch("现场打分只能使用农户积分规则。")
    photos = await evidence.own_photos(session, principal=principal, media_ids=data.media_ids)
    posting = scoring_rules.posting_for(
        rule,
        quantity=data.quantity,
        note=data.note or None,
        media_ids=data.media_ids,
        source_type=SourceType.score,
        source_id=None,
    )
    found = await evidence.resemblances(session, village_id=household.village_id, photos=photos)
    if found:
        # Paid only after a cadre has looked: the photo may be last month's street again.
        posting = dataclasses.replace(posting, pending=True)
    entry = await ledger.credit(
        session,
        ledger=Ledger.household,
        owner=ledger.Owner.of_household(household),
        posting=posting,
        actor=principal,
    )
    record = GridScore(
        entry_id=id_of(entry),
        town_id=household.town_id,
        village_id=household.village_id,
        grid_id=household.grid_id,
        household_id=id_of(household),
        scorer_person_id=principal.person_id,
        scorer_account_id=principal.account_id,
        rule_code=rule.code,
        points=entry.requested_points,
        resembles=found,
    )
    session.add(record)
    await session.flush()
    evidence.record_uses(
        session,
        village_id=household.village_id,
        photos=photos,
        record_type="grid_score",
        record_id=id_of(record),
    )
    await session.flush()
    await flags.photo_reused(
        session,
        town_id=household.town_id,
        village_id=household.village_id,
        record_type="grid_score",
        record_id=id_of(record),
        found=found,
    )
    return entry, record


def present(entry: LedgerEntry, record: GridScore) -> ScorePublic:
    return ScorePublic(
        **EntryPublic.model_validate(entry).model_dump(),
        household_id=record.household_id,
        grid_id=record.grid_id,
        needs_review=bool(record.resembles),
        resembles=[Resemblance.model_validate(r) for r in record.resembles],
    )
