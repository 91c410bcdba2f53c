// The kubectl commands the bed supports, answering from the emulated API server's store with
// kubectl's own output formats, messages and exit codes.
import fs from 'node:fs';
import path from 'node:path';
import { dep } from './deps.mjs';
import { Store, ApiError, notFound, nowRfc3339, sameJson } from './store.mjs';
import {
  allResources,
  resolveResource,
  resourceForKind,
  typeName,
  qualifiedPlural,
} from './resources.mjs';
import { parseFlags, GLOBAL_FLAGS, UsageError, parseDuration } from './flags.mjs';
import { tableFor, labelsString } from './printers.mjs';
import { tabwrite } from './tabwriter.mjs';
import { describePod, describeGeneric } from './describe.mjs';
import {
  execute as jsonpathExecute,
  goJson,
  relaxed,
  parseTemplate,
  evalPath,
  parsePath,
  JsonPathError,
} from './jsonpath.mjs';
import { parseLabelSelector, parseFieldSelector, SelectorError } from './selectors.mjs';
import { sleep, minor as minorOf } from './env.mjs';

const YAML = dep('yaml');

export class KubectlError extends Error {
  constructor(message, code = 1) {
    super(message);
    this.exitCode = code;
  }
}

// go-yaml (sigs.k8s.io/yaml) quoting: a string that would read back as another YAML 1.1 type is
// double-quoted ("True", "12", timestamps); one that cannot be plain for its characters is
// single-quoted; multi-line strings are literal blocks.
const YAML11_NON_STRING = [
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(~|null|Null|NULL|)$/,
  /^[-+]?(0b[0-1_]+|0[0-7_]+|(0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(:[0-5]?[0-9])+)$/,
  /^[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?$|^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/,
  /^[-+]?[0-9]+[eE][-+]?[0-9]+$/,
  /^\d{4}-\d\d?-\d\d?([Tt]|[ \t]+)\d\d?:\d\d:\d\d(\.\d*)?([ \t]*(Z|[-+]\d\d?(:\d\d)?))?$|^\d{4}-\d\d-\d\d$/,
  /^<<$/,
];

export function toYaml(obj) {
  const doc = new YAML.Document(obj, { sortMapEntries: true, aliasDuplicateObjects: false });
  YAML.visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string') return;
      if (node.value.includes('\n')) node.type = 'BLOCK_LITERAL';
      else if (YAML11_NON_STRING.some((re) => re.test(node.value))) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ indentSeq: false, lineWidth: 0, minContentWidth: 0, singleQuote: true });
}

export function parseManifests(text, source) {
  const objs = [];
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const v = JSON.parse(trimmed);
      (Array.isArray(v) ? v : [v]).forEach((o) => objs.push(o));
      return flattenLists(objs);
    } catch {
      // Not JSON after all: YAML accepts JSON-like flow documents too.
    }
  }
  let docs;
  try {
    docs = YAML.parseAllDocuments(text, { version: '1.1', merge: true });
  } catch (e) {
    throw new KubectlError(`error: error parsing ${source}: ${e.message}`);
  }
  for (const d of docs) {
    if (d.errors?.length) {
      throw new KubectlError(
        `error: error parsing ${source}: error converting YAML to JSON: yaml: ${d.errors[0].message.split('\n')[0]}`,
      );
    }
    const v = d.toJS({ maxAliasCount: -1 });
    if (v === null || v === undefined) continue;
    if (typeof v !== 'object' || Array.isArray(v)) {
      throw new KubectlError(
        `error: error parsing ${source}: error unmarshaling JSON: json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type map[string]interface {}`,
      );
    }
    objs.push(v);
  }
  return flattenLists(objs);
}

function flattenLists(objs) {
  return objs.flatMap((o) =>
    o && typeof o === 'object' && /List$/.test(o.kind ?? '') && Array.isArray(o.items)
      ? o.items
      : [o],
  );
}

const ALL_CATEGORY = [
  'pods',
  'replicationcontrollers',
  'services',
  'daemonsets',
  'deployments',
  'replicasets',
  'statefulsets',
  'horizontalpodautoscalers',
  'cronjobs',
  'jobs',
];

const OUTPUT_FLAGS = {
  output: { short: 'o', type: 'string', def: '' },
  template: { type: 'string' },
  'allow-missing-template-keys': { type: 'bool', def: true },
  'show-managed-fields': { type: 'bool' },
};

const COMMON_RES = {
  filename: { short: 'f', type: 'array', split: false },
  recursive: { short: 'R', type: 'bool' },
  selector: { short: 'l', type: 'string' },
  'field-selector': { type: 'string' },
  'all-namespaces': { short: 'A', type: 'bool' },
  kustomize: { short: 'k', type: 'string' },
};

export class Kubectl {
  /**
   * @param opts.store         the API server's store
   * @param opts.clientVersion kubectl's own version (the runner's, or the snap's)
   * @param opts.serverVersion the cluster's version
   * @param opts.namespace     the kubeconfig context's namespace (default "default")
   * @param opts.kubeconfig    {path, config} for `config view`
   * @param opts.write / writeErr output sinks
   */
  constructor(opts) {
    this.store = opts.store ?? new Store();
    this.clientVersion = opts.clientVersion;
    this.serverVersion = opts.serverVersion;
    this.contextNamespace = opts.namespace || 'default';
    this.kubeconfig = opts.kubeconfig;
    this.write = opts.write ?? ((s) => process.stdout.write(s));
    this.writeErr = opts.writeErr ?? ((s) => process.stderr.write(s));
    this.readStdin = opts.readStdin ?? (() => fs.readFileSync(0, 'utf8'));
    this.clientMinor = minorOf({ version: this.clientVersion });
    this.failed = false;
  }

  out(s) {
    this.write(s.endsWith('\n') ? s : s + '\n');
  }
  err(s) {
    this.writeErr(s.endsWith('\n') ? s : s + '\n');
  }

  async run(argv) {
    try {
      const code = await this.dispatch(argv);
      return code ?? (this.failed ? 1 : 0);
    } catch (e) {
      return this.report(e);
    }
  }

