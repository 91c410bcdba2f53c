import * as core from '@actions/core';
import * as path from 'node:path';
import { Restorer } from '../cleanup.js';
import { HostFiles } from '../files.js';
import { Host, sleep } from '../host.js';
import { RegistryHost } from '../inputs.js';

export const DAEMON_JSON = '/etc/docker/daemon.json';
const KEY = 'insecure-registries';

/** A daemon.json the action will not touch: not JSON, or not shaped as dockerd expects. */
export class DaemonJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DaemonJsonError';
  }
}

type DaemonConfig = Record<string, unknown>;

/** The file as dockerd reads it; dockerd 20.10 refuses an empty one too ("EOF"). */
function parseDaemonJson(text: string): DaemonConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DaemonJsonError(
      `${DAEMON_JSON} is not valid JSON (${e instanceof Error ? e.message : String(e)}). The action left it untouched; fix or remove it so Docker can read it, then run again`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DaemonJsonError(
      `${DAEMON_JSON} is JSON but not an object of settings; the action left it untouched. Fix it, then run again`,
    );
  }
  const config = value as DaemonConfig;
  const list = config[KEY];
  if (list !== undefined && !(Array.isArray(list) && list.every((r) => typeof r === 'string'))) {
    throw new DaemonJsonError(
      `"${KEY}" in ${DAEMON_JSON} is ${JSON.stringify(list)}, not a list of host[:port] strings; the action left the file untouched. Fix it, then run again`,
    );
  }
  return config;
}

function listOf(config: DaemonConfig): string[] {
  return (config[KEY] as string[] | undefined) ?? [];
}

const render = (config: DaemonConfig): string => `${JSON.stringify(config, null, 2)}\n`;

/**
 * daemon.json with `registries` added to its insecure-registries: every other key kept in its
 * place, no entry twice, the file's own bytes when nothing is missing. `original` null means
 * there is no file yet. Throws DaemonJsonError for a file dockerd could not read either.
 */
export function mergeDaemonJson(
  original: string | null,
  registries: string[],
): { content: string; changed: boolean } {
  const config = original === null ? {} : parseDaemonJson(original);
  const list = listOf(config);
  const missing = registries.filter((r, i) => !list.includes(r) && registries.indexOf(r) === i);
  if (original !== null && missing.length === 0) return { content: original, changed: false };
  return { content: render({ ...config, [KEY]: [...list, ...missing] }), changed: true };
}

