'use strict';
/**
 * Checking the town's points on the phone, with nothing but the published key and a head the
 * villager saw: that an entry is in a signed head (RFC 9162 inclusion), and that a later head
 * only ever added to an earlier one (RFC 9162 consistency). Plain CommonJS for the WeChat
 * runtime: no WebCrypto, no TextEncoder, no atob; SHA-256 and Ed25519 from the audited
 * @noble libraries.
 *
 *   const { verifyEntry } = require('xiangzhi-miniprogram-client');
 *   const proof = await api.get(`/api/v1/points/entries/${id}/proof`);
 *   verifyEntry(proof.entry, proof, proof.head, publicKey); // true or false
 */

const { sha256 } = require('@noble/hashes/sha2');
const { ed25519 } = require('@noble/curves/ed25519');

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function fromBase64(text) {
  const clean = String(text).replace(/[^A-Za-z0-9+/]/g, '');
  const out = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of clean) {
    buffer = (buffer << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

function fromHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** UTF-8 bytes of a string (the WeChat runtime may have no TextEncoder). */
function utf8(text) {
  const out = [];
  for (const ch of text) {
    const c = ch.codePointAt(0);
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

function fromUtf8(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    let c;
    let n;
    if (b < 0x80) [c, n] = [b, 1];
    else if (b < 0xe0) [c, n] = [b & 31, 2];
    else if (b < 0xf0) [c, n] = [b & 15, 3];
    else [c, n] = [b & 7, 4];
    for (let k = 1; k < n; k++) c = (c << 6) | (bytes[i + k] & 63);
    text += String.fromCodePoint(c);
    i += n;
  }
  return text;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

function equal(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** JSON with every object's keys sorted and no spaces: the server's canonical form. */
function canonical(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
}

/** RFC 9162 2.1.3.2: the root an audit path leads to, or null. */
function rootFromInclusion(index, size, leaf, path) {
  if (!(index >= 0 && index < size)) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn !== 0 && fn % 2 === 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** RFC 9162 2.1.4.2. */
function consistencyHolds(oldSize, newSize, oldRoot, newRoot, proof) {
  if (oldSize === newSize) return proof.length === 0 && equal(oldRoot, newRoot);
  if (!(oldSize > 0 && oldSize < newSize) || proof.length === 0) return false;
  const path = proof.slice();
  if ((oldSize & (oldSize - 1)) === 0) path.unshift(oldRoot);
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn !== 0 && fn % 2 === 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return equal(fr, oldRoot) && equal(sr, newRoot) && sn === 0;
}

const SIGNED_FIELDS = ['town_id', 'tree_size', 'root_hash', 'issued_at', 'previous_root_hash'];

/** The head's signature holds under the town's key, over exactly the head's own fields. */
function verifyHead(head, publicKey) {
  try {
    const signed = fromBase64(head.signed);
    const fields = JSON.parse(fromUtf8(signed));
    for (const name of SIGNED_FIELDS) {
      if (name === 'issued_at') {
        if (Date.parse(fields.issued_at) !== Date.parse(head.issued_at)) return false;
      } else if (fields[name] !== head[name]) {
        return false;
      }
    }
    return ed25519.verify(fromBase64(head.signature), signed, fromBase64(publicKey));
  } catch (e) {
    return false;
  }
}

/** The entry, as the phone holds it, is the proof's leaf, and the leaf is in the signed head. */
function verifyEntry(entry, proof, head, publicKey) {
  if (!verifyHead(head, publicKey)) return false;
  const leaf = leafHash(utf8(canonical(entry)));
  if (toHex(leaf) !== proof.leaf_hash) return false;
  const root = rootFromInclusion(proof.leaf_index, head.tree_size, leaf, proof.audit_path.map(fromHex));
  return root !== null && toHex(root) === head.root_hash;
}

/** A later head only added to an earlier one: both signed, and the proof joins their roots. */
function verifyConsistency(fromHead, toHead, proof, publicKey) {
  if (!verifyHead(fromHead, publicKey) || !verifyHead(toHead, publicKey)) return false;
  if (fromHead.town_id !== toHead.town_id) return false;
  const path = (proof.proof || proof).map(fromHex);
  return consistencyHolds(
    fromHead.tree_size,
    toHead.tree_size,
    fromHex(fromHead.root_hash),
    fromHex(toHead.root_hash),
    path
  );
}

module.exports = {
  verifyEntry,
  verifyConsistency,
  verifyHead,
  // The building blocks, for the tests and for an auditor's own tools.
  leafHash,
  rootFromInclusion,
  consistencyHolds,
  canonical,
  fromHex,
  toHex,
  utf8,
};
