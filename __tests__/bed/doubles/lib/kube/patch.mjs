// How kubectl changes stored objects: client-side apply's three-way merge, and the JSON merge,
// strategic merge and JSON patches of `kubectl patch`.
import { KubectlError } from './errors.mjs';
import { clone, isPlainObject as isPlain } from './json.mjs';

/** Client-side apply: fields in `desired` win, fields only in the previous apply are removed. */
export function threeWayMerge(live, desired, prevApplied) {
  const merge = (l, d, p) => {
    if (!isPlain(d)) return d;
    const out = isPlain(l) ? { ...l } : {};
    for (const [k, v] of Object.entries(d))
      out[k] = isPlain(v) && isPlain(out[k]) ? merge(out[k], v, isPlain(p) ? p[k] : undefined) : v;
    if (isPlain(p)) for (const k of Object.keys(p)) if (!(k in d)) delete out[k];
    return out;
  };
  const merged = merge(live, desired, prevApplied);
  merged.metadata = {
    ...merged.metadata,
    uid: live.metadata.uid,
    creationTimestamp: live.metadata.creationTimestamp,
    resourceVersion: live.metadata.resourceVersion,
  };
  if (live.metadata.generation !== undefined) merged.metadata.generation = live.metadata.generation;
  return merged;
}

export function jsonMergePatch(target, patch) {
  if (!isPlain(patch)) return patch;
  const out = isPlain(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v);
  }
  return out;
}

// patchMergeKey of list fields in the built-in types (strategic merge patch).
const MERGE_KEYS = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  secrets: 'name',
  tolerations: null,
  conditions: 'type',
  hostAliases: 'ip',
  ownerReferences: 'uid',
};

export function strategicMerge(target, patch) {
  if (!isPlain(patch)) return patch;
  const out = isPlain(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch') continue;
    if (v === null) {
      delete out[k];
    } else if (Array.isArray(v) && MERGE_KEYS[k] && Array.isArray(out[k])) {
      // A Service's ports merge on `port`.
      const servicePorts =
        k === 'ports' && v.some((x) => x?.port !== undefined && x?.containerPort === undefined);
      const key = servicePorts ? 'port' : MERGE_KEYS[k];
      const list = out[k].map((x) => ({ ...x }));
      for (const item of v) {
        const idx = list.findIndex((x) => x?.[key] === item?.[key]);
        if (item?.$patch === 'delete') {
          if (idx !== -1) list.splice(idx, 1);
        } else if (idx === -1) list.push(item);
        else list[idx] = strategicMerge(list[idx], item);
      }
      out[k] = list;
    } else if (isPlain(v)) out[k] = strategicMerge(out[k], v);
    else out[k] = v;
  }
  return out;
}

export function jsonPatch(target, ops) {
  const doc = clone(target);
  const parse = (p) =>
    p
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const parentOf = (root, parts) => {
    let cur = root;
    for (const part of parts.slice(0, -1)) {
      if (cur === undefined || cur === null)
        throw new KubectlError(`error: unable to apply JSON patch: path not found`);
      cur = cur[Array.isArray(cur) ? Number(part) : part];
    }
    return cur;
  };
  for (const op of Array.isArray(ops) ? ops : []) {
    const parts = parse(op.path);
    const last = parts[parts.length - 1];
    const parent = parentOf(doc, parts);
    if (parent === undefined)
      throw new KubectlError(
        `error: unable to apply JSON patch: doc is missing path: "${op.path}": missing value`,
      );
    if (op.op === 'add' || op.op === 'replace') {
      if (Array.isArray(parent)) {
        if (last === '-') parent.push(op.value);
        else if (op.op === 'add') parent.splice(Number(last), 0, op.value);
        else parent[Number(last)] = op.value;
      } else parent[last] = op.value;
    } else if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (op.op === 'test') {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value))
        throw new KubectlError('error: testing value failed');
    }
  }
  return doc;
}
