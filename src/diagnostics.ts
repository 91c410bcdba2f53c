import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as core from '@actions/core';
import { ArtifactClient, DefaultArtifactClient } from '@actions/artifact';
import { CommandError, Host, RunResult } from './host.js';
import { MICROK8S } from './microk8s.js';
import { DiagnosticsPlace } from './summary.js';

/** What one collection produced: the files written and, per item that failed, why. */
export interface Collected {
  files: string[];
  errors: string[];
}

export interface PodName {
  namespace: string;
  name: string;
}

/** One kubectl call or log read; a hung API server costs this much per item, no more. */
const ITEM_TIMEOUT_MS = 60_000;
/** `microk8s inspect` runs a dozen collectors and packs a tarball. */
const INSPECT_TIMEOUT_MS = 5 * 60_000;
const LOG_LINES = '200';
/** Enough to see every addon's pods; beyond that, the pods listing tells the rest. */
const MAX_DESCRIBED = 25;
/** The snap services whose logs say why pods do not start or images do not pull. */
const SERVICES = ['daemon-containerd', 'daemon-kubelite'];

interface PodList {
  items?: {
    metadata?: { namespace?: string; name?: string };
    status?: { phase?: string; conditions?: { type?: string; status?: string }[] };
  }[];
}

/** Pods of `kubectl get pods -A -o json` that are not Ready; finished pods do not count. */
export function notReadyPods(json: string): PodName[] {
  const list = JSON.parse(json) as PodList;
  return (list.items ?? [])
    .filter((p) => p.status?.phase !== 'Succeeded')
    .filter((p) => !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => ({ namespace: p.metadata?.namespace ?? '', name: p.metadata?.name ?? '' }))
    .filter((p) => p.namespace !== '' && p.name !== '');
}

/** The tarball `microk8s inspect` wrote: it prints "Report tarball is at <path>". */
export function inspectTarball(stdout: string): string | undefined {
  return /Report tarball is at (\S+\.tar\.gz)/.exec(stdout)?.[1];
}

/** Unique per use of the action in a run: the job's id and the folder's random suffix. */
export function artifactName(job: string | undefined, dir: string): string {
  const suffix = /-([A-Za-z0-9]+)$/.exec(path.basename(dir))?.[1];
  return ['microk8s-diagnostics', job || 'job', suffix].filter(Boolean).join('-');
}

/** The runner gives a JavaScript action these two when the artifact service is there. */
export function artifactServiceAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Collects the cluster's state and logs into `dir`, one file per item. Every item is independent
 * and time-limited: one that fails or hangs is named in `errors` and the others go on.
 */
