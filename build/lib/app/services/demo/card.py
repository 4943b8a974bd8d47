"""What `seed-demo` prints every time it runs: the console logins and which demo phone number
plays which part, so a visitor knows whom to be on the phone."""

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.auth import UserAccount
from app.models.base import id_of
from app.models.roster import Branch, Household, Person, Role, RoleGrant, Village
from app.services.demo.town import DEMO_PASSWORD

_ROLE_WORDS: dict[Role, str] = {
    Role.superadmin: "超级管理员",
    Role.town_admin: "镇管理员",
    Role.village_admin: "村管理员（村党支部书记）",
    Role.branch_admin: "支部管理员",
    Role.grid_worker: "网格员",
    Role.shop_keeper: "积分超市管理员",
    Role.supervisor: "村务监督委员会成员",
    Role.dues_keeper: "党费收缴员",
}


@dataclass(frozen=True, slots=True)
class DemoPhone:
    phone: str
    name: str
    part: str
    village: str
    branch: str
    household: str


async def demo_logins(session: AsyncSession) -> list[tuple[str, str, str]]:
    """(role, username, password) of every console login of the demo."""
    rows = (
        await session.exec(
            select(UserAccount.username, RoleGrant.role)
            .join(RoleGrant, col(RoleGrant.person_id) == col(UserAccount.person_id))
            .where(col(UserAccount.username).is_not(None))
            .order_by(col(UserAccount.id), col(RoleGrant.id))
        )
    ).all()
    seen: dict[str, str] = {}
    for username, role in rows:
        seen.setdefault(str(username), str(role))
    ranked = sorted(seen.items(), key=lambda pair: list(Role).index(Role(pair[1])))
    return [(role, username, DEMO_PASSWORD) for username, role in ranked]


async def demo_phones(session: AsyncSession, *, town_id: int) -> list[DemoPhone]:
    people = (
        await session.exec(
            select(Person)
            .where(col(Person.town_id) == town_id, col(Person.phone).is_not(None))
            .order_by(col(Person.phone))
        )
    ).all()
    villages = {v.id: v.name for v in (await session.exec(select(Village))).all()}
    branches = {b.id: b.name for b in (await session.exec(select(Branch))).all()}
    heads = {h.id: h.head_name for h in (await session.exec(select(Household))).all()}
    roles: dict[int, list[str]] = {}
    for grant in (await session.exec(select(RoleGrant))).all():
        roles.setdefault(grant.person_id, []).append(_ROLE_WORDS[Role(grant.role)])
    card = []
    for person in people:
        parts = roles.get(id_of(person), [])
        kind = (
            "流动党员" if person.is_mobile_member else "党员" if person.is_party_member else "群众"
        )
        card.append(
            DemoPhone(
                phone=str(person.phone),
                name=person.name,
                part="、".join([*parts, kind]),
                village=villages.get(person.village_id, "—"),
                branch=branches.get(person.branch_id, "—"),
                household=f"{heads[person.household_id]}家"
                if person.household_id in heads
                else "—",
            )
        )
    return card
