// kubectl apply, create and run: the commands that make objects.
import fs from 'node:fs';
import path from 'node:path';
import { KubectlError } from './errors.mjs';
import { qualifiedPlural } from './resources.mjs';
import { clone, sameJson } from './json.mjs';
import { goJson } from './jsonpath.mjs';
import { threeWayMerge, jsonMergePatch } from './patch.mjs';
import { parseFlags, subcommand, OUTPUT_FLAGS, DRY_RUN_FLAG, FILE_FLAGS } from './flags.mjs';
import { checkOutput, printMutations } from './kubectl-output.mjs';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export async function cmdApply(k, args) {
  const spec = {
    ...OUTPUT_FLAGS,
    ...FILE_FLAGS,
    ...DRY_RUN_FLAG,
    selector: { short: 'l', type: 'string' },
    kustomize: { short: 'k', type: 'string' },
    validate: { type: 'string', def: 'strict', noOpt: 'strict' },
    'server-side': { type: 'bool' },
    'force-conflicts': { type: 'bool' },
    'field-manager': { type: 'string', def: 'kubectl-client-side-apply' },
    overwrite: { type: 'bool', def: true },
    prune: { type: 'bool' },
    force: { type: 'bool' },
    'grace-period': { type: 'int', def: -1 },
    timeout: { type: 'string', def: '0s' },
    wait: { type: 'bool' },
    'openapi-patch': { type: 'bool', def: true },
    'save-config': { type: 'bool' },
  };
  const { flags, positional } = parseFlags(args, spec, 'apply');
  if (['view-last-applied', 'set-last-applied', 'edit-last-applied'].includes(positional[0])) {
    throw new KubectlError(`error: kubectl apply ${positional[0]} is not supported by the bed`);
  }
  if (positional.length) {
    throw new KubectlError(
      `error: Unexpected args: [${positional.join(' ')}]\nSee 'kubectl apply -h' for help and examples`,
    );
  }
  if (!flags.filename.length && !flags.kustomize) {
    throw new KubectlError(
      "error: must specify one of -f and -k\n\nSee 'kubectl apply -h' for help and examples",
    );
  }
  if (flags.kustomize) throw new KubectlError('error: kustomize (-k) is not supported by the bed');
  const dry = k.dryRun(flags['dry-run']);
  checkOutput(flags.output);
  const objs = k.objectsFromFiles(flags, {
    validate: flags.validate !== 'false' && flags.validate !== 'ignore',
  });
  const applied = objs.map((item) => applyOne(k, item, flags, dry)).filter(Boolean);
  printMutations(k, applied, flags, dry);
  return k.failed ? 1 : 0;
}

/** `kubectl apply -f -` of in-memory manifests; prints like apply, false if any failed. */
export function applyObjects(k, objs, source) {
  const flags = { namespace: undefined, output: '' };
  const done = [];
  for (const obj of objs) {
    const r = k.resourceOf(obj, source);
    const item = r && applyOne(k, { obj, r, source }, flags, null);
    if (item) done.push(item);
  }
  printMutations(k, done, flags, null);
  return !k.failed;
}

/** Client-side apply of one object; reports its own errors, returns {r, obj, verb} or null. */
function applyOne(k, { obj, r, source }, flags, dry) {
  if (!obj.metadata?.name) {
    k.fail(
      `error: error when retrieving current configuration of:\nResource: "${qualifiedPlural(r)}", GroupVersionKind: "${obj.apiVersion}, Kind=${obj.kind}"\nName: "", Namespace: "${obj.metadata?.namespace ?? ''}"\nfrom server for: "${source}": resource name may not be empty`,
    );
    return null;
  }
  let nsName;
  try {
    nsName = k.objectNamespace(r, obj, flags);
  } catch (e) {
    k.fail(e.message);
    return null;
  }
  const desired = clone(obj);
  desired.metadata = { ...desired.metadata };
  if (r.namespaced) desired.metadata.namespace = nsName;
  desired.metadata.annotations = {
    ...(desired.metadata.annotations ?? {}),
    [LAST_APPLIED]: lastApplied(desired),
  };
  const live = k.store.getRaw(r.plural, nsName, desired.metadata.name);
  try {
    if (!live) return { r, obj: k.store.create(r, desired, { dryRun: !!dry }), verb: 'created' };
    const merged = threeWayMerge(
      live,
      desired,
      safeJson(live.metadata.annotations?.[LAST_APPLIED]),
    );
    if (dry) {
      const verb = sameJson(stripVolatile(live), stripVolatile(merged))
        ? 'unchanged'
        : 'configured';
      return { r, obj: k.store.merge(r.plural, merged), verb };
    }
    const { obj: updated, changed } = k.store.update(r, merged);
    return { r, obj: updated, verb: changed ? 'configured' : 'unchanged' };
  } catch (e) {
    k.apiErr(e, `error when ${live ? 'applying patch' : 'creating'} "${source}"`);
    return null;
  }
}

