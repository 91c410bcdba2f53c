// `microk8s enable` and `microk8s disable`: the wrapper's argument forms, its addon lock, and
// xable() of utils.py, which runs each addon's script (addon-scripts.mjs).
import fs from 'node:fs';
import path from 'node:path';
import {
  SNAP_DATA,
  STOPPED_LOCK,
  minor,
  faults,
  apiserverUp,
  readJson,
  pidAlive,
  sleep,
} from './env.mjs';
import { Store } from './store.mjs';
import { Kubectl } from './kubectl.mjs';
import { availableAddons } from './addons.mjs';
import { enableAddon, disableAddon } from './addon-scripts.mjs';
import {
  out,
  err,
  STDIO,
  Exit,
  REFUSED,
  requirePermissions,
  requireRootIfStrict,
  waitForReady,
  addonStatus,
  doublesLib,
} from './microk8s-utils.mjs';

/** Whether this enable is one of the first N the changeInProgressEnables fault makes fail. */
async function changeInProgress(limit) {
  if (!(limit > 0)) return false;
  const calls = await doublesLib('calls.mjs');
  try {
    return calls ? calls.withinFirst('microk8s-enable-change-in-progress', limit) : false;
  } catch {
    return false;
  }
}

/** One enable or disable at a time, as the wrapper's lock directory makes it. */
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
      // A holder that is gone leaves its lock behind.
      if (!pidAlive(Number(readJson(`${lock}/pid`, 0))))
        fs.rmSync(lock, { recursive: true, force: true });
      else await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function readStdinSafe() {
  try {
    return fs.readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Runs an addon's enable or disable script (throws Exit with its failure), waiting for the
 * cluster before and after unless quick (the kubelite bootstrap's launch configuration).
 */
async function runScript(action, name, args, rel, io, opts, withReadyNode) {
  if (!opts.quick) await waitForReady(30, withReadyNode);
  const store = new Store();
  const kubectl = new Kubectl({
    store,
    clientVersion: rel.version,
    serverVersion: () => rel.version,
    write: (s) => io.outRaw(s),
    writeErr: (s) => io.errRaw(s),
  });
  const ctx = {
    store,
    kubectl,
    rel,
    io,
    quick: opts.quick,
    readStdin: readStdinSafe,
    xable: (act, a) =>
      xable(act, a, rel, io, { quick: opts.quick }).catch((e) =>
        e instanceof Exit ? e.code : Promise.reject(e),
      ),
  };
  if (!apiserverUp()) {
    io.err(REFUSED);
    throw new Exit(1);
  }
  const code =
    action === 'enable' ? await enableAddon(ctx, name, args) : await disableAddon(ctx, name, args);
  if (code) throw new Exit(code);
  if (!opts.quick) await waitForReady(30, withReadyNode);
}

/** xable() of MicroK8s 1.23 and before: addons are the snap's own enable.<name>.sh scripts. */
async function legacyXable(action, addonArgs, rel, io, opts) {
  const { enabled, disabled, available } = addonStatus(rel, true);
  const xabled = new Set((action === 'enable' ? enabled : disabled).map((a) => a.name));
  const existing = new Set(available.map((a) => a.name));
  if (opts.afterParse) await opts.afterParse();
  const run = (addon, args) => runScript(action, addon, args, rel, io, opts, true);
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
  const { enabled, disabled } = addonStatus(rel, true);
  const xabled = action === 'enable' ? enabled : disabled;
  const pairs = available.map((a) => [a.repository, a.name]);
  const names = new Set([...pairs.map(([, n]) => n), ...pairs.map(([r, n]) => `${r}/${n}`)]);
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
      io.err(`Infer repository ${repos[0]} for addon ${name}`);
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
      io.out(`Addon ${repo}/${name} is already ${action}d`);
      continue;
    }
    await runScript(action, name, args, rel, io, opts, false);
  }
  return 0;
}

/** `microk8s enable|disable ADDON...`. */
export async function enableOrDisable(action, args, rel) {
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
  return withAddonLock(() =>
    xable(action, args, rel, STDIO, {
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
    }),
  );
}
