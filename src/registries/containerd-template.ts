import { parse } from '@iarna/toml';
import { SNAP_DATA } from '../microk8s.js';
import { RegistryTrust } from './hosts-toml.js';

/**
 * The file MicroK8s renders into `args/containerd.toml` each time containerd starts
 * (run-containerd-with-args), with `${SNAP}`, `${SNAP_DATA}`, `${SNAPSHOTTER}`, `${RUNTIME}` and
 * `${RUNTIME_TYPE}` substituted.
 */
export const CONTAINERD_TEMPLATE = `${SNAP_DATA}/args/containerd-template.toml`;

/** A template that is not valid TOML, or that the action cannot extend without breaking it. */
export class ContainerdTemplateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ContainerdTemplateError';
  }
}

type Table = Record<string, unknown>;

const isTable = (v: unknown): v is Table =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

function child(t: unknown, ...keys: string[]): unknown {
  let v = t;
  for (const k of keys) v = isTable(v) ? v[k] : undefined;
  return v;
}

/** Parses the template, or says where it is broken. */
export function parseTemplate(text: string, what = CONTAINERD_TEMPLATE): Table {
  try {
    return parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new ContainerdTemplateError(`${what} is not valid TOML: ${detail}`, { cause: e });
  }
}

/**
 * How this MicroK8s wants registries configured, read from its own template rather than from the
 * channel: `hosts-dir` when the CRI plugin has a `config_path` (MicroK8s 1.23+, commit 7b6cace0),
 * `legacy` (`registry.mirrors` / `registry.configs` in the template) otherwise.
 */
export function templateFormat(template: Table): 'hosts-dir' | 'legacy' {
  const paths = [
    child(template, 'plugins', 'io.containerd.grpc.v1.cri', 'registry', 'config_path'),
    // containerd 2.x, config version 3.
    child(template, 'plugins', 'io.containerd.cri.v1.images', 'registry', 'config_path'),
  ];
  return paths.some((p) => typeof p === 'string' && p !== '') ? 'hosts-dir' : 'legacy';
}

/** The CRI plugin's table in the config version 2 that MicroK8s 1.19-1.22 use. */
const CRI = 'plugins."io.containerd.grpc.v1.cri"';

const str = (s: string): string => JSON.stringify(s);

/**
 * The legacy template with each registry added: a `registry.mirrors` entry for a plain-HTTP
 * registry, a `registry.configs.<host>.tls` `ca_file` for one with its own CA. The new tables are
 * appended as text, so the file's comments and `${…}` placeholders stay exactly as they were;
 * entries already there are left alone. The result is parsed again before it is returned.
 */
export function appendLegacyRegistries(
  text: string,
  trusts: RegistryTrust[],
): { content: string; changed: boolean; added: string[] } {
  const template = parseTemplate(text);
  if (templateFormat(template) === 'hosts-dir') {
    // containerd refuses `mirrors` or `configs.tls` next to `config_path` and then runs without
    // its CRI plugin (containerd pkg/cri/config ValidatePluginConfig).
    throw new ContainerdTemplateError(
      `${CONTAINERD_TEMPLATE} sets config_path, so registries belong in ${SNAP_DATA}/args/certs.d/<host>/hosts.toml, not in the template`,
    );
  }
  const table = child(template, 'plugins', 'io.containerd.grpc.v1.cri');
  const blocks: string[] = [];
  const added: string[] = [];
  for (const t of trusts) {
    if (t.scheme === 'http') {
      const url = `http://${t.address}`;
      const existing = child(table, 'registry', 'mirrors', t.address);
      if (existing !== undefined) {
        const endpoints = child(existing, 'endpoint');
        if (Array.isArray(endpoints) && endpoints.includes(url)) continue;
        throw new ContainerdTemplateError(
          `${CONTAINERD_TEMPLATE} already has a mirror for ${t.address} (endpoint ${JSON.stringify(endpoints ?? null)}), so the action cannot add ${url}: edit that entry, or drop ${t.address} from insecure-registries`,
        );
      }
      blocks.push(
        `# Added by setup-microk8s: ${t.address} serves plain HTTP (insecure-registries).\n` +
          `[${CRI}.registry.mirrors.${str(t.address)}]\n` +
          `  endpoint = [${str(url)}]\n`,
      );
      added.push(t.address);
    } else if (t.caFile) {
      const tls = child(table, 'registry', 'configs', t.address, 'tls');
      if (tls !== undefined) {
        if (child(tls, 'ca_file') === t.caFile) continue;
        throw new ContainerdTemplateError(
          `${CONTAINERD_TEMPLATE} already has TLS settings for ${t.address} (${JSON.stringify(tls)}), so the action cannot set its ca_file to registry-ca: edit that entry, or leave registry-ca empty`,
        );
      }
      blocks.push(
        `# Added by setup-microk8s: the CA of ${t.address} (registry-ca).\n` +
          `[${CRI}.registry.configs.${str(t.address)}.tls]\n` +
          `  ca_file = ${str(t.caFile)}\n`,
      );
      added.push(t.address);
    }
  }
  if (blocks.length === 0) return { content: text, changed: false, added };
  const content = `${text}${text.endsWith('\n') ? '' : '\n'}\n${blocks.join('\n')}`;
  try {
    parseTemplate(content);
  } catch (e) {
    throw new ContainerdTemplateError(
      `Adding ${added.join(', ')} to ${CONTAINERD_TEMPLATE} would make it invalid (${e instanceof Error ? e.message : String(e)}); the file was left unchanged`,
      { cause: e },
    );
  }
  return { content, changed: true, added };
}

/**
 * The CRI plugin's state in `ctr plugins ls` (TYPE ID PLATFORMS STATUS): `ok`, `error` (its
 * configuration was refused), or undefined while containerd does not list it.
 */
export function criPluginStatus(pluginsLs: string): string | undefined {
  for (const line of pluginsLs.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[0] === 'io.containerd.grpc.v1' && cols[1] === 'cri') return cols[cols.length - 1];
  }
  return undefined;
}