/** The last-applied-configuration annotation: the object as applied, without that annotation. */
function lastApplied(obj) {
  const copy = clone(obj);
  if (copy.metadata?.annotations) {
    delete copy.metadata.annotations[LAST_APPLIED];
    if (!Object.keys(copy.metadata.annotations).length) delete copy.metadata.annotations;
  }
  return goJson(copy) + '\n';
}

function safeJson(s) {
  try {
    return s ? JSON.parse(s) : null;
  } catch {
    return null;
  }
}

function stripVolatile(o) {
  const c = clone(o);
  delete c.metadata.resourceVersion;
  delete c.metadata.generation;
  delete c.status;
  return c;
}

// `--from-file=[key=]path` and `--from-literal=key=value` entries as [key, value] pairs.
const fileEntries = (list, defaultKey) =>
  list.map((f) => (f.includes('=') ? f.split('=') : [defaultKey(f), f]));
const literalEntries = (list) =>
  list.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
const base64 = (b) => Buffer.from(b).toString('base64');

export async function cmdCreate(k, args) {
  const base = {
    ...OUTPUT_FLAGS,
    ...DRY_RUN_FLAG,
    'save-config': { type: 'bool' },
    validate: { type: 'string', def: 'strict', noOpt: 'strict' },
    'field-manager': { type: 'string', def: 'kubectl-create' },
  };
  const { sub } = subcommand(args);
  const rest = args.filter((a) => a !== sub);
  /** Parses the subcommand's flags and its one NAME. */
  const parse = (argv, extra, what) => {
    const { flags, positional } = parseFlags(argv, { ...base, ...extra }, `create ${what}`);
    if (positional.length !== 1) {
      throw new KubectlError(
        `error: exactly one NAME is required, got ${positional.length}\nSee 'kubectl create ${what} -h' for help and examples`,
      );
    }
    return { flags, name: positional[0] };
  };
  const emit = (plural, obj, flags) => {
    const r = k.resource(plural);
    const dry = k.dryRun(flags['dry-run']);
    checkOutput(flags.output);
    let created;
    try {
      created =
        dry === 'client' ? clone(obj) : k.store.create(r, obj, { dryRun: dry === 'server' });
    } catch (e) {
      if (e.code === 409 && (r.plural === 'secrets' || r.plural === 'configmaps'))
        throw new KubectlError(`error: failed to create ${r.singular} ${e.message}`);
      throw e;
    }
    printMutations(k, [{ r, obj: created, verb: 'created' }], flags, dry);
    return 0;
  };
  /** A secret lands in the namespace; a client dry run shows it in -n's, if given. */
  const emitSecret = (flags, name, type, data) => {
    const metadata = { name };
    if (flags.__set.has('namespace')) metadata.namespace = flags.namespace;
    const obj = { apiVersion: 'v1', kind: 'Secret', metadata, data };
    if (type) obj.type = type;
    if (!k.dryRun(flags['dry-run'])) metadata.namespace = k.ns(flags);
    return emit('secrets', obj, flags);
  };
  switch (sub) {
    case 'namespace':
    case 'ns': {
      const { flags, name } = parse(rest, {}, 'namespace');
      return emit('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, flags);
    }
    case 'serviceaccount':
    case 'sa': {
      const { flags, name } = parse(rest, {}, 'serviceaccount');
      const metadata = { name, namespace: k.ns(flags) };
      return emit('serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata }, flags);
    }
    case 'secret': {
      const { sub: kind, rest: secretArgs } = subcommand(rest);
      if (kind === 'docker-registry') {
        const spec = {
          'docker-server': { type: 'string', def: 'https://index.docker.io/v1/' },
          'docker-username': { type: 'string' },
          'docker-password': { type: 'string' },
          'docker-email': { type: 'string' },
          'from-file': { type: 'array', split: false },
          'append-hash': { type: 'bool' },
        };
        const { flags, name } = parse(secretArgs, spec, 'secret docker-registry');
        let data;
        if (flags['from-file'].length) {
          data = {};
          for (const [key, p] of fileEntries(flags['from-file'], () => '.dockerconfigjson'))
            data[key] = base64(fs.readFileSync(p));
        } else {
          if (!flags['docker-username'] || !flags['docker-password']) {
            throw new KubectlError(
              `error: either --from-file or the combination of --docker-username, --docker-password and --docker-server is required`,
            );
          }
          const entry = { username: flags['docker-username'], password: flags['docker-password'] };
          if (flags['docker-email']) entry.email = flags['docker-email'];
          entry.auth = base64(`${entry.username}:${entry.password}`);
          const cfg = { auths: { [flags['docker-server']]: entry } };
          data = { '.dockerconfigjson': base64(JSON.stringify(cfg)) };
        }
        return emitSecret(flags, name, 'kubernetes.io/dockerconfigjson', data);
      }
      if (kind === 'generic' || kind === 'tls') {
        const spec = {
          'from-literal': { type: 'array', split: false },
          'from-file': { type: 'array', split: false },
          'from-env-file': { type: 'array', split: false },
          type: { type: 'string' },
          cert: { type: 'string' },
          key: { type: 'string' },
          'append-hash': { type: 'bool' },
        };
        const { flags, name } = parse(secretArgs, spec, `secret ${kind}`);
        const data = {};
        if (kind === 'tls') {
          data['tls.crt'] = base64(fs.readFileSync(flags.cert));
          data['tls.key'] = base64(fs.readFileSync(flags.key));
        }
        for (const [key, v] of literalEntries(flags['from-literal'])) data[key] = base64(v);
        for (const [key, p] of fileEntries(flags['from-file'], path.basename))
          data[key] = base64(fs.readFileSync(p));
        return emitSecret(flags, name, kind === 'tls' ? 'kubernetes.io/tls' : flags.type, data);
      }
      throw new KubectlError(`error: unknown command "${kind ?? ''}" for "kubectl create secret"`);
    }
    case 'configmap':
    case 'cm': {
      const spec = {
        'from-literal': { type: 'array', split: false },
        'from-file': { type: 'array', split: false },
        'append-hash': { type: 'bool' },
      };
      const { flags, name } = parse(rest, spec, 'configmap');
      const data = {};
      for (const [key, v] of literalEntries(flags['from-literal'])) data[key] = v;
      for (const [key, p] of fileEntries(flags['from-file'], path.basename))
        data[key] = fs.readFileSync(p, 'utf8');
      const metadata = { name, namespace: k.ns(flags) };
      return emit('configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata, data }, flags);
    }
    case 'deployment':
    case 'deploy': {
      const spec = {
        image: { type: 'array' },
        replicas: { short: 'r', type: 'int', def: 1 },
        port: { type: 'int', def: -1 },
      };
      const { flags, name } = parse(rest, spec, 'deployment');
      if (!flags.image.length) throw new KubectlError('error: required flag(s) "image" not set');
      const containers = flags.image.map((img) => {
        const c = { name: img.split('/').pop().split(/[:@]/)[0], image: img, resources: {} };
        if (flags.port >= 0) c.ports = [{ containerPort: flags.port }];
        return c;
      });
      const obj = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { labels: { app: name }, name, namespace: k.ns(flags) },
        spec: {
          replicas: flags.replicas,
          selector: { matchLabels: { app: name } },
          strategy: {},
          template: { metadata: { labels: { app: name } }, spec: { containers } },
        },
      };
      return emit('deployments', obj, flags);
    }
    default:
      return createFromFiles(k, args, base);
  }
}

/** `kubectl create -f`: every object must be new. */
function createFromFiles(k, args, base) {
  const spec = {
    ...base,
    ...FILE_FLAGS,
    edit: { type: 'bool' },
    raw: { type: 'string' },
    selector: { short: 'l', type: 'string' },
  };
  const { flags, positional } = parseFlags(args, spec, 'create');
  if (positional.length)
    throw new KubectlError(`error: unknown command "${positional[0]}" for "kubectl create"`);
  if (!flags.filename.length) {
    throw new KubectlError(
      "error: must specify one of -f and -k\n\nSee 'kubectl create -h' for help and examples",
    );
  }
  const dry = k.dryRun(flags['dry-run']);
  const done = [];
  for (const { obj, r, source } of k.objectsFromFiles(flags)) {
    const o = clone(obj);
    o.metadata ??= {};
    try {
      if (r.namespaced) o.metadata.namespace = k.objectNamespace(r, o, flags);
      done.push({ r, obj: k.store.create(r, o, { dryRun: !!dry }), verb: 'created' });
    } catch (e) {
      if (e instanceof KubectlError) k.fail(e.message);
      else k.apiErr(e, `error when creating "${source}"`);
    }
  }
  printMutations(k, done, flags, dry);
  return k.failed ? 1 : 0;
}

/** `NAME=VALUE` (the value may hold `=`). */
const keyValue = (s) => [s.split('=')[0], s.split('=').slice(1).join('=')];

export async function cmdRun(k, args) {
  const spec = {
    ...OUTPUT_FLAGS,
    ...DRY_RUN_FLAG,
    image: { type: 'string' },
    restart: { type: 'string', def: 'Always' },
    'image-pull-policy': { type: 'string' },
    labels: { short: 'l', type: 'string' },
    annotations: { type: 'array', split: false },
    env: { type: 'array', split: false },
    port: { type: 'string' },
    command: { type: 'bool' },
    overrides: { type: 'string' },
    rm: { type: 'bool' },
    stdin: { short: 'i', type: 'bool' },
    tty: { short: 't', type: 'bool' },
    attach: { type: 'bool' },
    'pod-running-timeout': { type: 'string' },
    privileged: { type: 'bool' },
    'field-manager': { type: 'string' },
    'save-config': { type: 'bool' },
    expose: { type: 'bool' },
    quiet: { short: 'q', type: 'bool' },
  };
  const { flags, positional } = parseFlags(args, spec, 'run');
  const dashArgs = flags['--'] ?? [];
  const name = positional[0];
  if (!name)
    throw new KubectlError(
      "error: NAME is required for run\nSee 'kubectl run -h' for help and examples",
    );
  if (!flags.image) throw new KubectlError('error: --image is required');
  if (flags.rm || flags.stdin || flags.tty || flags.attach) {
    throw new KubectlError(
      'error: kubectl run with --rm/-i/-t/--attach needs a running container, which the bed cannot provide',
    );
  }
  const labels = {};
  for (const kv of (flags.labels ?? `run=${name}`).split(',')) {
    const [key, v] = kv.split('=');
    labels[key] = v ?? '';
  }
  const c = { name, image: flags.image, resources: {} };
  if (flags['image-pull-policy']) c.imagePullPolicy = flags['image-pull-policy'];
  const extra = positional.slice(1).filter((a) => !dashArgs.includes(a));
  const argsOrCmd = [...extra, ...dashArgs];
  if (argsOrCmd.length) {
    if (flags.command) c.command = argsOrCmd;
    else c.args = argsOrCmd;
  }
  if (flags.env.length)
    c.env = flags.env.map((e) => {
      const [envName, value] = keyValue(e);
      return { name: envName, value };
    });
  if (flags.port) c.ports = [{ containerPort: Number(flags.port) }];
  let pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { labels, name, namespace: k.ns(flags) },
    spec: { containers: [c], dnsPolicy: 'ClusterFirst', restartPolicy: flags.restart },
  };
  if (flags.annotations.length)
    pod.metadata.annotations = Object.fromEntries(flags.annotations.map(keyValue));
  if (flags.overrides) pod = jsonMergePatch(pod, JSON.parse(flags.overrides));
  const dry = k.dryRun(flags['dry-run']);
  const pods = k.resource('pods');
  const created = dry === 'client' ? pod : k.store.create(pods, pod, { dryRun: dry === 'server' });
  printMutations(k, [{ r: pods, obj: created, verb: 'created' }], flags, dry);
  return 0;
}
