"""个人信息删除 (PIPL art. 47): when a person moves away, dies or asks, a village admin (or
above) erases them. Their name becomes a pseudonym, their phone, WeChat binding, console login,
roles, inbox and roster details go, and every session of theirs ends; the photos they uploaded
stay where other records rely on them but no longer name them. Their ledger entries stay as they
are, owned by the pseudonym, so every chain and signed root still verifies. The audit entry
names who erased whom and why, and none of what was erased; the personal values in the audit's
earlier pictures of them go too."""

from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import utcnow
from app.errors import Conflict, NotFound
from app.models.audit import AuditEntry
from app.models.auth import RefreshToken, UserAccount
from app.models.media import Media
from app.models.notifications import Notification
from app.models.roster import Household, Person, PersonErase, Role, RoleGrant
from app.services import audit
from app.services.identity import Principal, covers, location_of

# The contract's "village admin of the person, or above": a branch's admin may not.
ERASERS = (Role.superadmin, Role.town_admin, Role.village_admin)


class PersonNotFound(NotFound):
    code = "person.not_found"
    detail = "找不到该人员。"


class AlreadyErased(Conflict):
    code = "person.already_erased"
    detail = "该人员的个人信息已经删除过了。"


def pseudonym(person_id: int) -> str:
    return f"已注销-{person_id}"


async def erase(
    session: AsyncSession, *, principal: Principal, person_id: int, data: PersonErase
) -> Person:
    person = await session.get(Person, person_id, with_for_update=True)
    if person is None or not covers(principal, location_of(person), ERASERS):
        raise PersonNotFound()
    if person.erased_at is not None:
        raise AlreadyErased()
    now = utcnow()
    accounts = list(
        (
            await session.exec(
                select(UserAccount.id).where(col(UserAccount.person_id) == person_id)
            )
        ).all()
    )
    if accounts:
        await session.execute(
            update(RefreshToken)
            .where(
                col(RefreshToken.account_id).in_(accounts), col(RefreshToken.revoked_at).is_(None)
            )
            .values(revoked_at=now)
        )
        await session.execute(
            update(UserAccount)
            .where(col(UserAccount.id).in_(accounts))
            .values(openid=None, unionid=None, username=None, password_hash=None)
        )
    await session.execute(
        update(RoleGrant)
        .where(col(RoleGrant.person_id) == person_id, col(RoleGrant.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    await session.execute(delete(Notification).where(col(Notification.person_id) == person_id))
    # Evidence of others' records (a score, a task, an entry) keeps its photo, not its author.
    await session.execute(
        update(Media)
        .where(col(Media.uploader_person_id) == person_id)
        .values(uploader_person_id=None)
    )
    if person.household_id is not None:
        household = await session.get(Household, person.household_id)
        if household is not None and household.head_name == person.name:
            household.head_name = pseudonym(person_id)
            session.add(household)
    person.name = pseudonym(person_id)
    person.phone = None
    person.sex = person.birth_month = person.relation = None
    person.erased_at = now
    session.add(person)
    redacted = await _redact_trail(session, person_id)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="person.erase",
        target_type="person",
        target_id=person_id,
        where=location_of(person),
        after={
            "reason": data.reason,
            "accounts_closed": len(accounts),
            "audit_entries_redacted": redacted,
        },
    )
    return person


# The values in the audit's pictures of a person (its creation, its updates, its login name)
# that are theirs: erasure takes them too. The entries stay: who changed which field, and when.
PERSONAL = frozenset({"name", "phone", "sex", "birth_month", "relation", "username"})


def _redacted(picture: dict[str, Any] | None, person_id: int) -> dict[str, Any] | None:
    if picture is None:
        return None
    return {
        k: (pseudonym(person_id) if k == "name" else None) if k in PERSONAL and v else v
        for k, v in picture.items()
    }


async def _redact_trail(session: AsyncSession, person_id: int) -> int:
    entries = await session.exec(
        select(AuditEntry).where(
            col(AuditEntry.target_type) == "person", col(AuditEntry.target_id) == str(person_id)
        )
    )
    count = 0
    for entry in entries.all():
        before, after = _redacted(entry.before, person_id), _redacted(entry.after, person_id)
        if (before, after) != (entry.before, entry.after):
            entry.before, entry.after = before, after
            session.add(entry)
            count += 1
    return count
