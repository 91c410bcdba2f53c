// spf13/pflag parsing as kubectl does it: --flag=value, --flag value, -n value, -nvalue,
// -n=value, boolean flags that only take =value, `--` ends flags; the real error texts.

export class UsageError extends Error {}

/**
 * @param args argv after the command words
 * @param commandSpec the command's own flags (every command has GLOBAL_FLAGS too):
 *        {name: {short?, type: 'string'|'bool'|'int'|'array', def?, noOpt?, split?}}
 * @param cmd the command path for "See 'kubectl <cmd> --help' for usage."
 */
export function parseFlags(args, commandSpec, cmd) {
  const spec = { ...GLOBAL_FLAGS, ...commandSpec };
  const flags = {};
  for (const [name, f] of Object.entries(spec)) {
    flags[name] = f.type === 'array' ? [...(f.def ?? [])] : f.def;
  }
  const set = new Set();
  const positional = [];
  const byShort = Object.fromEntries(
    Object.entries(spec)
      .filter(([, f]) => f.short)
      .map(([n, f]) => [f.short, n]),
  );
  const usage = (msg) => new UsageError(`error: ${msg}\nSee 'kubectl ${cmd} --help' for usage.`);
  const assign = (name, f, value, label) => {
    set.add(name);
    if (f.type === 'bool') {
      if (value === undefined) flags[name] = true;
      else if (/^(true|1|t|T|TRUE|True)$/.test(value)) flags[name] = true;
      else if (/^(false|0|f|F|FALSE|False)$/.test(value)) flags[name] = false;
      else
        throw usage(
          `invalid argument "${value}" for "${label}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
        );
    } else if (f.type === 'int') {
      if (!/^-?\d+$/.test(value)) {
        throw usage(
          `invalid argument "${value}" for "${label}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`,
        );
      }
      flags[name] = Number(value);
    } else if (f.type === 'array') {
      flags[name].push(...(f.split === false ? [value] : value.split(',')));
    } else flags[name] = value;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positional.push(...args.slice(i + 1));
      flags['--'] = args.slice(i + 1);
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      const f = spec[name];
      if (!f) throw usage(`unknown flag: --${name}`);
      if (eq !== -1) assign(name, f, a.slice(eq + 1), `--${name}`);
      else if (f.type === 'bool') assign(name, f, undefined, `--${name}`);
      else if (f.noOpt !== undefined) assign(name, f, f.noOpt, `--${name}`);
      else if (i + 1 < args.length) assign(name, f, args[++i], `--${name}`);
      else throw usage(`flag needs an argument: --${name}`);
    } else if (a.startsWith('-') && a.length > 1 && a !== '-') {
      let j = 1;
      while (j < a.length) {
        const ch = a[j];
        const name = byShort[ch];
        if (!name) throw usage(`unknown shorthand flag: '${ch}' in ${a}`);
        const f = spec[name];
        const label = `-${ch}, --${name}`;
        if (f.type === 'bool') {
          if (a[j + 1] === '=') {
            assign(name, f, a.slice(j + 2), label);
            break;
          }
          assign(name, f, undefined, label);
          j++;
          continue;
        }
        if (a[j + 1] === '=') assign(name, f, a.slice(j + 2), label);
        else if (j + 1 < a.length) assign(name, f, a.slice(j + 1), label);
        else if (f.noOpt !== undefined) assign(name, f, f.noOpt, label);
        else if (i + 1 < args.length) assign(name, f, args[++i], label);
        else throw usage(`flag needs an argument: '${ch}' in -${ch}`);
        break;
      }
    } else positional.push(a);
  }
  flags.__set = set;
  return { flags, positional };
}

/** Flags every kubectl command accepts. */
const GLOBAL_FLAGS = {
  namespace: { short: 'n', type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  cluster: { type: 'string' },
  user: { type: 'string' },
  server: { short: 's', type: 'string' },
  token: { type: 'string' },
  'certificate-authority': { type: 'string' },
  'client-certificate': { type: 'string' },
  'client-key': { type: 'string' },
  'insecure-skip-tls-verify': { type: 'bool' },
  'tls-server-name': { type: 'string' },
  'request-timeout': { type: 'string', def: '0' },
  v: { short: 'v', type: 'int', def: 0 },
  'warnings-as-errors': { type: 'bool' },
  'match-server-version': { type: 'bool' },
  'cache-dir': { type: 'string' },
  'log-flush-frequency': { type: 'string' },
  as: { type: 'string' },
  'as-group': { type: 'array' },
  'as-uid': { type: 'string' },
  'disable-compression': { type: 'bool' },
  password: { type: 'string' },
  username: { type: 'string' },
  profile: { type: 'string' },
  'profile-output': { type: 'string' },
};

// Flag sets several commands share.
export const OUTPUT_FLAGS = {
  output: { short: 'o', type: 'string', def: '' },
  template: { type: 'string' },
  'allow-missing-template-keys': { type: 'bool', def: true },
  'show-managed-fields': { type: 'bool' },
};
export const DRY_RUN_FLAG = { 'dry-run': { type: 'string', def: 'none', noOpt: 'unchanged' } };
export const FILE_FLAGS = {
  filename: { short: 'f', type: 'array', split: false },
  recursive: { short: 'R', type: 'bool' },
};
export const RESOURCE_FLAGS = {
  ...FILE_FLAGS,
  selector: { short: 'l', type: 'string' },
  'field-selector': { type: 'string' },
  'all-namespaces': { short: 'A', type: 'bool' },
  kustomize: { short: 'k', type: 'string' },
};

// The flags before a command word whose value is the next argument.
const VALUED = new Set(
  `-n --namespace --kubeconfig --context --cluster --user -s --server --token --request-timeout
  -v --v --as --certificate-authority --client-certificate --client-key -o --output -l --selector
  -f --filename -p --patch --type -c --container --for --timeout --field-selector --sort-by
  --image --docker-server --docker-username --docker-password --docker-email --from-literal
  --from-file --replicas --tail --restart --image-pull-policy -L --label-columns --patch-file
  --cascade --grace-period --field-manager --revision --since`.split(/\s+/),
);

/** Whether argv[i] is the value of a preceding flag that takes one (for finding the command). */
export function isFlagValue(argv, i) {
  return i > 0 && VALUED.has(argv[i - 1]);
}

/** The first command word of args (`kubectl create secret ...`) and the args without it. */
export function subcommand(args) {
  const sub = args.find((a, i) => !a.startsWith('-') && !isFlagValue(args, i));
  return { sub, rest: args.filter((_, i) => i !== args.indexOf(sub)) };
}

/** Go duration strings as kubectl's --timeout takes them ("30s", "5m", "1h30m", "0"). */
export function parseDuration(s, flagName = '--timeout') {
  if (s === undefined || s === null) return null;
  if (/^-?\d+$/.test(s)) {
    if (s === '0') return 0;
    throw new UsageError(
      `error: invalid argument "${s}" for "${flagName}" flag: time: missing unit in duration "${s}"`,
    );
  }
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let total = 0;
  let consumed = '';
  let m;
  while ((m = re.exec(s))) {
    consumed += m[0];
    const n = Number(m[1]);
    total += n * { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2]];
  }
  if (!consumed || consumed !== s.replace(/^[-+]/, '')) {
    throw new UsageError(
      `error: invalid argument "${s}" for "${flagName}" flag: time: invalid duration "${s}"`,
    );
  }
  return s.startsWith('-') ? -total : total;
}
