"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0, section 2.1): leaf and node hashes
with their 0x00 and 0x01 prefixes, the tree head of the first n leaves, inclusion proofs and
consistency proofs, and their verification. Checked against RFC 6962's published test vectors.
Leaves are given as their leaf hashes; subtree hashes are memoised per call, so a proof over a
large log hashes each subtree once.

Every node a proof needs is a perfect subtree (2**level leaves from position * 2**level) or is
made of at most log n of them, so a log that keeps its perfect subtrees as it grows
(`grown_nodes`) answers a proof from O(log² n) stored hashes (`NodeTree`, `nodes_for_*`)
instead of reading every leaf."""

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

Node = tuple[int, int]  # (level, position): leaves position * 2**level .. (position + 1) * 2**level

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


class Tree:
    """The first ``len(leaves)`` leaves of a log, by their leaf hashes."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = leaves
        self.size = len(leaves)
        self._memo: dict[tuple[int, int], bytes] = {}

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        return EMPTY_ROOT if size == 0 else self._hash(0, size)

    def _perfect(self, start: int, end: int) -> bytes | None:
        """A perfect subtree's hash when it is at hand without hashing (a leaf here)."""
        return self.leaves[start] if end - start == 1 else None

    def _hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end])."""
        at_hand = self._perfect(start, end)
        if at_hand is not None:
            return at_hand
        found = self._memo.get((start, end))
        if found is None:
            k = _split(end - start)
            found = node_hash(self._hash(start, start + k), self._hash(start + k, end))
            self._memo[start, end] = found
        return found

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[0:size]): the audit path of one leaf."""
        if not 0 <= index < size <= self.size:
            raise ValueError("leaf outside the tree")
        return self._path(index, 0, size)

    def _path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*self._path(m, start, start + k), self._hash(start + k, end)]
        return [*self._path(m - k, start + k, end), self._hash(start, start + k)]

    def consistency(self, old: int, new: int) -> list[bytes]:
        """PROOF(old, D[0:new]): that the first ``old`` leaves are the start of ``new``."""
        if not 0 < old <= new <= self.size:
            raise ValueError("sizes outside the tree")
        return self._subproof(old, 0, new, True)

    def _subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [self._hash(start, end)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, start, start + k, whole), self._hash(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self._hash(start, start + k)]


def _node_of(start: int, end: int) -> Node | None:
    n = end - start
    if n & (n - 1) or start % n:
        return None
    return n.bit_length() - 1, start // n


class NodeTree(Tree):
    """A log of ``size`` leaves known by some of its perfect subtrees, (level, position) → hash
    (level 0 the leaves); a proof asks only for those `nodes_for_*` names. A missing one raises
    KeyError."""

    def __init__(self, size: int, nodes: Mapping[Node, bytes]) -> None:
        super().__init__(())
        self.size = size
        self.nodes = nodes

    def _perfect(self, start: int, end: int) -> bytes | None:
        node = _node_of(start, end)
        return None if node is None else self.nodes[node]


class _Asked(dict[Node, bytes]):
    """Answers every node with a placeholder and remembers which were asked for."""

    def __missing__(self, node: Node) -> bytes:
        self[node] = bytes(32)
        return self[node]


def _asked(size: int, proof: Callable[[NodeTree], object]) -> set[Node]:
    asked = _Asked()
    proof(NodeTree(size, asked))
    return set(asked)


def nodes_for_inclusion(index: int, size: int) -> set[Node]:
    return _asked(size, lambda tree: tree.inclusion(index, size))


def nodes_for_consistency(old: int, new: int) -> set[Node]:
    return _asked(new, lambda tree: tree.consistency(old, new))


def frontier(size: int) -> list[Node]:
    """The perfect subtrees that make up the first ``size`` leaves, largest first: all a log
    needs in hand to grow."""
    nodes, start = [], 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


def grown_nodes(
    size: int, known: Mapping[Node, bytes], leaves: Iterable[bytes]
) -> dict[Node, bytes]:
    """The perfect subtrees above the leaves (level 1 and up) that appending ``leaves`` to a log
    of ``size`` completes; ``known`` holds at least its `frontier`."""
    have = dict(known)
    made: dict[Node, bytes] = {}
    for index, leaf in enumerate(leaves, start=size):
        level, position, node = 0, index, leaf
        have[0, index] = leaf
        while position & 1:  # a right child completes its parent
            node = node_hash(have[level, position - 1], node)
            level, position = level + 1, position >> 1
            have[level, position] = made[level, position] = node
    return made


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """RFC 9162 2.1.3.2: the root an audit path leads to, or None when it cannot be one."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    return root_from_inclusion(index, size, leaf, path) == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2."""
    if old == new:
        return not proof and old_root == new_root
    if not 0 < old < new or not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is the first node of the path
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
