// The kubectl commands the bed supports, answering from the emulated API server's store with
// kubectl's own output formats, messages and exit codes. This module is the command line and
// the resource arguments; the commands are in kubectl-{get,apply,edit,wait,info}.mjs.
import fs from 'node:fs';
import { Store } from './store.mjs';
import { ApiError, KubectlError, notFound } from './errors.mjs';
import { allResources, resolveResource, resourceForKind, ALL_CATEGORY } from './resources.mjs';
import { parseFlags, UsageError, isFlagValue } from './flags.mjs';
import { JsonPathError } from './jsonpath.mjs';
import { parseLabelSelector, parseFieldSelector, SelectorError } from './selectors.mjs';
import { readFileArgs, parseManifests } from './manifests.mjs';
import { minor as minorOf } from './env.mjs';
import { cmdGet, cmdDescribe, cmdLogs } from './kubectl-get.mjs';
import { cmdApply, cmdCreate, cmdRun, applyObjects } from './kubectl-apply.mjs';
import { cmdDelete, cmdPatch, cmdLabel, cmdScale } from './kubectl-edit.mjs';
import { cmdWait, cmdRollout } from './kubectl-wait.mjs';
import {
  cmdVersion,
  cmdConfig,
  cmdClusterInfo,
  cmdApiResources,
  kustomizeVersion,
} from './kubectl-info.mjs';

const COMMANDS = {
  get: cmdGet,
  describe: cmdDescribe,
  apply: cmdApply,
  create: cmdCreate,
  delete: cmdDelete,
  patch: cmdPatch,
  wait: cmdWait,
  rollout: cmdRollout,
  logs: cmdLogs,
  version: cmdVersion,
  config: cmdConfig,
  'cluster-info': cmdClusterInfo,
  run: cmdRun,
  label: cmdLabel,
  annotate: cmdLabel,
  scale: cmdScale,
  'api-resources': cmdApiResources,
};

// Commands that need a process in a container, which the bed's pods do not run.
const UNSUPPORTED = ['exec', 'attach', 'port-forward', 'cp', 'debug', 'proxy', 'edit', 'top'];

export class Kubectl {
  /**
   * @param opts.store         the API server's store
   * @param opts.clientVersion kubectl's own version (the runner's, or the snap's)
   * @param opts.serverVersion the cluster's version
   * @param opts.namespace     the kubeconfig context's namespace (default "default")
   * @param opts.kubeconfig    {path, config, server} for `config view` and `cluster-info`
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

  /** Reports a failure with one object and goes on with the others (exit code 1 at the end). */
  fail(message) {
    this.err(message);
    this.failed = true;
  }

  /** fail() for an API server error. */
  apiErr(e, context) {
    if (e.reason === 'Invalid') this.fail(e.message);
    else if (e.reason)
      this.fail(`Error from server (${e.reason}): ${context ? `${context}: ` : ''}${e.message}`);
    else throw e;
  }

  async dispatch(argv) {
    const cmdIndex = argv.findIndex((a, i) => !a.startsWith('-') && !isFlagValue(argv, i));
    const cmd = cmdIndex === -1 ? undefined : argv[cmdIndex];
    const rest = cmdIndex === -1 ? argv : [...argv.slice(0, cmdIndex), ...argv.slice(cmdIndex + 1)];
    if (cmd === undefined) {
      if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
        this.out(
          'kubectl controls the Kubernetes cluster manager.\n\n Find more information at: https://kubernetes.io/docs/reference/kubectl/',
        );
        return 0;
      }
      if (argv.includes('--version')) return cmdVersion(this, ['--client']);
      parseFlags(argv, {}, '');
      return 0;
    }
    if (Object.hasOwn(COMMANDS, cmd)) return COMMANDS[cmd](this, rest, cmd);
    if (UNSUPPORTED.includes(cmd)) {
      throw new KubectlError(
        `error: kubectl ${cmd} is not supported by the bed's emulated cluster (its pods do not run processes)`,
      );
    }
    throw new KubectlError(`error: unknown command "${cmd}" for "kubectl"`);
  }

  ns(flags) {
    return flags.namespace || this.contextNamespace;
  }

  kustomizeVersion() {
    return kustomizeVersion(this.clientMinor);
  }

  /** `kubectl apply -f -` of in-memory manifests (the addon scripts' way); prints like apply. */
  applyObjects(objs, source = 'STDIN') {
    return applyObjects(this, objs, source);
  }

  // ---------------------------------------------------------------- resource arguments

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

  /** The targets of -f files (each object by name, in its namespace), else of the arguments. */
  targetsFor(flags, positional, cmd, missing) {
    if (flags.filename.length) {
      return this.objectsFromFiles(flags).map(({ obj, r }) => ({
        r,
        names: [obj.metadata.name],
        ns: this.objectNamespace(r, obj, flags),
      }));
    }
    if (!positional.length) throw new KubectlError(missing);
    return this.targets(positional, cmd);
  }

  /**
   * The stored objects the targets name, in order, or kubectl's NotFound. `ns` is looked in
   * for cluster-scoped kinds too unless `scoped`.
   */
  *stored(targets, ns, { scoped = true } = {}) {
    for (const t of targets) {
      for (const name of t.names ?? []) {
        const cur = this.store.getRaw(t.r.plural, scoped && !t.r.namespaced ? null : ns, name);
        if (!cur) throw notFound(t.r, name);
        yield { r: t.r, name, cur };
      }
    }
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

  /** The objects of the -l/--field-selector flags, in one namespace or (-A) all. */
  selected(r, flags, ns) {
    return this.filterList(this.list(r, flags['all-namespaces'] ? null : ns), r, flags);
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

  /** Objects from -f, each with its resource; unknown kinds are reported and skipped. */
  objectsFromFiles(flags, { validate = true } = {}) {
    const out = [];
    for (const { source, text } of readFileArgs(flags.filename, flags.recursive, this.readStdin)) {
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
        const r = this.resourceOf(obj, source);
        if (r) out.push({ obj, r, source });
      }
    }
    return out;
  }

  /** The resource of a manifest's kind, or null with kubectl's "no matches for kind". */
  resourceOf(obj, source) {
    const r = resourceForKind(obj.apiVersion, obj.kind, this.store);
    if (!r) {
      this.fail(
        `error: resource mapping not found for name: "${obj.metadata?.name ?? ''}" namespace: "${obj.metadata?.namespace ?? ''}" from "${source}": no matches for kind "${obj.kind}" in version "${obj.apiVersion}"\nensure CRDs are installed first`,
      );
    }
    return r;
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

  dryRun(v) {
    if (v === 'none' || v === undefined || v === 'false') return null;
    if (v === 'client' || v === 'server') return v;
    if (v === 'true') return 'client';
    throw new KubectlError(
      `error: Invalid dry-run value (${v}). Must be "none", "server", or "client".`,
    );
  }
}

/** Commands that kubectl answers without a server. */
export function isLocalKubectl(argv) {
  const words = argv.filter((a) => !a.startsWith('-'));
  if (!words.length) return true;
  if (['config', 'completion', 'help', 'plugin'].includes(words[0])) return true;
  if (words[0] === 'version' && argv.includes('--client')) return true;
  if (argv.includes('--dry-run=client') && (words[0] === 'create' || words[0] === 'run'))
    return true;
  return false;
}
