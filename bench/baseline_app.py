"""The bare baseline: a minimal ASGI app doing /me's database reads with asyncpg, nothing else."""

import os
from typing import Any

import asyncpg

from bench.baseline_asgi import baseline

ACCOUNT_ID = int(os.environ.get("BENCH_ACCOUNT_ID", "1"))


# The same three reads /me makes, written by hand.
_PRINCIPAL = """
SELECT a.person_id, g.role, g.scope_type, g.scope_id,
       coalesce(t.name, v.name, b.name, gr.name) AS scope_name
FROM user_accounts a
LEFT JOIN role_grants g ON g.person_id = a.person_id AND g.revoked_at IS NULL
LEFT JOIN towns t ON g.scope_type = 'town' AND t.id = g.scope_id
LEFT JOIN villages v ON g.scope_type = 'village' AND v.id = g.scope_id
LEFT JOIN branches b ON g.scope_type = 'branch' AND b.id = g.scope_id
LEFT JOIN grids gr ON g.scope_type = 'grid' AND gr.id = g.scope_id
WHERE a.id = $1
"""
_PROFILE = """
SELECT p.id, p.name, p.phone, p.household_id, t.name AS town, v.name AS village,
       b.name AS branch, h.head_name AS household, gr.name AS grid, r.grade
FROM people p
LEFT JOIN towns t ON t.id = p.town_id
LEFT JOIN villages v ON v.id = p.village_id
LEFT JOIN branches b ON b.id = p.branch_id
LEFT JOIN households h ON h.id = p.household_id
LEFT JOIN grids gr ON gr.id = p.grid_id
LEFT JOIN member_reviews r ON r.person_id = p.id AND r.year = 2026
WHERE p.id = $1
"""
_BALANCES = """
SELECT a.ledger, a.balance, t.earned
FROM points_accounts a
LEFT JOIN points_totals t ON t.account_id = a.id AND t.period = 'Y2026'
WHERE (a.owner_type = 'person' AND a.owner_id = $1)
   OR (a.owner_type = 'household' AND a.owner_id = $2)
"""


async def _me(pool: asyncpg.Pool, scope: dict[str, Any]) -> tuple[int, Any]:
    async with pool.acquire() as conn:
        grants = await conn.fetch(_PRINCIPAL, ACCOUNT_ID)
        person = await conn.fetchrow(_PROFILE, grants[0]["person_id"])
        balances = await conn.fetch(_BALANCES, person["id"], person["household_id"])
    return 200, {
        "account_id": ACCOUNT_ID,
        "name": person["name"],
        "village": person["village"],
        "roles": [{"role": g["role"], "scope_name": g["scope_name"]} for g in grants],
        "balances": {b["ledger"]: b["balance"] for b in balances},
    }


app = baseline(_me)
