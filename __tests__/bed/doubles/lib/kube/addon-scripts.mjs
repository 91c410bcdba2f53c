// The addons' enable/disable scripts ($SNAP_COMMON/addons/core/addons/<name>/{enable,disable}):
// their argument handling, output and exit codes, applying manifests through kubectl.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { SNAP_DATA, SNAP_COMMON, minor, sleep } from './env.mjs';
import {
  dnsManifest,
  storageManifest,
  registryManifest,
  metallbCrds,
  metallbManifest,
  metallbPool,
  ingressManifest,
  metricsServerManifest,
} from './addon-manifests.mjs';
import { resourceForKind } from './resources.mjs';

const REGEX_DISK_SIZE = /(^[2-9][0-9]{1,}|^[1-9][0-9]{2,})(Gi$)/;

function kubeletArgs() {
  try {
    return fs.readFileSync(`${SNAP_DATA}/args/kubelet`, 'utf8');
  } catch {
    return null;
  }
}

/** refresh_opt_in_config: sets `--opt=value` in an args file. */
function refreshOpt(file, opt, value) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return;
  }
  const re = new RegExp(`^--${opt}[= ].*$`, 'm');
  text = re.test(text)
    ? text.replace(re, `--${opt}=${value}`)
    : `${text.replace(/\n?$/, '\n')}--${opt}=${value}\n`;
  fs.writeFileSync(file, text);
}

/** scripts/find-resolv-conf.py: the first resolv.conf whose nameservers are all non-loopback. */
function findResolvConf() {
  const loopback = (a) => /^127\./.test(a) || a === '::1' || a === '0:0:0:0:0:0:0:1';
  for (const f of ['/etc/resolv.conf', '/run/systemd/resolve/resolv.conf']) {
    try {
      const ns = [...fs.readFileSync(f, 'utf8').matchAll(/^\s*nameserver\s+(\S*)\s*$/gm)].map(
        (m) => m[1],
      );
      if (ns.length && ns.every((n) => !loopback(n.split('%')[0]) && /^[\d.]+$|:/.test(n)))
        return f;
    } catch {
      // Not there.
    }
  }
  return null;
}

function ipRoutable(ip) {
  try {
    execFileSync('ip', ['route', 'get', ip], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Applies an addon's objects; says `done` if that worked, else fails (1). */
function deploy(ctx, objs, done) {
  if (!ctx.kubectl.applyObjects(objs)) return 1;
  ctx.io.out(done);
  return 0;
}

function deleteObjects(ctx, objs) {
  for (const obj of [...objs].reverse()) {
    const r = resourceForKind(obj.apiVersion, obj.kind, ctx.store);
    if (!r) continue;
    if (ctx.store.delete(r, r.namespaced ? obj.metadata.namespace : null, obj.metadata.name)) {
      ctx.io.out(`${r.singular} "${obj.metadata.name}" deleted`);
    }
  }
}

async function enableDns(ctx, args) {
  const { io, rel } = ctx;
  const m = minor(rel);
  io.out('Enabling DNS');
  const first = (args[0] ?? '').trim();
  let nameservers;
  if (!first || first === '/etc/resolv.conf') {
    const resolv = /--resolv-conf[= ](\S+)/.exec(kubeletArgs() ?? '')?.[1];
    if (resolv) {
      io.out(`Using host configuration from ${resolv}`);
      nameservers = '/etc/resolv.conf';
    } else {
      const host = findResolvConf();
      if (host) {
        io.out(`Using host configuration from ${host}`);
        refreshOpt(`${SNAP_DATA}/args/kubelet`, 'resolv-conf', host);
        nameservers = '/etc/resolv.conf';
      } else {
        io.out('No valid resolv.conf file could be found');
        io.out('Falling back to 8.8.8.8 8.8.4.4 as upstream nameservers');
        nameservers = '8.8.8.8 8.8.4.4';
      }
    }
  } else {
    let list = '';
    for (const ns of first.split(/[,\s]+/).filter(Boolean)) {
      if (!ipRoutable(ns)) {
        io.out(`Your input value (${ns}) is not a valid and reachable IP address`);
        return 1;
      }
      list = `${list} ${ns}`;
    }
    io.out(`Will use ${list} as upstream nameservers`);
    nameservers = list.trim();
  }
  io.out('Applying manifest');
  if (!ctx.kubectl.applyObjects(dnsManifest(rel, nameservers))) return 1;
  await sleep(ctx.quick ? 0 : 1000);
  const svc = ctx.store.get('services', 'kube-system', 'kube-dns');
  const dnsIP = svc?.spec?.clusterIP ?? '';
  io.out(`CoreDNS service deployed with IP address ${dnsIP}`);
  const kargs = kubeletArgs();
  const needsRestart =
    kargs !== null &&
    (!kargs.includes('--cluster-domain=cluster.local') ||
      !kargs.includes(`--cluster-dns=${dnsIP}`));
  refreshOpt(`${SNAP_DATA}/args/kubelet`, 'cluster-domain', 'cluster.local');
  refreshOpt(`${SNAP_DATA}/args/kubelet`, 'cluster-dns', dnsIP);
  if (needsRestart || m < 24) io.out('Restarting kubelet');
  io.out('DNS is enabled');
  return 0;
}

async function enableHostpath(ctx, args) {
  const { io, rel } = ctx;
  let reclaimPolicy = 'Delete';
  let defaultClass = 'true';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const take = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i]);
    if (a === '-r' || a.startsWith('--reclaim-policy')) reclaimPolicy = take();
    else if (a === '-d' || a.startsWith('--default-class')) defaultClass = take();
    else if (a === '-h' || a === '--help') {
      io.out(
        'Options:\n -h, --help            Show this help\n -r, --reclaim-policy  Set the reclaim policy. Available options are Delete (default) and Retain.\n -d, --default-class   Set the storage class as default. Available options are true (default) and false.',
      );
      return 0;
    } else if (a.startsWith('-')) {
      io.err(`getopt: unrecognized option '${a}'`);
      return 1;
    } else {
      io.out(`invalid option -- ${a}`);
      return 1;
    }
  }
  if (!['Delete', 'Retain'].includes(reclaimPolicy)) {
    io.out(
      "\nPlease check submitted arguments.\nYou can use '--reclaim-policy' to set the reclaim policy. Allowed values: Delete Retain. Defaults to 'Delete'.\n   microk8s enable hostpath-storage --reclaim-policy=Retain",
    );
    return 1;
  }
  if (!['true', 'false'].includes(defaultClass)) {
    io.out(
      "\nPlease check submitted arguments.\nYou can use '--default-class' to set the storage class as default. Allowed values: true false. Defaults to 'true'.\n   microk8s enable hostpath-storage --default-class=true",
    );
    return 1;
  }
  io.out('Enabling default storage class.');
  io.out('WARNING: Hostpath storage is not suitable for production environments.');
  if (minor(rel) >= 28)
    io.out(
      '         A hostpath volume can grow beyond the size limit set in the volume claim manifest.',
    );
  io.out('');
  fs.mkdirSync(`${SNAP_COMMON}/default-storage`, { recursive: true });
  return deploy(
    ctx,
    storageManifest(rel, { reclaimPolicy, defaultClass }),
    'Storage will be available soon.',
  );
}