/** Docker already treats 127.0.0.0/8 (so localhost too) as insecure (microk8s-facts §5). */
export function dockerTrustsAlready(host: string): boolean {
  return host === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * The registries dockerd treats as insecure, from `docker info --format '{{json .RegistryConfig}}'`:
 * the index configurations it marks not Secure (CIDRs such as 127.0.0.0/8 are not listed).
 */
export function insecureInDockerInfo(registryConfigJson: string): string[] {
  const config = JSON.parse(registryConfigJson) as {
    IndexConfigs?: Record<string, { Name?: string; Secure?: boolean }> | null;
  };
  return Object.entries(config.IndexConfigs ?? {})
    .filter(([, c]) => c.Secure === false)
    .map(([name, c]) => c.Name ?? name);
}

/**
 * The two writes that undo a reload (microk8s-facts, "Undoing a reload"): dockerd keeps
 * registries a reload added when the key is merely absent, so first the original settings with
 * an explicit insecure-registries (its original list, or none), reloaded; then the original
 * bytes, which mean the same to dockerd. `removed` are the registries the reload must drop.
 * `reloadWith` is null when the original cannot be read back as settings: its bytes are then
 * simply put back.
 */
export function daemonJsonUndo(
  original: string | null,
  current: string | null,
): { reloadWith: string | null; removed: string[] } {
  let before: DaemonConfig;
  try {
    before = original === null ? {} : parseDaemonJson(original);
  } catch {
    return { reloadWith: null, removed: [] };
  }
  let now: string[] = [];
  try {
    now = current === null ? [] : listOf(parseDaemonJson(current));
  } catch {
    // Someone else broke the file since; what was added cannot be known, and needs no wait.
  }
  const kept = listOf(before);
  return {
    reloadWith: render({ ...before, [KEY]: kept }),
    removed: now.filter((r) => !kept.includes(r)),
  };
}

/** `systemctl reload docker`: SIGHUP, so running containers (service containers, buildx) live on. */
export async function reloadDocker(host: Host): Promise<void> {
  await host.run('systemctl', ['reload', 'docker'], { sudo: true });
}

async function dockerInsecureRegistries(host: Host): Promise<string[]> {
  const r = await host.run('docker', ['info', '--format', '{{json .RegistryConfig}}'], {
    quiet: true,
  });
  return insecureInDockerInfo(r.stdout);
}

/**
 * Waits until `docker info` lists every one of `registries` as insecure (`listed`), or none of
 * them. A reload is a signal: dockerd rereads the file after `systemctl reload` has returned.
 */
export async function waitForDockerInfo(
  host: Host,
  registries: string[],
  listed: boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let seen: string[] = [];
  for (;;) {
    seen = await dockerInsecureRegistries(host);
    if (registries.every((r) => seen.includes(r) === listed)) return;
    if (Date.now() > until) break;
    await sleep(500);
  }
  const wrong = registries.filter((r) => seen.includes(r) !== listed);
  throw new Error(
    `Docker did not pick up ${DAEMON_JSON} after \`systemctl reload docker\`: \`docker info\` ${listed ? 'does not list' : 'still lists'} ${wrong.join(', ')} as insecure (it lists: ${seen.join(', ') || 'none'}). \`journalctl -u docker\` says why`,
  );
}

/**
 * Makes the runner's Docker trust plain-HTTP registries: daemon.json merged (the original kept
 * for the post step), Docker reloaded, and `docker info` checked.
 */
export async function trustInDocker(
  files: HostFiles,
  host: Host,
  registries: RegistryHost[],
): Promise<void> {
  const needed = registries.filter((r) => !dockerTrustsAlready(r.host)).map((r) => r.address);
  const skipped = registries.filter((r) => dockerTrustsAlready(r.host)).map((r) => r.address);
  if (skipped.length)
    core.info(`Docker: ${skipped.join(', ')} need nothing, Docker trusts 127.0.0.0/8 already`);
  if (needed.length === 0) return;
  const original = await files.read(DAEMON_JSON, true);
  const { content, changed } = mergeDaemonJson(original?.toString('utf8') ?? null, needed);
  if (changed) {
    const mode = (await files.mode(DAEMON_JSON, true)) ?? 0o644;
    await files.write(DAEMON_JSON, content, { mode, privileged: true });
    core.info(`Docker: ${needed.join(', ')} added to insecure-registries in ${DAEMON_JSON}`);
    await reloadDocker(host);
  } else {
    const listed = await dockerInsecureRegistries(host);
    // In the file already, but the running daemon has not read it since.
    if (!needed.every((r) => listed.includes(r))) await reloadDocker(host);
  }
  await waitForDockerInfo(host, needed, true);
  core.info(`Docker: \`docker info\` lists ${needed.join(', ')} as insecure`);
}

/** Docker's per-registry CA (read on every connection, no reload): certs.d/<host:port>/ca.crt. */
export function dockerCaPath(address: string): string {
  return path.posix.join('/etc/docker/certs.d', address, 'ca.crt');
}

/**
 * The post step's undo of {@link trustInDocker}: daemon.json back byte for byte (or removed),
 * and the registries the action added gone from the running Docker too.
 */
export const restoreDaemonJson: Restorer = async (change, files, host) => {
  const original =
    change.original === null ? null : Buffer.from(change.original, 'base64').toString('utf8');
  const current = await files.read(DAEMON_JSON, true);
  const { reloadWith, removed } = daemonJsonUndo(original, current?.toString('utf8') ?? null);
  if (reloadWith === null || removed.length === 0) {
    await files.restore(change);
    return;
  }
  try {
    await files.put(DAEMON_JSON, reloadWith, change.mode ?? 0o644, true);
    await reloadDocker(host);
    await waitForDockerInfo(host, removed, false);
  } finally {
    // The bytes go back even when Docker could not be reloaded.
    await files.restore(change);
  }
};

/** Whether the runner has a Docker daemon that answers (the client alone is not enough). */
export async function dockerRunning(host: Host): Promise<boolean> {
  const r = await host
    .run('docker', ['version', '--format', '{{.Server.Version}}'], {
      allowFailure: true,
      quiet: true,
    })
    .catch(() => ({ code: 1 }));
  return r.code === 0;
}
