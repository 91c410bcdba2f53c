import { Bed, StepResult } from '../bed/bed.js';

/** Reading what a step of the action left: its outputs, its log, its annotations, the node. */

export const MICROK8S = '/snap/bin/microk8s';

export interface ImageOut {
  image: string;
  method: string;
  ref: string;
  digest: string;
  verified: boolean;
}

export const imagesOf = (r: StepResult): ImageOut[] =>
  JSON.parse(r.outputs.images || '[]') as ImageOut[];

export const log = (r: StepResult): string => `${r.stdout}\n${r.stderr}`;

/** The step's error annotation: what a user reads on the failed step. */
export const errorOf = (r: StepResult): string =>
  r.annotations
    .filter((a) => a.level === 'error')
    .map((a) => a.message)
    .join('\n');

/** The report main saved for the post step. */
export const reportOf = (r: StepResult) =>
  JSON.parse(r.state.report) as {
    phases: { name: string; seconds: number; ok: boolean }[];
    failure?: { message: string; pod?: string; events?: string[]; diagnosis?: string };
  };

export const dockerInspect = async (b: Bed, ref: string, format: string): Promise<string> =>
  (await b.exec(['docker', 'image', 'inspect', '--format', format, ref])).stdout.trim();

/** `microk8s ctr images ls` as REF → target DIGEST. */
export async function nodeImages(b: Bed): Promise<Map<string, string>> {
  const out = (await b.exec([MICROK8S, 'ctr', 'images', 'ls'])).stdout;
  return new Map(
    out
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 3)
      .map((f) => [f[0], f[2]]),
  );
}

export const kubectlJson = async (b: Bed, ...args: string[]) =>
  JSON.parse((await b.exec([MICROK8S, 'kubectl', ...args, '-o', 'json'])).stdout) as {
    items: Array<{
      metadata: { name: string; deletionTimestamp?: string };
      status?: Record<string, unknown>;
    }>;
    spec?: Record<string, unknown>;
    status?: Record<string, unknown>;
  };