  report(e) {
    if (e instanceof UsageError || e instanceof KubectlError) {
      this.err(e.message);
      return e.exitCode ?? 1;
    }
    if (e instanceof ApiError || e.reason) {
      if (e.reason === 'Invalid') this.err(e.message);
      else this.err(`Error from server (${e.reason}): ${e.message}`);
      return 1;
    }
    if (e instanceof SelectorError || e instanceof JsonPathError) {
      this.err(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }

  apiErr(e, context) {
    if (e.reason === 'Invalid') this.err(e.message);
    else if (e.reason)
      this.err(`Error from server (${e.reason}): ${context ? `${context}: ` : ''}${e.message}`);
    else throw e;
    this.failed = true;
  }

  async dispatch(argv) {
    const cmdIndex = argv.findIndex((a, i) => !a.startsWith('-') && !isFlagValue(argv, i));
    const cmd = cmdIndex === -1 ? undefined : argv[cmdIndex];
    const rest = cmdIndex === -1 ? argv : [...argv.slice(0, cmdIndex), ...argv.slice(cmdIndex + 1)];
    switch (cmd) {
      case undefined:
        if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
          this.out(
            'kubectl controls the Kubernetes cluster manager.\n\n Find more information at: https://kubernetes.io/docs/reference/kubectl/',
          );
          return 0;
        }
        if (argv.includes('--version')) return this.cmdVersion(['--client']);
        parseFlags(argv, GLOBAL_FLAGS, '');
        return 0;
      case 'get':
        return this.cmdGet(rest);
      case 'describe':
        return this.cmdDescribe(rest);
      case 'apply':
        return this.cmdApply(rest);
      case 'create':
        return this.cmdCreate(rest);
      case 'delete':
        return this.cmdDelete(rest);
      case 'patch':
        return this.cmdPatch(rest);
      case 'wait':
        return this.cmdWait(rest);
      case 'rollout':
        return this.cmdRollout(rest);
      case 'logs':
        return this.cmdLogs(rest);
      case 'version':
        return this.cmdVersion(rest);
      case 'config':
        return this.cmdConfig(rest);
      case 'cluster-info':
        return this.cmdClusterInfo(rest);
      case 'run':
        return this.cmdRun(rest);
      case 'label':
      case 'annotate':
        return this.cmdLabel(cmd, rest);
      case 'scale':
        return this.cmdScale(rest);
      case 'api-resources':
        return this.cmdApiResources(rest);
      case 'exec':
      case 'attach':
      case 'port-forward':
      case 'cp':
      case 'debug':
      case 'proxy':
      case 'edit':
      case 'top':
        throw new KubectlError(
          `error: kubectl ${cmd} is not supported by the bed's emulated cluster (its pods do not run processes)`,
        );
      default:
        throw new KubectlError(`error: unknown command "${cmd}" for "kubectl"`);
    }
  }

  ns(flags) {
    return flags.namespace || this.contextNamespace;
  }

  // ---------------------------------------------------------------- resource targets

  resource(arg) {
    const r = resolveResource(arg, this.store);
    if (!r) throw new KubectlError(`error: the server doesn't have a resource type "${arg}"`);
    return r;
  }

  /**
   * kubectl's resource builder: `TYPE[,TYPE] [NAME...]` or `TYPE/NAME...`.
   * Returns [{r, names|null}] in argument order.
   */
  targets(args, cmd) {
    if (!args.length) return [];
    if (args.some((a) => a.includes('/'))) {
      if (!args.every((a) => a.includes('/'))) {
        throw new KubectlError(
          "error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl " +
            cmd +
            " resource/<resource_name>' instead of 'kubectl " +
            cmd +
            " resource resource/<resource_name>'",
        );
      }
      const out = [];
      for (const a of args) {
        const i = a.indexOf('/');
        const r = this.resource(a.slice(0, i));
        const name = a.slice(i + 1);
        if (!name)
          throw new KubectlError(
            `error: arguments in resource/name form must have a single resource and name`,
          );
        const last = out[out.length - 1];
        if (last && last.r === r) last.names.push(name);
        else out.push({ r, names: [name] });
      }
      return out;
    }
    const [types, ...names] = args;
    const rs = [];
    for (const t of types.split(',')) {
      if (t === 'all') {
        for (const p of ALL_CATEGORY) rs.push(allResources(this.store).find((x) => x.plural === p));
      } else rs.push(this.resource(t));
    }
    if (names.length && rs.length > 1) {
      return rs.map((r) => ({ r, names }));
    }
    return rs.map((r) => ({ r, names: names.length ? names : null }));
  }

  filterList(objs, r, flags) {
    let out = objs;
    if (flags.selector) {
      const m = parseLabelSelector(flags.selector);
      out = out.filter((o) => m(o.metadata.labels));
    }
    if (flags['field-selector']) {
      let m;
      try {
        m = parseFieldSelector(flags['field-selector'], r.plural);
      } catch (e) {
        if (e.badField) {
          throw new ApiError(
            400,
            'BadRequest',
            `Unable to find "${r.group ? `${r.group}/` : '/'}${r.version}, Resource=${r.plural}" that match label selector "${flags.selector ?? ''}", field selector "${flags['field-selector']}": ${e.message}`,
          );
        }
        throw e;
      }
      out = out.filter(m);
    }
    return out;
  }

  list(r, ns) {
    if (r.plural === 'events')
      return this.store
        .listEvents(ns)
        .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    return this.store.list(r.plural, r.namespaced ? ns : null);
  }

  getOne(r, ns, name) {
    if (r.plural === 'events')
      return this.store.listEvents(ns).find((e) => e.metadata.name === name) ?? null;
    return this.store.get(r.plural, r.namespaced ? ns : null, name);
  }

  readFileArgs(files, recursive) {
    const out = [];
    for (const f of files) {
      if (f === '-') {
        out.push({ source: 'STDIN', text: this.readStdin() });
        continue;
      }
      if (/^https?:\/\//.test(f))
        throw new KubectlError(`error: unable to read URL "${f}": the bed has no network access`);
      let st;
      try {
        st = fs.statSync(f);
      } catch {
        throw new KubectlError(`error: the path "${f}" does not exist`);
      }
      if (st.isDirectory()) {
        const walk = (d, top) => {
          for (const e of fs
            .readdirSync(d, { withFileTypes: true })
            .sort((a, b) => a.name.localeCompare(b.name))) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) {
              if (recursive) walk(p, false);
            } else if (/\.(ya?ml|json)$/.test(e.name)) out.push({ source: p, text: readText(p) });
          }
          void top;
        };
        walk(f, true);
      } else out.push({ source: f, text: readText(f) });
    }
    return out;
  }

  /** Objects from -f, each with its resource; unknown kinds are reported and skipped. */
  objectsFromFiles(flags, { validate = true } = {}) {
    const out = [];
    for (const { source, text } of this.readFileArgs(flags.filename, flags.recursive)) {
      for (const obj of parseManifests(text, source)) {
        const missing = [];
        if (!obj.apiVersion) missing.push('apiVersion not set');
        if (!obj.kind) missing.push('kind not set');
        if (missing.length) {
          if (validate) {
            throw new KubectlError(
              `error: error validating "${source}": error validating data: ${missing.length > 1 ? `[${missing.join(', ')}]` : missing[0]}; if you choose to ignore these errors, turn validation off with --validate=false`,
            );
          }
          throw new KubectlError(
            `error: unable to decode "${source}": Object 'Kind' is missing in '${JSON.stringify(obj)}'`,
          );
        }
        const r = resourceForKind(obj.apiVersion, obj.kind, this.store);
        if (!r) {
          this.err(
            `error: resource mapping not found for name: "${obj.metadata?.name ?? ''}" namespace: "${obj.metadata?.namespace ?? ''}" from "${source}": no matches for kind "${obj.kind}" in version "${obj.apiVersion}"\nensure CRDs are installed first`,
          );
          this.failed = true;
          continue;
        }
        out.push({ obj, r, source });
      }
    }
    return out;
  }

  objectNamespace(r, obj, flags) {
    if (!r.namespaced) return undefined;
    const explicit = flags.namespace;
    const own = obj.metadata?.namespace;
    if (own && explicit && own !== explicit) {
      throw new KubectlError(
        `error: the namespace from the provided object "${own}" does not match the namespace "${explicit}". You must pass '--namespace=${own}' to perform this operation.`,
      );
    }
    return own || this.ns(flags);
  }

  // ---------------------------------------------------------------- printing

  printObjects(
    items,
    flags,
    { single = false, r = null, kindPrefix = false, namespaceCol = false } = {},
  ) {
    const fmt = flags.output ?? '';
    if (fmt === 'json' || fmt === 'yaml') {
      const v =
        single && items.length === 1
          ? items[0].obj
          : {
              apiVersion: 'v1',
              items: items.map((i) => i.obj),
              kind: 'List',
              metadata: { resourceVersion: '' },
            };
      this.write(fmt === 'json' ? goJson(v, 4) + '\n' : toYaml(v));
      return;
    }
    if (fmt === 'name') {
      for (const i of items) this.out(`${typeName(i.r)}/${i.obj.metadata.name}`);
      return;
    }
    if (fmt.startsWith('jsonpath=') || fmt.startsWith('jsonpath-as-json=')) {
      const tpl = fmt.slice(fmt.indexOf('=') + 1);
      const data =
        single && items.length === 1
          ? items[0].obj
          : {
              apiVersion: 'v1',
              items: items.map((i) => i.obj),
              kind: 'List',
              metadata: { resourceVersion: '' },
            };
      parseTemplate(tpl);
      this.write(jsonpathExecute(tpl, data));
      return;
    }
    if (
      fmt.startsWith('jsonpath-file=') ||
      fmt.startsWith('go-template') ||
      fmt.startsWith('template')
    ) {
      throw new KubectlError(
        `error: output format "${fmt.split('=')[0]}" is not supported by the bed's kubectl`,
      );
    }
    if (fmt.startsWith('custom-columns=')) {
      const cols = fmt
        .slice('custom-columns='.length)
        .split(',')
        .map((c) => {
          const i = c.indexOf(':');
          if (i === -1)
            throw new KubectlError(
              `error: unexpected custom-columns spec: ${c}, expected <header>:<json-path-expr>`,
            );
          return [c.slice(0, i), parsePath(relaxed(c.slice(i + 1)).slice(1, -1))];
        });
      const lines = [];
      if (!flags['no-headers']) lines.push(cols.map((c) => c[0]).join('\t'));
      for (const i of items) {
        lines.push(
          cols
            .map(([, p]) => {
              const v = evalPath(p, i.obj);
              return v.length
                ? v.map((x) => (typeof x === 'object' ? goJson(x) : String(x))).join(',')
                : '<none>';
            })
            .join('\t'),
        );
      }
      this.write(tabwrite(lines.join('\n') + '\n', { minwidth: 6, padding: 3 }));
      return;
    }
    if (fmt !== '' && fmt !== 'wide') {
      throw new KubectlError(
        `error: unable to match a printer suitable for the output format "${fmt}", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml`,
      );
    }
    // Tables: one per resource type, a blank line between them.
    const groups = [];
    for (const i of items) {
      const g = groups[groups.length - 1];
      if (g && g.r === i.r) g.items.push(i);
      else groups.push({ r: i.r, items: [i] });
    }
    const blocks = [];
    for (const g of groups) {
      const { headers, rows } = tableFor(
        g.r,
        g.items.map((i) => i.obj),
        { wide: fmt === 'wide' },
      );
      const hdr = [...headers];
      const rowsOut = rows.map((row, k) => {
        const o = g.items[k].obj;
        const cells = [...row];
        if (kindPrefix) cells[0] = `${typeName(g.r)}/${cells[0]}`;
        if (flags['show-labels']) cells.push(labelsString(o.metadata.labels));
        if (namespaceCol) cells.unshift(o.metadata.namespace ?? '');
        return cells;
      });
      if (flags['show-labels']) hdr.push('LABELS');
      if (namespaceCol) hdr.unshift('NAMESPACE');
      const lines = flags['no-headers'] ? [] : [hdr.join('\t')];
      for (const row of rowsOut) lines.push(row.join('\t'));
      blocks.push(tabwrite(lines.join('\n') + '\n', { minwidth: 6, padding: 3 }));
    }
    this.write(blocks.join('\n'));
    void r;
  }

