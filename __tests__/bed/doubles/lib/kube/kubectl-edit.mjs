// kubectl delete, patch, label, annotate and scale: the commands that change or remove objects.
import fs from 'node:fs';
import path from 'node:path';
import { dep } from './deps.mjs';
import { KubectlError, notFound } from './errors.mjs';
import { clone, sameJson } from './json.mjs';
import { typeName } from './resources.mjs';
import { jsonPatch, jsonMergePatch, strategicMerge } from './patch.mjs';
import { readText } from './manifests.mjs';
import { parseFlags, OUTPUT_FLAGS, DRY_RUN_FLAG, FILE_FLAGS, RESOURCE_FLAGS } from './flags.mjs';
import { printObjects, dryRunNote, noResources } from './kubectl-output.mjs';

const YAML = dep('yaml');

export async function cmdDelete(k, args) {
  const spec = {
    ...RESOURCE_FLAGS,
    ...DRY_RUN_FLAG,
    output: { short: 'o', type: 'string' },
    all: { type: 'bool' },
    'ignore-not-found': { type: 'bool' },
    wait: { type: 'bool', def: true },
    now: { type: 'bool' },
    force: { type: 'bool' },
    'grace-period': { type: 'int', def: -1 },
    timeout: { type: 'string', def: '0s' },
    cascade: { type: 'string', def: 'background', noOpt: 'background' },
    interactive: { short: 'i', type: 'bool' },
    raw: { type: 'string' },
  };
  const { flags, positional } = parseFlags(args, spec, 'delete');
  if (flags.force && flags['grace-period'] === 0) {
    k.err(
      'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.',
    );
  }
  const ns = k.ns(flags);
  const dry = k.dryRun(flags['dry-run']);
  const victims = [];
  if (flags.filename.length) {
    for (const { obj, r } of k.objectsFromFiles(flags))
      victims.push({ r, ns: k.objectNamespace(r, obj, flags), name: obj.metadata?.name });
  } else {
    if (!positional.length) {
      throw new KubectlError(
        "error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'",
      );
    }
    for (const t of k.targets(positional, 'delete')) {
      if (t.names) {
        for (const name of t.names) victims.push({ r: t.r, ns, name });
        continue;
      }
      if (!flags.all && !flags.selector && !flags['field-selector'])
        throw new KubectlError('error: resource(s) were provided, but no name was specified');
      for (const o of k.selected(t.r, flags, ns))
        victims.push({ r: t.r, ns: o.metadata.namespace, name: o.metadata.name });
    }
    if (!victims.length && !flags['ignore-not-found']) {
      k.err(noResources(flags['all-namespaces'] ? null : ns));
      return 0;
    }
  }
  for (const v of victims) {
    const vns = v.r.namespaced ? v.ns : null;
    if (!k.getOne(v.r, vns, v.name)) {
      if (!flags['ignore-not-found']) k.apiErr(notFound(v.r, v.name));
      continue;
    }
    if (!dry) {
      if (v.r.plural === 'events')
        fs.rmSync(path.join(k.store.eventsDir(vns), `${v.name}.json`), { force: true });
      else k.store.delete(v.r, vns, v.name);
    }
    if (flags.output === 'name') k.out(`${typeName(v.r)}/${v.name}`);
    else {
      const where = k.clientMinor >= 35 && v.r.namespaced ? ` from ${vns} namespace` : '';
      k.out(`${typeName(v.r)} "${v.name}" deleted${where}${dryRunNote(dry)}`);
    }
  }
  return k.failed ? 1 : 0;
}

