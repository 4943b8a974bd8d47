'use strict';
// The phone's checks of the town's points: RFC 6962's published vectors (the same the server's
// tests run), every proof of trees of many shapes, and a head signed here with Ed25519.
// `node --test test/ledger.test.js`; a proof made by the server is checked by
// tests/e2e/test_miniprogram_ledger.py through `verify-proof.js`.
const test = require('node:test');
const assert = require('node:assert/strict');
const { ed25519 } = require('@noble/curves/ed25519');
const L = require('../lib/ledger');
const { verifyEntry, verifyConsistency } = require('..');

const DATA = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657',
  '606162636465666768696a6b6c6d6e6f'].map(L.fromHex);
const LEAVES = DATA.map(L.leafHash);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const INCLUSION = [
  [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];
const CONSISTENCY = [
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];

test('audit paths of the RFC lead to its roots, and a changed leaf does not', () => {
  for (const [index, size, path] of INCLUSION) {
    const root = L.rootFromInclusion(index, size, LEAVES[index], path.map(L.fromHex));
    assert.equal(L.toHex(root), ROOTS[size - 1]);
    const wrong = L.rootFromInclusion(index, size, L.leafHash(L.utf8('x')), path.map(L.fromHex));
    assert.notEqual(L.toHex(wrong), ROOTS[size - 1]);
  }
});

test('consistency proofs of the RFC hold between its roots, and not to another root', () => {
  for (const [oldSize, newSize, proof] of CONSISTENCY) {
    const path = proof.map(L.fromHex);
    const [a, b] = [L.fromHex(ROOTS[oldSize - 1]), L.fromHex(ROOTS[newSize - 1])];
    assert.ok(L.consistencyHolds(oldSize, newSize, a, b, path));
    assert.ok(!L.consistencyHolds(oldSize, newSize, L.fromHex(ROOTS[oldSize]), b, path));
  }
});

test("the canonical form is the server's: sorted keys, no spaces, Chinese as is", () => {
  const entry = { title: '环境清扫', points: 5, id: 1, note: null, posted_at: '2026-12-07T09:00:00+08:00' };
  assert.equal(
    L.canonical(entry),
    '{"id":1,"note":null,"points":5,"posted_at":"2026-12-07T09:00:00+08:00","title":"环境清扫"}'
  );
  assert.deepEqual(Array.from(L.utf8('党费')), [0xe5, 0x85, 0x9a, 0xe8, 0xb4, 0xb9]);
});

function b64(bytes) {
  return Buffer.from(bytes).toString('base64');
}

test('an entry in a head signed with the town key verifies; a changed one or another key does not', () => {
  const seed = new Uint8Array(32).fill(7);
  const publicKey = b64(ed25519.getPublicKey(seed));
  const entries = [1, 2, 3].map((id) => ({ id, points: id * 5, title: '学习' }));
  const leaves = entries.map((e) => L.leafHash(L.utf8(L.canonical(e))));
  const root = L.toHex(require('@noble/hashes/sha2').sha256(
    Buffer.concat([Buffer.from([1]), Buffer.from(require('@noble/hashes/sha2').sha256(
      Buffer.concat([Buffer.from([1]), Buffer.from(leaves[0]), Buffer.from(leaves[1])]))),
    Buffer.from(leaves[2])])
  ));
  const five = { issued_at: '2026-12-07T00:05:00+08:00', previous_root_hash: null, root_hash: root,
    town_id: 1, tree_size: 3 };
  const signed = L.utf8(L.canonical(five));
  const head = Object.assign({}, five, { key_id: 'k', signed: b64(signed),
    signature: b64(ed25519.sign(signed, seed)) });
  const proof = { leaf_index: 2, leaf_hash: L.toHex(leaves[2]),
    audit_path: [L.toHex(L.rootFromInclusion(0, 2, leaves[0], [leaves[1]]))] };
  assert.ok(verifyEntry(entries[2], proof, head, publicKey));
  assert.ok(!verifyEntry(Object.assign({}, entries[2], { points: 115 }), proof, head, publicKey));
  const other = b64(ed25519.getPublicKey(new Uint8Array(32).fill(8)));
  assert.ok(!verifyEntry(entries[2], proof, head, other));
  assert.ok(!verifyEntry(entries[2], proof, Object.assign({}, head, { tree_size: 4 }), publicKey));
  assert.ok(verifyConsistency(head, head, [], publicKey));
});
