// The `microk8s` command (the snap's microk8s.wrapper and its subcommand wrappers/scripts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync, execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  SNAP,
  SNAP_DATA,
  SNAP_COMMON,
  CONTAINERD_SOCK,
  CLIENT_CONFIG,
  STOPPED_LOCK,
  API_DIR,
  BED_DIR,
  release,
  minor,
  faults,
  isInstalled,
  apiserverUp,
  sleep,
  readJson,
} from './env.mjs';
import { ensureCredentials, defaultIp } from './credentials.mjs';
import { Store } from './store.mjs';
import { Kubectl, toYaml, isLocalKubectl } from './kubectl.mjs';
import { availableAddons, isEnabled } from './addons.mjs';
import { enableAddon, disableAddon } from './addon-scripts.mjs';
import { typeName } from './resources.mjs';
import { killContainers } from './kubelet.mjs';
import { dep } from './deps.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const YAML = dep('yaml');

const out = (s = '') => process.stdout.write(`${s}\n`);
const err = (s = '') => process.stderr.write(`${s}\n`);

const SUBCOMMANDS = [
  'add-node',
  'addons',
  'config',
  'ctr',
  'dbctl',
  'disable',
  'enable',
  'helm',
  'helm3',
  'images',
  'istioctl',
  'join',
  'kubectl',
  'leave',
  'linkerd',
  'refresh-certs',
  'remove-node',
  'reset',
  'start',
  'status',
  'stop',
  'version',
];

class Exit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}

function help() {
  out('Available subcommands are:');
  for (const s of SUBCOMMANDS) {
    if (s === 'images' && minor() < 25) continue;
    out(`\t${s}`);
  }
  out('\tinspect');
}

/** exit_if_no_permissions (utils.sh): client.config must be readable. */
async function requirePermissions(rel) {
  if (process.getuid() === 0 && !fs.existsSync(CLIENT_CONFIG) && isInstalled()) {
    // The install hook made these before the services started.
    await ensureCredentials({ strict: rel.strict });
  }
  try {
    fs.accessSync(CLIENT_CONFIG, fs.constants.R_OK);
  } catch {
    const group = rel.strict ? 'snap_microk8s' : 'microk8s';
    const user = process.env.USER || os.userInfo().username;
    err('Insufficient permissions to access MicroK8s.');
    err(`You can either try again with sudo or add the user ${user} to the '${group}' group:`);
    err('');
    err(`    sudo usermod -a -G ${group} ${user}`);
    err('    sudo chown -R $USER ~/.kube');
    err('');
    err(`After this, reload the user groups either via a reboot or by running 'newgrp ${group}'.`);
    throw new Exit(1);
  }
}

/** exit_if_not_root: only the strictly confined snap insists on root. */
function requireRootIfStrict(rel) {
  if (rel.strict && process.getuid() !== 0) {
    out('Elevated permissions are needed for this command. Please use sudo.');
    throw new Exit(1);
  }
}

function clusterRows(store) {
  const rows = [];
  for (const p of [
    'pods',
    'services',
    'daemonsets',
    'deployments',
    'replicasets',
    'statefulsets',
    'jobs',
    'cronjobs',
    'ingresses',
    'ingressclasses',
    'clusterroles',
  ]) {
    const r = store.resource(p);
    for (const o of store.listRaw(p, null))
      rows.push(`${o.metadata.namespace ?? ''} ${typeName(r)}/${o.metadata.name}`);
  }
  return rows;
}

