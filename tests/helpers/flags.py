"""A world with people the favouritism flags are about: cadres who live in H1 (a village
admin, a grid worker, a shop keeper), a neighbour household H1B in V1 with its villager, and a
supervisor (村务监督委员会) for V1, V2 and town B's W1."""

from typing import Any

import pytest
from fastapi import FastAPI

from app.models.roster import Household, Person, Role, RoleGrant, ScopeType
from tests.helpers.factories import Login, World

CAST: dict[str, dict[str, Any]] = {
    "cadre_h1": {"home": "h1", "role": Role.village_admin, "scope": (ScopeType.village, "v1")},
    "worker_h1": {"home": "h1", "role": Role.grid_worker, "scope": (ScopeType.grid, "g1")},
    "keeper_h1": {"home": "h1", "role": Role.shop_keeper, "scope": (ScopeType.village, "v1")},
    "h1b_villager": {"home": "h1b", "role": None, "scope": None},
    "v1_supervisor": {"home": None, "role": Role.supervisor, "scope": (ScopeType.village, "v1")},
    "v2_supervisor": {"home": None, "role": Role.supervisor, "scope": (ScopeType.village, "v2")},
    "w1_supervisor": {"home": None, "role": Role.supervisor, "scope": (ScopeType.village, "w1")},
}


@pytest.fixture
async def cast(app: FastAPI, world: World, login: Login) -> World:
    async with app.state.sessionmaker() as s, s.begin():
        neighbour = Household(
            town_id=world.ids["town_a"],
            village_id=world.ids["v1"],
            grid_id=world.ids["g1"],
            head_name="邻居张",
        )
        s.add(neighbour)
        await s.flush()
        world.ids["h1b"] = neighbour.id or 0
        for i, (name, spec) in enumerate(CAST.items()):
            village = "w1" if name.startswith("w1") else "v2" if name.startswith("v2") else "v1"
            town = "town_b" if village == "w1" else "town_a"
            place = {
                "town_id": world.ids[town],
                "village_id": world.ids[village],
                "household_id": world.ids[spec["home"]] if spec["home"] else None,
                "grid_id": world.ids["g1"] if spec["home"] else None,
            }
            person = Person(name=name, phone=f"1371000000{i}", **place)
            s.add(person)
            await s.flush()
            world.ids[name] = person.id or 0
            if spec["role"] is not None:
                scope_type, scope = spec["scope"]
                s.add(
                    RoleGrant(
                        person_id=person.id or 0,
                        role=spec["role"].value,
                        scope_type=scope_type.value,
                        scope_id=world.ids[scope],
                        town_id=place["town_id"],
                        village_id=place["village_id"],
                        grid_id=world.ids["g1"] if scope_type is ScopeType.grid else None,
                    )
                )
    for name in CAST:
        world.tokens[name] = await login(world.ids[name])
    return world
