import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExecResult, Sandbox } from './sandbox.js';

// The action's registry code, compiled as it is (tsc, no bundling) and run inside a sandbox.

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const OUT = path.join(ROOT, '.bed', 'registries-driver');
const DRIVER = path.join(OUT, '__tests__', 'integration', 'lib', 'driver.js');
const STATE = '/run/action-state.json';

let built = false;

/** Compiles the driver and the src/ files it imports, once per test process. */
export function buildDriver(): void {
  if (built) return;
  // The project's compiler options, but only this entry's imports: a file another change has
  // half-written elsewhere in __tests__ must not stop these tests.
  execFileSync(
    path.join(ROOT, 'node_modules', '.bin', 'tsc'),
    [
      ...['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'],
      ...['--strict', '--skipLibCheck', '--types', 'node', '--esModuleInterop'],
      ...['--outDir', OUT, '--rootDir', ROOT],
      path.join(ROOT, '__tests__', 'integration', 'lib', 'driver.ts'),
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
  built = true;
}

function driver(sandbox: Sandbox, args: string[]): Promise<ExecResult> {
  buildDriver();
  return sandbox.exec([process.execPath, DRIVER, STATE, ...args], {
    allowFailure: true,
    env: { RUNNER_TEMP: '/tmp' },
  });
}

/** The main step's registry phase with these inputs (names as in action.yml). */
export function configure(
  sandbox: Sandbox,
  inputs: Record<string, string | number>,
): Promise<ExecResult> {
  return driver(sandbox, ['configure', JSON.stringify(inputs)]);
}

export function enableRegistry(
  sandbox: Sandbox,
  inputs: Record<string, string | number>,
): Promise<ExecResult> {
  return driver(sandbox, ['registry', JSON.stringify(inputs)]);
}

/** The post step's undo, with the registries' restorers. */
export function cleanup(sandbox: Sandbox): Promise<ExecResult> {
  return driver(sandbox, ['cleanup']);
}

/** Forgets what an earlier run journalled, for a fresh main in the same sandbox. */
export function resetJournal(sandbox: Sandbox): void {
  sandbox.removeFile(STATE);
}
