// kubectl get, describe and logs: the commands that only read.
import fs from 'node:fs';
import { ApiError, KubectlError, notFound } from './errors.mjs';
import { parseFlags, OUTPUT_FLAGS, RESOURCE_FLAGS } from './flags.mjs';
import { describePod, describeGeneric } from './describe.mjs';
import { relaxed, evalPath, parsePath } from './jsonpath.mjs';
import { printObjects, checkOutput, noResources } from './kubectl-output.mjs';

export async function cmdGet(k, args) {
  const spec = {
    ...OUTPUT_FLAGS,
    ...RESOURCE_FLAGS,
    watch: { short: 'w', type: 'bool' },
    'watch-only': { type: 'bool' },
    'no-headers': { type: 'bool' },
    'show-kind': { type: 'bool' },
    'show-labels': { type: 'bool' },
    'label-columns': { short: 'L', type: 'array' },
    'sort-by': { type: 'string' },
    'ignore-not-found': { type: 'bool' },
    'chunk-size': { type: 'int', def: 500 },
    'output-watch-events': { type: 'bool' },
    raw: { type: 'string' },
    subresource: { type: 'string' },
  };
  const { flags, positional } = parseFlags(args, spec, 'get');
  if (flags.watch || flags['watch-only'])
    throw new KubectlError('error: kubectl get --watch is not supported by the bed');
  checkOutput(flags.output);
  const targets = k.targetsFor(
    flags,
    positional,
    'get',
    'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse "kubectl explain <resource>" for a detailed description of that resource (e.g. kubectl explain pods).\nSee \'kubectl get -h\' for help and examples',
  );
  const allNs = flags['all-namespaces'];
  const ns = k.ns(flags);
  const items = [];
  let anyNamed = false;
  for (const t of targets) {
    const tns = t.ns ?? ns;
    if (t.names) {
      anyNamed = true;
      for (const name of t.names) {
        const o = k.getOne(t.r, tns, name);
        if (o) items.push({ r: t.r, obj: o });
        else if (!flags['ignore-not-found']) k.apiErr(notFound(t.r, name));
      }
    } else {
      for (const o of k.selected(t.r, flags, tns)) items.push({ r: t.r, obj: o });
    }
  }
  if (flags['sort-by']) sortBy(items, flags['sort-by']);
  if (!items.length) {
    // Missing named objects have been reported; an empty list prints as its format has it.
    const fmt = flags.output ?? '';
    if (anyNamed) return k.failed ? 1 : 0;
    if (fmt === '' || fmt === 'wide' || fmt === 'name' || fmt.startsWith('custom-columns')) {
      const scoped = targets.every((t) => t.r.namespaced) && !allNs;
      k.err(noResources(scoped ? ns : null));
    } else if (fmt === 'json' || fmt === 'yaml' || fmt.startsWith('jsonpath')) {
      printObjects(k, [], flags);
    }
    return k.failed ? 1 : 0;
  }
  const single =
    anyNamed &&
    items.length === 1 &&
    targets.length === 1 &&
    targets[0].names?.length === 1 &&
    !flags.filename.length;
  printObjects(k, items, flags, {
    single: single || (flags.filename.length > 0 && items.length === 1),
    kindPrefix:
      new Set(targets.map((t) => t.r)).size > 1 ||
      flags['show-kind'] ||
      positional.some((a) => a.split(',').includes('all')),
    namespaceCol: allNs,
  });
  return k.failed ? 1 : 0;
}

/** --sort-by: by a JSONPath value, timestamps as times, objects without it first. */
function sortBy(items, expr) {
  const p = parsePath(relaxed(expr).slice(1, -1));
  const key = (o) => {
    const v = evalPath(p, o)[0];
    if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return Date.parse(v);
    return v;
  };
  items.sort((a, b) => {
    const [x, y] = [key(a.obj), key(b.obj)];
    if (x === undefined) return y === undefined ? 0 : -1;
    if (y === undefined) return 1;
    return typeof x === 'number' && typeof y === 'number'
      ? x - y
      : String(x).localeCompare(String(y));
  });
}

