"""Small factories: a two-town world with one person per role, each with a real token."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import pytest
from fastapi import FastAPI

from app.models.auth import UserAccount
from app.models.roster import (
    Branch,
    Grid,
    Household,
    Person,
    Role,
    RoleGrant,
    ScopeType,
    Town,
    Village,
)
from app.services.identity.auth import issue_pair

_phones = count(13900000000)


@dataclass
class World:
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


Login = Callable[[int], Awaitable[str]]


@pytest.fixture
def login(app: FastAPI) -> Login:
    """A real access token for a roster person, issued the way a login issues it."""

    async def _login(person_id: int) -> str:
        async with app.state.sessionmaker() as session, session.begin():
            account = UserAccount(person_id=person_id)
            session.add(account)
            await session.flush()
            pair = await issue_pair(session, app.state.settings, account)
        return pair.access_token

    return _login


async def _add(session: Any, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


@pytest.fixture
async def world(app: FastAPI, login: Login) -> World:
    """Town A (villages V1 and V2) and town B (village W1), and one person per role."""
    w = World()
    async with app.state.sessionmaker() as s, s.begin():
        town_a = await _add(s, Town(name="甲镇"))
        town_b = await _add(s, Town(name="乙镇"))
        v1 = await _add(s, Village(town_id=town_a.id, name="一村"))
        v2 = await _add(s, Village(town_id=town_a.id, name="二村"))
        w1 = await _add(s, Village(town_id=town_b.id, name="乙一村"))
        b1 = await _add(s, Branch(town_id=town_a.id, village_id=v1.id, name="一村党支部"))
        b2 = await _add(s, Branch(town_id=town_a.id, village_id=v2.id, name="二村党支部"))
        g1 = await _add(s, Grid(town_id=town_a.id, village_id=v1.id, name="一网格"))
        g2 = await _add(s, Grid(town_id=town_a.id, village_id=v2.id, name="二网格"))
        gw = await _add(s, Grid(town_id=town_b.id, village_id=w1.id, name="乙网格"))
        h1 = await _add(
            s, Household(town_id=town_a.id, village_id=v1.id, grid_id=g1.id, head_name="王一")
        )
        h2 = await _add(
            s, Household(town_id=town_a.id, village_id=v2.id, grid_id=g2.id, head_name="李二")
        )
        hw = await _add(
            s, Household(town_id=town_b.id, village_id=w1.id, grid_id=gw.id, head_name="赵乙")
        )
        rows = {
            "town_a": town_a,
            "town_b": town_b,
            "v1": v1,
            "v2": v2,
            "w1": w1,
            "b1": b1,
            "b2": b2,
            "g1": g1,
            "g2": g2,
            "gw": gw,
            "h1": h1,
            "h2": h2,
            "hw": hw,
        }
        w.ids.update({k: v.id for k, v in rows.items()})

        people: dict[str, tuple[dict[str, Any], tuple[Role, ScopeType, int | None] | None]] = {
            "superadmin": ({"town_id": None}, (Role.superadmin, ScopeType.global_, None)),
            "town_a_admin": ({"town_id": town_a.id}, (Role.town_admin, ScopeType.town, town_a.id)),
            "town_b_admin": ({"town_id": town_b.id}, (Role.town_admin, ScopeType.town, town_b.id)),
            "v1_admin": (
                {"town_id": town_a.id, "village_id": v1.id},
                (Role.village_admin, ScopeType.village, v1.id),
            ),
            "v2_admin": (
                {"town_id": town_a.id, "village_id": v2.id},
                (Role.village_admin, ScopeType.village, v2.id),
            ),
            "b1_admin": (
                {"town_id": town_a.id, "village_id": v1.id, "branch_id": b1.id},
                (Role.branch_admin, ScopeType.branch, b1.id),
            ),
            "g1_worker": (
                {"town_id": town_a.id, "village_id": v1.id, "grid_id": g1.id},
                (Role.grid_worker, ScopeType.grid, g1.id),
            ),
            "v1_villager": (
                {
                    "town_id": town_a.id,
                    "village_id": v1.id,
                    "household_id": h1.id,
                    "grid_id": g1.id,
                },
                None,
            ),
            "v2_villager": (
                {
                    "town_id": town_a.id,
                    "village_id": v2.id,
                    "household_id": h2.id,
                    "grid_id": g2.id,
                },
                None,
            ),
            "w1_villager": (
                {"town_id": town_b.id, "village_id": w1.id, "household_id": hw.id},
                None,
            ),
        }
        for name, (place, grant) in people.items():
            person = await _add(s, Person(name=name, phone=str(next(_phones)), **place))
            w.ids[name] = person.id
            if grant is not None:
                role, scope_type, scope_id = grant
                where = {
                    "town_id": place.get("town_id"),
                    "village_id": place.get("village_id"),
                    "branch_id": place.get("branch_id"),
                    "grid_id": place.get("grid_id"),
                }
                await _add(
                    s,
                    RoleGrant(
                        person_id=person.id,
                        role=role.value,
                        scope_type=scope_type.value,
                        scope_id=scope_id,
                        **where,
                    ),
                )
    for name in people:
        w.tokens[name] = await login(w.ids[name])
    return w
