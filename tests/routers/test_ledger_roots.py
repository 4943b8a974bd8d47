"""Points anyone can check: the town's signed head, an entry's inclusion proof checked the way
the phone checks it (the leaf recomputed from the entry, the path up to the signed root, the
signature with the published key), the consistency of two heads, and the tamper drill caught
three ways (the auditor's command, the phone, the next day's head)."""

import base64
import hashlib
import itertools
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI
from sqlmodel import col, delete, select, update

from app.china_time import to_china, utcnow
from app.models.points import LedgerEntry, LedgerLogNode, PointsAccount
from app.services.points import chain, ledger_check, nightly, roots
from app.services.points.merkle import leaf_hash, verify_consistency, verify_inclusion
from tests.conftest import make_settings
from tests.helpers.events import auth, member
from tests.helpers.factories import Login, World
from tests.helpers.papers import read_paper
from tests.helpers.points import make_rule
from tests.helpers.served import ROOT


def phone_verifies(proof: dict[str, Any], head: dict[str, Any], public_key: str) -> bool:
    """What the mini-program does with a proof, written again from the contract alone."""
    leaf = json.dumps(
        proof["entry"], sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()
    if leaf_hash(leaf).hex() != proof["leaf_hash"]:
        return False
    signed = base64.b64decode(head["signed"])
    fields = {k: head[k] for k in ("town_id", "tree_size", "root_hash", "previous_root_hash")}
    if {k: v for k, v in json.loads(signed).items() if k != "issued_at"} != fields:
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(head["signature"]), signed)
    except Exception:
        return False
    return verify_inclusion(
        proof["leaf_index"],
        head["tree_size"],
        leaf_hash(leaf),
        [bytes.fromhex(p) for p in proof["audit_path"]],
        bytes.fromhex(head["root_hash"]),
    )


