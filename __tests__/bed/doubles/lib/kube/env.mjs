// Paths, release facts, faults and the call log shared by the emulated MicroK8s pieces.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

export const SNAP = '/snap/microk8s/current';
export const SNAP_DATA = '/var/snap/microk8s/current';
export const SNAP_COMMON = '/var/snap/microk8s/common';
export const CONTAINERD_SOCK = `${SNAP_COMMON}/run/containerd.sock`;
export const API_DIR = `${SNAP_DATA}/var/bed-apiserver`;
export const CLIENT_CONFIG = `${SNAP_DATA}/credentials/client.config`;
export const CA_CRT = `${SNAP_DATA}/certs/ca.crt`;
export const STOPPED_LOCK = `${SNAP_DATA}/var/lock/stopped.lock`;
export const BED_DIR = '/run/bed';

/** Appends this invocation to /run/bed/calls.jsonl (the bed's record of every double call). */
export function recordCall(tool, argv) {
  try {
    fs.mkdirSync(BED_DIR, { recursive: true });
    const line = JSON.stringify({ tool, argv, uid: process.getuid(), time: Date.now() }) + '\n';
    fs.appendFileSync(path.join(BED_DIR, 'calls.jsonl'), line);
  } catch {
    // A bed without /run/bed (a unit test of a double) has no call log.
  }
}

export function faults() {
  return readJson(path.join(BED_DIR, 'faults.json'), {});
}

const DEFAULT_RELEASE = {
  channel: '1.34/stable',
  track: '1.34',
  risk: 'stable',
  version: 'v1.34.2',
  revision: '8410',
  containerd: 'v1.7.29',
  strict: false,
  confinement: 'classic',
};

/** What the snap double installed: /snap/microk8s/current/bed-release.json. */
export function release() {
  return { ...DEFAULT_RELEASE, ...readJson(`${SNAP}/bed-release.json`, {}) };
}

/** Kubernetes minor version of the installed release (latest/* follows the newest, 1.36). */
export function minor(rel = release()) {
  const m = /^v?1\.(\d+)/.exec(rel.version ?? '') ?? /^1\.(\d+)/.exec(rel.track ?? '');
  return m ? Number(m[1]) : 36;
}

export function isInstalled() {
  return fs.existsSync(`${SNAP_DATA}/args`) || fs.existsSync(SNAP);
}

/** A complete temporary copy of the file's next content, beside it; returns its path. */
function writeTemp(file, content, mode) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.chmodSync(tmp, mode);
  return tmp;
}

/** Writes a file atomically: readers see the old or the new content, never a torn one. */
export function writeAtomic(file, content, mode = 0o644) {
  fs.renameSync(writeTemp(file, content, mode), file);
}

/** Creates a file only if it does not exist yet (atomic across processes); false if it did. */
export function createExclusive(file, content, mode = 0o644) {
  const tmp = writeTemp(file, content, mode);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    if (e.code === 'EEXIST') return false;
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

export function readJson(file, fallback = null) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return fallback;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function pidAlive(pid) {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** SIGTERM to a process that may be gone already. */
export function terminate(pid) {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

/** The emulated API server answers while the kubelite daemon runs (it hosts the API server). */
export function apiserverUp() {
  const pid = Number(readJson(`${API_DIR}/kubelite.json`, {})?.pid);
  if (!pidAlive(pid)) return false;
  try {
    // A pid recycled by another program does not count.
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kubelite');
  } catch {
    return true;
  }
}