export async function cmdDescribe(k, args) {
  const spec = {
    ...RESOURCE_FLAGS,
    'show-events': { type: 'bool', def: true },
    'chunk-size': { type: 'int', def: 500 },
  };
  const { flags, positional } = parseFlags(args, spec, 'describe');
  const targets = k.targetsFor(
    flags,
    positional,
    'describe',
    'You must specify the type of resource to describe. Use "kubectl api-resources" for a complete list of supported resources.',
  );
  const ns = k.ns(flags);
  const docs = [];
  for (const t of targets) {
    let objs;
    if (t.names) {
      objs = [];
      for (const name of t.names) {
        const o = k.getOne(t.r, t.ns ?? ns, name);
        if (!o && t.names.length === 1) {
          // kubectl describe TYPE PREFIX describes every object whose name starts with it.
          const matches = k.list(t.r, t.ns ?? ns).filter((x) => x.metadata.name.startsWith(name));
          if (matches.length) {
            objs.push(...matches);
            continue;
          }
        }
        if (o) objs.push(o);
        else k.apiErr(notFound(t.r, name));
      }
    } else {
      objs = k.selected(t.r, flags, ns);
      if (!objs.length) k.err(noResources(flags['all-namespaces'] || !t.r.namespaced ? null : ns));
    }
    for (const o of objs) {
      const events = flags['show-events']
        ? k.store
            .listEvents(o.metadata.namespace ?? 'default')
            .filter((e) => e.involvedObject?.uid === o.metadata.uid)
        : [];
      const opts = { fieldPathPrefix: k.clientMinor >= 35 };
      docs.push(
        t.r.plural === 'pods'
          ? describePod(o, events, opts)
          : describeGeneric(t.r, o, events, opts),
      );
    }
  }
  k.write(docs.join('\n\n'));
  return k.failed ? 1 : 0;
}

export async function cmdLogs(k, args) {
  const spec = {
    container: { short: 'c', type: 'string' },
    follow: { short: 'f', type: 'bool' },
    tail: { type: 'int', def: -1 },
    since: { type: 'string' },
    'since-time': { type: 'string' },
    timestamps: { type: 'bool' },
    previous: { short: 'p', type: 'bool' },
    'all-containers': { type: 'bool' },
    prefix: { type: 'bool' },
    selector: { short: 'l', type: 'string' },
    'max-log-requests': { type: 'int', def: 5 },
    'pod-running-timeout': { type: 'string' },
    'ignore-errors': { type: 'bool' },
    'limit-bytes': { type: 'int', def: 0 },
    'insecure-skip-tls-verify-backend': { type: 'bool' },
  };
  const { flags, positional } = parseFlags(args, spec, 'logs');
  const ns = k.ns(flags);
  let pods;
  if (flags.selector) {
    pods = k.selected(k.resource('pods'), flags, ns);
    if (!pods.length) {
      k.err(noResources(ns));
      return 0;
    }
  } else {
    if (!positional.length)
      throw new KubectlError(
        "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples",
      );
    pods = [podOf(k, positional[0], ns)];
  }
  for (const p of pods) {
    for (const c of containersOf(k, p, flags)) {
      const st = (p.status?.containerStatuses ?? []).find((s) => s.name === c);
      if (!st || st.state?.waiting) {
        const reason = st?.state?.waiting?.reason;
        const why =
          reason === 'ErrImagePull' || reason === 'ImagePullBackOff'
            ? 'trying and failing to pull image'
            : reason === 'ErrImageNeverPull'
              ? "image can't be pulled"
              : 'ContainerCreating';
        throw new ApiError(
          400,
          'BadRequest',
          `container "${c}" in pod "${p.metadata.name}" is waiting to start: ${why}`,
        );
      }
      let text = '';
      try {
        text = fs.readFileSync(k.store.logFile(p, c), 'utf8');
      } catch {
        text = '';
      }
      if (flags.tail >= 0) {
        const lines = text.split('\n');
        if (lines[lines.length - 1] === '') lines.pop();
        text =
          lines.slice(Math.max(0, lines.length - flags.tail)).join('\n') +
          (lines.length ? '\n' : '');
      }
      if (flags.prefix) text = text.replace(/^(?=.)/gm, `[pod/${p.metadata.name}/${c}] `);
      k.write(text);
    }
  }
  return 0;
}

/** The pod of `kubectl logs POD|TYPE/NAME`: a workload's first pod. */
function podOf(k, arg, ns) {
  if (!arg.includes('/')) {
    const o = k.store.get('pods', ns, arg);
    if (!o) throw notFound(k.resource('pods'), arg);
    return o;
  }
  const [type, name] = arg.split('/');
  const r = k.resource(type);
  const o = k.store.get(r.plural, ns, name);
  if (!o) throw notFound(r, name);
  if (r.plural === 'pods') return o;
  const sel = o.spec?.selector?.matchLabels ?? o.spec?.selector ?? {};
  const pods = k.store
    .list('pods', ns)
    .filter((p) => Object.entries(sel).every(([key, v]) => p.metadata.labels?.[key] === v));
  if (!pods.length) throw new KubectlError(`error: timed out waiting for the condition`);
  return pods[0];
}

/** The containers -c / --all-containers name, or the first (saying so if there are more). */
function containersOf(k, p, flags) {
  const names = (p.spec.containers ?? []).map((c) => c.name);
  if (flags['all-containers']) return names;
  if (flags.container) {
    if (!names.includes(flags.container)) {
      throw new ApiError(
        400,
        'BadRequest',
        `container ${flags.container} is not valid for pod ${p.metadata.name}`,
      );
    }
    return [flags.container];
  }
  if (names.length > 1) k.err(`Defaulted container "${names[0]}" out of: ${names.join(', ')}`);
  return [names[0]];
}
