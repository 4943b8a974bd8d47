'use strict';
// Reads {entry, proof, head, publicKey, fromHead?, toHead?, consistency?} from the file named
// on the command line and prints what the phone would conclude, as JSON.
const fs = require('node:fs');
const { verifyEntry, verifyConsistency } = require('..');

const given = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const answer = { entry: verifyEntry(given.entry, given.proof, given.head, given.publicKey) };
if (given.consistency) {
  answer.consistency = verifyConsistency(given.fromHead, given.toHead, given.consistency, given.publicKey);
}
process.stdout.write(JSON.stringify(answer));
