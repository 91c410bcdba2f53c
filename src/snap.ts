import * as core from '@actions/core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandError, Host, RetryPolicy, RunResult } from './host.js';
import { Channel } from './inputs.js';

/** What `snap list microk8s` says of an installed MicroK8s. */
export interface InstalledSnap {
  version: string;
  revision: string;
  tracking: string;
}

/**
 * snapd failures worth another try: the store or CDN is busy or unreachable, or snapd is still
 * busy with an earlier change (canonical/microk8s#2083, canonical/k8s-snap#1208).
 */
const TRANSIENT = [
  /too many requests/i,
  /\b429\b/,
  /\b5\d\d\b/,
  /change in progress/i,
  /too early for operation/i,
  /unable to contact snap store/i,
  /unexpected http response/i,
  /timeout|timed out|deadline exceeded/i,
  /temporary failure in name resolution/i,
  /connection (reset|refused)/i,
  /no route to host|network is unreachable/i,
  /\bEOF\b/,
  /bad gateway|service unavailable|gateway time-?out|internal server error/i,
];

/** Failures no retry can fix: a wrong channel or snap name, or a confinement mismatch. */
const PERMANENT = [
  /not available on/i,
  /snap "[^"]+" not found/i,
  /no snap found/i,
  /invalid (channel|risk|track)/i,
  /requested a non-existing/i,
  /classic confinement/i,
  /access denied/i,
  /cannot refresh .* confinement/i,
];

export type SnapFailure = 'transient' | 'permanent';

/** Sorts a failed snap command; anything unrecognised is permanent, so it fails fast. */
export function classifySnapFailure(result: RunResult): SnapFailure {
  const text = `${result.stderr}\n${result.stdout}`;
  if (PERMANENT.some((re) => re.test(text))) return 'permanent';
  return TRANSIENT.some((re) => re.test(text)) ? 'transient' : 'permanent';
}

/** Exponential backoff inside the cluster's time budget. */
export function snapRetryPolicy(deadline: number): RetryPolicy {
  return {
    attempts: 8,
    initialDelayMs: 2_000,
    maxDelayMs: 60_000,
    factor: 2,
    deadline,
    transient: (r) => classifySnapFailure(r) === 'transient',
  };
}

/** `snap install microk8s …` for a channel: `--classic` except on strictly confined tracks. */
export function installArgs(channel: Channel): string[] {
  return [
    'install',
    'microk8s',
    ...(channel.strict ? [] : ['--classic']),
    `--channel=${channel.snapChannel}`,
  ];
}

export function refreshArgs(channel: Channel): string[] {
  return ['refresh', 'microk8s', `--channel=${channel.snapChannel}`];
}

/** Parses `snap list microk8s`: `Name Version Rev Tracking Publisher Notes`. */
export function parseSnapList(stdout: string): InstalledSnap | undefined {
  const row = stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((cols) => cols[0] === 'microk8s');
  if (!row || row.length < 4) return undefined;
  return { version: row[1], revision: row[2], tracking: row[3] };
}

/** The Kubernetes minor of a MicroK8s snap version: `v1.34.2` → 34; undefined if unreadable. */
export function kubeMinorOf(version: string): number | undefined {
  const m = /^v?1\.(\d+)\b/.exec(version);
  return m ? Number(m[1]) : undefined;
}

/** snap reports `latest/stable` channels as tracking `latest/stable`; older snapd as `stable`. */
export function sameChannel(tracking: string, channel: Channel): boolean {
  const norm = (c: string) => (c.includes('/') ? c : `latest/${c}`);
  return norm(tracking) === norm(channel.snapChannel);
}

/** Finds `snap` on PATH without running anything. */
export function findSnap(envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'snap');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export class SnapMissingError extends Error {
  constructor(platform: string) {
    super(
      platform !== 'linux'
        ? `MicroK8s needs a Linux runner with snapd, but this runner is ${platform}: use runs-on: ubuntu-24.04 or ubuntu-22.04`
        : 'snap is not installed on this runner, and MicroK8s is installed with snap: use a GitHub-hosted Ubuntu runner (runs-on: ubuntu-24.04 or ubuntu-22.04), or install snapd on your self-hosted runner first',
    );
    this.name = 'SnapMissingError';
  }
}

export class Snap {
  constructor(private readonly host: Host) {}

  async installed(): Promise<InstalledSnap | undefined> {
    const r = await this.host.run('snap', ['list', 'microk8s'], {
      allowFailure: true,
      quiet: true,
    });
    return r.code === 0 ? parseSnapList(r.stdout) : undefined;
  }

  /**
   * Installs MicroK8s from the channel, or refreshes it to the channel, retrying transient store
   * failures until the deadline. Returns whether this call installed it (it was not there).
   */
  async ensure(
    channel: Channel,
    deadline: number,
  ): Promise<{ installedNow: boolean; snap: InstalledSnap }> {
    // A fresh runner may still be seeding: installs then fail with "too early for operation".
    await this.host.run('snap', ['wait', 'system', 'seed.loaded'], {
      sudo: true,
      timeoutMs: Math.max(1_000, deadline - Date.now()),
    });
    const before = await this.installed();
    const retry = snapRetryPolicy(deadline);
    let installedNow = false;
    try {
      if (!before) {
        await this.host.run('snap', installArgs(channel), {
          sudo: true,
          retry,
          timeoutMs: Math.max(1_000, deadline - Date.now()),
        });
        installedNow = true;
      } else if (sameChannel(before.tracking, channel)) {
        core.info(
          `MicroK8s ${before.version} (rev ${before.revision}) is already installed from ${before.tracking}`,
        );
      } else {
        core.info(
          `MicroK8s is installed from ${before.tracking}: refreshing to ${channel.snapChannel}`,
        );
        await this.host.run('snap', refreshArgs(channel), {
          sudo: true,
          retry,
          timeoutMs: Math.max(1_000, deadline - Date.now()),
        });
      }
    } catch (e) {
      if (e instanceof CommandError) {
        const kind = classifySnapFailure(e.result);
        const why =
          kind === 'transient' ? 'the snap store kept failing until the timeout' : 'snap refused';
        throw new Error(`${why}: ${e.message}`, { cause: e });
      }
      throw e;
    }
    const snap = await this.installed();
    if (!snap)
      throw new Error('snap reported success, but `snap list microk8s` does not list MicroK8s');
    return { installedNow, snap };
  }

  async remove(): Promise<void> {
    await this.host.run('snap', ['remove', 'microk8s', '--purge'], {
      sudo: true,
      timeoutMs: 5 * 60_000,
    });
  }

  /** `snap changes`, for diagnostics. */
  async changes(): Promise<string> {
    const r = await this.host.run('snap', ['changes'], {
      sudo: true,
      allowFailure: true,
      quiet: true,
    });
    return r.stdout + r.stderr;
  }
}
