"""Who may do what to which rows: roles × endpoints, in scope and out of it."""

from collections.abc import Callable
from itertools import count
from typing import Any

import httpx
import pytest

from tests.helpers.factories import World

ROLES = [
    "superadmin",
    "town_a_admin",
    "town_b_admin",
    "v1_admin",
    "v2_admin",
    "b1_admin",
    "g1_worker",
    "v1_villager",
    "anonymous",
]
_unique = count(1)


def _phone() -> str:
    return str(15800000000 + next(_unique))


Body = Callable[[World], dict[str, Any]]
Case = tuple[str, str, Callable[[World], str], Body | None, dict[str, int]]


def fixed(path: str) -> Callable[[World], str]:
    return lambda w: path


def row(template: str, key: str) -> Callable[[World], str]:
    return lambda w: template.format(w.ids[key])


def expect(default: int, **overrides: int) -> dict[str, int]:
    table = dict.fromkeys(ROLES, default)
    table["anonymous"] = 401
    table.update(overrides)
    return table


# Village-level writes: the village's own admin, its town's admin and superadmins may act.
VILLAGE_V1 = expect(
    403,
    superadmin=201,
    town_a_admin=201,
    v1_admin=201,
    town_b_admin=404,
    v2_admin=404,
    b1_admin=403,
)
V1_READ = expect(
    403,
    superadmin=200,
    town_a_admin=200,
    v1_admin=200,
    town_b_admin=404,
    v2_admin=404,
    b1_admin=404,
)

