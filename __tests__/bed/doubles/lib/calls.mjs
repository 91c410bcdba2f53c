// Bed control shared by every double: the call log, the scenario's faults and their counters.
// All of it lives in /run/bed, which inside a bed is the host directory that bed.ts reads.
import fs from 'node:fs';

export const BED_RUN = '/run/bed';
const STATE = `${BED_RUN}/state`;

/** Appends one line to /run/bed/calls.jsonl; every double calls this first, whoever runs it. */
export function logCall(tool, argv) {
  const line = JSON.stringify({ tool, argv, uid: process.getuid(), time: Date.now() });
  fs.appendFileSync(`${BED_RUN}/calls.jsonl`, `${line}\n`);
}

/** The scenario's faults (`Bed.start({ faults })`); {} when none were given. */
export function readFaults() {
  try {
    return JSON.parse(fs.readFileSync(`${BED_RUN}/faults.json`, 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return {};
    throw err;
  }
}

/**
 * True for the first `limit` calls with this key, false afterwards: "the first N installs fail".
 * The count is kept in /run/bed/state/<key>.count (root-only, like the daemons that consult it).
 */
export function withinFirst(key, limit) {
  if (!(limit > 0)) return false;
  const file = `${STATE}/${key}.count`;
  let used = 0;
  try {
    used = Number(fs.readFileSync(file, 'utf8')) || 0;
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  if (used >= limit) return false;
  fs.mkdirSync(STATE, { recursive: true });
  fs.writeFileSync(file, String(used + 1));
  return true;
}
