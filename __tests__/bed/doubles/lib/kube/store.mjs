// The emulated API server's storage: one JSON file per object.
//
//   objects/<plural>/<namespace|_>/<name>.json   what clients wrote (kubectl, controllers)
//   status/<plural>/<namespace|_>/<name>.json    {uid, status, spec?, metadata?} from the
//                                                kubelet and controllers (kubelite) only
//   events/<namespace>/<name>.json               events (kubelite only)
//
// Every write is an atomic rename, and the two writers never share a file, so kubectl and the
// kubelet never clobber each other. A status file belongs to one object incarnation (its uid):
// a pod deleted and created again under the same name starts with an empty status.
// Directories are world-writable: the runner's own kubectl (uid 1001) writes here too, after it
// has checked the caller's kubeconfig against the cluster's credentials.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { API_DIR, writeAtomic, createExclusive, readJson } from './env.mjs';
import { allResources, builtin, qualifiedPlural, WORKLOADS } from './resources.mjs';
import { admit, validate } from './admission.mjs';
import { ApiError, notFound } from './errors.mjs';
import { clone, sameJson } from './json.mjs';

export const nowRfc3339 = (t = Date.now()) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

function mkdirOpen(dir) {
  if (fs.existsSync(dir)) return;
  mkdirOpen(path.dirname(dir));
  try {
    fs.mkdirSync(dir, { mode: 0o777 });
    fs.chmodSync(dir, 0o777);
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
  }
}

function deepMerge(base, over) {
  if (!over || typeof over !== 'object' || Array.isArray(over)) return over ?? base;
  const out = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(over)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? deepMerge(out[k], v) : v;
  }
  return out;
}

// Kinds whose objects carry metadata.generation (the API server bumps it on spec changes).
const GENERATIONAL = new Set([
  'pods',
  ...WORKLOADS,
  'ingresses',
  'networkpolicies',
  'poddisruptionbudgets',
  'horizontalpodautoscalers',
  'customresourcedefinitions',
]);

export class Store {
  constructor(dir = API_DIR) {
    this.dir = dir;
  }

  objFile(plural, ns, name) {
    return path.join(this.dir, 'objects', plural, ns ?? '_', `${name}.json`);
  }
  statusFile(plural, ns, name) {
    return path.join(this.dir, 'status', plural, ns ?? '_', `${name}.json`);
  }

  exists() {
    return fs.existsSync(path.join(this.dir, 'objects'));
  }

  resource(plural) {
    return allResources(this).find((r) => r.plural === plural) ?? builtin(plural);
  }

  getRaw(plural, ns, name) {
    return readJson(this.objFile(plural, ns, name));
  }