export async function collectDiagnostics(host: Host, dir: string): Promise<Collected> {
  await fs.mkdir(dir, { recursive: true });
  const files: string[] = [];
  const errors: string[] = [];

  const save = async (name: string, content: string): Promise<void> => {
    const file = path.join(dir, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
    files.push(file);
  };
  const item = async (name: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      errors.push(`${name}: ${message(e)}`);
    }
  };
  /**
   * Runs as root and never throws for the command's own failure: the output is kept even then,
   * since it tells why, and `error` says how it failed (exit code, timeout, not installed).
   */
  const capture = async (
    cmd: string,
    args: string[],
    timeoutMs = ITEM_TIMEOUT_MS,
  ): Promise<RunResult & { error?: CommandError }> => {
    try {
      const r = await host.run(cmd, args, {
        sudo: true,
        allowFailure: true,
        quiet: true,
        timeoutMs,
      });
      return r.code === 0 ? r : { ...r, error: new CommandError([cmd, ...args], r) };
    } catch (e) {
      if (e instanceof CommandError) return { ...e.result, error: e };
      throw e;
    }
  };
  const command = (name: string, cmd: string, args: string[], timeoutMs?: number) =>
    item(name, async () => {
      const r = await capture(cmd, args, timeoutMs);
      const text = [r.stdout, r.stderr].filter((t) => t.trim() !== '').join('\n');
      if (text) await save(name, text);
      if (r.error) throw r.error;
    });
  const kubectl = (name: string, args: string[]) => command(name, MICROK8S, ['kubectl', ...args]);

  const clusterItems: Promise<void>[] = [];
  const installed = await fs.access(MICROK8S).then(
    () => true,
    () => false,
  );
  if (installed) {
    clusterItems.push(
      item('inspect.txt', async () => {
        const r = await capture(MICROK8S, ['inspect'], INSPECT_TIMEOUT_MS);
        await save('inspect.txt', r.stdout + r.stderr);
        if (r.error) throw r.error;
        const tarball = inspectTarball(r.stdout);
        if (!tarball) throw new Error('`microk8s inspect` named no report tarball');
        const copy = path.join(dir, path.basename(tarball));
        // The tarball is root's; install(1) copies it and hands the copy to us in one step.
        await host.run(
          'install',
          [
            '-m',
            '0644',
            '-o',
            String(process.getuid?.() ?? 0),
            '-g',
            String(process.getgid?.() ?? 0),
            tarball,
            copy,
          ],
          { sudo: true, quiet: true, timeoutMs: ITEM_TIMEOUT_MS },
        );
        files.push(copy);
      }),
      kubectl('nodes.txt', ['get', 'nodes', '-o', 'wide']),
      kubectl('pods.txt', ['get', 'pods', '-A', '-o', 'wide']),
      kubectl('events.txt', ['get', 'events', '-A', '--sort-by=.lastTimestamp']),
      item('describe', async () => {
        const r = await capture(MICROK8S, ['kubectl', 'get', 'pods', '-A', '-o', 'json']);
        if (r.error) throw r.error;
        for (const pod of notReadyPods(r.stdout).slice(0, MAX_DESCRIBED)) {
          await kubectl(`describe/${pod.namespace}.${pod.name}.txt`, [
            'describe',
            'pod',
            '-n',
            pod.namespace,
            pod.name,
          ]);
        }
      }),
    );
  } else {
    errors.push(`cluster state: ${MICROK8S} is not there (MicroK8s was not installed)`);
  }

  const logItems = SERVICES.map((service) =>
    item(`${service}.log`, async () => {
      const snapLogs = await capture('snap', ['logs', '-n', LOG_LINES, `microk8s.${service}`]);
      if (snapLogs.code === 0 && snapLogs.stdout.trim()) {
        await save(`${service}.log`, snapLogs.stdout);
        return;
      }
      // `snap logs` reads the journal through snapd; without snapd, journalctl may still read it.
      const journal = await capture('journalctl', [
        '-u',
        `snap.microk8s.${service}`,
        '-n',
        LOG_LINES,
        '--no-pager',
      ]);
      if (journal.code === 0 && journal.stdout.trim()) {
        await save(`${service}.log`, journal.stdout);
        return;
      }
      throw new Error(
        `${snapLogs.error?.message ?? '`snap logs` printed nothing'}; ${journal.error?.message ?? '`journalctl` printed nothing'}`,
      );
    }),
  );

  await Promise.all([
    ...clusterItems,
    command('snap-changes.txt', 'snap', ['changes']),
    ...logItems,
  ]);
  files.sort();
  return { files, errors };
}

/**
 * Uploads the files as a workflow artifact when the job has the artifact service, else leaves
 * them where they are. Never throws: a failed upload still leaves them on the runner.
 */
export async function uploadDiagnostics(
  dir: string,
  collected: Collected,
  client: Pick<ArtifactClient, 'uploadArtifact'> = new DefaultArtifactClient(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<DiagnosticsPlace> {
  const place: DiagnosticsPlace = {
    dir,
    files: collected.files.length,
    errors: collected.errors.length,
  };
  if (collected.files.length === 0) return place;
  if (!artifactServiceAvailable(env)) {
    core.info(`Diagnostics are in ${dir} (this job has no artifact service to upload them to)`);
    return place;
  }
  const name = artifactName(env.GITHUB_JOB, dir);
  try {
    const { id } = await client.uploadArtifact(name, collected.files, dir);
    core.info(`Uploaded the diagnostics as the artifact ${name}${id ? ` (id ${id})` : ''}`);
    return { ...place, artifact: name };
  } catch (e) {
    core.warning(
      `Could not upload the diagnostics as an artifact (${message(e)}); they are in ${dir}`,
    );
    return place;
  }
}
