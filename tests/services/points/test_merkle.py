"""The town log's tree against RFC 6962's published test vectors (the same tree as RFC 9162):
the root of every size, the audit paths and consistency proofs, and that every proof of trees
of many shapes verifies and a changed leaf or root does not."""

import pytest

from app.services.points.merkle import (
    EMPTY_ROOT,
    NodeTree,
    Tree,
    frontier,
    grown_nodes,
    leaf_hash,
    nodes_for_consistency,
    nodes_for_inclusion,
    verify_consistency,
    verify_inclusion,
)

DATA = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
LEAVES = [leaf_hash(d) for d in DATA]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index from 0, tree size, audit path)
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


def test_the_root_of_every_size_is_the_rfcs() -> None:
    assert EMPTY_ROOT.hex() == ROOTS[0] and Tree([]).root().hex() == ROOTS[0]
    tree = Tree(LEAVES)
    for size in range(1, 9):
        assert tree.root(size).hex() == ROOTS[size], size


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_audit_paths_are_the_rfcs(index: int, size: int, path: list[str]) -> None:
    proof = Tree(LEAVES).inclusion(index, size)
    assert [p.hex() for p in proof] == path
    root = bytes.fromhex(ROOTS[size])
    assert verify_inclusion(index, size, LEAVES[index], proof, root)
    assert not verify_inclusion(index, size, LEAVES[index], proof, bytes.fromhex(ROOTS[0]))
    assert not verify_inclusion(index, size, leaf_hash(b"forged"), proof, root)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_are_the_rfcs(old: int, new: int, proof: list[str]) -> None:
    made = Tree(LEAVES).consistency(old, new)
    assert [p.hex() for p in made] == proof
    roots = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
    assert verify_consistency(old, new, *roots, made)
    if old != new:
        assert not verify_consistency(old, new, bytes.fromhex(ROOTS[0]), roots[1], made)


def test_every_proof_of_every_shape_verifies_and_a_change_does_not() -> None:
    leaves = [leaf_hash(bytes([i, i * 7 % 256])) for i in range(37)]
    tree = Tree(leaves)
    for size in range(1, 38):
        root = tree.root(size)
        for index in range(size):
            path = tree.inclusion(index, size)
            assert verify_inclusion(index, size, leaves[index], path, root)
            other = leaves[(index + 1) % size] if size > 1 else leaf_hash(b"x")
            assert not verify_inclusion(index, size, other, path, root)
        for old in range(1, size + 1):
            proof = tree.consistency(old, size)
            assert verify_consistency(old, size, tree.root(old), root, proof)
            if old < size:
                assert not verify_consistency(old, size, tree.root(old), leaves[0], proof)


def _grown(leaves: list[bytes], chunks: list[int]) -> dict[tuple[int, int], bytes]:
    """The stored nodes of a log grown in the given chunk sizes, each step handed only the
    frontier, as the log table grows at each signing."""
    stored: dict[tuple[int, int], bytes] = {(0, i): leaf for i, leaf in enumerate(leaves)}
    size = 0
    for chunk in chunks:
        known = {node: stored[node] for node in frontier(size)}
        stored.update(grown_nodes(size, known, leaves[size : size + chunk]))
        size += chunk
    assert size == len(leaves)
    return stored


@pytest.mark.parametrize("chunks", [[70], [1] * 70, [3, 29, 1, 1, 36], [64, 6], [5, 60, 5]])
def test_stored_nodes_give_the_same_proofs_from_only_what_they_name(chunks: list[int]) -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(70)]
    whole = Tree(leaves)
    stored = _grown(leaves, chunks)
    for size in range(1, 71):
        for index in range(size):
            named = nodes_for_inclusion(index, size)
            assert len(named) <= size.bit_length() ** 2
            only = NodeTree(size, {node: stored[node] for node in named})
            assert only.inclusion(index, size) == whole.inclusion(index, size)
        for old in range(1, size + 1):
            named = nodes_for_consistency(old, size)
            only = NodeTree(size, {node: stored[node] for node in named})
            assert only.consistency(old, size) == whole.consistency(old, size)


def test_a_node_not_stored_is_not_made_up() -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(9)]
    stored = _grown(leaves, [9])
    named = nodes_for_inclusion(0, 9)
    missing = {node: stored[node] for node in sorted(named)[1:]}
    with pytest.raises(KeyError):
        NodeTree(9, missing).inclusion(0, 9)


def test_the_frontier_is_the_log_in_perfect_subtrees() -> None:
    assert frontier(0) == []
    assert frontier(13) == [(3, 0), (2, 2), (0, 12)]
    assert frontier(64) == [(6, 0)]
