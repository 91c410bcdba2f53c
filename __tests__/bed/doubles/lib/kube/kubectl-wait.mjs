// kubectl wait and kubectl rollout (status, restart): the commands that watch objects change.
import { KubectlError, notFound } from './errors.mjs';
import { clone } from './json.mjs';
import { typeName, qualifiedPlural } from './resources.mjs';
import { parseFlags, subcommand, parseDuration, RESOURCE_FLAGS } from './flags.mjs';
import { relaxed, evalPath, parsePath } from './jsonpath.mjs';
import { sleep } from './env.mjs';

const NO_NAME = 'error: resource(s) were provided, but no name was specified';

export async function cmdWait(k, args) {
  const spec = {
    ...RESOURCE_FLAGS,
    output: { short: 'o', type: 'string' },
    for: { type: 'string' },
    timeout: { type: 'string', def: '30s' },
    all: { type: 'bool' },
    local: { type: 'bool' },
    'allow-missing-template-keys': { type: 'bool', def: true },
  };
  const { flags, positional } = parseFlags(args, spec, 'wait');
  if (!flags.for)
    throw new KubectlError(
      "error: --for must be one of: delete, create, condition=condition-name[=condition-value] or jsonpath='{JSONPath expression}'=[JSONPath value]",
    );
  const cond = parseWaitFor(flags.for);
  const timeoutMs = parseDuration(flags.timeout);
  const ns = k.ns(flags);
  const targets = k.targetsFor(flags, positional, 'wait', NO_NAME);
  const deadline = Date.now() + timeoutMs;
  const keys = [];
  for (const t of targets) {
    if (t.names) {
      for (const name of t.names) keys.push({ r: t.r, ns: t.ns ?? ns, name });
      continue;
    }
    if (!flags.all && !flags.selector && !flags['field-selector']) throw new KubectlError(NO_NAME);
    let objs = k.selected(t.r, flags, ns);
    while (!objs.length && cond.type === 'create' && Date.now() < deadline) {
      await sleep(200);
      objs = k.selected(t.r, flags, ns);
    }
    if (!objs.length) throw new KubectlError('error: no matching resources found');
    for (const o of objs)
      keys.push({ r: t.r, ns: o.metadata.namespace, name: o.metadata.name, uid: o.metadata.uid });
  }
  for (const key of keys) {
    const label = `${typeName(key.r)}/${key.name}`;
    for (;;) {
      const o = k.getOne(key.r, key.r.namespaced ? key.ns : null, key.name);
      if (cond.type === 'delete') {
        if (!o || (key.uid && o.metadata.uid !== key.uid)) {
          k.out(`${label} deleted`);
          break;
        }
      } else if (!o) {
        // A named object must exist, unless waiting for its creation.
        if (cond.type !== 'create' && !key.uid) throw notFound(key.r, key.name);
      } else if (cond.type === 'create' || waitMet(cond, o)) {
        k.out(`${label} condition met`);
        break;
      }
      if (Date.now() >= deadline) {
        throw new KubectlError(
          `error: timed out waiting for the condition on ${qualifiedPlural(key.r)}/${key.name}`,
        );
      }
      await sleep(200);
    }
  }
  return 0;
}

function parseWaitFor(s) {
  if (s === 'delete') return { type: 'delete' };
  if (s === 'create') return { type: 'create' };
  if (s.startsWith('condition=')) {
    const rest = s.slice('condition='.length);
    const i = rest.indexOf('=');
    return {
      type: 'condition',
      name: i === -1 ? rest : rest.slice(0, i),
      value: i === -1 ? 'true' : rest.slice(i + 1),
    };
  }
  if (s.startsWith('jsonpath=')) {
    const rest = s.slice('jsonpath='.length);
    const i = rest.indexOf('=');
    const expr = i === -1 ? rest : rest.slice(0, i);
    const value = i === -1 ? null : rest.slice(i + 1);
    if (value === '') throw new KubectlError('error: jsonpath wait value cannot be empty');
    return { type: 'jsonpath', path: parsePath(relaxed(expr).slice(1, -1)), value };
  }
  throw new KubectlError(`error: unrecognized condition: "${s}"`);
}

function waitMet(cond, o) {
  if (cond.type === 'condition') {
    const c = (o.status?.conditions ?? []).find(
      (x) => x.type.toLowerCase() === cond.name.toLowerCase(),
    );
    if (!c) return false;
    if (
      c.observedGeneration !== undefined &&
      o.metadata.generation !== undefined &&
      c.observedGeneration !== o.metadata.generation
    )
      return false;
    return String(c.status).toLowerCase() === cond.value.toLowerCase();
  }
  if (cond.type === 'jsonpath') {
    const vals = evalPath(cond.path, o);
    if (cond.value === null) return vals.length > 0;
    if (vals.length !== 1) return false;
    const v = vals[0];
    if (v !== null && typeof v === 'object') return false;
    return String(v) === cond.value;
  }
  return false;
}

