// The `microk8s` command (the snap's microk8s.wrapper and its subcommand wrappers/scripts):
// status, enable/disable and inspect are in microk8s-{status,xable,inspect}.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync, execFileSync } from 'node:child_process';
import {
  SNAP_DATA,
  CLIENT_CONFIG,
  STOPPED_LOCK,
  release,
  minor,
  apiserverUp,
  sleep,
} from './env.mjs';
import { defaultIp } from './credentials.mjs';
import { Store } from './store.mjs';
import { Kubectl, isLocalKubectl } from './kubectl.mjs';
import { kustomizeVersion } from './kubectl-info.mjs';
import { availableAddons } from './addons.mjs';
import { killContainers } from './registry-pod.mjs';
import { dep } from './deps.mjs';
import {
  out,
  err,
  Exit,
  REFUSED,
  requirePermissions,
  requireRootIfStrict,
  ctrArgs,
  ctrArgsOrDefault,
  doublesLib,
} from './microk8s-utils.mjs';
import { status } from './microk8s-status.mjs';
import { enableOrDisable } from './microk8s-xable.mjs';
import { inspect } from './microk8s-inspect.mjs';

// The bootstrap in kubelite.mjs enables the launch configuration's addons with it.
export { xable } from './microk8s-xable.mjs';

const YAML = dep('yaml');

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

function help() {
  out('Available subcommands are:');
  for (const s of SUBCOMMANDS) {
    if (s === 'images' && minor() < 25) continue;
    out(`\t${s}`);
  }
  out('\tinspect');
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
      out(`Kustomize Version: ${kustomizeVersion(minor({ version: rel.version }))}`);
    }
    err(REFUSED);
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
    const r = spawnSync(
      'ctr',
      [...ctrArgsOrDefault(), 'image', 'import', '--platform', 'amd64', '-'],
      { input: data, encoding: 'utf8' },
    );
    if (r.status !== 0) {
      out(`Failed to import images on ${ep}: ${(r.stderr || r.stdout || '').trim()}`);
    }
    return 0;
  }
  if (sub === 'export-local') {
    const base = ctrArgsOrDefault();
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

// ------------------------------------------------------------------ start / stop

/** start and stop: root on strict tracks, --help, and the bed's services.mjs (snapctl's job). */
async function serviceCommand(verb, args, rel, usage, fn) {
  requireRootIfStrict(rel);
  await requirePermissions(rel);
  if (args.includes('-h') || args.includes('--help')) {
    out(usage);
    return 0;
  }
  const svc = await doublesLib('services.mjs');
  if (!svc) {
    // stop.sh reports this on stderr, start.sh on stdout.
    (verb === 'stop' ? err : out)(
      `Failed to ${verb} microk8s services. Check snapd logs with "journalctl -u snapd.service"`,
    );
    return 1;
  }
  return fn(svc);
}

const stop = (args, rel) =>
  serviceCommand(
    'stop',
    args,
    rel,
    'Usage: microk8s stop [OPTIONS]\n\nStop Kubernetes services\n\nOptions:\n -h, --help          Show this help',
    async (svc) => {
      await svc.stopService('daemon-kubelite');
      out('Stopped.');
      killContainers();
      await svc.stopService('daemon-containerd');
      out('Stopped.');
      fs.mkdirSync(path.dirname(STOPPED_LOCK), { recursive: true });
      fs.writeFileSync(STOPPED_LOCK, '');
      return 0;
    },
  );

const start = (args, rel) =>
  serviceCommand(
    'start',
    args,
    rel,
    'Usage: microk8s start [OPTIONS]\n\nStart Kubernetes services\n\nOptions:\n -h, --help                   Show this help\n --disable-low-memory-guard   Start MicroK8s in machines with RAM < 512MB',
    async (svc) => {
      if (!(await svc.isRunning('daemon-containerd'))) await svc.startService('daemon-containerd');
      if (!(await svc.isRunning('daemon-kubelite'))) await svc.startService('daemon-kubelite');
      fs.rmSync(STOPPED_LOCK, { force: true });
      // wait_for_node: until the API server answers and the node is registered.
      for (let i = 0; i < 300 && !(apiserverUp() && new Store().list('nodes', null).length); i++)
        await sleep(200);
      return 0;
    },
  );

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
      case 'disable':
        return await enableOrDisable(app, args, rel);
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