CASES: list[Case] = [
    (
        "POST",
        "towns",
        fixed("/api/v1/admin/towns"),
        lambda w: {"name": f"新镇{next(_unique)}"},
        expect(403, superadmin=201),
    ),
    (
        "POST",
        "villages",
        fixed("/api/v1/admin/villages"),
        lambda w: {"town_id": w.ids["town_a"], "name": f"新村{next(_unique)}"},
        expect(403, superadmin=201, town_a_admin=201, town_b_admin=404),
    ),
    (
        "POST",
        "branches",
        fixed("/api/v1/admin/branches"),
        lambda w: {
            "town_id": w.ids["town_a"],
            "village_id": w.ids["v1"],
            "name": f"新支部{next(_unique)}",
        },
        VILLAGE_V1,
    ),
    (
        "POST",
        "grids",
        fixed("/api/v1/admin/grids"),
        lambda w: {"village_id": w.ids["v1"], "name": f"新网格{next(_unique)}"},
        VILLAGE_V1,
    ),
    (
        "POST",
        "households",
        fixed("/api/v1/admin/households"),
        lambda w: {"village_id": w.ids["v1"], "grid_id": w.ids["g1"], "head_name": "新户主"},
        VILLAGE_V1,
    ),
    (
        "POST",
        "people",
        fixed("/api/v1/admin/people"),
        lambda w: {
            "name": "新人",
            "phone": _phone(),
            "village_id": w.ids["v1"],
            "is_party_member": False,
        },
        {**VILLAGE_V1, "b1_admin": 404},
    ),
    (
        "POST",
        "people in branch",
        fixed("/api/v1/admin/people"),
        lambda w: {
            "name": "新党员",
            "phone": _phone(),
            "village_id": w.ids["v1"],
            "branch_id": w.ids["b1"],
            "is_party_member": True,
        },
        {**VILLAGE_V1, "b1_admin": 201},
    ),
    (
        "POST",
        "role grant",
        fixed("/api/v1/admin/role-grants"),
        lambda w: {
            "person_id": w.ids["v1_villager"],
            "role": "grid_worker",
            "scope_type": "grid",
            "scope_id": w.ids["g1"],
        },
        {**VILLAGE_V1, "b1_admin": 404},
    ),
    (
        "PATCH",
        "person",
        row("/api/v1/admin/people/{}", "v1_villager"),
        lambda w: {"name": "改名"},
        V1_READ,
    ),
    (
        "POST",
        "console login",
        row("/api/v1/admin/people/{}/password", "v1_villager"),
        lambda w: {"username": f"user{next(_unique)}", "password": "long-enough-pw"},
        V1_READ,
    ),
    ("GET", "household", row("/api/v1/admin/households/{}", "h1"), None, V1_READ),
    ("GET", "person", row("/api/v1/admin/people/{}", "v1_villager"), None, V1_READ),
    ("GET", "grid", row("/api/v1/admin/grids/{}", "g1"), None, V1_READ),
    ("GET", "village", row("/api/v1/admin/villages/{}", "v1"), None, {**V1_READ, "b1_admin": 404}),
    (
        "GET",
        "town",
        row("/api/v1/admin/towns/{}", "town_a"),
        None,
        expect(
            403,
            superadmin=200,
            town_a_admin=200,
            town_b_admin=404,
            v1_admin=404,
            v2_admin=404,
            b1_admin=404,
        ),
    ),
    ("GET", "branch", row("/api/v1/admin/branches/{}", "b1"), None, {**V1_READ, "b1_admin": 200}),
    (
        "GET",
        "household list",
        fixed("/api/v1/admin/households"),
        None,
        expect(
            403,
            superadmin=200,
            town_a_admin=200,
            town_b_admin=200,
            v1_admin=200,
            v2_admin=200,
            b1_admin=200,
        ),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
async def test_scope_rules(client: httpx.AsyncClient, world: World, case: Case, role: str) -> None:
    method, _, path, body, expected = case
    headers = {} if role == "anonymous" else world.auth(role)
    response = await client.request(
        method, path(world), json=body(world) if body else None, headers=headers
    )
    assert response.status_code == expected[role], response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"]


async def test_lists_show_only_rows_in_scope(client: httpx.AsyncClient, world: World) -> None:
    async def ids(who: str, path: str, **filters: int) -> set[int]:
        r = await client.get(path, headers=world.auth(who), params={"limit": 100, **filters})
        assert r.status_code == 200
        return {item["id"] for item in r.json()["items"]}

    assert await ids("v1_admin", "/api/v1/admin/households") == {world.ids["h1"]}
    assert await ids("v2_admin", "/api/v1/admin/households") == {world.ids["h2"]}
    assert await ids("town_b_admin", "/api/v1/admin/households") == {world.ids["hw"]}
    assert await ids("town_a_admin", "/api/v1/admin/households") == {
        world.ids["h1"],
        world.ids["h2"],
    }
    assert await ids("v1_admin", "/api/v1/admin/villages") == {world.ids["v1"]}
    people = await ids("v1_admin", "/api/v1/admin/people")
    assert world.ids["v1_villager"] in people
    assert world.ids["v2_villager"] not in people and world.ids["w1_villager"] not in people
    # A filter naming another village's rows finds nothing rather than leaking them.
    assert await ids("v1_admin", "/api/v1/admin/people", village_id=world.ids["v2"]) == set()


@pytest.mark.parametrize(
    ("granter", "grant", "status", "code"),
    [
        (
            "v1_admin",
            {"role": "town_admin", "scope_type": "town", "scope": "town_a"},
            403,
            "role_grant.scope_too_wide",
        ),
        (
            "v1_admin",
            {"role": "superadmin", "scope_type": "global", "scope": None},
            403,
            "role_grant.scope_too_wide",
        ),
        (
            "v1_admin",
            {"role": "village_admin", "scope_type": "village", "scope": "v2"},
            403,
            "role_grant.scope_too_wide",
        ),
        ("v1_admin", {"role": "village_admin", "scope_type": "village", "scope": "v1"}, 201, None),
        ("v1_admin", {"role": "shop_keeper", "scope_type": "village", "scope": "v1"}, 201, None),
        (
            "town_a_admin",
            {"role": "grid_worker", "scope_type": "village", "scope": "v1"},
            201,
            None,
        ),
        (
            "town_a_admin",
            {"role": "village_admin", "scope_type": "village", "scope": "w1"},
            403,
            "role_grant.scope_too_wide",
        ),
        (
            "b1_admin",
            {"role": "branch_admin", "scope_type": "branch", "scope": "b2"},
            403,
            "role_grant.scope_too_wide",
        ),
        (
            "superadmin",
            {"role": "shop_keeper", "scope_type": "grid", "scope": "g1"},
            422,
            "role_grant.scope_mismatch",
        ),
        (
            "superadmin",
            {"role": "town_admin", "scope_type": "town", "scope": 999999},
            404,
            "role_grant.scope_not_found",
        ),
    ],
)
async def test_grants_never_widen_scope(
    client: httpx.AsyncClient,
    world: World,
    granter: str,
    grant: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    scope = grant["scope"]
    scope_id = world.ids[scope] if isinstance(scope, str) else scope
    # The grantee must be someone the granter can see: a branch admin sees only their branch.
    grantee_id = world.ids["b1_admin" if granter == "b1_admin" else "v1_villager"]
    body = {
        "person_id": grantee_id,
        "role": grant["role"],
        "scope_type": grant["scope_type"],
        "scope_id": scope_id,
    }
    response = await client.post(
        "/api/v1/admin/role-grants", json=body, headers=world.auth(granter)
    )
    assert response.status_code == status, response.text
    if code:
        assert response.json()["code"] == code
    if status == 201:
        again = await client.post(
            "/api/v1/admin/role-grants", json=body, headers=world.auth(granter)
        )
        assert again.status_code == 200
        assert again.json()["id"] == response.json()["id"]


async def test_a_new_grant_takes_effect(client: httpx.AsyncClient, world: World) -> None:
    body = {
        "person_id": world.ids["v1_villager"],
        "role": "village_admin",
        "scope_type": "village",
        "scope_id": world.ids["v1"],
    }
    assert (
        await client.get("/api/v1/admin/households", headers=world.auth("v1_villager"))
    ).status_code == 403
    granted = await client.post(
        "/api/v1/admin/role-grants", json=body, headers=world.auth("town_a_admin")
    )
    assert granted.status_code == 201
    listed = await client.get("/api/v1/admin/households", headers=world.auth("v1_villager"))
    assert listed.status_code == 200
    assert [h["id"] for h in listed.json()["items"]] == [world.ids["h1"]]


async def test_a_phone_is_one_number_however_it_is_typed(
    client: httpx.AsyncClient, world: World
) -> None:
    """Full-width digits are the same number (so the second spelling is taken); digits of
    another script, names of invisible or direction-turning characters are refused."""
    admin = world.auth("v1_admin")

    async def add(name: str, phone: str) -> httpx.Response:
        body = {"name": name, "phone": phone, "village_id": world.ids["v1"]}
        return await client.post("/api/v1/admin/people", json=body, headers=admin)

    first = await add("王五", "１５９００００１２３４")
    assert first.status_code == 201, first.text
    assert first.json()["phone"] == "15900001234"
    again = await add("王五", "15900001234")
    assert again.status_code == 409 and again.json()["code"] == "person.phone_taken"
    for name, phone in (
        ("王六", "1٣٨00001234"),  # Arabic-Indic digits
        ("王六", "12900001234"),  # no Chinese mobile number starts 12
        ("\u200b\u200b", "15900005678"),  # zero-width spaces only
        ("王\u202e六", "15900005678"),  # right-to-left override
    ):
        refused = await add(name, phone)
        assert refused.status_code == 422, (name, phone, refused.text)
        assert refused.json()["errors"], refused.text