/** `storage` from 1.24: a deprecated alias of hostpath-storage. */
async function enableStorageAlias(ctx) {
  const spelled = minor(ctx.rel) >= 28 ? 'DEPRECATION' : 'DEPRECIATION';
  ctx.io.out(
    `${spelled} WARNING: 'storage' is deprecated and will soon be removed. Please use 'hostpath-storage' instead.`,
  );
  ctx.io.out('');
  return ctx.xable('enable', ['hostpath-storage']);
}

async function enableRegistryClick(ctx, args) {
  const { io } = ctx;
  let size = '20Gi';
  let storageclass = null;
  let sizeOpt = '';
  const usage = (msg) => {
    io.err(`Usage: enable [OPTIONS] [SIZE_OPT]\nTry 'enable --help' for help.\n\nError: ${msg}`);
    return 2;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--size' || a === '--storageclass') {
      if (i + 1 >= args.length) return usage(`Option '${a}' requires an argument.`);
      if (a === '--size') size = args[++i];
      else storageclass = args[++i];
    } else if (a.startsWith('--size=')) size = a.slice(7);
    else if (a.startsWith('--storageclass=')) storageclass = a.slice(15);
    else if (a === '--help' || a === '-h') {
      io.out(
        'Usage: enable [OPTIONS] [SIZE_OPT]\n\nOptions:\n  --size TEXT          Size of the registry\n  --storageclass TEXT  Storage class to be used\n  --help               Show this message and exit.',
      );
      return 0;
    } else if (a.startsWith('-')) return usage(`No such option: ${a.split('=')[0]}`);
    else if (sizeOpt) return usage(`Got unexpected extra argument (${a})`);
    else sizeOpt = a;
  }
  if (storageclass === null) await ctx.xable('enable', ['hostpath-storage']);
  const classes = ctx.store.list('storageclasses', null).map((s) => s.metadata.name);
  if (storageclass !== null && !classes.includes(storageclass)) {
    io.out(`ERROR: Storage class ${storageclass} doesn't exist.`);
    return 1;
  }
  if (sizeOpt) {
    const parts = sizeOpt.split('=');
    if (parts.length === 2 && parts[0] === 'size') {
      size = parts[1];
      io.out(
        'WARNING: This style of specifying size is deprecated. Use newer --size argument instead.',
      );
    } else {
      io.out(
        'ERROR: Failed to parse arguments. Use --size and --storageclass to specify custom size and storage class.',
      );
      return 1;
    }
  }
  if (!REGEX_DISK_SIZE.test(size)) {
    io.out(
      `ERROR: The size of the registry should be higher or equal to 20Gi and match the regex: ${REGEX_DISK_SIZE.source}`,
    );
    return 1;
  }
  io.out(`The registry will be created with the size of ${size}.`);
  if (storageclass !== null) io.out(`Storage class ${storageclass} will be used.`);
  else io.out('Default storage class will be used.');
  ctx.kubectl.applyObjects(registryManifest(size, storageclass));
  return 0;
}

