// The bed's service manager: what systemd does on a runner for containerd and docker, and for the
// MicroK8s snap's daemon-containerd and daemon-kubelite. A service runs detached (so it outlives
// the double that started it; the bed's init reaps it), with its pid and start time in
// /run/bed/services/<name>.pid and its output appended to /run/bed/<log>.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BED_RUN } from './calls.mjs';

const PIDS = `${BED_RUN}/services`;
const SNAP_COMMON = '/var/snap/microk8s/common';
const KUBELITE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kubelite.mjs');
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

/** The installed MicroK8s (`/snap/microk8s/current/bed-release.json`), or null. */
export function release() {
  try {
    return JSON.parse(fs.readFileSync('/snap/microk8s/current/bed-release.json', 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
}

/** The snap environment the MicroK8s wrappers run with. */
export function snapEnv(rel) {
  return {
    SNAP: `/snap/microk8s/${rel.revision}`,
    SNAP_DATA: `/var/snap/microk8s/${rel.revision}`,
    SNAP_COMMON,
    SNAP_REVISION: String(rel.revision),
    SNAP_NAME: 'microk8s',
  };
}

const DEFINITIONS = {
  containerd: {
    log: 'containerd.log',
    command: () => ({ argv: [which('containerd')] }),
    ready: () => socketAnswers('/run/containerd/containerd.sock'),
  },
  docker: {
    log: 'dockerd.log',
    // docker.service: Wants=containerd.service, After=containerd.service
    requires: ['containerd'],
    command: () => ({ argv: [which('dockerd'), '--containerd=/run/containerd/containerd.sock'] }),
    ready: dockerAnswers,
  },
  'daemon-containerd': {
    log: 'daemon-containerd.log',
    command: nodeContainerdCommand,
    ready: () => socketAnswers(`${SNAP_COMMON}/run/containerd.sock`),
  },
  'daemon-kubelite': {
    log: 'daemon-kubelite.log',
    command: () => {
      const env = snapEnv(requireRelease());
      // run-kubelite-with-args: "Mark the cluster as starting [...] in case you microk8s stop and
      // then snap start microk8s".
      fs.rmSync(`${env.SNAP_DATA}/var/lock/stopped.lock`, { force: true });
      if (!fs.existsSync(KUBELITE))
        return { skip: `${KUBELITE} does not exist; kubelite not started` };
      return { argv: [process.execPath, KUBELITE], env };
    },
  },
};

export const SERVICE_NAMES = Object.keys(DEFINITIONS);

export function logPath(name) {
  return `${BED_RUN}/${definition(name).log}`;
}

/** Pid of the running service, or null. A zombie or a recycled pid counts as not running. */
export function servicePid(name) {
  definition(name);
  let recorded;
  try {
    recorded = fs.readFileSync(`${PIDS}/${name}.pid`, 'utf8').split('\n');
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
  const pid = Number(recorded[0]);
  const stat = procStat(pid);
  return stat && stat.state !== 'Z' && stat.startTime === recorded[1] ? pid : null;
}

export function isRunning(name) {
  return servicePid(name) !== null;
}

/**
 * Starts the service unless it runs, and resolves once it answers (a daemon that exits first
 * rejects with the end of its log). Resolves to its pid, or null when it was skipped.
 */
export async function startService(name) {
  const def = definition(name);
  const running = servicePid(name);
  if (running) return running;
  for (const dep of def.requires ?? []) await startService(dep);
  const { argv, env = {}, skip } = def.command();
  const log = logPath(name);
  if (skip) {
    fs.appendFileSync(log, `${new Date().toISOString()} bed: ${skip}\n`);
    return null;
  }
  fs.mkdirSync(PIDS, { recursive: true });
  const fd = fs.openSync(log, 'a');
  const child = spawn(argv[0], argv.slice(1), {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { PATH: SYSTEM_PATH, HOME: '/root', LANG: 'C.UTF-8', ...env },
    cwd: '/',
  });
  fs.closeSync(fd);
  const pid = await new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid));
    child.once('error', reject);
  });
  child.unref();
  fs.writeFileSync(`${PIDS}/${name}.pid`, `${pid}\n${procStat(pid).startTime}\n`);
  fs.appendFileSync(
    log,
    `${new Date().toISOString()} bed: started ${name} (pid ${pid}): ${argv.join(' ')}\n`,
  );
  if (def.ready) await waitReady(name, pid, def.ready);
  return pid;
}