  listRaw(plural, ns) {
    const base = path.join(this.dir, 'objects', plural);
    const namespaces = ns === null || ns === undefined ? safeReaddir(base) : [ns];
    const out = [];
    for (const n of namespaces) {
      for (const f of safeReaddir(path.join(base, n))) {
        if (!f.endsWith('.json')) continue;
        const o = readJson(path.join(base, n, f));
        if (o) out.push(o);
      }
    }
    return out.sort(
      (a, b) =>
        (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
  }

  readStatus(plural, ns, name, uid) {
    const s = readJson(this.statusFile(plural, ns, name));
    return s && s.uid === uid ? s : null;
  }

  merge(plural, obj) {
    if (!obj) return obj;
    const o = clone(obj);
    const s = this.readStatus(plural, o.metadata.namespace, o.metadata.name, o.metadata.uid);
    if (s) {
      if (s.spec) o.spec = deepMerge(o.spec, s.spec);
      if (s.metadata) o.metadata = deepMerge(o.metadata, s.metadata);
      if (s.status !== undefined) o.status = s.status;
    }
    if (o.status === undefined) o.status = clone(DEFAULT_STATUS[plural]) ?? null;
    if (o.status === null) delete o.status;
    return o;
  }

  get(plural, ns, name) {
    return this.merge(plural, this.getRaw(plural, ns, name));
  }

  list(plural, ns) {
    return this.listRaw(plural, ns).map((o) => this.merge(plural, o));
  }

  namespaceActive(ns) {
    const n = this.get('namespaces', null, ns);
    return n && n.status?.phase !== 'Terminating' ? n : null;
  }

  /** Creates an object as the API server would (defaulting, admission); throws ApiError. */
  create(r, input, { dryRun = false } = {}) {
    const obj = clone(input);
    obj.apiVersion ??= r.group ? `${r.group}/${r.version}` : r.version;
    obj.kind ??= r.kind;
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    if (!meta.name) {
      throw new ApiError(
        422,
        'Invalid',
        `${r.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
      );
    }
    if (r.namespaced) {
      meta.namespace ??= 'default';
      const ns = this.get('namespaces', null, meta.namespace);
      if (!ns) throw new ApiError(404, 'NotFound', `namespaces "${meta.namespace}" not found`);
      if (ns.status?.phase === 'Terminating') {
        throw new ApiError(
          403,
          'Forbidden',
          `${r.plural} "${meta.name}" is forbidden: unable to create new content in namespace ${meta.namespace} because it is being terminated`,
        );
      }
    } else {
      delete meta.namespace;
    }
    validate(r, obj);
    admit(this, r, obj);
    meta.uid = crypto.randomUUID();
    meta.creationTimestamp = nowRfc3339();
    meta.resourceVersion = nextResourceVersion();
    if (GENERATIONAL.has(r.plural) || r.crd) meta.generation = 1;
    delete obj.status;
    if (dryRun) return this.merge(r.plural, obj);
    mkdirOpen(path.dirname(this.objFile(r.plural, meta.namespace, meta.name)));
    if (
      !createExclusive(
        this.objFile(r.plural, meta.namespace, meta.name),
        JSON.stringify(obj),
        0o666,
      )
    ) {
      throw new ApiError(
        409,
        'AlreadyExists',
        `${qualifiedPlural(r)} "${meta.name}" already exists`,
      );
    }
    if (r.plural === 'namespaces') this.afterNamespaceCreated(meta.name);
    return this.merge(r.plural, obj);
  }

  /** Replaces an object's spec side; identity fields stay, generation follows spec changes. */
  update(r, input) {
    const cur = this.getRaw(r.plural, input.metadata.namespace, input.metadata.name);
    if (!cur) throw notFound(r, input.metadata.name);
    const obj = clone(input);
    delete obj.status;
    obj.apiVersion = cur.apiVersion;
    obj.kind = cur.kind;
    for (const k of ['uid', 'creationTimestamp', 'namespace', 'name', 'ownerReferences']) {
      if (cur.metadata[k] !== undefined && obj.metadata[k] === undefined)
        obj.metadata[k] = cur.metadata[k];
    }
    obj.metadata.uid = cur.metadata.uid;
    obj.metadata.creationTimestamp = cur.metadata.creationTimestamp;
    validate(r, obj);
    admit(this, r, obj, cur);
    const curMeta = omit(cur.metadata, ['resourceVersion', 'generation']);
    const newMeta = omit(obj.metadata, ['resourceVersion', 'generation']);
    const specChanged = !sameJson(specOf(cur), specOf(obj));
    if (!specChanged && sameJson(curMeta, newMeta))
      return { obj: this.merge(r.plural, cur), changed: false };
    obj.metadata.resourceVersion = nextResourceVersion();
    if (cur.metadata.generation !== undefined) {
      obj.metadata.generation = cur.metadata.generation + (specChanged ? 1 : 0);
    }
    writeAtomic(
      this.objFile(r.plural, obj.metadata.namespace, obj.metadata.name),
      JSON.stringify(obj),
      0o666,
    );
    return { obj: this.merge(r.plural, obj), changed: true };
  }

  /** Deletes an object (and, for a namespace, everything in it); returns it or null. */
  delete(r, ns, name) {
    const cur = this.get(r.plural, ns, name);
    if (!cur) return null;
    if (r.plural === 'namespaces') {
      for (const res of allResources(this).filter((x) => x.namespaced)) {
        for (const o of this.listRaw(res.plural, name))
          this.removeFiles(res.plural, name, o.metadata.name);
      }
      fs.rmSync(path.join(this.dir, 'events', name), { recursive: true, force: true });
    }
    this.removeFiles(r.plural, ns, name);
    return cur;
  }

  removeFiles(plural, ns, name) {
    fs.rmSync(this.objFile(plural, ns, name), { force: true });
    fs.rmSync(this.statusFile(plural, ns, name), { force: true });
  }

  /** kubelite's side: status (and bound fields such as spec.nodeName) of one incarnation. */
  writeStatus(plural, obj, patch) {
    const { namespace, name, uid } = obj.metadata;
    const file = this.statusFile(plural, namespace, name);
    const prev = readJson(file);
    const next = { uid, ...(prev && prev.uid === uid ? prev : {}), ...patch };
    if (prev && sameJson(prev, next)) return false;
    mkdirOpen(path.dirname(file));
    writeAtomic(file, JSON.stringify(next), 0o666);
    return true;
  }

  /** The namespace's default ServiceAccount, as the serviceaccounts controller makes it. */
  afterNamespaceCreated(ns) {
    try {
      this.create(builtin('serviceaccounts'), { metadata: { name: 'default', namespace: ns } });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
    }
  }

  /** Where the kubelet writes a container's log and `kubectl logs` reads it. */
  logFile(pod, container) {
    const { namespace, name, uid } = pod.metadata;
    return path.join(this.dir, 'logs', `${namespace}_${name}_${uid}`, `${container}.log`);
  }

  eventsDir(ns) {
    return path.join(this.dir, 'events', ns);
  }

  listEvents(ns) {
    const namespaces = ns ? [ns] : safeReaddir(path.join(this.dir, 'events'));
    const out = [];
    for (const n of namespaces) {
      for (const f of safeReaddir(this.eventsDir(n))) {
        const e = readJson(path.join(this.eventsDir(n), f));
        if (e) out.push(e);
      }
    }
    return out;
  }

  writeEvent(ev) {
    const dir = this.eventsDir(ev.metadata.namespace);
    mkdirOpen(dir);
    writeAtomic(path.join(dir, `${ev.metadata.name}.json`), JSON.stringify(ev), 0o666);
  }
}

const omit = (o, keys) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

function specOf(o) {
  return omit(o, ['metadata', 'status']);
}

function safeReaddir(d) {
  try {
    return fs.readdirSync(d).sort();
  } catch {
    return [];
  }
}

let rvSeq = 0;
function nextResourceVersion() {
  rvSeq += 1;
  return String(Date.now() * 100 + ((process.pid + rvSeq) % 100));
}

// k8s.io/apimachinery/pkg/util/rand's alphabet: generated names and hashes have no vowels.
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5) {
  let s = '';
  for (const b of crypto.randomBytes(n)) s += ALPHANUMS[b % ALPHANUMS.length];
  return s;
}

/** rand.SafeEncodeString. */
export const safeEncode = (s) =>
  [...s].map((c) => ALPHANUMS[c.charCodeAt(0) % ALPHANUMS.length]).join('');

// The status an object has before any controller writes one; other kinds show none.
const DEFAULT_STATUS = {
  pods: { phase: 'Pending', qosClass: 'BestEffort' },
  namespaces: { phase: 'Active' },
  persistentvolumeclaims: { phase: 'Pending' },
  services: { loadBalancer: {} },
  ...Object.fromEntries(WORKLOADS.map((p) => [p, {}])),
};