/** The registry's enable script before 1.25 (bash): `registry[:size=NNGi]`. */
async function enableRegistryBash(ctx, args) {
  const { io } = ctx;
  const storage = minor(ctx.rel) >= 24 ? 'hostpath-storage' : 'storage';
  const arg = (args[0] ?? '').trim();
  if (!arg) {
    io.out('The registry will be created with the default size of 20Gi.');
    io.out(
      'You can use the "size" argument while enabling the registry, eg microk8s.enable registry:size=30Gi',
    );
    await ctx.xable('enable', [storage]);
    io.out('Applying registry manifest');
    return deploy(ctx, registryManifest('20Gi'), 'The registry is enabled');
  }
  const onlySize = () => {
    io.out('The only authorized argument is "size", eg  microk8s.enable registry:size=30Gi');
    io.out('The "size" value should match the regex: ([a-zA-Z]+=[a-zA-Z0-9]+(,|))');
    return 1;
  };
  if (!/([a-zA-Z]+=[a-zA-Z0-9]+(,|))/.test(arg)) return onlySize();
  let value;
  for (const kv of arg.split(',')) {
    const [key, v] = kv.split('=');
    if (key !== 'size') return onlySize();
    if (!REGEX_DISK_SIZE.test(v ?? '')) {
      io.out(
        `The size of the registry should be higher or equal to 20Gi and match the regex: ${REGEX_DISK_SIZE.source}`,
      );
      return 1;
    }
    value = v;
    await ctx.xable('enable', [storage]);
  }
  io.out('Enabling the private registry');
  io.out('Applying registry manifest');
  if (deploy(ctx, registryManifest(value), 'The registry is enabled')) return 1;
  io.out(`The size of the persistent volume is ${value}`);
  return 0;
}