export async function cmdRollout(k, args) {
  const { sub, rest } = subcommand(args);
  if (sub === 'restart') return rolloutRestart(k, rest);
  if (['history', 'pause', 'resume', 'undo'].includes(sub))
    throw new KubectlError(`error: kubectl rollout ${sub} is not supported by the bed`);
  if (sub !== 'status')
    throw new KubectlError(`error: unknown command "${sub ?? ''}" for "kubectl rollout"`);
  const spec = {
    ...RESOURCE_FLAGS,
    watch: { short: 'w', type: 'bool', def: true },
    revision: { type: 'int', def: 0 },
    timeout: { type: 'string', def: '0s' },
  };
  const { flags, positional } = parseFlags(rest, spec, 'rollout status');
  const targets = k.targets(positional, 'rollout status');
  if (!targets.length || !targets[0].names) {
    throw new KubectlError('error: required resource not specified');
  }
  const timeoutMs = parseDuration(flags.timeout);
  const ns = k.ns(flags);
  for (const t of targets) {
    if (!['deployments', 'daemonsets', 'statefulsets'].includes(t.r.plural)) {
      throw new KubectlError(`error: no status viewer has been implemented for ${t.r.kind}`);
    }
    for (const name of t.names) {
      const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
      let last = null;
      for (;;) {
        const o = k.store.get(t.r.plural, ns, name);
        if (!o) throw notFound(t.r, name);
        const { msg, done, error } = rolloutStatus(t.r.plural, o);
        if (error) throw new KubectlError(`error: ${error}`);
        if (msg !== last) {
          k.out(msg);
          last = msg;
        }
        if (done || !flags.watch) break;
        if (Date.now() >= deadline)
          throw new KubectlError('error: timed out waiting for the condition');
        await sleep(200);
      }
    }
  }
  return 0;
}

async function rolloutRestart(k, args) {
  const { flags, positional } = parseFlags(
    args,
    { ...RESOURCE_FLAGS, output: { short: 'o', type: 'string' } },
    'rollout restart',
  );
  const targets = k.targets(positional, 'rollout restart');
  for (const { r, name, cur } of k.stored(targets, k.ns(flags), { scoped: false })) {
    const next = clone(cur);
    next.spec.template.metadata ??= {};
    next.spec.template.metadata.annotations = {
      ...(next.spec.template.metadata.annotations ?? {}),
      'kubectl.kubernetes.io/restartedAt': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    k.store.update(r, next);
    k.out(`${typeName(r)}/${name} restarted`);
  }
  return 0;
}

const waiting = (msg) => ({ msg, done: false });

/** kubectl's rollout status viewers (pkg/polymorphichelpers/rollout_status.go). */
export function rolloutStatus(plural, o) {
  const st = o.status ?? {};
  const name = o.metadata.name;
  const kind = { deployments: 'deployment', daemonsets: 'daemon set' }[plural] ?? 'statefulset';
  if ((o.metadata.generation ?? 0) > (st.observedGeneration ?? 0))
    return waiting(`Waiting for ${kind} spec update to be observed...`);
  if (plural === 'deployments') {
    const progressing = (st.conditions ?? []).find((c) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded')
      return { error: `deployment "${name}" exceeded its progress deadline` };
    const replicas = o.spec.replicas ?? 1;
    const updated = st.updatedReplicas ?? 0;
    const prefix = `Waiting for deployment "${name}" rollout to finish:`;
    if (updated < replicas)
      return waiting(`${prefix} ${updated} out of ${replicas} new replicas have been updated...`);
    if ((st.replicas ?? 0) > updated)
      return waiting(
        `${prefix} ${(st.replicas ?? 0) - updated} old replicas are pending termination...`,
      );
    if ((st.availableReplicas ?? 0) < updated)
      return waiting(
        `${prefix} ${st.availableReplicas ?? 0} of ${updated} updated replicas are available...`,
      );
    return { msg: `deployment "${name}" successfully rolled out`, done: true };
  }
  if (plural === 'daemonsets') {
    const desired = st.desiredNumberScheduled ?? 0;
    const prefix = `Waiting for daemon set "${name}" rollout to finish:`;
    if ((st.updatedNumberScheduled ?? 0) < desired)
      return waiting(
        `${prefix} ${st.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...`,
      );
    if ((st.numberAvailable ?? 0) < desired)
      return waiting(
        `${prefix} ${st.numberAvailable ?? 0} of ${desired} updated pods are available...`,
      );
    return { msg: `daemon set "${name}" successfully rolled out`, done: true };
  }
  const replicas = o.spec.replicas ?? 1;
  if ((st.readyReplicas ?? 0) < replicas)
    return waiting(`Waiting for ${replicas - (st.readyReplicas ?? 0)} pods to be ready...`);
  if (st.updateRevision !== st.currentRevision) {
    return waiting(
      `waiting for statefulset rolling update to complete ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision}...`,
    );
  }
  return {
    msg: `statefulset rolling update complete ${replicas} pods at revision ${st.currentRevision}...`,
    done: true,
  };
}
