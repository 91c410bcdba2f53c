import * as fs from 'node:fs';
import {
  RESTORERS,
  configureRegistries,
  enableBuiltInRegistry,
} from '../../../src/registries/index.js';
import { undo } from '../../../src/cleanup.js';
import { Context } from '../../../src/context.js';
import { HostFiles } from '../../../src/files.js';
import { Host } from '../../../src/host.js';
import { parseInputs } from '../../../src/inputs.js';
import { MicroK8s } from '../../../src/microk8s.js';
import { Journal, StateStore } from '../../../src/state.js';

// Runs the action's registry code inside a sandbox, with the real Host, HostFiles and Journal:
//   node driver.js STATE_FILE configure '{"insecure-registries": "…", …, "kubeMinor": 34}'
//   node driver.js STATE_FILE registry  '{"registry-size": "20Gi", "timeout": "30", "kubeMinor": 22}'
//   node driver.js STATE_FILE cleanup
// STATE_FILE carries the journal from main to post, as GITHUB_STATE does.

const [stateFile, op, arg = '{}'] = process.argv.slice(2);

const store: StateStore = {
  save(key, value) {
    const all = fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, 'utf8')) : {};
    fs.writeFileSync(stateFile, JSON.stringify({ ...all, [key]: value }));
  },
  get(key) {
    return fs.existsSync(stateFile)
      ? (JSON.parse(fs.readFileSync(stateFile, 'utf8'))[key] ?? '')
      : '';
  },
};

async function main(): Promise<void> {
  const journal = new Journal(store);
  const host = new Host();
  if (op === 'cleanup') {
    const errors = await undo(journal, host, RESTORERS);
    if (errors.length) throw new Error(errors.join('\n'));
    return;
  }
  const values = JSON.parse(arg) as Record<string, string | number>;
  const inputs = parseInputs((name) => String(values[name] ?? ''), process.cwd());
  const ctx: Context = {
    inputs,
    host,
    files: new HostFiles(host, journal),
    journal,
    microk8s: new MicroK8s(host),
    report: { channel: inputs.channel.snapChannel, addons: [], images: [], phases: [] },
    deadline: Date.now() + inputs.timeoutSeconds * 1000,
    kubeMinor: values.kubeMinor === undefined ? undefined : Number(values.kubeMinor),
  };
  journal.markMainRan();
  if (op === 'configure') await configureRegistries(ctx);
  else if (op === 'registry') console.log(`registry=${await enableBuiltInRegistry(ctx)}`);
  else throw new Error(`unknown op ${op}`);
}

main().catch((e: unknown) => {
  console.error(`DRIVER FAILED: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