async function enableMetallb(ctx, args) {
  const { io } = ctx;
  io.out('Enabling MetalLB');
  let input = args.join(' ').trim();
  if (!input) {
    io.outRaw(
      "Enter each IP address range delimited by comma (e.g. '10.64.140.43-10.64.140.49,192.168.0.105-192.168.0.111'): ",
    );
    input = (ctx.readStdin() ?? '').split('\n')[0].trim();
    if (!input) {
      io.out(
        'You have to input an IP Range value when asked, or provide it as an argument to the enable command, eg:',
      );
      io.out('  microk8s enable metallb 10.64.140.43-10.64.140.49,192.168.0.105-192.168.0.111');
      io.out('You can also use CIDR notation, eg.');
      io.out('  microk8s enable metallb 192.168.1.240/24');
      return 1;
    }
  }
  const v4range =
    /^[0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*-[0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*$/;
  const v4cidr = /^[0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\.[0-9]{1,3}\/[0-9]{1,3}$/;
  const v6 =
    /^(([0-9a-fA-F]{1,4}:){1,7}((([0-9a-fA-F]{1,4})?(:[0-9a-fA-F]{1,4}){1,6})|:))(-(([0-9a-fA-F]{1,4}:){1,7}((([0-9a-fA-F]{1,4})?(:[0-9a-fA-F]{1,4}){1,6})|:))|\/[0-9]{1,3})$/;
  const ranges = input.split(/[,\s]+/).filter(Boolean);
  for (const r of ranges) {
    if (!(v4range.test(r) || v4cidr.test(r) || v6.test(r))) {
      io.out(`Your input value (${r}) is not a valid IP Range`);
      return 1;
    }
  }
  io.out('Applying Metallb manifest');
  if (!ctx.kubectl.applyObjects(metallbCrds())) return 1;
  if (!ctx.kubectl.applyObjects(metallbManifest())) return 1;
  io.out('Waiting for Metallb controller to be ready.');
  for (;;) {
    const deadline = Date.now() + (ctx.quick ? 2000 : 30_000);
    let ok = false;
    while (Date.now() < deadline) {
      const d = ctx.store.get('deployments', 'metallb-system', 'controller');
      if (
        (d?.status?.conditions ?? []).some((c) => c.type === 'Available' && c.status === 'True') &&
        (d.status.observedGeneration ?? 0) >= d.metadata.generation
      ) {
        ok = true;
        break;
      }
      await sleep(200);
    }
    if (ok) {
      io.out('deployment.apps/controller condition met');
      break;
    }
    io.err('error: timed out waiting for the condition on deployments/controller');
    io.out('MetalLB controller is still not ready');
    await sleep(1000);
  }
  ctx.kubectl.applyObjects(metallbPool(ranges));
  io.out('MetalLB is enabled');
  return 0;
}

async function enableIngress(ctx, args) {
  const { io } = ctx;
  const arg = (args[0] ?? '').trim();
  const [key, value] = arg.split('=');
  if (key && key !== 'default-ssl-certificate') {
    io.out(`Unknown argument '${key}'.`);
    io.out(
      "You can use 'default-ssl-certificate' to load the default TLS certificate from a secret, eg",
    );
    io.out('   microk8s enable ingress:default-ssl-certificate=namespace/secret_name');
    return 1;
  }
  io.out('Enabling Ingress');
  if (value) io.out(`Setting ${value} as default ingress certificate`);
  return deploy(ctx, ingressManifest(ctx.rel), 'Ingress is enabled');
}

async function enableMetricsServer(ctx) {
  ctx.io.out('Enabling Metrics-Server');
  return deploy(ctx, metricsServerManifest(), 'Metrics-Server is enabled');
}

async function enableRbac(ctx) {
  ctx.io.out('Enabling RBAC');
  ctx.io.out('Reconfiguring apiserver');
  ctx.kubectl.applyObjects([
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: {
        name: 'cluster-admin',
        labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
      },
      rules: [
        { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
        { nonResourceURLs: ['*'], verbs: ['*'] },
      ],
    },
  ]);
  ctx.io.out('RBAC is enabled');
  return 0;
}

async function enableUnemulated(ctx, name) {
  fs.mkdirSync(`${SNAP_DATA}/var/lock`, { recursive: true });
  fs.writeFileSync(`${SNAP_DATA}/var/lock/bed-addon-${name}`, '');
  ctx.io.err(`bed: the ${name} addon is not emulated; it is only marked enabled`);
  return 0;
}

export async function enableAddon(ctx, name, args) {
  const m = minor(ctx.rel);
  switch (name) {
    case 'dns':
      return enableDns(ctx, args);
    case 'hostpath-storage':
      return enableHostpath(ctx, args);
    case 'storage':
      // Before 1.24 `storage` was the addon itself; from 1.24 it is a deprecated alias.
      return m < 24 ? enableHostpath(ctx, args) : enableStorageAlias(ctx, args);
    case 'registry':
      return m >= 25 ? enableRegistryClick(ctx, args) : enableRegistryBash(ctx, args);
    case 'metallb':
      return enableMetallb(ctx, args);
    case 'ingress':
      return enableIngress(ctx, args);
    case 'metrics-server':
      return enableMetricsServer(ctx, args);
    case 'rbac':
      return enableRbac(ctx, args);
    default:
      return enableUnemulated(ctx, name);
  }
}

// What each disable script says, the objects it removes, and what it says at the end.
const DISABLE = {
  dns: [
    ['Disabling DNS', 'Reconfiguring kubelet', 'Removing DNS manifest'],
    (rel) => dnsManifest(rel, '/etc/resolv.conf'),
    'DNS is disabled',
  ],
  'hostpath-storage': [['Disabling hostpath storage.'], storageManifest, 'Storage removed.'],
  storage: [['Disabling hostpath storage.'], storageManifest, 'Storage removed.'],
  registry: [
    ['Disabling the private registry'],
    () => registryManifest('20Gi').filter((o) => o.kind !== 'PersistentVolumeClaim'),
    "The registry is disabled. Use 'microk8s disable hostpath-storage:destroy-storage' to free the storage space.",
  ],
  metallb: [
    ['Disabling MetalLB'],
    () => [...metallbCrds(), ...metallbManifest()],
    'MetalLB is disabled',
  ],
  ingress: [['Disabling Ingress'], ingressManifest, 'Ingress is disabled'],
  'metrics-server': [
    ['Disabling Metrics-Server'],
    metricsServerManifest,
    'Metrics-Server is disabled',
  ],
};

export async function disableAddon(ctx, name) {
  if (!Object.hasOwn(DISABLE, name)) {
    fs.rmSync(`${SNAP_DATA}/var/lock/bed-addon-${name}`, { force: true });
    return 0;
  }
  const [say, objects, done] = DISABLE[name];
  for (const line of say) ctx.io.out(line);
  deleteObjects(ctx, objects(ctx.rel));
  ctx.io.out(done);
  return 0;
}
