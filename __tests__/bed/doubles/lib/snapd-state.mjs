// snapd's change list (`snap changes`), kept in /run/bed/state/snap-changes.json so that the
// microk8s double can add the "service-control" changes its addons trigger.
import fs from 'node:fs';
import { BED_RUN } from './calls.mjs';

const FILE = `${BED_RUN}/state/snap-changes.json`;

export function listChanges() {
  try {
    return JSON.parse(fs.readFileSync(FILE, 'utf8'));
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  // What a freshly booted runner shows: the seeding changes.
  const boot = bootTime();
  return [
    {
      id: 1,
      status: 'Done',
      spawn: boot,
      ready: boot + 20_000,
      summary: 'Initialize system state',
    },
    {
      id: 2,
      status: 'Done',
      spawn: boot + 20_000,
      ready: boot + 21_000,
      summary: 'Initialize device',
    },
  ];
}

/** Adds a change; `status` is snapd's: Doing, Done, Error, Undone... Returns its id. */
export function addChange(summary, status = 'Done') {
  const changes = listChanges();
  const id = Math.max(0, ...changes.map((c) => c.id)) + 1;
  const now = Date.now();
  changes.push({
    id,
    status,
    spawn: now,
    ready: status === 'Doing' || status === 'Do' ? null : now,
    summary,
  });
  save(changes);
  return id;
}

export function setChangeStatus(id, status) {
  const changes = listChanges();
  const change = changes.find((c) => c.id === id);
  if (!change) throw new Error(`no change ${id}`);
  change.status = status;
  change.ready = status === 'Doing' || status === 'Do' ? null : Date.now();
  save(changes);
}

function save(changes) {
  fs.mkdirSync(`${BED_RUN}/state`, { recursive: true });
  fs.writeFileSync(FILE, `${JSON.stringify(changes, null, 1)}\n`);
}

function bootTime() {
  try {
    return fs.statSync(`${BED_RUN}/ready`).mtimeMs - 60_000;
  } catch {
    return Date.now() - 60_000;
  }
}