async def _award(client: httpx.AsyncClient, world: World, person_id: int) -> int:
    r = await client.post(
        "/api/v1/admin/points/entries",
        json={"rule_code": "study", "account_owner": {"person_id": person_id}},
        headers=world.auth("v1_admin"),
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def _sign(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/admin/points/roots",
        json={"town_id": world.ids["town_a"]},
        headers=world.auth("town_a_admin"),
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _key(client: httpx.AsyncClient, world: World) -> str:
    keys = (await client.get("/.well-known/xiangzhi/ledger-keys")).json()["keys"]
    [mine] = [k for k in keys if k["town_id"] == world.ids["town_a"]]
    return str(mine["public_key"])


async def test_a_member_proves_their_entry_is_in_the_signed_head(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await make_rule(client, world, code="study", title="学习", ledger="member", points=3)
    alice = await member(client, world, login, "党员甲")
    entries = [await _award(client, world, alice["person_id"]) for _ in range(5)]
    none_yet = await client.get(
        "/api/v1/points/roots/latest", params={"town_id": world.ids["town_a"]}
    )
    assert none_yet.status_code == 404
    head = await _sign(client, world)
    assert head["tree_size"] == 5 and head["previous_root_hash"] is None
    assert await _sign(client, world) == head  # nothing new: the same head, never a second
    latest = await client.get(
        "/api/v1/points/roots/latest", params={"town_id": world.ids["town_a"]}
    )
    assert latest.json() == head
    key = await _key(client, world)
    for entry_id in entries:
        proof = await client.get(f"/api/v1/points/entries/{entry_id}/proof", headers=auth(alice))
        assert proof.status_code == 200, proof.text
        assert proof.json()["head"] == head
        assert phone_verifies(proof.json(), head, key)
    stranger = await client.get(
        f"/api/v1/points/entries/{entries[0]}/proof", headers=world.auth("v2_villager")
    )
    assert stranger.status_code == 404
    admin = await client.get(
        f"/api/v1/points/entries/{entries[0]}/proof", headers=world.auth("v1_admin")
    )
    assert admin.status_code == 200
    later = await _award(client, world, alice["person_id"])
    waiting = await client.get(f"/api/v1/points/entries/{later}/proof", headers=auth(alice))
    assert waiting.status_code == 409 and waiting.json()["code"] == "ledger.not_in_head"
    second = await _sign(client, world)
    assert second["tree_size"] == 6 and second["previous_root_hash"] == head["root_hash"]
    consistent = await client.get(
        "/api/v1/points/roots/consistency",
        params={"town_id": world.ids["town_a"], "from_size": 5, "to_size": 6},
    )
    assert consistent.status_code == 200, consistent.text
    proof = [bytes.fromhex(p) for p in consistent.json()["proof"]]
    old, new = bytes.fromhex(head["root_hash"]), bytes.fromhex(second["root_hash"])
    assert verify_consistency(5, 6, old, new, proof)
    unsigned = await client.get(
        "/api/v1/points/roots/consistency",
        params={"town_id": world.ids["town_a"], "from_size": 4, "to_size": 6},
    )
    assert unsigned.status_code == 422
    village = await client.post(
        "/api/v1/admin/points/roots",
        json={"town_id": world.ids["town_a"]},
        headers=world.auth("v1_admin"),
    )
    assert village.status_code == 403


async def _kept_subtrees(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return len((await session.exec(select(LedgerLogNode.id))).all())


async def _proves_all(
    client: httpx.AsyncClient, alice: dict[str, Any], entries: list[int], head: dict[str, Any]
) -> bool:
    key = await _key_of(client, head["town_id"])
    for entry_id in entries:
        proof = await client.get(f"/api/v1/points/entries/{entry_id}/proof", headers=auth(alice))
        assert proof.status_code == 200, proof.text
        if not phone_verifies(proof.json(), head, key):
            return False
    return True


async def _key_of(client: httpx.AsyncClient, town_id: int) -> str:
    keys = (await client.get("/.well-known/xiangzhi/ledger-keys")).json()["keys"]
    return str(next(k["public_key"] for k in keys if k["town_id"] == town_id))


async def test_proofs_come_from_the_subtrees_kept_head_by_head(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    """The log keeps each perfect subtree once it is complete (n - popcount(n) of them for n
    leaves); every proof and every consistency between heads still verifies. A log from before
    they were kept proves from its leaves and has them built at its next head."""
    await make_rule(client, world, code="study", title="学习", ledger="member", points=3)
    alice = await member(client, world, login, "党员甲")
    entries: list[int] = []
    heads = []
    for batch in (3, 1, 6, 3):
        entries += [await _award(client, world, alice["person_id"]) for _ in range(batch)]
        heads.append(await _sign(client, world))
        size = heads[-1]["tree_size"]
        assert await _kept_subtrees(app) == size - bin(size).count("1")
        assert await _proves_all(client, alice, entries, heads[-1])
    for old, new in itertools.pairwise(heads):
        r = await client.get(
            "/api/v1/points/roots/consistency",
            params={
                "town_id": old["town_id"],
                "from_size": old["tree_size"],
                "to_size": new["tree_size"],
            },
        )
        proof = [bytes.fromhex(p) for p in r.json()["proof"]]
        assert verify_consistency(
            old["tree_size"],
            new["tree_size"],
            bytes.fromhex(old["root_hash"]),
            bytes.fromhex(new["root_hash"]),
            proof,
        )

    async with app.state.sessionmaker() as session, session.begin():
        await session.exec(delete(LedgerLogNode))  # type: ignore[call-overload]
    assert await _proves_all(client, alice, entries, heads[-1])
    entries.append(await _award(client, world, alice["person_id"]))
    head = await _sign(client, world)
    size = head["tree_size"]
    assert await _kept_subtrees(app) == size - bin(size).count("1")
    assert await _proves_all(client, alice, entries, head)
    assert (await _check(app, head["town_id"])).ok

    async with app.state.sessionmaker() as session, session.begin():
        await session.exec(
            update(LedgerLogNode)  # type: ignore[call-overload]
            .where(col(LedgerLogNode.level) == 2, col(LedgerLogNode.position) == 1)
            .values(node_hash="00" * 32)
        )
    assert not await _proves_all(client, alice, entries, head)  # the phone sees it
    found = await _check(app, head["town_id"])
    assert not found.ok and found.problem == "日志第 2 层第 1 棵子树的哈希与账本重算的不符"


async def test_the_signature_is_over_the_five_fields_with_the_published_key(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await make_rule(client, world, code="study", title="学习", ledger="member", points=3)
    alice = await member(client, world, login, "党员甲")
    await _award(client, world, alice["person_id"])
    head = await _sign(client, world)
    signed = base64.b64decode(head["signed"])
    assert (
        signed
        == json.dumps(
            {
                k: head[k]
                for k in ("issued_at", "previous_root_hash", "root_hash", "town_id", "tree_size")
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
    )
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(await _key(client, world)))
    key.verify(base64.b64decode(head["signature"]), signed)  # raises if it does not hold
    raw = base64.b64decode(await _key(client, world))
    assert head["key_id"] == hashlib.sha256(raw).hexdigest()[:16]


async def _tamper(app: FastAPI, entry_id: int, *, rewrite_chain: bool) -> None:
    """What whoever runs the database could do: change the points of one entry; and, in the
    second case, recompute that account's whole chain so that it is self-consistent."""
    async with app.state.sessionmaker() as session, session.begin():
        await session.exec(
            update(LedgerEntry)
            .where(col(LedgerEntry.id) == entry_id)
            .values(points=LedgerEntry.points + 100)  # type: ignore[operator]
        )
    if not rewrite_chain:
        return
    async with app.state.sessionmaker() as session, session.begin():
        entry = await session.get(LedgerEntry, entry_id)
        assert entry is not None
        account = await session.get(PointsAccount, entry.account_id)
        assert account is not None
        rows = (
            await session.exec(
                select(LedgerEntry)
                .where(col(LedgerEntry.account_id) == account.id)
                .order_by(col(LedgerEntry.seq))
            )
        ).all()
        prev, balance = None, 0
        for row in rows:
            balance += row.points
            row.balance_after, row.prev_hash = balance, prev
            row.hash = chain.entry_hash(row, prev)
            prev = row.hash
        account.balance, account.head_hash = balance, prev


async def _check(app: FastAPI, town_id: int) -> ledger_check.Finding:
    settings = make_settings()
    keys = roots.Keys(default=settings.ledger_signing_key, towns=settings.ledger_town_keys)
    async with app.state.sessionmaker() as session, session.begin():
        return await ledger_check.check(session, town_id=town_id, keys=keys)


@pytest.mark.parametrize("rewrite_chain", [False, True], ids=["one entry", "whole chain"])
async def test_the_tamper_drill_is_caught_three_ways(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login, rewrite_chain: bool
) -> None:
    await make_rule(client, world, code="study", title="学习", ledger="member", points=3)
    alice = await member(client, world, login, "党员甲")
    bob = await member(client, world, login, "党员乙")
    ids = [await _award(client, world, who["person_id"]) for who in (alice, bob, alice, bob)]
    head = await _sign(client, world)
    key = await _key(client, world)
    assert (await _check(app, world.ids["town_a"])).ok
    victim = ids[1]
    await _tamper(app, victim, rewrite_chain=rewrite_chain)
    if rewrite_chain:  # the account's own chain holds again: only the log can tell
        async with app.state.sessionmaker() as session:
            entry = await session.get(LedgerEntry, victim)
            assert entry is not None
            account = await session.get(PointsAccount, entry.account_id)
            assert account is not None
            assert (await chain.verify(session, account=account)).ok
    # 1. The auditor's command names the entry.
    found = await _check(app, world.ids["town_a"])
    assert not found.ok and found.first_bad_entry_id == victim, found
    # 2. The phone's verification of that entry's proof fails.
    proof = await client.get(f"/api/v1/points/entries/{victim}/proof", headers=auth(bob))
    assert proof.status_code == 200
    assert not phone_verifies(proof.json(), head, key)
    # 3. The next day's head does not extend the one the town published.
    await _award(client, world, alice["person_id"])
    next_day = await _sign(client, world)
    consistent = await client.get(
        "/api/v1/points/roots/consistency",
        params={
            "town_id": world.ids["town_a"],
            "from_size": head["tree_size"],
            "to_size": next_day["tree_size"],
        },
    )
    proof_path = [bytes.fromhex(p) for p in consistent.json()["proof"]]
    assert not verify_consistency(
        head["tree_size"],
        next_day["tree_size"],
        bytes.fromhex(head["root_hash"]),
        bytes.fromhex(next_day["root_hash"]),
        proof_path,
    )


def test_the_auditors_command_exits_non_zero_and_names_the_entry(tmp_path: Path) -> None:
    """The command itself, on a database of its own: clean first, then after one edit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XZ_")}
    env["XZ_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'town.db'}"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert cli("migrate").returncode == 0
    assert cli("seed-demo").returncode == 0
    clean = cli("verify-ledger", "--town", "1")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "全部相符" in clean.stdout
    db = sqlite3.connect(tmp_path / "town.db")
    entry_id = db.execute("SELECT min(id) FROM ledger_entries WHERE seq IS NOT NULL").fetchone()[0]
    db.execute("UPDATE ledger_entries SET points = points + 50 WHERE id = ?", (entry_id,))
    db.commit()
    db.close()
    broken = cli("verify-ledger", "--town", "1")
    assert broken.returncode == 1 and f"第一条不符的记录：{entry_id}" in broken.stdout


async def test_the_monthly_ledger_paper_carries_the_signed_head(
    client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await make_rule(client, world, code="study", title="学习", ledger="member", points=3)
    alice = await member(client, world, login, "党员甲")
    await _award(client, world, alice["person_id"])
    head = await _sign(client, world)
    paper = read_paper(
        await client.get(
            "/api/v1/admin/points/ledger",
            params={
                "period": to_china(utcnow()).strftime("%Y-%m"),
                "village_id": world.ids["v1"],
                "ledger": "member",
                "format": "xlsx",
            },
            headers=world.auth("v1_admin"),
        )
    )
    witness = next(line for line in paper.lines if "积分账本已签名" in line)
    assert head["root_hash"][:16] in witness and head["key_id"] in witness


async def test_the_night_signs_announces_and_checks_for_the_supervisors(
    app: FastAPI, client: httpx.AsyncClient, world: World, login: Login
) -> None:
    await make_rule(client, world, code="study", title="学习", ledger="member", points=3)
    alice = await member(client, world, login, "党员甲")
    await _award(client, world, alice["person_id"])
    settings = make_settings()
    keys = roots.Keys(default=settings.ledger_signing_key, towns=settings.ledger_town_keys)
    for _ in range(2):  # a second run the same day signs nothing new
        async with app.state.sessionmaker() as session, session.begin():
            await nightly.sign_all(session, now=utcnow(), keys=keys, base_url="https://xz.test")
    head = (
        await client.get("/api/v1/points/roots/latest", params={"town_id": world.ids["town_a"]})
    ).json()
    feed = await client.get("/api/v1/feed", headers=world.auth("v1_villager"))
    [line] = [p for p in feed.json()["items"] if "积分账本签名" in p["title"]]
    assert (
        head["root_hash"][:16] in line["body"] and "https://xz.test/api/v1/points" in line["body"]
    )
    granted = await client.post(
        "/api/v1/admin/role-grants",
        json={
            "person_id": world.ids["v1_villager"],
            "role": "supervisor",
            "scope_type": "village",
            "scope_id": world.ids["v1"],
        },
        headers=world.auth("town_a_admin"),
    )
    assert granted.status_code == 201, granted.text
    seen = await client.get(
        "/api/v1/admin/points/roots/check",
        params={"town_id": world.ids["town_a"]},
        headers=world.auth("v1_villager"),
    )
    assert seen.status_code == 200, seen.text
    assert seen.json()["ok"] is True and seen.json()["heads"] == 1
    other = await client.get(
        "/api/v1/admin/points/roots/check",
        params={"town_id": world.ids["town_a"]},
        headers=world.auth("w1_villager"),
    )
    assert other.status_code == 404
