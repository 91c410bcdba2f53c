// `microk8s status`: whether the cluster runs, and its addons, in the wrapper's four formats.
import fs from 'node:fs';
import { STOPPED_LOCK, minor } from './env.mjs';
import {
  out,
  err,
  Exit,
  requirePermissions,
  isClusterReady,
  waitForReady,
  addonStatus,
} from './microk8s-utils.mjs';

const USAGE =
  'usage: microk8s status [-h] [--format {short,yaml,pretty}] [-w] [-t TIMEOUT] [-a ADDON] [--yaml]';
const NOT_RUNNING = 'microk8s is not running. Use microk8s inspect for a deeper inspection.';

/** argparse of status.py; throws Exit(2) with its usage error. */
function parseArgs(args) {
  const opts = { format: 'pretty', wait: false, timeout: 0, addon: 'all', yaml: false };
  const bad = (msg) => {
    err(USAGE);
    err(`microk8s status: error: ${msg}`);
    return new Exit(2);
  };
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    let val;
    if (a.startsWith('--') && a.includes('='))
      [a, val] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)];
    else if (/^-[ta]./.test(a)) [a, val] = [a.slice(0, 2), a.slice(2)];
    const need = (flag) => {
      if (val !== undefined) return val;
      if (i + 1 >= args.length) throw bad(`argument ${flag}: expected one argument`);
      return args[++i];
    };
    switch (a) {
      case '-h':
      case '--help':
        return null;
      case '-w':
      case '--wait-ready':
        opts.wait = true;
        break;
      case '-t':
      case '--timeout': {
        const v = need('-t/--timeout');
        if (!/^-?\d+$/.test(v)) throw bad(`argument -t/--timeout: invalid int value: '${v}'`);
        opts.timeout = Number(v);
        break;
      }
      case '-a':
      case '--addon':
        opts.addon = need('-a/--addon');
        break;
      case '--format': {
        const v = need('--format');
        if (!['pretty', 'yaml', 'short'].includes(v))
          throw bad(
            `argument --format: invalid choice: '${v}' (choose from 'short', 'yaml', 'pretty')`,
          );
        opts.format = v;
        break;
      }
      case '--yaml':
        opts.yaml = true;
        break;
      default:
        throw bad(`unrecognized arguments: ${args.slice(i).join(' ')}`);
    }
  }
  return opts;
}

export async function status(args, rel) {
  await requirePermissions(rel);
  if (fs.existsSync(STOPPED_LOCK)) {
    out('microk8s is not running, try microk8s start');
    return 0;
  }
  const opts = parseArgs(args);
  if (!opts) {
    out(USAGE);
    out('\nMicrok8s cluster status check.');
    return 0;
  }
  const ready = opts.wait ? await waitForReady(opts.timeout) : isClusterReady();
  const { enabled, disabled } = addonStatus(rel, ready);
  if (opts.addon !== 'all') {
    const [repo, name] = opts.addon.includes('/') ? opts.addon.split('/') : [null, opts.addon];
    const match = (a) => a.name === name && (!repo || a.repository === repo);
    out(enabled.some(match) ? 'enabled' : 'disabled');
    return ready ? 0 : 1;
  }
  // Repositories came with 1.24.
  const withRepo = minor(rel) >= 24;
  const label = (a) => `${withRepo ? `${a.repository}/` : ''}${a.name}`;
  const both = [
    [enabled, 'enabled'],
    [disabled, 'disabled'],
  ];
  if (opts.format === 'yaml') {
    out('microk8s:');
    out(`  running: ${ready ? 'True' : 'False'}`);
    out('high-availability:');
    out('  enabled: True');
    out('  nodes:');
    out('    - address: 127.0.0.1:19001');
    out('      role: voter');
    if (ready) {
      out('addons:');
      for (const [list, st] of both) {
        for (const a of list) {
          out(`  - name: ${a.name}`);
          if (withRepo) out(`    repository: ${a.repository}`);
          out(`    description: ${a.description}`);
          out(`    version: ${a.version}`);
          out(`    status: ${st}`);
        }
      }
    } else out(`  message: ${NOT_RUNNING}`);
  } else if (opts.format === 'short') {
    if (ready) {
      out('microk8s is running');
      out('addons:');
      for (const [list, st] of both) for (const a of list) out(`${label(a)}: ${st}`);
    } else out(NOT_RUNNING);
  } else if (opts.yaml) {
    out('microk8s:');
    out(`  running: ${ready ? 'True' : 'False'}`);
    if (ready) {
      out('addons:');
      for (const [list, st] of both) for (const a of list) out(`  ${label(a)}: ${st}`);
    } else out(`  message: ${NOT_RUNNING}`);
  } else if (ready) {
    out('microk8s is running');
    out('high-availability: no');
    out('  datastore master nodes: 127.0.0.1:19001');
    out('  datastore standby nodes: none');
    out('addons:');
    for (const [list, st] of both) {
      if (!list.length) continue;
      out(`  ${st}:`);
      for (const a of list)
        out(`    ${a.name.padEnd(20)} # ${withRepo ? `(${a.repository}) ` : ''}${a.description}`);
    }
  } else out(NOT_RUNNING);
  return ready ? 0 : 1;
}