/** is_cluster_ready(): service/kubernetes exists and (optionally) the node reports Ready. */
export function isClusterReady(withReadyNode = true) {
  if (!apiserverUp()) return false;
  const store = new Store();
  if (!store.getRaw('services', 'default', 'kubernetes')) return false;
  if (!withReadyNode) return true;
  return store
    .list('nodes', null)
    .some((n) =>
      (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    );
}

async function waitForReady(timeoutS, withReadyNode = true) {
  const end = Date.now() + timeoutS * 1000;
  for (;;) {
    if (isClusterReady(withReadyNode)) return true;
    if (timeoutS && Date.now() > end) return false;
    await sleep(2000);
  }
}

function addonStatus(rel, ready) {
  const available = availableAddons(rel);
  if (!ready) return { available, enabled: [], disabled: [] };
  const rows = clusterRows(new Store());
  const enabled = [];
  const disabled = [];
  for (const a of available) (isEnabled(a, rows) ? enabled : disabled).push(a);
  return { available, enabled, disabled };
}

// ------------------------------------------------------------------ status

async function status(args, rel) {
  await requirePermissions(rel);
  if (fs.existsSync(STOPPED_LOCK)) {
    out('microk8s is not running, try microk8s start');
    return 0;
  }
  const usage =
    'usage: microk8s status [-h] [--format {short,yaml,pretty}] [-w] [-t TIMEOUT] [-a ADDON] [--yaml]';
  const opts = { format: 'pretty', wait: false, timeout: 0, addon: 'all', yaml: false };
  const bad = (msg) => {
    err(usage);
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
        out(usage);
        out('\nMicrok8s cluster status check.');
        return 0;
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
  const ready = opts.wait ? await waitForReady(opts.timeout) : isClusterReady();
  let { enabled, disabled } = addonStatus(rel, ready);
  if (opts.addon !== 'all') {
    const [repo, name] = opts.addon.includes('/') ? opts.addon.split('/') : [null, opts.addon];
    const match = (a) => a.name === name && (!repo || a.repository === repo);
    out(enabled.some(match) ? 'enabled' : 'disabled');
    return ready ? 0 : 1;
  }
  const notRunning = 'microk8s is not running. Use microk8s inspect for a deeper inspection.';
  const m = minor(rel);
  const withRepo = m >= 24;
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
      for (const [list, st] of [
        [enabled, 'enabled'],
        [disabled, 'disabled'],
      ]) {
        for (const a of list) {
          out(`  - name: ${a.name}`);
          if (withRepo) out(`    repository: ${a.repository}`);
          out(`    description: ${a.description}`);
          out(`    version: ${a.version}`);
          out(`    status: ${st}`);
        }
      }
    } else out(`  message: ${notRunning}`);
  } else if (opts.format === 'short') {
    if (ready) {
      out('microk8s is running');
      out('addons:');
      for (const a of enabled) out(`${withRepo ? `${a.repository}/` : ''}${a.name}: enabled`);
      for (const a of disabled) out(`${withRepo ? `${a.repository}/` : ''}${a.name}: disabled`);
    } else out(notRunning);
  } else if (opts.yaml) {
    out('microk8s:');
    out(`  running: ${ready ? 'True' : 'False'}`);
    if (ready) {
      out('addons:');
      for (const a of enabled) out(`  ${withRepo ? `${a.repository}/` : ''}${a.name}: enabled`);
      for (const a of disabled) out(`  ${withRepo ? `${a.repository}/` : ''}${a.name}: disabled`);
    } else out(`  message: ${notRunning}`);
  } else if (ready) {
    out('microk8s is running');
    out('high-availability: no');
    out('  datastore master nodes: 127.0.0.1:19001');
    out('  datastore standby nodes: none');
    out('addons:');
    const line = (a) =>
      `    ${a.name.padEnd(20)} # ${withRepo ? `(${a.repository}) ` : ''}${a.description}`;
    if (enabled.length) {
      out('  enabled:');
      for (const a of enabled) out(line(a));
    }
    if (disabled.length) {
      out('  disabled:');
      for (const a of disabled) out(line(a));
    }
  } else out(notRunning);
  return ready ? 0 : 1;
}

// ------------------------------------------------------------------ enable / disable

/** Whether this enable is one of the first N the changeInProgressEnables fault makes fail. */
async function changeInProgress(limit) {
  if (!(limit > 0)) return false;
  try {
    const { withinFirst } = await import(pathToFileURL(path.join(here, '..', 'calls.mjs')).href);
    return withinFirst('microk8s-enable-change-in-progress', limit);
  } catch {
    return false;
  }
}

