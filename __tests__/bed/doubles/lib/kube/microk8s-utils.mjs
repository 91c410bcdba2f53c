// What the snap's CLI wrappers share (scripts/wrappers/common/utils.sh and utils.py): the
// permission checks, whether the cluster is ready, the addons' status, and the containerd
// client's arguments.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  SNAP,
  SNAP_DATA,
  SNAP_COMMON,
  CONTAINERD_SOCK,
  CLIENT_CONFIG,
  isInstalled,
  apiserverUp,
  sleep,
} from './env.mjs';
import { ensureCredentials } from './credentials.mjs';
import { Store } from './store.mjs';
import { ALL_CATEGORY, typeName } from './resources.mjs';
import { availableAddons, isEnabled } from './addons.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export const out = (s = '') => process.stdout.write(`${s}\n`);
export const err = (s = '') => process.stderr.write(`${s}\n`);

/** Where the wrappers print: the process's own stdout and stderr. */
export const STDIO = {
  out,
  err,
  outRaw: (s) => process.stdout.write(s),
  errRaw: (s) => process.stderr.write(s),
};

/** A wrapper's `exit N`. */
export class Exit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}

export const REFUSED =
  'The connection to the server 127.0.0.1:16443 was refused - did you specify the right host or port?';

/** exit_if_no_permissions (utils.sh): client.config must be readable. */
export async function requirePermissions(rel) {
  if (process.getuid() === 0 && !fs.existsSync(CLIENT_CONFIG) && isInstalled()) {
    // The install hook made these before the services started.
    await ensureCredentials({ strict: rel.strict });
  }
  try {
    fs.accessSync(CLIENT_CONFIG, fs.constants.R_OK);
  } catch {
    const group = rel.strict ? 'snap_microk8s' : 'microk8s';
    const user = process.env.USER || os.userInfo().username;
    err('Insufficient permissions to access MicroK8s.');
    err(`You can either try again with sudo or add the user ${user} to the '${group}' group:`);
    err('');
    err(`    sudo usermod -a -G ${group} ${user}`);
    err('    sudo chown -R $USER ~/.kube');
    err('');
    err(`After this, reload the user groups either via a reboot or by running 'newgrp ${group}'.`);
    throw new Exit(1);
  }
}

/** exit_if_not_root: only the strictly confined snap insists on root. */
export function requireRootIfStrict(rel) {
  if (rel.strict && process.getuid() !== 0) {
    out('Elevated permissions are needed for this command. Please use sudo.');
    throw new Exit(1);
  }
}

/** is_cluster_ready(): service/kubernetes exists and (optionally) the node reports Ready. */
export function isClusterReady(withReadyNode = true) {
  if (!apiserverUp()) return false;
  const store = new Store();
  if (!store.getRaw('services', 'default', 'kubernetes')) return false;
  if (!withReadyNode) return true;
  return store
    .list('nodes', null)
    .some((n) =>
      (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    );
}

/** wait_for_ready: polls every 2 s; a timeout of 0 waits for ever. */
export async function waitForReady(timeoutS, withReadyNode = true) {
  const end = Date.now() + timeoutS * 1000;
  for (;;) {
    if (isClusterReady(withReadyNode)) return true;
    if (timeoutS && Date.now() > end) return false;
    await sleep(2000);
  }
}

/** `kubectl get all,ingress,ingressclass,clusterroles -A` as is_enabled() reads it. */
function clusterRows(store) {
  const rows = [];
  for (const p of [...ALL_CATEGORY, 'ingresses', 'ingressclasses', 'clusterroles']) {
    const r = store.resource(p);
    for (const o of store.listRaw(p, null))
      rows.push(`${o.metadata.namespace ?? ''} ${typeName(r)}/${o.metadata.name}`);
  }
  return rows;
}

/** The track's addons, split into enabled and disabled (none of either if not ready). */
export function addonStatus(rel, ready) {
  const available = availableAddons(rel);
  if (!ready) return { available, enabled: [], disabled: [] };
  const rows = clusterRows(new Store());
  const enabled = [];
  const disabled = [];
  for (const a of available) (isEnabled(a, rows) ? enabled : disabled).push(a);
  return { available, enabled, disabled };
}

/** The snap's args/ctr (the containerd client's arguments), or null without it. */
export function ctrArgs() {
  const file = `${SNAP_DATA}/args/ctr`;
  if (!fs.existsSync(file)) return null;
  return fs
    .readFileSync(file, 'utf8')
    .replaceAll('${SNAP_COMMON}', SNAP_COMMON)
    .replaceAll('${SNAP_DATA}', SNAP_DATA)
    .replaceAll('${SNAP}', SNAP)
    .split(/\s+/)
    .filter(Boolean);
}

export const ctrArgsOrDefault = () =>
  ctrArgs() ?? [`--address=${CONTAINERD_SOCK}`, '--namespace', 'k8s.io'];

/** A sibling module of the doubles (lib/<name>), or null where it is not there. */
export async function doublesLib(name) {
  try {
    return await import(pathToFileURL(path.join(here, '..', name)).href);
  } catch {
    return null;
  }
}