export async function cmdPatch(k, args) {
  const spec = {
    ...OUTPUT_FLAGS,
    ...FILE_FLAGS,
    ...DRY_RUN_FLAG,
    kustomize: { short: 'k', type: 'string' },
    patch: { short: 'p', type: 'string' },
    'patch-file': { type: 'string' },
    type: { type: 'string', def: 'strategic' },
    local: { type: 'bool' },
    subresource: { type: 'string' },
    'field-manager': { type: 'string' },
  };
  const { flags, positional } = parseFlags(args, spec, 'patch');
  const text = flags['patch-file'] ? readText(flags['patch-file']) : flags.patch;
  if (text === undefined)
    throw new KubectlError(
      'error: must specify --patch or --patch-file containing the contents of the patch',
    );
  let patch;
  try {
    patch = YAML.parse(text);
  } catch (e) {
    throw new KubectlError(`error: unable to parse "${text}": ${e.message}`);
  }
  if (!['strategic', 'merge', 'json'].includes(flags.type)) {
    throw new KubectlError(
      `error: --type must be one of [json merge strategic], not "${flags.type}"`,
    );
  }
  const apply = { json: jsonPatch, merge: jsonMergePatch, strategic: strategicMerge }[flags.type];
  const targets = flags.filename.length
    ? k.objectsFromFiles(flags).map(({ obj, r }) => ({ r, names: [obj.metadata.name] }))
    : k.targets(positional, 'patch');
  if (!targets.length)
    throw new KubectlError(
      'error: You must provide one or more resources by argument or filename.',
    );
  const ns = k.ns(flags);
  const dry = k.dryRun(flags['dry-run']);
  for (const { r, name, cur } of k.stored(targets, ns)) {
    const next = apply(cur, patch);
    const changed = dry ? !sameJson(cur, next) : k.store.update(r, next).changed;
    if (flags.output && flags.output !== 'name') {
      const obj = k.store.get(r.plural, r.namespaced ? ns : null, name);
      printObjects(k, [{ r, obj }], flags, { single: true });
    } else if (flags.output === 'name') k.out(`${typeName(r)}/${name}`);
    else k.out(`${typeName(r)}/${name} patched${changed ? '' : ' (no change)'}`);
  }
  return 0;
}

/** kubectl label and kubectl annotate: `KEY=VALUE` sets, `KEY-` removes. */
export async function cmdLabel(k, args, cmd) {
  const spec = {
    ...OUTPUT_FLAGS,
    ...RESOURCE_FLAGS,
    ...DRY_RUN_FLAG,
    overwrite: { type: 'bool' },
    all: { type: 'bool' },
    list: { type: 'bool' },
    local: { type: 'bool' },
    'resource-version': { type: 'string' },
  };
  const { flags, positional } = parseFlags(args, spec, cmd);
  const pairs = positional.filter((a) => /=|-$/.test(a) && !a.includes('/'));
  const res = positional.filter((a) => !pairs.includes(a));
  const [field, verb] = cmd === 'label' ? ['labels', 'labeled'] : ['annotations', 'annotated'];
  for (const { r, name, cur } of k.stored(k.targets(res, cmd), k.ns(flags))) {
    const next = clone(cur);
    const map = (next.metadata[field] = { ...(next.metadata[field] ?? {}) });
    for (const p of pairs) {
      if (p.endsWith('-') && !p.includes('=')) {
        delete map[p.slice(0, -1)];
        continue;
      }
      const [key, ...v] = p.split('=');
      if (key in map && map[key] !== v.join('=') && !flags.overwrite) {
        throw new KubectlError(
          `error: '${key}' already has a value (${map[key]}), and --overwrite is false`,
        );
      }
      map[key] = v.join('=');
    }
    const { changed } = k.store.update(r, next);
    k.out(`${typeName(r)}/${name} ${changed ? verb : `not ${verb}`}`);
  }
  return 0;
}

export async function cmdScale(k, args) {
  const spec = {
    ...OUTPUT_FLAGS,
    ...RESOURCE_FLAGS,
    ...DRY_RUN_FLAG,
    replicas: { type: 'int', def: -1 },
    'current-replicas': { type: 'int', def: -1 },
    'resource-version': { type: 'string' },
    timeout: { type: 'string' },
    all: { type: 'bool' },
  };
  const { flags, positional } = parseFlags(args, spec, 'scale');
  if (flags.replicas < 0)
    throw new KubectlError(
      'error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0',
    );
  const targets = k.targets(positional, 'scale');
  for (const { r, name, cur } of k.stored(targets, k.ns(flags), { scoped: false })) {
    const next = clone(cur);
    next.spec.replicas = flags.replicas;
    k.store.update(r, next);
    k.out(`${typeName(r)}/${name} scaled`);
  }
  return 0;
}
