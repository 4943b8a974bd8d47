"""Points anyone can check: every posted entry of a town is a leaf of one append-only log (RFC
9162's tree), a head of it is signed with the town's Ed25519 key each day and kept for good,
and a member proves their own entry is in a head, and a later head extends an earlier one, with
nothing but the published key."""

import base64
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.china_time import to_china, utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.models.base import id_of
from app.models.points import (
    ConsistencyProof,
    HeadPublic,
    InclusionProof,
    LedgerEntry,
    LedgerLeaf,
    OwnerType,
    PointsAccount,
    TreeHead,
)
from app.models.roster import Town
from app.services.identity import (
    Location,
    Principal,
    caller_person,
    covers,
    location_of,
    own_town,
)
from app.services.points import log_nodes, merkle
from app.services.points.merkle import Tree, leaf_hash

log = logging.getLogger("xiangzhi.ledger")

# The fields of an entry that never change once it is posted (its status may: a reversal).
LEAF_FIELDS = (
    "id",
    "town_id",
    "account_id",
    "seq",
    "points",
    "balance_after",
    "rule_code",
    "title",
    "source_type",
    "source_id",
    "reverses_entry_id",
    "posted_at",
    "prev_hash",
    "hash",
)


class NoHead(NotFound):
    code = "ledger.no_head"
    detail = "本镇的积分账本还没有签名的树根。"


class EntryNotFound(NotFound):
    code = "ledger.entry_not_found"
    detail = "找不到该积分记录。"


class NotYetInHead(Conflict):
    code = "ledger.not_in_head"
    detail = "这条记录会在今晚的签名中收录，明天再来核验。"


class SizesInvalid(Unprocessable):
    code = "ledger.sizes_invalid"
    detail = "两个树的大小须都是已签名的树根，且前一个不大于后一个。"


@dataclass(frozen=True)
class Signer:
    """A town's signing key, and the id it is published under."""

    key: Ed25519PrivateKey

    @classmethod
    def from_seed(cls, seed_b64: str) -> "Signer":
        return cls(Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed_b64)))

    @property
    def public_raw(self) -> bytes:
        return self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.public_raw).hexdigest()[:16]


@dataclass(frozen=True)
class Keys:
    """The installation's key, and any town's own."""

    default: str
    towns: dict[int, str]

    def signer(self, town_id: int) -> Signer:
        return Signer.from_seed(self.towns.get(town_id, self.default))


def canonical(entry: LedgerEntry) -> dict[str, Any]:
    """The entry as its leaf holds it (and as a phone recomputes the leaf)."""
    shown: dict[str, Any] = {}
    for name in LEAF_FIELDS:
        value = getattr(entry, name)
        shown[name] = (
            to_china(value).isoformat()
            if isinstance(value, datetime)
            else (value.value if hasattr(value, "value") else value)
        )
    return shown


