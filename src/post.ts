import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as core from '@actions/core';
import { Restorer, undo } from './cleanup.js';
import { collectDiagnostics, uploadDiagnostics } from './diagnostics.js';
import { Host } from './host.js';
import { DiagnosticsMode, GetInput } from './inputs.js';
import { Journal, Report } from './state.js';
import { DiagnosticsPlace, writeSummary } from './summary.js';

/** What the post step does; main already rejected bad inputs, so here they only fall back. */
export interface PostSettings {
  cleanup: boolean;
  diagnostics: DiagnosticsMode;
}

const MODES: readonly DiagnosticsMode[] = ['on-failure', 'always', 'never'];

export function postSettings(get: GetInput): PostSettings {
  const diagnostics = get('diagnostics').trim() as DiagnosticsMode;
  return {
    cleanup: ['true', 'True', 'TRUE'].includes(get('cleanup').trim()),
    diagnostics: MODES.includes(diagnostics) ? diagnostics : 'on-failure',
  };
}

/** Main failed when it said so, or when it was stopped before it could finish (or report at all). */
export function wantDiagnostics(mode: DiagnosticsMode, report: Report | undefined): boolean {
  const failed = !report || report.failure !== undefined || !report.finished;
  return mode === 'always' || (mode === 'on-failure' && failed);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function diagnose(host: Host): Promise<DiagnosticsPlace> {
  const base = process.env.RUNNER_TEMP || os.tmpdir();
  const dir = await fs.mkdtemp(path.join(base, 'microk8s-diagnostics-'));
  const collected = await collectDiagnostics(host, dir);
  if (collected.errors.length > 0) {
    // One annotation, not one per item: the step's warnings stay readable.
    core.warning(
      `Diagnostics: ${collected.errors.length} item(s) could not be collected:\n${collected.errors.join('\n')}`,
    );
  }
  return uploadDiagnostics(dir, collected);
}

/** The post step's collaborators; the defaults are the real ones. */
export interface PostDeps {
  journal?: Journal;
  host?: Host;
  getInput?: GetInput;
  /** Files whose restore needs more than their bytes put back, by path (`RESTORERS`). */
  restorers?: Record<string, Restorer>;
}

/**
 * The post step: diagnostics when asked, the job summary always, cleanup when asked. It never
 * fails the job and never hides main's error: its own troubles are warnings.
 */
export async function runPost({
  journal = new Journal(),
  host = new Host(),
  getInput = (name) => core.getInput(name),
  restorers = {},
}: PostDeps = {}): Promise<void> {
  try {
    // Main stops before touching the host when its inputs are invalid: nothing to report or undo.
    if (!journal.mainRan()) return;
    const settings = postSettings(getInput);
    const report = journal.report();
    let place: DiagnosticsPlace | undefined;
    if (wantDiagnostics(settings.diagnostics, report)) {
      place = await core
        .group('Collecting diagnostics', () => diagnose(host))
        .catch((e) => {
          core.warning(`Could not collect diagnostics: ${message(e)}`);
          return undefined;
        });
    }
    await writeSummary(report, place);
    if (settings.cleanup) {
      await core.group('Cleaning up', async () => {
        const errors = await undo(journal, host, restorers);
        for (const e of errors) core.warning(`Cleanup: ${e}`);
      });
    }
  } catch (e) {
    core.warning(`The post step stopped early: ${message(e)}`);
  }
}
