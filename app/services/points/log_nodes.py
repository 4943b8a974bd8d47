"""The town log's perfect subtrees, kept as the log grows, so that a proof reads the few hashes it
names (O(log² n)) instead of every leaf: at 100,000 entries a proof read the whole log and took
0.6 s (bench/README.md, "Ledger roots").

The nodes are written by the one writer of the log (roots.append_new, under the town's lock),
from the hashes as they were logged; a proof made from them is the proof the leaves give."""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import and_, delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db import rows
from app.models.points import LedgerLeaf, LedgerLogNode
from app.services.points import merkle
from app.services.points.merkle import Node, NodeTree, Tree

log = logging.getLogger("xiangzhi.ledger")


async def leaves_of(session: AsyncSession, town_id: int, size: int) -> list[bytes]:
    found = await session.exec(
        select(LedgerLeaf.leaf_hash)
        .where(col(LedgerLeaf.town_id) == town_id, col(LedgerLeaf.leaf_index) < size)
        .order_by(col(LedgerLeaf.leaf_index))
    )
    return [bytes.fromhex(h) for h in found.all()]


async def stored(session: AsyncSession, town_id: int, nodes: Iterable[Node]) -> dict[Node, bytes]:
    """The named nodes that are kept (level 0 from the log itself)."""
    by_level: dict[int, list[int]] = defaultdict(list)
    for level, position in nodes:
        by_level[level].append(position)
    found: dict[Node, bytes] = {}
    if by_level.get(0):
        leaves = await session.exec(
            select(LedgerLeaf.leaf_index, LedgerLeaf.leaf_hash).where(
                col(LedgerLeaf.town_id) == town_id, col(LedgerLeaf.leaf_index).in_(by_level[0])
            )
        )
        found.update({(0, index): bytes.fromhex(h) for index, h in leaves.all()})
    upper = [
        and_(col(LedgerLogNode.level) == level, col(LedgerLogNode.position).in_(positions))
        for level, positions in by_level.items()
        if level > 0
    ]
    if upper:
        kept = await session.exec(
            select(LedgerLogNode.level, LedgerLogNode.position, LedgerLogNode.node_hash).where(
                col(LedgerLogNode.town_id) == town_id, or_(*upper)
            )
        )
        found.update({(level, position): bytes.fromhex(h) for level, position, h in kept.all()})
    return found


async def grow(session: AsyncSession, town_id: int, size: int, leaves: Sequence[bytes]) -> None:
    """Keeps the nodes that appending ``leaves`` to a log of ``size`` completes. A log logged
    before its nodes were kept has them all built now, once."""
    if not leaves:
        return
    wanted = merkle.frontier(size)
    known = await stored(session, town_id, wanted)
    if len(known) < len(wanted):
        log.info("town %s: building the log's %s-leaf subtrees", town_id, size + len(leaves))
        await session.execute(delete(LedgerLogNode).where(col(LedgerLogNode.town_id) == town_id))
        leaves = [*await leaves_of(session, town_id, size), *leaves]
        size, known = 0, {}
    made = merkle.grown_nodes(size, known, leaves)
    await rows.insert_many(
        await rows.connection(session),
        LedgerLogNode,
        [
            {"town_id": town_id, "level": level, "position": position, "node_hash": h.hex()}
            for (level, position), h in made.items()
        ],
    )


async def tree_for(
    session: AsyncSession, town_id: int, size: int, names: set[Node]
) -> Tree | NodeTree:
    """A tree that answers the proof ``names`` were asked for: from the kept nodes, or from
    every leaf when some are not kept yet (a log from before they were, until its next head)."""
    nodes = await stored(session, town_id, names)
    if len(nodes) == len(names):
        return NodeTree(size, nodes)
    log.warning("town %s: the log's subtrees are not all kept; reading every leaf", town_id)
    return Tree(await leaves_of(session, town_id, size))
