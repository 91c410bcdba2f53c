// kubectl version, config, cluster-info and api-resources: the client, its kubeconfig and what
// the server offers.
import { KubectlError } from './errors.mjs';
import { clone } from './json.mjs';
import { allResources, apiVersionOf, qualifiedPlural } from './resources.mjs';
import { parseFlags, subcommand, OUTPUT_FLAGS } from './flags.mjs';
import { execute as jsonpathExecute } from './jsonpath.mjs';
import { toYaml } from './manifests.mjs';
import { columns } from './kubectl-output.mjs';

/** A kubeconfig with nothing in it, as kubectl sees a missing one. */
export const emptyKubeconfig = () => ({
  apiVersion: 'v1',
  kind: 'Config',
  clusters: [],
  contexts: [],
  users: [],
  preferences: {},
  'current-context': '',
});

function versionInfo(v) {
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

// [first kubectl minor, the kustomize it embeds], newest first.
const KUSTOMIZE = [
  [34, 'v5.7.1'],
  [33, 'v5.6.0'],
  [32, 'v5.5.0'],
  [31, 'v5.4.2'],
  [27, 'v5.0.4'],
  [0, 'v4.5.7'],
];

export const kustomizeVersion = (clientMinor) => KUSTOMIZE.find(([m]) => clientMinor >= m)[1];

export async function cmdVersion(k, args) {
  const spec = {
    client: { type: 'bool' },
    output: { short: 'o', type: 'string' },
  };
  const { flags } = parseFlags(args, spec, 'version');
  if (flags.output && !['json', 'yaml'].includes(flags.output)) {
    throw new KubectlError("error: --output must be 'yaml' or 'json'");
  }
  const data = {
    clientVersion: versionInfo(k.clientVersion),
    kustomizeVersion: k.kustomizeVersion(),
  };
  if (!flags.client) {
    const sv = versionInfo(k.serverVersion());
    data.serverVersion = {
      ...sv,
      emulationMajor: sv.major,
      emulationMinor: sv.minor,
      minCompatibilityMajor: sv.major,
      minCompatibilityMinor: String(Number(sv.minor) - 1),
    };
  }
  if (flags.output === 'json') k.out(JSON.stringify(data, null, 2));
  else if (flags.output === 'yaml') k.write(toYaml(data));
  else {
    k.out(`Client Version: ${k.clientVersion}`);
    k.out(`Kustomize Version: ${data.kustomizeVersion}`);
    if (data.serverVersion) k.out(`Server Version: ${data.serverVersion.gitVersion}`);
  }
  if (data.serverVersion) {
    const skew = Math.abs(Number(data.serverVersion.minor) - k.clientMinor);
    if (skew > 1) {
      k.err(
        `WARNING: version difference between client (1.${k.clientMinor}) and server (1.${data.serverVersion.minor}) exceeds the supported minor version skew of +/-1`,
      );
    }
  }
  return 0;
}

export async function cmdConfig(k, args) {
  const { sub, rest } = subcommand(args);
  const cfg = k.kubeconfig?.config ?? emptyKubeconfig();
  switch (sub) {
    case 'view': {
      const spec = {
        ...OUTPUT_FLAGS,
        raw: { type: 'bool' },
        minify: { type: 'bool' },
        flatten: { type: 'bool' },
        merge: { type: 'string', def: 'true' },
      };
      const { flags } = parseFlags(rest, spec, 'config view');
      const view = configView(cfg, flags);
      if (flags.output === 'json') k.out(JSON.stringify(view, null, 4));
      else if (flags.output?.startsWith('jsonpath='))
        k.write(jsonpathExecute(flags.output.slice(9), view));
      else k.write(toYaml(view));
      return 0;
    }
    case 'current-context':
      if (!cfg['current-context']) throw new KubectlError('error: current-context is not set');
      k.out(cfg['current-context']);
      return 0;
    case 'get-contexts': {
      const lines = ['CURRENT\tNAME\tCLUSTER\tAUTHINFO\tNAMESPACE'];
      for (const c of cfg.contexts ?? []) {
        lines.push(
          `${c.name === cfg['current-context'] ? '*' : ''}\t${c.name}\t${c.context?.cluster ?? ''}\t${c.context?.user ?? ''}\t${c.context?.namespace ?? ''}`,
        );
      }
      k.write(columns(lines));
      return 0;
    }
    default:
      throw new KubectlError(`error: kubectl config ${sub ?? ''} is not supported by the bed`);
  }
}

/** `kubectl config view`: --minify keeps the current context's; secrets hidden without --raw. */
function configView(cfg, flags) {
  const view = clone(cfg);
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
      for (const key of ['client-certificate-data', 'client-key-data'])
        if (u.user?.[key]) u.user[key] = 'DATA+OMITTED';
      for (const key of ['token', 'password']) if (u.user?.[key]) u.user[key] = 'REDACTED';
    }
  }
  return {
    apiVersion: view.apiVersion ?? 'v1',
    clusters: view.clusters ?? null,
    contexts: view.contexts ?? null,
    'current-context': view['current-context'] ?? '',
    kind: view.kind ?? 'Config',
    preferences: view.preferences,
    users: view.users ?? null,
  };
}

export async function cmdClusterInfo(k, args) {
  parseFlags(args, {}, 'cluster-info');
  const server = k.kubeconfig?.server ?? 'https://127.0.0.1:16443';
  k.out(`\x1b[0;32mKubernetes control plane\x1b[0m is running at \x1b[0;33m${server}\x1b[0m`);
  if (k.store.getRaw('services', 'kube-system', 'kube-dns')) {
    k.out(
      `\x1b[0;32mCoreDNS\x1b[0m is running at \x1b[0;33m${server}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\x1b[0m`,
    );
  }
  k.out("\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.");
  return 0;
}

export async function cmdApiResources(k, args) {
  const spec = {
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
  const rs = allResources(k.store).filter(
    (r) => !flags.__set.has('namespaced') || r.namespaced === flags.namespaced,
  );
  if (flags.output === 'name') {
    for (const r of rs) k.out(qualifiedPlural(r));
    return 0;
  }
  const lines = flags['no-headers'] ? [] : ['NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND'];
  for (const r of rs)
    lines.push(`${r.plural}\t${r.short.join(',')}\t${apiVersionOf(r)}\t${r.namespaced}\t${r.kind}`);
  k.write(columns(lines));
  return 0;
}
