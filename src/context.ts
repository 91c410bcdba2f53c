import * as core from '@actions/core';
import { HostFiles } from './files.js';
import { Host } from './host.js';
import { Inputs } from './inputs.js';
import { MicroK8s } from './microk8s.js';
import { Journal, Report } from './state.js';

/** Everything a phase needs, made once. */
export interface Context {
  inputs: Inputs;
  host: Host;
  files: HostFiles;
  journal: Journal;
  microk8s: MicroK8s;
  report: Report;
  /** Epoch ms by which the cluster must be ready (install, addons, registry). */
  deadline: number;
  /** Kubernetes minor of the installed MicroK8s (34 for v1.34.2), known after the install phase. */
  kubeMinor?: number;
}

/** A phase that failed; its message starts with the phase, then the cause's own words. */
export class PhaseError extends Error {
  constructor(
    readonly phase: string,
    cause: unknown,
  ) {
    super(`${phase} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PhaseError';
  }
}

/**
 * Runs one phase in a log group and records how long it took. The report is saved after every
 * phase, so a main step that is cancelled or killed still leaves the post step what it got done.
 */
export async function phase<T>(
  ctx: Pick<Context, 'report' | 'journal'>,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  let ok = false;
  try {
    const value = await core.group(name, fn);
    ok = true;
    return value;
  } catch (e) {
    throw e instanceof PhaseError ? e : new PhaseError(name, e);
  } finally {
    ctx.report.phases.push({ name, seconds: Math.round((Date.now() - started) / 100) / 10, ok });
    ctx.journal.saveReport(ctx.report);
  }
}