def leaf_bytes(shown: dict[str, Any]) -> bytes:
    """UTF-8 JSON, keys sorted, no spaces: what JSON.stringify gives of the same sorted object."""
    return json.dumps(shown, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def leaf_of(entry: LedgerEntry) -> bytes:
    return leaf_hash(leaf_bytes(canonical(entry)))


def signed_bytes(head: dict[str, Any]) -> bytes:
    """The five fields a signature covers, as the contract fixes them."""
    five = {
        k: head[k] for k in ("town_id", "tree_size", "root_hash", "issued_at", "previous_root_hash")
    }
    return json.dumps(five, sort_keys=True, separators=(",", ":")).encode()


async def append_new(session: AsyncSession, town_id: int) -> int:
    """Logs the town's posted entries not yet in the log, in posting order; the log's size."""
    last = (
        await session.exec(
            select(LedgerLeaf.leaf_index)
            .where(col(LedgerLeaf.town_id) == town_id)
            .order_by(col(LedgerLeaf.leaf_index).desc())
            .limit(1)
        )
    ).first()
    size = 0 if last is None else last + 1
    logged = select(LedgerLeaf.entry_id).where(col(LedgerLeaf.town_id) == town_id)
    fresh = await session.exec(
        select(LedgerEntry)
        .where(
            col(LedgerEntry.town_id) == town_id,
            col(LedgerEntry.seq).is_not(None),
            col(LedgerEntry.id).not_in(logged),
        )
        .order_by(col(LedgerEntry.posted_at), col(LedgerEntry.id))
    )
    grown_from = size
    hashes = []
    for entry in fresh.all():
        hashes.append(leaf_of(entry))
        session.add(
            LedgerLeaf(
                town_id=town_id,
                leaf_index=size,
                entry_id=id_of(entry),
                leaf_hash=hashes[-1].hex(),
            )
        )
        size += 1
    await session.flush()
    await log_nodes.grow(session, town_id, grown_from, hashes)
    return size


async def current_leaves(session: AsyncSession, town_id: int) -> tuple[list[bytes], int | None]:
    """The log's leaves as the entries are now, and the first entry whose leaf is no longer
    the one logged (None when every one still is)."""
    rows = await session.exec(
        select(LedgerLeaf, LedgerEntry)
        .join(LedgerEntry, col(LedgerEntry.id) == col(LedgerLeaf.entry_id))
        .where(col(LedgerLeaf.town_id) == town_id)
        .order_by(col(LedgerLeaf.leaf_index))
    )
    hashes, changed = [], None
    for leaf, entry in rows.all():
        now = leaf_of(entry)
        if changed is None and now.hex() != leaf.leaf_hash:
            changed = entry.id
        hashes.append(now)
    return hashes, changed


async def latest(session: AsyncSession, town_id: int) -> TreeHead | None:
    return (
        await session.exec(
            select(TreeHead)
            .where(col(TreeHead.town_id) == town_id)
            .order_by(col(TreeHead.tree_size).desc())
            .limit(1)
        )
    ).first()


async def sign_head(session: AsyncSession, *, town_id: int, keys: Keys) -> tuple[TreeHead, bool]:
    """The head of the town's log now, signed; the same head again when nothing was added.
    Returns the head and whether it is new."""
    town = await session.get(Town, town_id, with_for_update=True)  # one signer at a time
    if town is None:
        raise NoHead()
    size = await append_new(session, town_id)
    before = await latest(session, town_id)
    if before is not None and before.tree_size == size:
        return before, False
    # The head covers the entries as they are: an entry changed since it was logged changes the
    # root, and the head no longer extends the one before (phones see it in the proof).
    hashes, changed = await current_leaves(session, town_id)
    if changed is not None:
        log.error("town %s: entry %s no longer matches its logged leaf", town_id, changed)
    root = Tree(hashes).root(size)
    signer = keys.signer(town_id)
    issued = to_china(utcnow()).replace(microsecond=0)
    previous = before.root_hash if before else None
    fields: dict[str, Any] = {
        "town_id": town_id,
        "tree_size": size,
        "root_hash": root.hex(),
        "issued_at": issued.isoformat(),
        "previous_root_hash": previous,
    }
    message = signed_bytes(fields)
    head = TreeHead(
        town_id=town_id,
        tree_size=size,
        root_hash=root.hex(),
        issued_at=issued,
        previous_root_hash=previous,
        key_id=signer.key_id,
        signed=base64.b64encode(message).decode(),
        signature=base64.b64encode(signer.key.sign(message)).decode(),
    )
    session.add(head)
    await session.flush()
    return head, True


async def sign_for(
    session: AsyncSession, *, principal: Principal, town_id: int | None, keys: Keys
) -> tuple[TreeHead, bool]:
    """A town admin signs their town's head now, as the night's job does."""
    wanted = town_id or own_town(principal)
    if not covers(principal, Location(town_id=wanted)):
        raise NoHead("找不到该镇。")
    return await sign_head(session, town_id=wanted, keys=keys)


def public(head: TreeHead) -> HeadPublic:
    return HeadPublic.model_validate(head)


async def latest_head(session: AsyncSession, *, town_id: int) -> TreeHead:
    head = await latest(session, town_id)
    if head is None:
        raise NoHead()
    return head


async def _readable_entry(
    session: AsyncSession, principal: Principal, entry_id: int
) -> LedgerEntry:
    """The entry of the caller's own account (theirs or their household's), or one in the
    scope they administer; anything else is not found."""
    entry = await session.get(LedgerEntry, entry_id)
    if entry is None or entry.seq is None:
        raise EntryNotFound()
    if covers(principal, location_of(entry)):
        return entry
    account = await session.get(PointsAccount, entry.account_id)
    person = await caller_person(session, principal)
    mine = (
        person is not None
        and account is not None
        and (
            (account.owner_type == OwnerType.person and account.owner_id == person.id)
            or (
                account.owner_type == OwnerType.household
                and account.owner_id == person.household_id
            )
        )
    )
    if not mine:
        raise EntryNotFound()
    return entry


async def inclusion(
    session: AsyncSession, *, principal: Principal, entry_id: int
) -> InclusionProof:
    entry = await _readable_entry(session, principal, entry_id)
    leaf = (
        await session.exec(select(LedgerLeaf).where(col(LedgerLeaf.entry_id) == entry.id))
    ).first()
    head = await latest(session, entry.town_id or 0)
    if leaf is None or head is None or leaf.leaf_index >= head.tree_size:
        raise NotYetInHead()
    names = merkle.nodes_for_inclusion(leaf.leaf_index, head.tree_size)
    tree = await log_nodes.tree_for(session, head.town_id, head.tree_size, names)
    return InclusionProof(
        entry=canonical(entry),
        leaf_index=leaf.leaf_index,
        leaf_hash=leaf.leaf_hash,
        audit_path=[p.hex() for p in tree.inclusion(leaf.leaf_index, head.tree_size)],
        head=public(head),
    )


async def consistency(
    session: AsyncSession, *, town_id: int, from_size: int, to_size: int
) -> ConsistencyProof:
    """Between two signed heads of the town: public, as the heads are."""
    sizes = set(
        (
            await session.exec(
                select(TreeHead.tree_size).where(
                    col(TreeHead.town_id) == town_id,
                    col(TreeHead.tree_size).in_([from_size, to_size]),
                )
            )
        ).all()
    )
    if {from_size, to_size} - sizes or not 0 < from_size <= to_size:
        raise SizesInvalid()
    names = merkle.nodes_for_consistency(from_size, to_size)
    tree = await log_nodes.tree_for(session, town_id, to_size, names)
    return ConsistencyProof(
        town_id=town_id,
        from_size=from_size,
        to_size=to_size,
        proof=[p.hex() for p in tree.consistency(from_size, to_size)],
    )


async def published_keys(session: AsyncSession, *, keys: Keys) -> list[dict[str, Any]]:
    towns = await session.exec(select(Town.id).order_by(col(Town.id)))
    return town_keys(keys, [t for t in towns.all() if t is not None])


def town_keys(keys: Keys, town_ids: Sequence[int]) -> list[dict[str, Any]]:
    out = []
    for town_id in town_ids:
        signer = keys.signer(town_id)
        out.append(
            {
                "key_id": signer.key_id,
                "town_id": town_id,
                "public_key": base64.b64encode(signer.public_raw).decode(),
            }
        )
    return out


def head_location(head: TreeHead) -> Location:
    return Location(town_id=head.town_id)
