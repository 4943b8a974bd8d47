"""The auditor's check of a town's points (``xiangzhi verify-ledger``): every account chain, every
logged leaf against the entry it was made from, every signed head's root, signature and link to
the one before, and the log's kept subtrees that proofs are made from. The first thing that no
longer matches is named; the result is kept for the supervision committee to read."""

import base64
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.points import (
    LedgerCheck,
    LedgerEntry,
    LedgerLeaf,
    LedgerLogNode,
    PointsAccount,
    TreeHead,
)
from app.models.roster import ADMIN_ROLES, Role, ScopeType
from app.services.identity import Principal
from app.services.points import chain
from app.services.points.merkle import Tree, grown_nodes
from app.services.points.roots import EntryNotFound, Keys, leaf_of, signed_bytes


@dataclass
class Finding:
    ok: bool
    entries: int
    heads: int
    first_bad_entry_id: int | None = None
    problem: str | None = None


async def _chains(session: AsyncSession, town_id: int) -> Finding | None:
    accounts = await session.exec(
        select(PointsAccount)
        .where(col(PointsAccount.town_id) == town_id)
        .order_by(col(PointsAccount.id))
    )
    for account in accounts.all():
        result = await chain.verify(session, account=account)
        if not result.ok:
            return Finding(
                ok=False,
                entries=0,
                heads=0,
                first_bad_entry_id=result.first_bad_entry_id,
                problem=f"账户 {account.id} 的哈希链或余额不符",
            )
    return None


async def check(session: AsyncSession, *, town_id: int, keys: Keys) -> Finding:
    broken = await _chains(session, town_id)
    leaves = (
        await session.exec(
            select(LedgerLeaf, LedgerEntry)
            .join(LedgerEntry, col(LedgerEntry.id) == col(LedgerLeaf.entry_id))
            .where(col(LedgerLeaf.town_id) == town_id)
            .order_by(col(LedgerLeaf.leaf_index))
        )
    ).all()
    hashes: list[bytes] = []
    for position, (leaf, entry) in enumerate(leaves):
        recomputed = leaf_of(entry)
        if leaf.leaf_index != position or recomputed.hex() != leaf.leaf_hash:
            return Finding(
                ok=False,
                entries=len(leaves),
                heads=0,
                first_bad_entry_id=entry.id,
                problem=f"第 {position} 片叶子与记录 {entry.id} 的现状不符",
            )
        hashes.append(recomputed)
    if broken is not None:
        broken.entries = len(leaves)
        return broken
    heads = (
        await session.exec(
            select(TreeHead)
            .where(col(TreeHead.town_id) == town_id)
            .order_by(col(TreeHead.tree_size))
        )
    ).all()
    tree = Tree(hashes)
    previous: TreeHead | None = None
    signer = keys.signer(town_id)
    for head in heads:
        problem = None
        if head.tree_size > len(hashes) or tree.root(head.tree_size).hex() != head.root_hash:
            problem = f"大小为 {head.tree_size} 的树根与账本重算的不符"
        elif head.previous_root_hash != (previous.root_hash if previous else None):
            problem = f"大小为 {head.tree_size} 的树根没有接上前一个"
        else:
            message = base64.b64decode(head.signed)
            fields = {
                "town_id": head.town_id,
                "tree_size": head.tree_size,
                "root_hash": head.root_hash,
                "issued_at": json.loads(message).get("issued_at"),
                "previous_root_hash": head.previous_root_hash,
            }
            try:
                signer.key.public_key().verify(base64.b64decode(head.signature), message)
            except InvalidSignature:
                problem = f"大小为 {head.tree_size} 的树根签名无效"
            else:
                if signed_bytes(fields) != message:
                    problem = f"大小为 {head.tree_size} 的树根签名的内容与树根不符"
        if problem:
            return Finding(ok=False, entries=len(hashes), heads=len(heads), problem=problem)
        previous = head
    problem = await _subtrees(session, town_id, hashes)
    if problem:
        return Finding(ok=False, entries=len(hashes), heads=len(heads), problem=problem)
    return Finding(ok=True, entries=len(hashes), heads=len(heads))


async def _subtrees(session: AsyncSession, town_id: int, hashes: list[bytes]) -> str | None:
    """The kept subtrees the proofs are made from: a changed one would hand phones proofs that
    fail, so the auditor is told which. One not kept yet is no fault (proofs read the leaves)."""
    expected = grown_nodes(0, {}, hashes)
    kept = await session.exec(
        select(LedgerLogNode)
        .where(col(LedgerLogNode.town_id) == town_id)
        .order_by(col(LedgerLogNode.level), col(LedgerLogNode.position))
    )
    for node in kept.all():
        want = expected.get((node.level, node.position))
        if want is None or want.hex() != node.node_hash:
            return f"日志第 {node.level} 层第 {node.position} 棵子树的哈希与账本重算的不符"
    return None


async def record(session: AsyncSession, *, town_id: int, keys: Keys) -> LedgerCheck:
    found = await check(session, town_id=town_id, keys=keys)
    kept = LedgerCheck(
        town_id=town_id,
        ok=found.ok,
        entries=found.entries,
        heads=found.heads,
        first_bad_entry_id=found.first_bad_entry_id,
        problem=found.problem,
    )
    session.add(kept)
    await session.flush()
    return kept


READERS = frozenset({*ADMIN_ROLES, Role.supervisor})


async def latest_check(session: AsyncSession, *, principal: Principal, town_id: int) -> LedgerCheck:
    """The last check of a town, for the supervision committees and admins in it."""
    allowed = any(
        g.role in READERS and (g.scope_type is ScopeType.global_ or g.town_id == town_id)
        for g in principal.grants
    )
    if not allowed:
        raise EntryNotFound("找不到该镇的账本核验结果。")
    kept = (
        await session.exec(
            select(LedgerCheck)
            .where(col(LedgerCheck.town_id) == town_id)
            .order_by(col(LedgerCheck.id).desc())
            .limit(1)
        )
    ).first()
    if kept is None:
        raise EntryNotFound("该镇还没有核验过积分账本。")
    return kept