  // ---------------------------------------------------------------- get

  async cmdGet(args) {
    const spec = {
      ...GLOBAL_FLAGS,
      ...OUTPUT_FLAGS,
      ...COMMON_RES,
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
    this.checkOutput(flags.output);
    let targets;
    if (flags.filename.length) {
      targets = this.objectsFromFiles(flags).map(({ obj, r }) => ({
        r,
        names: [obj.metadata.name],
        ns: this.objectNamespace(r, obj, flags),
      }));
    } else {
      if (!positional.length) {
        throw new KubectlError(
          'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse "kubectl explain <resource>" for a detailed description of that resource (e.g. kubectl explain pods).\nSee \'kubectl get -h\' for help and examples',
        );
      }
      targets = this.targets(positional, 'get');
    }
    const allNs = flags['all-namespaces'];
    const ns = this.ns(flags);
    const items = [];
    let anyNamed = false;
    for (const t of targets) {
      const tns = t.ns ?? ns;
      if (t.names) {
        anyNamed = true;
        for (const name of t.names) {
          const o = this.getOne(t.r, allNs && !t.ns ? ns : tns, name);
          if (!o) {
            if (!flags['ignore-not-found']) {
              this.err(`Error from server (NotFound): ${qualifiedPlural(t.r)} "${name}" not found`);
              this.failed = true;
            }
            continue;
          }
          items.push({ r: t.r, obj: o });
        }
      } else {
        let objs = this.list(t.r, allNs ? null : tns);
        objs = this.filterList(objs, t.r, flags);
        for (const o of objs) items.push({ r: t.r, obj: o });
      }
    }
    if (flags['sort-by']) {
      const p = parsePath(relaxed(flags['sort-by']).slice(1, -1));
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
    const multiType = new Set(targets.map((t) => t.r)).size > 1;
    if (!items.length) {
      const fmt = flags.output ?? '';
      if (
        !anyNamed &&
        (fmt === '' || fmt === 'wide' || fmt === 'name' || fmt.startsWith('custom-columns'))
      ) {
        const scoped = targets.every((t) => t.r.namespaced) && !allNs;
        this.err(scoped ? `No resources found in ${ns} namespace.` : 'No resources found');
      } else if (!anyNamed && (fmt === 'json' || fmt === 'yaml')) {
        this.printObjects([], flags);
      } else if (!anyNamed && fmt.startsWith('jsonpath')) {
        this.printObjects([], flags);
      }
      return this.failed ? 1 : 0;
    }
    const single =
      anyNamed &&
      items.length === 1 &&
      targets.length === 1 &&
      targets[0].names?.length === 1 &&
      !flags.filename.length;
    this.printObjects(items, flags, {
      single: single || (flags.filename.length > 0 && items.length === 1),
      kindPrefix:
        multiType || flags['show-kind'] || positional.some((a) => a.split(',').includes('all')),
      namespaceCol: allNs,
    });
    return this.failed ? 1 : 0;
  }

  checkOutput(fmt) {
    if (!fmt) return;
    const ok =
      ['json', 'yaml', 'wide', 'name'].includes(fmt) ||
      /^(jsonpath|jsonpath-as-json|jsonpath-file|custom-columns|custom-columns-file|go-template|go-template-file|template|templatefile)=/.test(
        fmt,
      );
    if (!ok) {
      throw new KubectlError(
        `error: unable to match a printer suitable for the output format "${fmt}", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml`,
      );
    }
  }

  // ---------------------------------------------------------------- describe

  eventsFor(o) {
    return this.store
      .listEvents(o.metadata.namespace ?? 'default')
      .filter((e) => e.involvedObject?.uid === o.metadata.uid);
  }

  async cmdDescribe(args) {
    const spec = {
      ...GLOBAL_FLAGS,
      ...COMMON_RES,
      'show-events': { type: 'bool', def: true },
      'chunk-size': { type: 'int', def: 500 },
    };
    const { flags, positional } = parseFlags(args, spec, 'describe');
    let targets;
    if (flags.filename.length) {
      targets = this.objectsFromFiles(flags).map(({ obj, r }) => ({
        r,
        names: [obj.metadata.name],
        ns: this.objectNamespace(r, obj, flags),
      }));
    } else {
      if (!positional.length) {
        throw new KubectlError(
          'You must specify the type of resource to describe. Use "kubectl api-resources" for a complete list of supported resources.',
        );
      }
      targets = this.targets(positional, 'describe');
    }
    const ns = this.ns(flags);
    const docs = [];
    for (const t of targets) {
      let objs;
      if (t.names) {
        objs = [];
        for (const name of t.names) {
          let o = this.getOne(t.r, t.ns ?? ns, name);
          if (!o && t.names.length === 1) {
            // kubectl describe TYPE PREFIX describes every object whose name starts with it.
            const matches = this.list(t.r, t.ns ?? ns).filter((x) =>
              x.metadata.name.startsWith(name),
            );
            if (matches.length) {
              objs.push(...matches);
              continue;
            }
          }
          if (!o) {
            this.err(`Error from server (NotFound): ${qualifiedPlural(t.r)} "${name}" not found`);
            this.failed = true;
            continue;
          }
          objs.push(o);
        }
      } else {
        objs = this.filterList(this.list(t.r, flags['all-namespaces'] ? null : ns), t.r, flags);
        if (!objs.length) {
          this.err(
            flags['all-namespaces'] || !t.r.namespaced
              ? 'No resources found'
              : `No resources found in ${ns} namespace.`,
          );
        }
      }
      for (const o of objs) {
        const events = flags['show-events'] ? this.eventsFor(o) : [];
        const opts = { fieldPathPrefix: this.clientMinor >= 35 };
        docs.push(
          t.r.plural === 'pods'
            ? describePod(o, events, opts)
            : describeGeneric(t.r, o, events, opts),
        );
      }
    }
    this.write(docs.join('\n\n'));
    return this.failed ? 1 : 0;
  }

  // ---------------------------------------------------------------- apply / create

  lastApplied(obj) {
    const copy = JSON.parse(JSON.stringify(obj));
    if (copy.metadata?.annotations) {
      delete copy.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
      if (!Object.keys(copy.metadata.annotations).length) delete copy.metadata.annotations;
    }
    return goJson(copy) + '\n';
  }

  async cmdApply(args) {
    const spec = {
      ...GLOBAL_FLAGS,
      ...OUTPUT_FLAGS,
      filename: { short: 'f', type: 'array', split: false },
      recursive: { short: 'R', type: 'bool' },
      selector: { short: 'l', type: 'string' },
      kustomize: { short: 'k', type: 'string' },
      'dry-run': { type: 'string', def: 'none', noOpt: 'unchanged' },
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
    if (
      positional[0] === 'view-last-applied' ||
      positional[0] === 'set-last-applied' ||
      positional[0] === 'edit-last-applied'
    ) {
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
    if (flags.kustomize)
      throw new KubectlError('error: kustomize (-k) is not supported by the bed');
    const dry = this.dryRun(flags['dry-run']);
    this.checkOutput(flags.output);
    const applied = [];
    const objs = this.objectsFromFiles(flags, {
      validate: flags.validate !== 'false' && flags.validate !== 'ignore',
    });
    for (const item of objs) {
      const done = this.applyOne(item, flags, dry);
      if (done) applied.push(done);
    }
    this.printMutations(applied, flags, dry);
    return this.failed ? 1 : 0;
  }

  /** Client-side apply of one object; reports its own errors, returns {r, obj, verb} or null. */
  applyOne({ obj, r, source }, flags, dry) {
    if (!obj.metadata?.name) {
      this.err(
        `error: error when retrieving current configuration of:\nResource: "${qualifiedPlural(r)}", GroupVersionKind: "${obj.apiVersion}, Kind=${obj.kind}"\nName: "", Namespace: "${obj.metadata?.namespace ?? ''}"\nfrom server for: "${source}": resource name may not be empty`,
      );
      this.failed = true;
      return null;
    }
    let nsName;
    try {
      nsName = this.objectNamespace(r, obj, flags);
    } catch (e) {
      this.err(e.message);
      this.failed = true;
      return null;
    }
    const desired = JSON.parse(JSON.stringify(obj));
    desired.metadata = { ...desired.metadata };
    if (r.namespaced) desired.metadata.namespace = nsName;
    const annotation = this.lastApplied(desired);
    desired.metadata.annotations = {
      ...(desired.metadata.annotations ?? {}),
      'kubectl.kubernetes.io/last-applied-configuration': annotation,
    };
    const live = this.store.getRaw(r.plural, nsName, desired.metadata.name);
    try {
      if (!live)
        return { r, obj: this.store.create(r, desired, { dryRun: !!dry }), verb: 'created' };
      const prevApplied = safeJson(
        live.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'],
      );
      const merged = threeWayMerge(live, desired, prevApplied);
      if (dry) {
        const verb = sameJson(stripVolatile(live), stripVolatile(merged))
          ? 'unchanged'
          : 'configured';
        return { r, obj: this.store.merge(r.plural, merged), verb };
      }
      const { obj: updated, changed } = this.store.update(r, merged);
      return { r, obj: updated, verb: changed ? 'configured' : 'unchanged' };
    } catch (e) {
      this.apiErr(e, `error when ${live ? 'applying patch' : 'creating'} "${source}"`);
      return null;
    }
  }

  /** `kubectl apply -f -` of in-memory manifests (the addon scripts' way); prints like apply. */
  applyObjects(objs, source = 'STDIN') {
    const flags = { namespace: undefined, output: '' };
    const done = [];
    for (const obj of objs) {
      const r = resourceForKind(obj.apiVersion, obj.kind, this.store);
      if (!r) {
        this.err(
          `error: resource mapping not found for name: "${obj.metadata?.name ?? ''}" namespace: "${obj.metadata?.namespace ?? ''}" from "${source}": no matches for kind "${obj.kind}" in version "${obj.apiVersion}"\nensure CRDs are installed first`,
        );
        this.failed = true;
        continue;
      }
      const item = this.applyOne({ obj, r, source }, flags, null);
      if (item) done.push(item);
    }
    this.printMutations(done, flags, null);
    return !this.failed;
  }

  dryRun(v) {
    if (v === 'none' || v === undefined || v === 'false') return null;
    if (v === 'client' || v === 'server') return v;
    if (v === 'true') return 'client';
    throw new KubectlError(
      `error: Invalid dry-run value (${v}). Must be "none", "server", or "client".`,
    );
  }

  printMutations(items, flags, dry) {
    const fmt = flags.output ?? '';
    if (fmt && fmt !== 'name') {
      this.printObjects(items, flags, { single: items.length === 1 });
      return;
    }
    for (const i of items) {
      if (fmt === 'name') this.out(`${typeName(i.r)}/${i.obj.metadata.name}`);
      else
        this.out(
          `${typeName(i.r)}/${i.obj.metadata.name} ${i.verb}${dry ? ` (${dry === 'server' ? 'server dry run' : 'dry run'})` : ''}`,
        );
    }
  }

  async cmdCreate(args) {
    const base = {
      ...GLOBAL_FLAGS,
      ...OUTPUT_FLAGS,
      'dry-run': { type: 'string', def: 'none', noOpt: 'unchanged' },
      'save-config': { type: 'bool' },
      validate: { type: 'string', def: 'strict', noOpt: 'strict' },
      'field-manager': { type: 'string', def: 'kubectl-create' },
    };
    const sub = args.find((a, i) => !a.startsWith('-') && !isFlagValue(args, i));
    const rest = sub
      ? args.filter((a) => a !== sub || args.indexOf(a) !== args.indexOf(sub))
      : args;
    const emit = (r, obj, flags) => {
      const dry = this.dryRun(flags['dry-run']);
      this.checkOutput(flags.output);
      let created;
      try {
        created =
          dry === 'client'
            ? stripForDryRun(obj)
            : this.store.create(r, obj, { dryRun: dry === 'server' });
      } catch (e) {
        if (e.code === 409 && r.plural === 'secrets')
          throw new KubectlError(`error: failed to create secret ${e.message}`);
        if (e.code === 409 && r.plural === 'configmaps')
          throw new KubectlError(`error: failed to create configmap ${e.message}`);
        throw e;
      }
      this.printMutations([{ r, obj: created, verb: 'created' }], flags, dry);
      return 0;
    };
    const needName = (positional, what) => {
      if (positional.length !== 1) {
        throw new KubectlError(
          `error: exactly one NAME is required, got ${positional.length}\nSee 'kubectl create ${what} -h' for help and examples`,
        );
      }
      return positional[0];
    };
    switch (sub) {
      case 'namespace':
      case 'ns': {
        const { flags, positional } = parseFlags(rest, base, 'create namespace');
        const name = needName(positional, 'namespace');
        return emit(
          this.resource('namespaces'),
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
          flags,
        );
      }
      case 'serviceaccount':
      case 'sa': {
        const { flags, positional } = parseFlags(rest, base, 'create serviceaccount');
        const name = needName(positional, 'serviceaccount');
        return emit(
          this.resource('serviceaccounts'),
          {
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            metadata: { name, namespace: this.ns(flags) },
          },
          flags,
        );
      }
      case 'secret': {
        const kind = rest.find((a, i) => !a.startsWith('-') && !isFlagValue(rest, i));
        const rest2 = rest.filter((_, i) => i !== rest.indexOf(kind));
        if (kind === 'docker-registry') {
          const spec = {
            ...base,
            'docker-server': { type: 'string', def: 'https://index.docker.io/v1/' },
            'docker-username': { type: 'string' },
            'docker-password': { type: 'string' },
            'docker-email': { type: 'string' },
            'from-file': { type: 'array', split: false },
            'append-hash': { type: 'bool' },
          };
          const { flags, positional } = parseFlags(rest2, spec, 'create secret docker-registry');
          const name = needName(positional, 'secret docker-registry');
          let data;
          if (flags['from-file'].length) {
            data = {};
            for (const f of flags['from-file']) {
              const [k, p] = f.includes('=') ? f.split('=') : ['.dockerconfigjson', f];
              data[k] = fs.readFileSync(p).toString('base64');
            }
          } else {
            const missing = ['docker-username', 'docker-password'].filter((k) => !flags[k]);
            if (missing.length) {
              throw new KubectlError(
                `error: either --from-file or the combination of --docker-username, --docker-password and --docker-server is required`,
              );
            }
            const entry = {
              username: flags['docker-username'],
              password: flags['docker-password'],
            };
            if (flags['docker-email']) entry.email = flags['docker-email'];
            entry.auth = Buffer.from(
              `${flags['docker-username']}:${flags['docker-password']}`,
            ).toString('base64');
            const cfg = { auths: { [flags['docker-server']]: entry } };
            data = { '.dockerconfigjson': Buffer.from(JSON.stringify(cfg)).toString('base64') };
          }
          const meta = { name };
          if (flags.__set.has('namespace')) meta.namespace = flags.namespace;
          const obj = {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: meta,
            type: 'kubernetes.io/dockerconfigjson',
            data,
          };
          if (!this.dryRun(flags['dry-run'])) obj.metadata.namespace = this.ns(flags);
          return emit(this.resource('secrets'), obj, flags);
        }
        if (kind === 'generic' || kind === 'tls') {
          const spec = {
            ...base,
            'from-literal': { type: 'array', split: false },
            'from-file': { type: 'array', split: false },
            'from-env-file': { type: 'array', split: false },
            type: { type: 'string' },
            cert: { type: 'string' },
            key: { type: 'string' },
            'append-hash': { type: 'bool' },
          };
          const { flags, positional } = parseFlags(rest2, spec, `create secret ${kind}`);
          const name = needName(positional, `secret ${kind}`);
          const data = {};
          if (kind === 'tls') {
            data['tls.crt'] = fs.readFileSync(flags.cert).toString('base64');
            data['tls.key'] = fs.readFileSync(flags.key).toString('base64');
          }
          for (const l of flags['from-literal']) {
            const i = l.indexOf('=');
            data[l.slice(0, i)] = Buffer.from(l.slice(i + 1)).toString('base64');
          }
          for (const f of flags['from-file']) {
            const [k, p] = f.includes('=') ? f.split('=') : [path.basename(f), f];
            data[k] = fs.readFileSync(p).toString('base64');
          }
          const meta = { name };
          if (flags.__set.has('namespace')) meta.namespace = flags.namespace;
          const obj = { apiVersion: 'v1', kind: 'Secret', metadata: meta, data };
          obj.type = kind === 'tls' ? 'kubernetes.io/tls' : flags.type;
          if (!obj.type) delete obj.type;
          if (!this.dryRun(flags['dry-run'])) obj.metadata.namespace = this.ns(flags);
          return emit(this.resource('secrets'), obj, flags);
        }
        throw new KubectlError(
          `error: unknown command "${kind ?? ''}" for "kubectl create secret"`,
        );
      }
      case 'configmap':
      case 'cm': {
        const spec = {
          ...base,
          'from-literal': { type: 'array', split: false },
          'from-file': { type: 'array', split: false },
          'append-hash': { type: 'bool' },
        };
        const { flags, positional } = parseFlags(rest, spec, 'create configmap');
        const name = needName(positional, 'configmap');
        const data = {};
        for (const l of flags['from-literal']) {
          const i = l.indexOf('=');
          data[l.slice(0, i)] = l.slice(i + 1);
        }
        for (const f of flags['from-file']) {
          const [k, p] = f.includes('=') ? f.split('=') : [path.basename(f), f];
          data[k] = fs.readFileSync(p, 'utf8');
        }
        return emit(
          this.resource('configmaps'),
          {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name, namespace: this.ns(flags) },
            data,
          },
          flags,
        );
      }
      case 'deployment':
      case 'deploy': {
        const spec = {
          ...base,
          image: { type: 'array' },
          replicas: { short: 'r', type: 'int', def: 1 },
          port: { type: 'int', def: -1 },
        };
        const { flags, positional } = parseFlags(rest, spec, 'create deployment');
        const name = needName(positional, 'deployment');
        if (!flags.image.length) throw new KubectlError('error: required flag(s) "image" not set');
        const containers = flags.image.map((img) => {
          const c = { name: img.split('/').pop().split(/[:@]/)[0], image: img, resources: {} };
          if (flags.port >= 0) c.ports = [{ containerPort: flags.port }];
          return c;
        });
        const obj = {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { labels: { app: name }, name, namespace: this.ns(flags) },
          spec: {
            replicas: flags.replicas,
            selector: { matchLabels: { app: name } },
            strategy: {},
            template: { metadata: { labels: { app: name } }, spec: { containers } },
          },
        };
        return emit(this.resource('deployments'), obj, flags);
      }
      default: {
        const spec = {
          ...base,
          filename: { short: 'f', type: 'array', split: false },
          recursive: { short: 'R', type: 'bool' },
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
        const dry = this.dryRun(flags['dry-run']);
        const done = [];
        for (const { obj, r, source } of this.objectsFromFiles(flags)) {
          const o = JSON.parse(JSON.stringify(obj));
          o.metadata ??= {};
          try {
            if (r.namespaced) o.metadata.namespace = this.objectNamespace(r, o, flags);
            done.push({ r, obj: this.store.create(r, o, { dryRun: !!dry }), verb: 'created' });
          } catch (e) {
            if (e instanceof KubectlError) {
              this.err(e.message);
              this.failed = true;
            } else this.apiErr(e, `error when creating "${source}"`);
          }
        }
        this.printMutations(done, flags, dry);
        return this.failed ? 1 : 0;
      }
    }
  }

  async cmdRun(args) {
    const spec = {
      ...GLOBAL_FLAGS,
      ...OUTPUT_FLAGS,
      image: { type: 'string' },
      restart: { type: 'string', def: 'Always' },
      'image-pull-policy': { type: 'string' },
      labels: { short: 'l', type: 'string' },
      annotations: { type: 'array', split: false },
      env: { type: 'array', split: false },
      port: { type: 'string' },
      command: { type: 'bool' },
      overrides: { type: 'string' },
      'dry-run': { type: 'string', def: 'none', noOpt: 'unchanged' },
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
      const [k, v] = kv.split('=');
      labels[k] = v ?? '';
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
      c.env = flags.env.map((e) => ({
        name: e.split('=')[0],
        value: e.split('=').slice(1).join('='),
      }));
    if (flags.port) c.ports = [{ containerPort: Number(flags.port) }];
    let pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { labels, name, namespace: this.ns(flags) },
      spec: { containers: [c], dnsPolicy: 'ClusterFirst', restartPolicy: flags.restart },
    };
    if (flags.annotations.length)
      pod.metadata.annotations = Object.fromEntries(
        flags.annotations.map((a) => [a.split('=')[0], a.split('=').slice(1).join('=')]),
      );
    if (flags.overrides) pod = jsonMergePatch(pod, JSON.parse(flags.overrides));
    const dry = this.dryRun(flags['dry-run']);
    const created =
      dry === 'client'
        ? pod
        : this.store.create(this.resource('pods'), pod, { dryRun: dry === 'server' });
    this.printMutations([{ r: this.resource('pods'), obj: created, verb: 'created' }], flags, dry);
    return 0;
  }

  // ---------------------------------------------------------------- delete

  async cmdDelete(args) {
    const spec = {
      ...GLOBAL_FLAGS,
      ...COMMON_RES,
      output: { short: 'o', type: 'string' },
      all: { type: 'bool' },
      'ignore-not-found': { type: 'bool' },
      wait: { type: 'bool', def: true },
      now: { type: 'bool' },
      force: { type: 'bool' },
      'grace-period': { type: 'int', def: -1 },
      timeout: { type: 'string', def: '0s' },
      cascade: { type: 'string', def: 'background', noOpt: 'background' },
      'dry-run': { type: 'string', def: 'none', noOpt: 'unchanged' },
      interactive: { short: 'i', type: 'bool' },
      raw: { type: 'string' },
    };
    const { flags, positional } = parseFlags(args, spec, 'delete');
    if (flags.force && flags['grace-period'] === 0) {
      this.err(
        'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.',
      );
    }
    const ns = this.ns(flags);
    const dry = this.dryRun(flags['dry-run']);
    const victims = [];
    if (flags.filename.length) {
      for (const { obj, r } of this.objectsFromFiles(flags)) {
        const n = this.objectNamespace(r, obj, flags);
        victims.push({ r, ns: n, name: obj.metadata?.name, explicit: true });
      }
    } else {
      if (!positional.length) {
        throw new KubectlError(
          "error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'",
        );
      }
      const targets = this.targets(positional, 'delete');
      for (const t of targets) {
        if (t.names) {
          for (const name of t.names) victims.push({ r: t.r, ns, name, explicit: true });
        } else {
          if (!flags.all && !flags.selector && !flags['field-selector']) {
            throw new KubectlError('error: resource(s) were provided, but no name was specified');
          }
          const objs = this.filterList(
            this.list(t.r, flags['all-namespaces'] ? null : ns),
            t.r,
            flags,
          );
          for (const o of objs)
            victims.push({ r: t.r, ns: o.metadata.namespace, name: o.metadata.name });
        }
      }
      if (!victims.length && !flags['ignore-not-found']) {
        this.err(
          flags['all-namespaces'] ? 'No resources found' : `No resources found in ${ns} namespace.`,
        );
        return 0;
      }
    }
    for (const v of victims) {
      const vns = v.r.namespaced ? v.ns : null;
      const cur = this.getOne(v.r, vns, v.name);
      if (!cur) {
        if (!flags['ignore-not-found']) {
          this.err(`Error from server (NotFound): ${qualifiedPlural(v.r)} "${v.name}" not found`);
          this.failed = true;
        }
        continue;
      }
      if (!dry) {
        if (v.r.plural === 'events')
          fs.rmSync(path.join(this.store.eventsDir(vns), `${v.name}.json`), { force: true });
        else this.store.delete(v.r, vns, v.name);
      }
      if (flags.output === 'name') this.out(`${typeName(v.r)}/${v.name}`);
      else {
        const where = this.clientMinor >= 35 && v.r.namespaced ? ` from ${vns} namespace` : '';
        this.out(
          `${typeName(v.r)} "${v.name}" deleted${where}${dry ? ` (${dry === 'server' ? 'server dry run' : 'dry run'})` : ''}`,
        );
      }
    }
    return this.failed ? 1 : 0;
  }

  // ---------------------------------------------------------------- patch / label / scale

  async cmdPatch(args) {
    const spec = {
      ...GLOBAL_FLAGS,
      ...OUTPUT_FLAGS,
      filename: { short: 'f', type: 'array', split: false },
      recursive: { short: 'R', type: 'bool' },
      kustomize: { short: 'k', type: 'string' },
      patch: { short: 'p', type: 'string' },
      'patch-file': { type: 'string' },
      type: { type: 'string', def: 'strategic' },
      local: { type: 'bool' },
      'dry-run': { type: 'string', def: 'none', noOpt: 'unchanged' },
      subresource: { type: 'string' },
      'field-manager': { type: 'string' },
      'allow-missing-template-keys': { type: 'bool', def: true },
    };
    const { flags, positional } = parseFlags(args, spec, 'patch');
    let text = flags.patch;
    if (flags['patch-file']) text = readText(flags['patch-file']);
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
    const targets = flags.filename.length
      ? this.objectsFromFiles(flags).map(({ obj, r }) => ({ r, names: [obj.metadata.name] }))
      : this.targets(positional, 'patch');
    if (!targets.length)
      throw new KubectlError(
        'error: You must provide one or more resources by argument or filename.',
      );
    const ns = this.ns(flags);
    const dry = this.dryRun(flags['dry-run']);
    for (const t of targets) {
      for (const name of t.names ?? []) {
        const cur = this.store.getRaw(t.r.plural, t.r.namespaced ? ns : null, name);
        if (!cur) throw notFound(t.r, name);
        let next;
        if (flags.type === 'json') next = jsonPatch(cur, patch);
        else if (flags.type === 'merge') next = jsonMergePatch(cur, patch);
        else next = strategicMerge(cur, patch);
        let changed;
        if (dry) changed = !sameJson(cur, next);
        else ({ changed } = this.store.update(t.r, next));
        if (flags.output && flags.output !== 'name')
          this.printObjects(
            [{ r: t.r, obj: this.store.get(t.r.plural, t.r.namespaced ? ns : null, name) }],
            flags,
            { single: true },
          );
        else if (flags.output === 'name') this.out(`${typeName(t.r)}/${name}`);
        else this.out(`${typeName(t.r)}/${name} patched${changed ? '' : ' (no change)'}`);
      }
    }
    return 0;
  }

  async cmdLabel(cmd, args) {
    const spec = {
      ...GLOBAL_FLAGS,
      ...OUTPUT_FLAGS,
      ...COMMON_RES,
      overwrite: { type: 'bool' },
      all: { type: 'bool' },
      list: { type: 'bool' },
      local: { type: 'bool' },
      'dry-run': { type: 'string', def: 'none', noOpt: 'unchanged' },
      'resource-version': { type: 'string' },
    };
    const { flags, positional } = parseFlags(args, spec, cmd);
    const pairs = positional.filter((a) => /=|-$/.test(a) && !a.includes('/'));
    const res = positional.filter((a) => !pairs.includes(a));
    const field = cmd === 'label' ? 'labels' : 'annotations';
    const ns = this.ns(flags);
    for (const t of this.targets(res, cmd)) {
      for (const name of t.names ?? []) {
        const cur = this.store.getRaw(t.r.plural, t.r.namespaced ? ns : null, name);
        if (!cur) throw notFound(t.r, name);
        const next = JSON.parse(JSON.stringify(cur));
        next.metadata[field] = { ...(next.metadata[field] ?? {}) };
        for (const p of pairs) {
          if (p.endsWith('-') && !p.includes('=')) delete next.metadata[field][p.slice(0, -1)];
          else {
            const [k, ...v] = p.split('=');
            if (
              k in next.metadata[field] &&
              next.metadata[field][k] !== v.join('=') &&
              !flags.overwrite
            ) {
              throw new KubectlError(
                `error: '${k}' already has a value (${next.metadata[field][k]}), and --overwrite is false`,
              );
            }
            next.metadata[field][k] = v.join('=');
          }
        }
        const { changed } = this.store.update(t.r, next);
        this.out(
          `${typeName(t.r)}/${name} ${changed ? (cmd === 'label' ? 'labeled' : 'annotated') : `not ${cmd === 'label' ? 'labeled' : 'annotated'}`}`,
        );
      }
    }
    return 0;
  }

  async cmdScale(args) {
    const spec = {
      ...GLOBAL_FLAGS,
      ...OUTPUT_FLAGS,
      ...COMMON_RES,
      replicas: { type: 'int', def: -1 },
      'current-replicas': { type: 'int', def: -1 },
      'resource-version': { type: 'string' },
      timeout: { type: 'string' },
      all: { type: 'bool' },
      'dry-run': { type: 'string', def: 'none', noOpt: 'unchanged' },
    };
    const { flags, positional } = parseFlags(args, spec, 'scale');
    if (flags.replicas < 0)
      throw new KubectlError(
        'error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0',
      );
    const ns = this.ns(flags);
    for (const t of this.targets(positional, 'scale')) {
      for (const name of t.names ?? []) {
        const cur = this.store.getRaw(t.r.plural, ns, name);
        if (!cur) throw notFound(t.r, name);
        const next = JSON.parse(JSON.stringify(cur));
        next.spec.replicas = flags.replicas;
        this.store.update(t.r, next);
        this.out(`${typeName(t.r)}/${name} scaled`);
      }
    }
    return 0;
  }

  // ---------------------------------------------------------------- wait / rollout

  async cmdWait(args) {
    const spec = {
      ...GLOBAL_FLAGS,
      ...COMMON_RES,
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
    const ns = this.ns(flags);
    let targets;
    if (flags.filename.length) {
      targets = this.objectsFromFiles(flags).map(({ obj, r }) => ({
        r,
        names: [obj.metadata.name],
        ns: this.objectNamespace(r, obj, flags),
      }));
    } else {
      if (!positional.length)
        throw new KubectlError('error: resource(s) were provided, but no name was specified');
      targets = this.targets(positional, 'wait');
    }
    const deadline = Date.now() + timeoutMs;
    const keys = [];
    for (const t of targets) {
      if (t.names) for (const name of t.names) keys.push({ r: t.r, ns: t.ns ?? ns, name });
      else {
        if (!flags.all && !flags.selector && !flags['field-selector'])
          throw new KubectlError('error: resource(s) were provided, but no name was specified');
        let objs = this.filterList(this.list(t.r, flags['all-namespaces'] ? null : ns), t.r, flags);
        if (!objs.length && cond.type === 'create') {
          while (!objs.length && Date.now() < deadline) {
            await sleep(200);
            objs = this.filterList(this.list(t.r, flags['all-namespaces'] ? null : ns), t.r, flags);
          }
        }
        if (!objs.length) throw new KubectlError('error: no matching resources found');
        for (const o of objs)
          keys.push({
            r: t.r,
            ns: o.metadata.namespace,
            name: o.metadata.name,
            uid: o.metadata.uid,
          });
      }
    }
    for (const k of keys) {
      const label = `${typeName(k.r)}/${k.name}`;
      for (;;) {
        const o = this.getOne(k.r, k.r.namespaced ? k.ns : null, k.name);
        if (cond.type === 'delete') {
          if (!o || (k.uid && o.metadata.uid !== k.uid)) {
            this.out(`${label} deleted`);
            break;
          }
        } else if (!o) {
          if (cond.type !== 'create') {
            if (keys.length && !k.uid)
              throw new ApiError(404, 'NotFound', `${qualifiedPlural(k.r)} "${k.name}" not found`);
          }
        } else if (cond.type === 'create') {
          this.out(`${label} condition met`);
          break;
        } else if (waitMet(cond, o)) {
          this.out(`${label} condition met`);
          break;
        }
        if (Date.now() >= deadline) {
          throw new KubectlError(
            `error: timed out waiting for the condition on ${qualifiedPlural(k.r)}/${k.name}`,
          );
        }
        await sleep(200);
      }
    }
    return 0;
  }

  async cmdRollout(args) {
    const sub = args.find((a, i) => !a.startsWith('-') && !isFlagValue(args, i));
    const rest = args.filter((_, i) => i !== args.indexOf(sub));
    if (sub !== 'status') {
      if (['history', 'pause', 'resume', 'undo', 'restart'].includes(sub)) {
        if (sub === 'restart') return this.rolloutRestart(rest);
        throw new KubectlError(`error: kubectl rollout ${sub} is not supported by the bed`);
      }
      throw new KubectlError(`error: unknown command "${sub ?? ''}" for "kubectl rollout"`);
    }
    const spec = {
      ...GLOBAL_FLAGS,
      ...COMMON_RES,
      watch: { short: 'w', type: 'bool', def: true },
      revision: { type: 'int', def: 0 },
      timeout: { type: 'string', def: '0s' },
    };
    const { flags, positional } = parseFlags(rest, spec, 'rollout status');
    const targets = this.targets(positional, 'rollout status');
    if (!targets.length || !targets[0].names) {
      throw new KubectlError('error: required resource not specified');
    }
    const timeoutMs = parseDuration(flags.timeout);
    const ns = this.ns(flags);
    for (const t of targets) {
      if (!['deployments', 'daemonsets', 'statefulsets'].includes(t.r.plural)) {
        throw new KubectlError(`error: no status viewer has been implemented for ${t.r.kind}`);
      }
      for (const name of t.names) {
        const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
        let last = null;
        for (;;) {
          const o = this.store.get(t.r.plural, ns, name);
          if (!o) throw notFound(t.r, name);
          const { msg, done, error } = rolloutStatus(t.r.plural, o);
          if (error) throw new KubectlError(`error: ${error}`);
          if (msg !== last) {
            this.out(msg);
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

  async rolloutRestart(args) {
    const { flags, positional } = parseFlags(
      args,
      { ...GLOBAL_FLAGS, ...COMMON_RES, output: { short: 'o', type: 'string' } },
      'rollout restart',
    );
    const ns = this.ns(flags);
    for (const t of this.targets(positional, 'rollout restart')) {
      for (const name of t.names ?? []) {
        const cur = this.store.getRaw(t.r.plural, ns, name);
        if (!cur) throw notFound(t.r, name);
        const next = JSON.parse(JSON.stringify(cur));
        next.spec.template.metadata ??= {};
        next.spec.template.metadata.annotations = {
          ...(next.spec.template.metadata.annotations ?? {}),
          'kubectl.kubernetes.io/restartedAt': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        };
        this.store.update(t.r, next);
        this.out(`${typeName(t.r)}/${name} restarted`);
      }
    }
    return 0;
  }

  // ---------------------------------------------------------------- logs

  async cmdLogs(args) {
    const spec = {
      ...GLOBAL_FLAGS,
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
    const ns = this.ns(flags);
    let pods;
    if (flags.selector) {
      pods = this.filterList(this.store.list('pods', ns), this.resource('pods'), flags);
      if (!pods.length) {
        this.err(`No resources found in ${ns} namespace.`);
        return 0;
      }
    } else {
      if (!positional.length)
        throw new KubectlError(
          "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples",
        );
      const arg = positional[0];
      if (arg.includes('/')) {
        const [type, name] = arg.split('/');
        const r = this.resource(type);
        const o = this.store.get(r.plural, ns, name);
        if (!o) throw notFound(r, name);
        if (r.plural === 'pods') pods = [o];
        else {
          const sel = o.spec?.selector?.matchLabels ?? o.spec?.selector ?? {};
          pods = this.store
            .list('pods', ns)
            .filter((p) => Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v));
          if (!pods.length) throw new KubectlError(`error: timed out waiting for the condition`);
          pods = [pods[0]];
        }
      } else {
        const o = this.store.get('pods', ns, arg);
        if (!o) throw notFound(this.resource('pods'), arg);
        pods = [o];
      }
    }
    for (const p of pods) {
      const names = (p.spec.containers ?? []).map((c) => c.name);
      let containers;
      if (flags['all-containers']) containers = names;
      else if (flags.container) {
        if (!names.includes(flags.container)) {
          throw new ApiError(
            400,
            'BadRequest',
            `container ${flags.container} is not valid for pod ${p.metadata.name}`,
          );
        }
        containers = [flags.container];
      } else {
        if (names.length > 1)
          this.err(`Defaulted container "${names[0]}" out of: ${names.join(', ')}`);
        containers = [names[0]];
      }
      for (const c of containers) {
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
        const file = path.join(
          this.store.dir,
          'logs',
          `${p.metadata.namespace}_${p.metadata.name}_${p.metadata.uid}`,
          `${c}.log`,
        );
        let text = '';
        try {
          text = fs.readFileSync(file, 'utf8');
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
        this.write(text);
      }
    }
    return 0;
  }

  // ---------------------------------------------------------------- version / config / info

  versionInfo(v) {
    const m = /^v(\d+)\.(\d+)\.(\d+)/.exec(v) ?? [v, '1', '34', '0'];
    return {
      major: m[1],
      minor: m[2],
      gitVersion: v,
      gitCommit: `bed${m[1]}${m[2]}${m[3]}`.padEnd(40, '0'),
      gitTreeState: 'clean',
      buildDate: '2025-11-11T19:02:49Z',
      goVersion: 'go1.24.9',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  }

  kustomizeVersion() {
    const m = this.clientMinor;
    if (m >= 34) return 'v5.7.1';
    if (m === 33) return 'v5.6.0';
    if (m === 32) return 'v5.5.0';
    if (m === 31) return 'v5.4.2';
    if (m >= 27) return 'v5.0.4';
    return 'v4.5.7';
  }

  async cmdVersion(args) {
    const spec = {
      ...GLOBAL_FLAGS,
      client: { type: 'bool' },
      output: { short: 'o', type: 'string' },
    };
    const { flags } = parseFlags(args, spec, 'version');
    if (flags.output && !['json', 'yaml'].includes(flags.output)) {
      throw new KubectlError("error: --output must be 'yaml' or 'json'");
    }
    const data = {
      clientVersion: this.versionInfo(this.clientVersion),
      kustomizeVersion: this.kustomizeVersion(),
    };
    if (!flags.client) {
      const sv = this.versionInfo(this.serverVersion());
      data.serverVersion = {
        ...sv,
        emulationMajor: sv.major,
        emulationMinor: sv.minor,
        minCompatibilityMajor: sv.major,
        minCompatibilityMinor: String(Number(sv.minor) - 1),
      };
    }
    if (flags.output === 'json') this.out(JSON.stringify(data, null, 2));
    else if (flags.output === 'yaml') this.write(toYaml(data));
    else {
      this.out(`Client Version: ${this.clientVersion}`);
      this.out(`Kustomize Version: ${data.kustomizeVersion}`);
      if (data.serverVersion) this.out(`Server Version: ${data.serverVersion.gitVersion}`);
    }
    if (data.serverVersion) {
      const skew = Math.abs(Number(data.serverVersion.minor) - this.clientMinor);
      if (skew > 1) {
        this.err(
          `WARNING: version difference between client (1.${this.clientMinor}) and server (1.${data.serverVersion.minor}) exceeds the supported minor version skew of +/-1`,
        );
      }
    }
    return 0;
  }

  async cmdConfig(args) {
    const sub = args.find((a, i) => !a.startsWith('-') && !isFlagValue(args, i));
    const rest = args.filter((_, i) => i !== args.indexOf(sub));
    const cfg = this.kubeconfig?.config ?? {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [],
      contexts: [],
      users: [],
      preferences: {},
      'current-context': '',
    };
    switch (sub) {
      case 'view': {
        const spec = {
          ...GLOBAL_FLAGS,
          ...OUTPUT_FLAGS,
          raw: { type: 'bool' },
          minify: { type: 'bool' },
          flatten: { type: 'bool' },
          merge: { type: 'string', def: 'true' },
        };
        const { flags } = parseFlags(rest, spec, 'config view');
        let view = JSON.parse(JSON.stringify(cfg));
        view.preferences ??= {};
        if (flags.minify) {
          const ctx = (view.contexts ?? []).find((c) => c.name === view['current-context']);
          view.contexts = ctx ? [ctx] : [];
          view.clusters = (view.clusters ?? []).filter((c) => c.name === ctx?.context?.cluster);
          view.users = (view.users ?? []).filter((u) => u.name === ctx?.context?.user);
        }
        if (!flags.raw) {
          for (const c of view.clusters ?? [])
            if (c.cluster?.['certificate-authority-data'])
              c.cluster['certificate-authority-data'] = 'DATA+OMITTED';
          for (const u of view.users ?? []) {
            for (const k of ['client-certificate-data', 'client-key-data'])
              if (u.user?.[k]) u.user[k] = 'DATA+OMITTED';
            for (const k of ['token', 'password']) if (u.user?.[k]) u.user[k] = 'REDACTED';
          }
        }
        view = {
          apiVersion: view.apiVersion ?? 'v1',
          clusters: view.clusters ?? null,
          contexts: view.contexts ?? null,
          'current-context': view['current-context'] ?? '',
          kind: view.kind ?? 'Config',
          preferences: view.preferences,
          users: view.users ?? null,
        };
        if (flags.output === 'json') this.out(JSON.stringify(view, null, 4));
        else if (flags.output?.startsWith('jsonpath='))
          this.write(jsonpathExecute(flags.output.slice(9), view));
        else this.write(toYaml(view));
        return 0;
      }
      case 'current-context':
        if (!cfg['current-context']) throw new KubectlError('error: current-context is not set');
        this.out(cfg['current-context']);
        return 0;
      case 'get-contexts': {
        const lines = ['CURRENT\tNAME\tCLUSTER\tAUTHINFO\tNAMESPACE'];
        for (const c of cfg.contexts ?? []) {
          lines.push(
            `${c.name === cfg['current-context'] ? '*' : ''}\t${c.name}\t${c.context?.cluster ?? ''}\t${c.context?.user ?? ''}\t${c.context?.namespace ?? ''}`,
          );
        }
        this.write(tabwrite(lines.join('\n') + '\n', { minwidth: 6, padding: 3 }));
        return 0;
      }
      default:
        throw new KubectlError(`error: kubectl config ${sub ?? ''} is not supported by the bed`);
    }
  }

  async cmdClusterInfo(args) {
    parseFlags(args, GLOBAL_FLAGS, 'cluster-info');
    const server = this.kubeconfig?.server ?? 'https://127.0.0.1:16443';
    this.out(`\x1b[0;32mKubernetes control plane\x1b[0m is running at \x1b[0;33m${server}\x1b[0m`);
    if (this.store.getRaw('services', 'kube-system', 'kube-dns')) {
      this.out(
        `\x1b[0;32mCoreDNS\x1b[0m is running at \x1b[0;33m${server}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\x1b[0m`,
      );
    }
    this.out("\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.");
    return 0;
  }

  async cmdApiResources(args) {
    const spec = {
      ...GLOBAL_FLAGS,
      output: { short: 'o', type: 'string' },
      namespaced: { type: 'bool', def: true },
      'no-headers': { type: 'bool' },
      'api-group': { type: 'string' },
      verbs: { type: 'array' },
      categories: { type: 'array' },
      cached: { type: 'bool' },
      'sort-by': { type: 'string' },
    };
    const { flags } = parseFlags(args, spec, 'api-resources');
    const rs = allResources(this.store).filter(
      (r) => !flags.__set.has('namespaced') || r.namespaced === flags.namespaced,
    );
    if (flags.output === 'name') {
      for (const r of rs) this.out(r.group ? `${r.plural}.${r.group}` : r.plural);
      return 0;
    }
    const lines = flags['no-headers'] ? [] : ['NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND'];
    for (const r of rs)
      lines.push(
        `${r.plural}\t${r.short.join(',')}\t${r.group ? `${r.group}/${r.version}` : r.version}\t${r.namespaced}\t${r.kind}`,
      );
    this.write(tabwrite(lines.join('\n') + '\n', { minwidth: 6, padding: 3 }));
    return 0;
  }
}

// ------------------------------------------------------------------ helpers

/** Commands that kubectl answers without a server. */
export function isLocalKubectl(argv) {
  const words = argv.filter((a) => !a.startsWith('-'));
  if (!words.length) return true;
  if (
    words[0] === 'config' ||
    words[0] === 'completion' ||
    words[0] === 'help' ||
    words[0] === 'plugin'
  )
    return true;
  if (words[0] === 'version' && argv.includes('--client')) return true;
  if (argv.includes('--dry-run=client') && (words[0] === 'create' || words[0] === 'run'))
    return true;
  return false;
}

function readText(p) {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (e) {
    if (e.code === 'ENOENT') throw new KubectlError(`error: the path "${p}" does not exist`);
    if (e.code === 'EACCES') throw new KubectlError(`error: open ${p}: permission denied`);
    throw e;
  }
}

/** Whether argv[i] is the value of a preceding flag that takes one (for finding the command). */
function isFlagValue(argv, i) {
  if (i === 0) return false;
  const prev = argv[i - 1];
  const valued = [
    '-n',
    '--namespace',
    '--kubeconfig',
    '--context',
    '--cluster',
    '--user',
    '-s',
    '--server',
    '--token',
    '--request-timeout',
    '-v',
    '--v',
    '--as',
    '--certificate-authority',
    '--client-certificate',
    '--client-key',
    '-o',
    '--output',
    '-l',
    '--selector',
    '-f',
    '--filename',
    '-p',
    '--patch',
    '--type',
    '-c',
    '--container',
    '--for',
    '--timeout',
    '--field-selector',
    '--sort-by',
    '--image',
    '--docker-server',
    '--docker-username',
    '--docker-password',
    '--docker-email',
    '--from-literal',
    '--from-file',
    '--replicas',
    '--tail',
    '--restart',
    '--image-pull-policy',
    '-L',
    '--label-columns',
    '--patch-file',
    '--cascade',
    '--grace-period',
    '--field-manager',
    '--revision',
    '--since',
  ];
  return valued.includes(prev) && !prev.includes('=');
}

function safeJson(s) {
  try {
    return s ? JSON.parse(s) : null;
  } catch {
    return null;
  }
}

function stripVolatile(o) {
  const c = JSON.parse(JSON.stringify(o));
  delete c.metadata.resourceVersion;
  delete c.metadata.generation;
  delete c.status;
  return c;
}

function stripForDryRun(obj) {
  return JSON.parse(JSON.stringify(obj));
}

const isPlain = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

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
      const key =
        MERGE_KEYS[
          k === 'ports' && v.some((x) => x?.port !== undefined && x?.containerPort === undefined)
            ? 'servicePorts'
            : k
        ] ?? 'port';
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
  const doc = JSON.parse(JSON.stringify(target));
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
    const rel = relaxed(expr);
    return { type: 'jsonpath', path: parsePath(rel.slice(1, -1)), value };
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

/** kubectl's rollout status viewers (pkg/polymorphichelpers/rollout_status.go). */
export function rolloutStatus(plural, o) {
  const st = o.status ?? {};
  const name = o.metadata.name;
  if (plural === 'deployments') {
    if ((o.metadata.generation ?? 0) > (st.observedGeneration ?? 0))
      return { msg: 'Waiting for deployment spec update to be observed...', done: false };
    const progressing = (st.conditions ?? []).find((c) => c.type === 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded')
      return { error: `deployment "${name}" exceeded its progress deadline` };
    const replicas = o.spec.replicas ?? 1;
    const updated = st.updatedReplicas ?? 0;
    if (updated < replicas)
      return {
        msg: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`,
        done: false,
      };
    if ((st.replicas ?? 0) > updated)
      return {
        msg: `Waiting for deployment "${name}" rollout to finish: ${(st.replicas ?? 0) - updated} old replicas are pending termination...`,
        done: false,
      };
    if ((st.availableReplicas ?? 0) < updated)
      return {
        msg: `Waiting for deployment "${name}" rollout to finish: ${st.availableReplicas ?? 0} of ${updated} updated replicas are available...`,
        done: false,
      };
    return { msg: `deployment "${name}" successfully rolled out`, done: true };
  }
  if (plural === 'daemonsets') {
    if ((o.metadata.generation ?? 0) > (st.observedGeneration ?? 0))
      return { msg: 'Waiting for daemon set spec update to be observed...', done: false };
    const desired = st.desiredNumberScheduled ?? 0;
    if ((st.updatedNumberScheduled ?? 0) < desired)
      return {
        msg: `Waiting for daemon set "${name}" rollout to finish: ${st.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...`,
        done: false,
      };
    if ((st.numberAvailable ?? 0) < desired)
      return {
        msg: `Waiting for daemon set "${name}" rollout to finish: ${st.numberAvailable ?? 0} of ${desired} updated pods are available...`,
        done: false,
      };
    return { msg: `daemon set "${name}" successfully rolled out`, done: true };
  }
  if ((o.metadata.generation ?? 0) > (st.observedGeneration ?? 0))
    return { msg: 'Waiting for statefulset spec update to be observed...', done: false };
  const replicas = o.spec.replicas ?? 1;
  if ((st.readyReplicas ?? 0) < replicas)
    return {
      msg: `Waiting for ${replicas - (st.readyReplicas ?? 0)} pods to be ready...`,
      done: false,
    };
  if (st.updateRevision !== st.currentRevision) {
    return {
      msg: `waiting for statefulset rolling update to complete ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision}...`,
      done: false,
    };
  }
  return {
    msg: `statefulset rolling update complete ${replicas} pods at revision ${st.currentRevision}...`,
    done: true,
  };
}

export { nowRfc3339 };