/** Stops the service like systemd: SIGTERM, then SIGKILL after a grace period. */
export async function stopService(name, { timeoutMs = STOP_TIMEOUT_MS } = {}) {
  const pid = servicePid(name);
  if (pid) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (servicePid(name) === pid && Date.now() < deadline) await sleep(50);
    if (servicePid(name) === pid) process.kill(pid, 'SIGKILL');
    while (servicePid(name) === pid) await sleep(20);
    fs.appendFileSync(
      logPath(name),
      `${new Date().toISOString()} bed: stopped ${name} (pid ${pid})\n`,
    );
  }
  fs.rmSync(`${PIDS}/${name}.pid`, { force: true });
}

export async function restartService(name) {
  await stopService(name);
  return startService(name);
}

/** Sends a signal (e.g. SIGHUP for a reload) to the running service; false if it is not running. */
export function signalService(name, signal) {
  const pid = servicePid(name);
  if (!pid) return false;
  process.kill(pid, signal);
  return true;
}

/**
 * What run-containerd-with-args does before exec'ing containerd: render containerd-template.toml
 * into containerd.toml (placeholders replaced with sed, so anything else is kept byte for byte)
 * and expand args/containerd.
 */
function nodeContainerdCommand() {
  const env = snapEnv(requireRelease());
  const args = `${env.SNAP_DATA}/args`;
  const runtimeType = fs.readFileSync('/proc/mounts', 'utf8').includes(' cgroup2 ')
    ? 'io.containerd.runc.v2'
    : 'io.containerd.runc.v1';
  const rendered = fs
    .readFileSync(`${args}/containerd-template.toml`, 'utf8')
    .replaceAll('${SNAP}', env.SNAP)
    .replaceAll('${SNAP_DATA}', env.SNAP_DATA)
    .replaceAll('${SNAPSHOTTER}', 'overlayfs')
    .replaceAll('${RUNTIME}', 'runc')
    .replaceAll('${RUNTIME_TYPE}', runtimeType);
  fs.writeFileSync(`${args}/containerd.toml`, rendered);
  fs.mkdirSync(`${SNAP_COMMON}/run/containerd`, { recursive: true });
  const argv = fs
    .readFileSync(`${args}/containerd`, 'utf8')
    .split(/\s+/)
    .filter(Boolean)
    .map((a) => a.replace(/\$\{?(SNAP_DATA|SNAP_COMMON|SNAP)\}?/g, (_, v) => env[v]));
  return { argv: [which('containerd'), ...argv], env };
}

function requireRelease() {
  const rel = release();
  if (!rel)
    throw new Error('microk8s is not installed (no /snap/microk8s/current/bed-release.json)');
  return rel;
}

function definition(name) {
  const def = DEFINITIONS[name];
  if (!def)
    throw new Error(
      `unknown bed service ${JSON.stringify(name)} (known: ${SERVICE_NAMES.join(', ')})`,
    );
  return def;
}

async function waitReady(name, pid, ready) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (await ready()) return;
    if (servicePid(name) !== pid) {
      throw new Error(
        `${name} exited while starting; end of ${logPath(name)}:\n${tail(logPath(name), 15)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${name} did not answer within ${READY_TIMEOUT_MS / 1000} s; end of its log:\n${tail(logPath(name), 15)}`,
      );
    }
    await sleep(30);
  }
}

export function tail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (err) {
    if (err.code === 'ENOENT') return '';
    throw err;
  }
}

function socketAnswers(socketPath) {
  return new Promise((resolve) => {
    const sock = net.connect(socketPath);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

function dockerAnswers() {
  return new Promise((resolve) => {
    const req = http.get(
      { socketPath: '/var/run/docker.sock', path: '/_ping', timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.once('error', () => resolve(false));
    req.once('timeout', () => req.destroy());
  });
}

function procStat(pid) {
  let stat;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the parenthesised command name: state is the 1st, starttime the 20th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], startTime: fields[19] };
}

function which(cmd) {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (fs.existsSync(`${dir}/${cmd}`)) return `${dir}/${cmd}`;
  }
  throw new Error(`${cmd} is not installed (run scripts/ci-deps.sh)`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