async function withAddonLock(fn) {
  const lock = `${SNAP_DATA}/var/lock/.microk8s-addon-lock.d`;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(`${lock}/pid`, String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder =
        Number(readJson(`${lock}/pid`, 0)) ||
        Number(fs.existsSync(`${lock}/pid`) ? fs.readFileSync(`${lock}/pid`, 'utf8') : 0);
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = true;
      } catch (x) {
        alive = x.code === 'EPERM';
      }
      if (!holder || !alive) fs.rmSync(lock, { recursive: true, force: true });
      else await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function makeCtx(rel, io, quick = false) {
  const store = new Store();
  const kubectl = new Kubectl({
    store,
    clientVersion: rel.version,
    serverVersion: () => rel.version,
    write: (s) => io.outRaw(s),
    writeErr: (s) => io.errRaw(s),
  });
  return { store, kubectl, rel, io, quick, readStdin: () => readStdinSafe() };
}

function readStdinSafe() {
  try {
    return fs.readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

const STDIO = {
  out: (s = '') => out(s),
  err: (s = '') => err(s),
  outRaw: (s) => process.stdout.write(s),
  errRaw: (s) => process.stderr.write(s),
};

async function runScript(action, name, args, rel, io, opts) {
  const ctx = makeCtx(rel, io, opts.quick);
  ctx.xable = (act, a) =>
    xable(act, a, rel, io, { quick: opts.quick }).catch((e) =>
      e instanceof Exit ? e.code : Promise.reject(e),
    );
  if (!apiserverUp()) {
    io.err(
      'The connection to the server 127.0.0.1:16443 was refused - did you specify the right host or port?',
    );
    throw new Exit(1);
  }
  const code =
    action === 'enable' ? await enableAddon(ctx, name, args) : await disableAddon(ctx, name, args);
  if (code) throw new Exit(code);
}

/** xable() of MicroK8s 1.23 and before: addons are the snap's own enable.<name>.sh scripts. */
async function legacyXable(action, addonArgs, rel, io, opts) {
  const { enabled, disabled, available } = addonStatus(rel, true);
  const xabled = new Set((action === 'enable' ? enabled : disabled).map((a) => a.name));
  const existing = new Set(available.map((a) => a.name));
  if (opts.afterParse) await opts.afterParse();
  const run = async (addon, args) => {
    if (!opts.quick) await waitForReady(30);
    await runScript(action, addon, args, rel, io, opts);
    if (!opts.quick) await waitForReady(30);
  };
  if (addonArgs.length > 1 && addonArgs.every((a) => existing.has(a.split(':')[0]))) {
    for (const a of addonArgs) {
      if (xabled.has(a)) io.out(`Addon ${a} is already ${action}d.`);
      else {
        const [addon, ...args] = a.split(':');
        await run(addon, args);
      }
    }
    return 0;
  }
  const [addon, ...args] = addonArgs[0].split(':');
  if (xabled.has(addon)) {
    io.out(`Addon ${addon} is already ${action}d.`);
    return 0;
  }
  if (!existing.has(addon)) {
    io.err(`Nothing to do for \`${addon}\`.`);
    throw new Exit(1);
  }
  if (args.length && addonArgs.length > 1) {
    const t = action[0].toUpperCase() + action.slice(1);
    io.out(
      `Can't pass string arguments and flag arguments simultaneously!\n${t} an addon with only one argument style at a time:\n\n    microk8s ${action} foo:'bar'\nor\n    microk8s ${action} foo --bar\n`,
    );
    throw new Exit(1);
  }
  await run(addon, args.length ? args : addonArgs.slice(1));
  return 0;
}

/** unprotected_xable() from scripts/wrappers/common/utils.py. */
export async function xable(action, addonArgs, rel, io = STDIO, opts = {}) {
  if (minor(rel) < 24) return legacyXable(action, addonArgs, rel, io, opts);
  const available = availableAddons(rel);
  const ready = isClusterReady(false);
  const { enabled, disabled } = addonStatus(rel, true);
  void ready;
  const xabled = action === 'enable' ? enabled : disabled;
  const pairs = available.map((a) => [a.repository, a.name]);
  const names = new Set([...pairs.map(([, n]) => n), ...pairs.map(([r, n]) => `${r}/${n}`)]);
  const withRepo = minor(rel) >= 24;
  const parseSingle = (arg) => {
    const [name, ...rest] = arg.split(':');
    const parts = name.split('/');
    if (parts.length === 2) return [parts[0], parts[1], rest];
    if (parts.length === 1) {
      const repos = pairs.filter(([, n]) => n === name).map(([r]) => r);
      if (!repos.length) {
        io.err(`Addon ${name} was not found in any repository`);
        throw new Exit(1);
      }
      if (withRepo) io.err(`Infer repository ${repos[0]} for addon ${name}`);
      return [repos[0], name, rest];
    }
    io.out(`Invalid addon name ${name}`);
    throw new Exit(1);
  };
  const argNames = addonArgs.map((a) => a.split(':')[0]);
  let addons;
  const allKnown = argNames.every((n) => names.has(n)) && new Set(argNames).size < names.size;
  if (allKnown) addons = addonArgs.map(parseSingle);
  else {
    const [repo, name, inline] = parseSingle(addonArgs[0]);
    if (inline.length && addonArgs.length > 1) {
      io.out(
        "Can't pass string arguments and flag arguments simultaneously!\nEnable or disable addons with only one argument style at a time:\n\n    microk8s enable foo:'bar'\nor\n    microk8s enable foo --bar\n",
      );
      throw new Exit(1);
    }
    addons = [[repo, name, inline.length ? inline : addonArgs.slice(1)]];
  }
  // The bed's changeInProgressEnables fault: snapd is still finishing the install's change.
  if (opts.afterParse) await opts.afterParse();
  if (addons.length > 1) {
    io.out(
      `WARNING: Do not enable or disable multiple addons in one command.\n         This form of chained operations on addons will be DEPRECATED in the future.\n         Please, ${action} one addon at a time: 'microk8s ${action} <addon>'`,
    );
  }
  for (const [repo, name, args] of addons) {
    if (!pairs.some(([r, n]) => r === repo && n === name)) {
      io.out(`Addon ${repo}/${name} not found`);
      continue;
    }
    if (xabled.some((a) => a.repository === repo && a.name === name)) {
      io.out(`Addon ${withRepo ? `${repo}/` : ''}${name} is already ${action}d`);
      continue;
    }
    if (!opts.quick) await waitForReady(30, false);
    const ctx = makeCtx(rel, io, opts.quick);
    ctx.xable = (act, a) =>
      xable(act, a, rel, io, { quick: opts.quick }).catch((e) =>
        e instanceof Exit ? e.code : Promise.reject(e),
      );
    if (!apiserverUp()) {
      io.err(
        'The connection to the server 127.0.0.1:16443 was refused - did you specify the right host or port?',
      );
      throw new Exit(1);
    }
    const code =
      action === 'enable'
        ? await enableAddon(ctx, name, args)
        : await disableAddon(ctx, name, args);
    if (code) throw new Exit(code);
    if (!opts.quick) await waitForReady(30, false);
  }
  return 0;
}

async function enableOrDisable(action, args, rel) {
  requireRootIfStrict(rel);
  await requirePermissions(rel);
  if (!args.length) {
    err(
      `Usage: microk8s ${action} [OPTIONS] ADDONS...\nTry 'microk8s ${action} -h' for help.\n\nError: Missing argument 'ADDONS...'.`,
    );
    return 2;
  }
  if (args.includes('-h') || args.includes('--help')) {
    if (args[0] === '-h' || args[0] === '--help') {
      out(
        `Usage: microk8s ${action} [OPTIONS] ADDONS...\n\n  ${action === 'enable' ? 'Enable a MicroK8s addon' : 'Disable one or more MicroK8s addons'}.\n\n  For a list of available addons, run \`microk8s status\`.`,
      );
      return 0;
    }
    out(`Addon ${args[0]} does not yet have a help message.`);
    out('For more information about it, visit https://microk8s.io/docs/addons');
    return 0;
  }
  if (fs.existsSync(STOPPED_LOCK)) {
    err('microk8s is not running, try microk8s start');
    return 1;
  }
  await waitForReady(30, false);
  const f = faults();
  return withAddonLock(async () => {
    return xable(action, args, rel, STDIO, {
      afterParse: async () => {
        if (
          action === 'enable' &&
          (await changeInProgress(Number(f.changeInProgressEnables ?? 0)))
        ) {
          // The addon's script restarts a service with snapctl while the install's change runs.
          err('error: snap "microk8s" has "service-control" change in progress');
          throw new Exit(1);
        }
      },
    });
  });
}

// ------------------------------------------------------------------ config / kubectl / ctr

async function config(args, rel) {
  let loopback = false;
  for (const a of args) {
    if (a === '-l' || a === '--use-loopback') loopback = true;
    else if (a === '-h' || a === '--help') {
      out(
        'Usage: microk8s config [OPTIONS]\n\nRetrieve the client config, similar to microk8s kubectl config view --raw\n\nOptions:\n -h, --help          Show this help\n -l, --use-loopback  Report the cluster address using the loopback address\n                     (127.0.0.1) rather than the default interface address',
      );
      return 0;
    } else if (a === '--') break;
    else {
      err(`${args[0]}: unrecognized option '${a}'`);
      return 1;
    }
  }
  await requirePermissions(rel);
  const text = fs.readFileSync(CLIENT_CONFIG, 'utf8');
  process.stdout.write(loopback ? text : text.replaceAll('127.0.0.1', defaultIp()));
  out();
  return 0;
}

function clientConfigNamespace() {
  try {
    const cfg = YAML.parse(fs.readFileSync(CLIENT_CONFIG, 'utf8'));
    const ctx = (cfg.contexts ?? []).find((c) => c.name === cfg['current-context']);
    return { cfg, namespace: ctx?.context?.namespace };
  } catch {
    return { cfg: null, namespace: undefined };
  }
}

async function kubectl(args, rel) {
  if (fs.existsSync(STOPPED_LOCK)) {
    err('microk8s is not running, try microk8s start');
    return 1;
  }
  if (!args.some((a) => a.startsWith('--kubeconfig'))) await requirePermissions(rel);
  const { cfg, namespace } = clientConfigNamespace();
  if (!isLocalKubectl(args) && !apiserverUp()) {
    if (args.filter((a) => !a.startsWith('-'))[0] === 'version') {
      out(`Client Version: ${rel.version}`);
      out(`Kustomize Version: ${new Kubectl({ clientVersion: rel.version }).kustomizeVersion()}`);
    }
    err(
      'The connection to the server 127.0.0.1:16443 was refused - did you specify the right host or port?',
    );
    return 1;
  }
  const k = new Kubectl({
    store: new Store(),
    clientVersion: rel.version,
    serverVersion: () => release().version,
    namespace,
    kubeconfig: { path: CLIENT_CONFIG, config: cfg, server: 'https://127.0.0.1:16443' },
  });
  return k.run(args);
}

function ctrArgs() {
  const file = `${SNAP_DATA}/args/ctr`;
  if (!fs.existsSync(file)) return null;
  return fs
    .readFileSync(file, 'utf8')
    .replaceAll('${SNAP_COMMON}', SNAP_COMMON)
    .replaceAll('${SNAP_DATA}', SNAP_DATA)
    .replaceAll('${SNAP}', SNAP)
    .split(/\s+/)
    .filter(Boolean);
}

async function ctr(args, rel) {
  await requirePermissions(rel);
  const base = ctrArgs();
  if (!base) {
    out(`Arguments file ${SNAP_DATA}/args/ctr is missing.`);
    return 1;
  }
  const r = spawnSync('ctr', [...base, ...args], { stdio: 'inherit' });
  return r.status ?? 1;
}

async function images(args, rel) {
  await requirePermissions(rel);
  const [sub, ...rest] = args;
  if (sub === 'import') {
    const image = rest[0] ?? '-';
    let data;
    if (image === '-') data = fs.readFileSync(0);
    else {
      try {
        data = fs.readFileSync(image);
      } catch (e) {
        err(
          `Error: failed to read ${image}: [Errno ${e.errno === -2 ? 2 : Math.abs(e.errno ?? 0)}] ${e.code === 'ENOENT' ? 'No such file or directory' : e.message}: '${image}'`,
        );
        return 1;
      }
    }
    const ep = `${nodeAddress()}:25000`;
    out(`Pushing OCI images to ${ep}`);
    const base = ctrArgs() ?? [`--address=${CONTAINERD_SOCK}`, '--namespace', 'k8s.io'];
    const r = spawnSync('ctr', [...base, 'image', 'import', '--platform', 'amd64', '-'], {
      input: data,
      encoding: 'utf8',
    });
    if (r.status !== 0) {
      out(`Failed to import images on ${ep}: ${(r.stderr || r.stdout || '').trim()}`);
    }
    return 0;
  }
  if (sub === 'export-local') {
    const base = ctrArgs() ?? [`--address=${CONTAINERD_SOCK}`, '--namespace', 'k8s.io'];
    const [output = '-', ...names] = rest;
    let list = names;
    if (!list.length) {
      list = execFileSync('ctr', [...base, 'image', 'ls', '--quiet'], { encoding: 'utf8' })
        .split('\n')
        .filter((t) => t && !t.startsWith('sha256:'));
    }
    for (const i of list) err(`Checking ${i}`);
    const r = spawnSync('ctr', [...base, 'image', 'export', output, ...list], { stdio: 'inherit' });
    return r.status ?? 1;
  }
  err(
    "Usage: microk8s images [OPTIONS] COMMAND [ARGS]...\nTry 'microk8s images --help' for help.\n",
  );
  err(sub ? `Error: No such command '${sub}'.` : 'Error: Missing command.');
  return 2;
}

function nodeAddress() {
  const node = new Store().list('nodes', null)[0];
  return node?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
}

// ------------------------------------------------------------------ start / stop / inspect

async function services() {
  try {
    return await import(pathToFileURL(path.join(here, '..', 'services.mjs')).href);
  } catch {
    return null;
  }
}

async function stop(args, rel) {
  requireRootIfStrict(rel);
  await requirePermissions(rel);
  if (args.includes('-h') || args.includes('--help')) {
    out(
      'Usage: microk8s stop [OPTIONS]\n\nStop Kubernetes services\n\nOptions:\n -h, --help          Show this help',
    );
    return 0;
  }
  const svc = await services();
  if (!svc) {
    err('Failed to stop microk8s services. Check snapd logs with "journalctl -u snapd.service"');
    return 1;
  }
  await svc.stopService('daemon-kubelite');
  out('Stopped.');
  killContainers();
  await svc.stopService('daemon-containerd');
  out('Stopped.');
  fs.mkdirSync(path.dirname(STOPPED_LOCK), { recursive: true });
  fs.writeFileSync(STOPPED_LOCK, '');
  return 0;
}

async function start(args, rel) {
  requireRootIfStrict(rel);
  await requirePermissions(rel);
  if (args.includes('-h') || args.includes('--help')) {
    out(
      'Usage: microk8s start [OPTIONS]\n\nStart Kubernetes services\n\nOptions:\n -h, --help                   Show this help\n --disable-low-memory-guard   Start MicroK8s in machines with RAM < 512MB',
    );
    return 0;
  }
  const svc = await services();
  if (!svc) {
    out('Failed to start microk8s services. Check snapd logs with "journalctl -u snapd.service"');
    return 1;
  }
  if (!(await svc.isRunning('daemon-containerd'))) await svc.startService('daemon-containerd');
  if (!(await svc.isRunning('daemon-kubelite'))) await svc.startService('daemon-kubelite');
  fs.rmSync(STOPPED_LOCK, { force: true });
  // wait_for_node: until the API server answers and the node is registered.
  for (let i = 0; i < 300 && !(apiserverUp() && new Store().list('nodes', null).length); i++)
    await sleep(200);
  return 0;
}

function revisionDir() {
  try {
    return path.join('/var/snap/microk8s', fs.readlinkSync(SNAP_DATA));
  } catch {
    return SNAP_DATA;
  }
}

async function inspect(args, rel) {
  if (args.includes('--help') || args.includes('-h')) {
    out('This script will inspect your microk8s installation. It will report any issue it finds,');
    out('and create a tarball of logs and traces which can be attached to an issue filed against');
    out('the microk8s project.');
    return 0;
  }
  if (process.getuid() !== 0) {
    if (rel.strict) {
      out('Elevated permissions are needed for this command. Please use sudo.');
      return 1;
    }
    // run_with_sudo: the wrapper re-runs the script through sudo.
    const r = spawnSync(
      'sudo',
      ['--preserve-env', process.execPath, process.argv[1], 'inspect', ...args],
      { stdio: 'inherit' },
    );
    return r.status ?? 1;
  }
  const dataDir = revisionDir();
  const dump = path.join(dataDir, 'inspection-report');
  fs.rmSync(dump, { recursive: true, force: true });
  fs.mkdirSync(dump, { recursive: true });
  let rc = 0;
  out('Inspecting system');
  out('Inspecting Certificates');
  out('Inspecting services');
  const svc = await services();
  const running = async (name) =>
    svc
      ? !!(await svc.isRunning(name))
      : name === 'daemon-kubelite'
        ? apiserverUp()
        : fs.existsSync(CONTAINERD_SOCK);
  for (const name of [
    'daemon-cluster-agent',
    'daemon-containerd',
    'daemon-kubelite',
    'daemon-k8s-dqlite',
    'daemon-apiserver-kicker',
  ]) {
    const unit = `snap.microk8s.${name}`;
    const ok =
      name === 'daemon-containerd' || name === 'daemon-kubelite' ? await running(name) : true;
    fs.mkdirSync(path.join(dump, unit), { recursive: true });
    const logs = collectServiceLog(name);
    fs.writeFileSync(path.join(dump, unit, 'journal.log'), logs);
    fs.writeFileSync(
      path.join(dump, unit, 'systemctl.log'),
      `● ${unit}.service - Service for snap application microk8s.${name}\n     Active: ${ok ? 'active (running)' : 'inactive (dead)'}\n`,
    );
    if (ok) out(`  Service ${unit} is running`);
    else {
      out(`\x1b[31m FAIL: \x1b[0m Service ${unit} is not running`);
      out(`For more details look at: sudo journalctl -u ${unit}`);
      rc = 1;
    }
  }
  out('  Copy service arguments to the final report tarball');
  if (fs.existsSync(`${SNAP_DATA}/args`))
    fs.cpSync(`${SNAP_DATA}/args`, path.join(dump, 'args'), { recursive: true });
  out('Inspecting AppArmor configuration');
  out('Gathering system information');
  const sys = path.join(dump, 'sys');
  fs.mkdirSync(sys, { recursive: true });
  const capture = (file, cmd, cmdArgs) => {
    const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8' });
    fs.writeFileSync(file, `${r.stdout ?? ''}${r.stderr ?? ''}`);
  };
  out('  Copy processes list to the final report tarball');
  capture(path.join(sys, 'ps'), 'ps', ['-ef']);
  out('  Copy disk usage information to the final report tarball');
  capture(path.join(sys, 'df'), 'df', ['-h']);
  out('  Copy memory usage information to the final report tarball');
  capture(path.join(sys, 'free'), 'free', ['-m']);
  out('  Copy server uptime to the final report tarball');
  capture(path.join(sys, 'uptime'), 'uptime', []);
  out('  Copy openSSL information to the final report tarball');
  capture(path.join(sys, 'openssl'), 'openssl', ['version', '-a']);
  out('  Copy snap list to the final report tarball');
  capture(path.join(sys, 'snap-list'), 'snap', ['list']);
  out('  Copy VM name (or none) to the final report tarball');
  out('  Copy current linux distribution to the final report tarball');
  if (fs.existsSync('/etc/os-release'))
    fs.copyFileSync('/etc/os-release', path.join(sys, 'lsb_release'));
  out('  Copy asnycio usage and limits to the final report tarball');
  out('  Copy inotify max_user_instances and max_user_watches to the final report tarball');
  out('  Copy network configuration to the final report tarball');
  const net = path.join(dump, 'network');
  fs.mkdirSync(net, { recursive: true });
  capture(path.join(net, 'ip-addr'), 'ip', ['addr']);
  capture(path.join(net, 'ip-route'), 'ip', ['route']);
  capture(path.join(net, 'iptables'), 'iptables', ['-t', 'nat', '-L', '-n']);
  capture(path.join(net, 'iptables-filter'), 'iptables', ['-L', '-n']);
  out('Inspecting kubernetes cluster');
  out('  Inspect kubernetes cluster');
  const k8s = path.join(dump, 'k8s');
  fs.mkdirSync(k8s, { recursive: true });
  const kube = async (file, kargs) => {
    let text = '';
    const w = (s) => {
      text += s;
    };
    if (!apiserverUp())
      text =
        'The connection to the server 127.0.0.1:16443 was refused - did you specify the right host or port?\n';
    else
      await new Kubectl({
        store: new Store(),
        clientVersion: rel.version,
        serverVersion: () => rel.version,
        write: w,
        writeErr: w,
        kubeconfig: { server: 'https://127.0.0.1:16443' },
      }).run(kargs);
    fs.writeFileSync(path.join(k8s, file), text);
  };
  await kube('version', ['version']);
  await kube('cluster-info', ['cluster-info']);
  await kube('get-all', ['get', 'all', '--all-namespaces', '-o', 'wide']);
  await kube('get-pv', ['get', 'pv']);
  await kube('get-pvc', ['get', 'pvc', '--all-namespaces']);
  await kube('get-events', ['get', 'events', '--all-namespaces']);
  await kube('cluster-info-dump', [
    'get',
    'pods,deployments,replicasets,daemonsets,services,events',
    '--all-namespaces',
    '-o',
    'yaml',
  ]);
  const ctrBase = ctrArgs() ?? [`--address=${CONTAINERD_SOCK}`, '--namespace', 'k8s.io'];
  capture(path.join(k8s, 'ctr-images'), 'ctr', [...ctrBase, 'images', 'ls']);
  if (fs.existsSync(API_DIR))
    fs.cpSync(API_DIR, path.join(dump, 'bed-apiserver'), {
      recursive: true,
      filter: (s) => !s.endsWith('auth.json'),
    });
  fs.writeFileSync(path.join(dump, 'bom.json'), JSON.stringify({ microk8s: rel }, null, 2));
  out('Inspecting dqlite');
  out('  Inspect dqlite');
  suggestFixes();
  out('Building the report tarball');
  const d = new Date();
  const p2 = (n) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p2(d.getMonth() + 1)}${p2(d.getDate())}_${p2(d.getHours())}${p2(d.getMinutes())}${p2(d.getSeconds())}`;
  const tarball = path.join(dataDir, `inspection-report-${stamp}.tar.gz`);
  spawnSync('tar', ['-C', dataDir, '-czf', tarball, 'inspection-report'], { stdio: 'ignore' });
  out(`  Report tarball is at ${tarball}`);
  return rc;
}

function collectServiceLog(name) {
  const parts = [];
  try {
    for (const f of fs.readdirSync(BED_DIR)) {
      if (f === `${name}.log`) parts.push(fs.readFileSync(path.join(BED_DIR, f), 'utf8'));
    }
  } catch {
    // No bed logs.
  }
  return parts.join('\n') || '-- No entries --\n';
}

/** suggest_fixes(): the warnings that matter to registries and networking. */
function suggestFixes() {
  out('');
  const fwd = spawnSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8' });
  if (fwd.status === 0 && /-P FORWARD DROP/.test(fwd.stdout)) {
    out(
      '\x1b[0;33m WARNING: \x1b[0m IPtables FORWARD policy is DROP. Consider enabling traffic forwarding with: sudo iptables -P FORWARD ACCEPT ',
    );
    out('The change can be made persistent with: sudo apt-get install iptables-persistent');
  }
  const hasDocker =
    spawnSync('sh', ['-c', 'command -v dockerd'], { encoding: 'utf8' }).status === 0;
  if (hasDocker) {
    if (!fs.existsSync('/etc/docker/daemon.json')) {
      out('\x1b[0;33mWARNING: \x1b[0m Docker is installed. ');
      out('File "/etc/docker/daemon.json" does not exist. ');
      out('You should create it and add the following lines: ');
      out('{\n    "insecure-registries" : ["localhost:32000"] \n}');
      out('and then restart docker with: sudo systemctl restart docker');
    } else if (!fs.readFileSync('/etc/docker/daemon.json', 'utf8').includes('localhost:32000')) {
      out('\x1b[0;33mWARNING: \x1b[0m Docker is installed. ');
      out('Add the following lines to /etc/docker/daemon.json: ');
      out('{\n    "insecure-registries" : ["localhost:32000"] \n}');
      out('and then restart docker with: sudo systemctl restart docker');
    }
  }
}

// ------------------------------------------------------------------ main

export async function main(argv) {
  const rel = release();
  const [app, ...args] = argv;
  try {
    if (!app) {
      help();
      return 1;
    }
    switch (app) {
      case 'status':
        return await status(args, rel);
      case 'enable':
        return await enableOrDisable('enable', args, rel);
      case 'disable':
        return await enableOrDisable('disable', args, rel);
      case 'config':
        return await config(args, rel);
      case 'kubectl':
        return await kubectl(args, rel);
      case 'ctr':
        return await ctr(args, rel);
      case 'images':
        if (minor(rel) < 25) break;
        return await images(args, rel);
      case 'inspect':
        return await inspect(args, rel);
      case 'start':
        return await start(args, rel);
      case 'stop':
        return await stop(args, rel);
      case 'version':
        await requirePermissions(rel);
        out(`MicroK8s ${rel.version} revision ${rel.revision}`);
        return 0;
      case 'addons':
        await requirePermissions(rel);
        for (const a of availableAddons(rel))
          out(a.repository ? `${a.repository}/${a.name}` : a.name);
        return 0;
      case 'help':
      case '--help':
      case '-h':
        help();
        return 0;
      default:
        if (SUBCOMMANDS.includes(app)) {
          await requirePermissions(rel);
          err(`bed: microk8s ${app} is not emulated`);
          return 1;
        }
    }
    out(`'${app}' is not a valid MicroK8s subcommand.`);
    help();
    return 1;
  } catch (e) {
    if (e instanceof Exit) return e.code;
    throw e;
  }
}

export { toYaml };
