"""What a person holds in the ledgers, as an admin reads it on the person's page: the balance
of each of their accounts (their own and their household's) and the latest entries."""

from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import and_, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.points import LedgerEntry, OwnerType, PointsAccount


@dataclass(frozen=True, slots=True)
class Holdings:
    accounts: list[PointsAccount]
    recent: list[LedgerEntry]


async def of_person(
    session: AsyncSession, *, person_id: int, household_id: int | None, recent: int = 10
) -> Holdings:
    """The caller has already read the person within their scope (``roster.person_card``)."""
    owners = [
        and_(col(PointsAccount.owner_type) == OwnerType.person, PointsAccount.owner_id == person_id)
    ]
    if household_id is not None:
        owners.append(
            and_(
                col(PointsAccount.owner_type) == OwnerType.household,
                PointsAccount.owner_id == household_id,
            )
        )
    accounts = list(
        (
            await session.exec(
                select(PointsAccount).where(or_(*owners)).order_by(col(PointsAccount.id))
            )
        ).all()
    )
    entries: list[LedgerEntry] = []
    if accounts:
        entries = list(
            (
                await session.exec(
                    select(LedgerEntry)
                    .where(col(LedgerEntry.account_id).in_([a.id for a in accounts]))
                    .order_by(col(LedgerEntry.id).desc())
                    .limit(recent)
                )
            ).all()
        )
    return Holdings(accounts, entries)
