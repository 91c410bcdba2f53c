import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageRef, ImageRefError, deliveryProblem, parseImageRef } from './image-ref.js';

/** A snap channel, `[track/]risk[/branch]`. */
export interface Channel {
  raw: string;
  /** `latest`, `1.34`, `1.34-strict`, `1.28-eksd`. */
  track: string;
  risk: 'stable' | 'candidate' | 'beta' | 'edge';
  branch?: string;
  /** `1.xx-strict` tracks: strictly confined, installed without `--classic`. */
  strict: boolean;
  /** Kubernetes minor of a numbered track; undefined for `latest`. */
  minor?: number;
  /** What `snap install --channel=` gets, e.g. `1.34/stable`. */
  snapChannel: string;
}

/** One `microk8s enable` call. */
export interface Addon {
  raw: string;
  /** The addon's name without arguments, e.g. `metallb` for `metallb:10.64.140.43-10.64.140.49`. */
  name: string;
  /** The words after `microk8s enable`, as the user wrote them. */
  words: string[];
}

/** A registry as image references name it: `host[:port]`. */
export interface RegistryHost {
  /** Exactly as in image references, e.g. `10.141.241.175:32000`. */
  address: string;
  host: string;
  port?: number;
}

export interface BuildSpec {
  image: ImageRef;
  /** Absolute path of the build context. */
  context: string;
}

export type LoadMode = 'auto' | 'side-load' | 'push';
export type DiagnosticsMode = 'on-failure' | 'always' | 'never';

/** Every input of action.yml, parsed and validated. */
export interface Inputs {
  /** Snap channel to install MicroK8s from. */
  channel: Channel;
  /** One `microk8s enable` call per item, in order (the registry addon is handled by `registry`). */
  addons: Addon[];
  /** Enable the built-in registry addon and wait until localhost:32000 serves. */
  registry: boolean;
  /** Storage the built-in registry claims, e.g. `20Gi`. */
  registrySize: string;
  /** Plain-HTTP registries trusted by containerd and the runner's Docker. */
  insecureRegistries: RegistryHost[];
  /** A private registry that needs credentials and/or its own CA. */
  registryServer?: RegistryHost;
  registryUsername: string;
  registryPassword: string;
  /** Absolute path of a PEM CA bundle for `registryServer`. */
  registryCa?: string;
  /** `docker build CONTEXT -t IMAGE` on the runner. */
  build: BuildSpec[];
  /** Images in the runner's Docker to deliver to the cluster. */
  images: ImageRef[];
  load: LoadMode;
  /** Absolute paths of files or folders to `kubectl apply`. */
  manifests: string[];
  verify: boolean;
  timeoutSeconds: number;
  verifyTimeoutSeconds: number;
  cleanup: boolean;
  diagnostics: DiagnosticsMode;
}

/** The tested stable track the action installs when `channel` is not given. */
export const DEFAULT_CHANNEL = '1.34/stable';
/** The oldest track whose containerd configuration the action knows how to write. */
export const OLDEST_MINOR = 19;

export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`${input}: ${message}`);
    this.name = 'InputError';
  }
}

export type GetInput = (name: string) => string;

/** Items of a list input: split on commas and new lines, trimmed, blanks dropped. */
export function parseList(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const RISKS = ['stable', 'candidate', 'beta', 'edge'] as const;

export function parseChannel(raw: string): Channel {
  const value = raw.trim() || DEFAULT_CHANNEL;
  const fail = (why: string): never => {
    throw new InputError(
      'channel',
      `'${value}' ${why}. Expected [track/]risk[/branch] with risk one of ${RISKS.join(', ')}, e.g. ${DEFAULT_CHANNEL}, latest/edge or 1.33-strict/stable`,
    );
  };
  const parts = value.split('/');
  if (parts.length > 3 || parts.some((p) => p === '')) fail('is not a snap channel');
  let track = 'latest';
  let risk: string;
  let branch: string | undefined;
  if ((RISKS as readonly string[]).includes(parts[0])) {
    if (parts.length > 2) fail('is not a snap channel');
    [risk, branch] = parts;
  } else if (parts.length === 1) {
    // `--channel=1.34` means 1.34/stable to snap.
    track = parts[0];
    risk = 'stable';
  } else {
    [track, risk, branch] = parts;
  }
  if (!(RISKS as readonly string[]).includes(risk)) fail(`has risk '${risk}'`);
  if (branch !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/.test(branch))
    fail(`has branch '${branch}'`);
  const m = /^1\.(\d+)(?:-(strict|eksd))?$/.exec(track);
  if (track !== 'latest' && !m)
    fail(`has track '${track}'; tracks are latest, 1.xx, 1.xx-strict or 1.xx-eksd`);
  const minor = m ? Number(m[1]) : undefined;
  if (minor !== undefined && minor < OLDEST_MINOR) {
    fail(`is older than MicroK8s 1.${OLDEST_MINOR}, the oldest track this action configures`);
  }
  const snapChannel = [track, risk, ...(branch ? [branch] : [])].join('/');
  return {
    raw: value,
    track,
    risk: risk as Channel['risk'],
    branch,
    strict: m?.[2] === 'strict',
    minor,
    snapChannel,
  };
}

/** Characters an addon argument may hold: enough for IP ranges, CIDRs, sizes and key=value. */
const SAFE_ARG = /^[A-Za-z0-9._:/,=@+-]+$/;
const ADDON_NAME = /^(?:[a-z0-9][a-z0-9-]*\/)?[a-z0-9][a-z0-9-]*$/;

export function parseAddon(raw: string): Addon {
  const words = raw.split(/\s+/).filter(Boolean);
  const [name] = (words[0] ?? '').split(':', 1);
  const bad = words.find((w) => !SAFE_ARG.test(w));
  if (bad !== undefined || !ADDON_NAME.test(name)) {
    throw new InputError(
      'addons',
      `'${raw}' is not an addon: expected a name with optional arguments made of letters, digits and . _ : / , = @ + -, e.g. dns, metallb:10.64.140.43-10.64.140.49 or registry --size 40Gi`,
    );
  }
  return { raw, name, words };
}

export function parseRegistryHost(input: string, raw: string): RegistryHost {
  const fail = (why: string): never => {
    throw new InputError(
      input,
      `'${raw}' ${why}. Expected host[:port] without a scheme or path, e.g. 10.141.241.175:32000 or registry.example.com:5000`,
    );
  };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) fail('has a scheme');
  if (raw.includes('/')) fail('has a path');
  if (/\s/.test(raw)) fail('has white space');
  if (/[;&|`$<>(){}\\'"*?!#~%^]/.test(raw)) fail('has characters a host name cannot have');
  const m = /^(\[[0-9a-fA-F:]+\]|[^:[\]]*)(?::(\d*))?$/.exec(raw);
  if (!m) fail('is not host[:port]');
  const host = m![1];
  const portText = m![2];
  if (host === '') fail('has an empty host');
  if (
    !/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)$/.test(
      host,
    )
  ) {
    fail('has an invalid host name');
  }
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (portText === '' || !Number.isInteger(port) || port < 1 || port > 65535)
      fail('has a port outside 1-65535');
  }
  return { address: raw, host, port };
}

const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

function parseBoolean(input: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback;
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new InputError(input, `'${value}' is not a boolean. Use true or false`);
}

function parsePositiveInt(input: string, value: string, fallback: number): number {
  if (value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InputError(
      input,
      `'${value}' is not a positive whole number of seconds, e.g. ${fallback}`,
    );
  }
  return Number(value);
}

function parseEnum<T extends string>(
  input: string,
  value: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InputError(input, `'${value}' is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function parseRef(input: string, raw: string): ImageRef {
  let ref: ImageRef;
  try {
    ref = parseImageRef(raw);
  } catch (e) {
    if (e instanceof ImageRefError) throw new InputError(input, e.message);
    throw e;
  }
  const problem = deliveryProblem(ref);
  if (problem) throw new InputError(input, problem);
  return ref;
}

function checkRegistrySize(input: string, size: string): string {
  // The addon's own check: whole Gi, 20 or more (addons/registry/enable).
  const m = /^(\d+)Gi$/.exec(size);
  if (!m || Number(m[1]) < 20) {
    throw new InputError(
      input,
      `'${size}' is not a size the registry addon accepts: whole Gi, at least 20Gi, e.g. 40Gi`,
    );
  }
  return size;
}

/** `registry --size 40Gi` or the older `registry:size=40Gi`. */
function registrySizeOf(addon: Addon): string | undefined {
  const [head, ...rest] = addon.words;
  const legacy = /^registry:size=(.+)$/.exec(head);
  if (legacy) return checkRegistrySize('addons', legacy[1]);
  const i = rest.indexOf('--size');
  if (i >= 0) return checkRegistrySize('addons', rest[i + 1] ?? '');
  const eq = rest.find((w) => w.startsWith('--size='));
  if (eq) return checkRegistrySize('addons', eq.slice('--size='.length));
  if (rest.length > 0 || head !== 'registry') {
    throw new InputError(
      'addons',
      `'${addon.raw}' is not a registry addon the action understands: use registry --size 40Gi`,
    );
  }
  return undefined;
}

function resolvePath(p: string, workspace: string): string {
  return path.resolve(workspace, p);
}

/**
 * Reads and validates every input before the action touches the host. Throws InputError,
 * whose message quotes the bad value and says what is expected.
 */
export function parseInputs(
  get: GetInput,
  workspace = process.env.GITHUB_WORKSPACE || process.cwd(),
): Inputs {
  const channel = parseChannel(get('channel'));

  let registry = parseBoolean('registry', get('registry'), false);
  let registrySize = checkRegistrySize('registry-size', get('registry-size') || '20Gi');

  const addons: Addon[] = [];
  for (const raw of parseList(get('addons') || 'dns')) {
    const addon = parseAddon(raw);
    // The registry has its own wait and its own per-track syntax: `registry --size 40Gi` here
    // means the same as the inputs registry: true and registry-size: 40Gi.
    if (addon.name === 'registry') {
      registry = true;
      registrySize = registrySizeOf(addon) ?? registrySize;
      continue;
    }
    addons.push(addon);
  }

  const insecureRegistries = parseList(get('insecure-registries')).map((r) =>
    parseRegistryHost('insecure-registries', r),
  );

  const serverRaw = get('registry-server').trim();
  const registryServer = serverRaw ? parseRegistryHost('registry-server', serverRaw) : undefined;
  const registryUsername = get('registry-username').trim();
  const registryPassword = get('registry-password');
  if ((registryUsername === '') !== (registryPassword === '')) {
    throw new InputError(
      registryUsername ? 'registry-password' : 'registry-username',
      'registry-username and registry-password go together: set both, or neither',
    );
  }
  if (registryUsername && !registryServer) {
    throw new InputError(
      'registry-server',
      'is empty, but registry-username is set: name the registry the credentials are for, e.g. registry.example.com:5000',
    );
  }
  const caRaw = get('registry-ca').trim();
  let registryCa: string | undefined;
  if (caRaw) {
    if (!registryServer) {
      throw new InputError(
        'registry-server',
        `is empty, but registry-ca is set: name the registry that '${caRaw}' is the CA of`,
      );
    }
    registryCa = resolvePath(caRaw, workspace);
    let text: string;
    try {
      text = fs.readFileSync(registryCa, 'utf8');
    } catch {
      throw new InputError(
        'registry-ca',
        `'${caRaw}' cannot be read: give the path of a PEM CA bundle in the workspace`,
      );
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----')) {
      throw new InputError(
        'registry-ca',
        `'${caRaw}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      );
    }
  }

  const build = parseList(get('build')).map((line): BuildSpec => {
    const eq = line.indexOf('=');
    if (eq <= 0 || eq === line.length - 1) {
      throw new InputError('build', `'${line}' is not IMAGE=CONTEXT, e.g. mynginx:local=./app`);
    }
    const image = parseRef('build', line.slice(0, eq).trim());
    const ctxRaw = line.slice(eq + 1).trim();
    const context = resolvePath(ctxRaw, workspace);
    if (!fs.existsSync(context) || !fs.statSync(context).isDirectory()) {
      throw new InputError(
        'build',
        `the context '${ctxRaw}' of '${line}' is not a folder in the workspace`,
      );
    }
    return { image, context };
  });

  const images = parseList(get('images')).map((r) => parseRef('images', r));

  const manifests = parseList(get('manifests')).map((m) => {
    const p = resolvePath(m, workspace);
    if (!fs.existsSync(p))
      throw new InputError('manifests', `'${m}' is neither a file nor a folder in the workspace`);
    return p;
  });

  return {
    channel,
    addons,
    registry,
    registrySize,
    insecureRegistries,
    registryServer,
    registryUsername,
    registryPassword,
    registryCa,
    build,
    images,
    load: parseEnum('load', get('load'), ['auto', 'side-load', 'push'] as const, 'auto'),
    manifests,
    verify: parseBoolean('verify', get('verify'), true),
    timeoutSeconds: parsePositiveInt('timeout', get('timeout'), 600),
    verifyTimeoutSeconds: parsePositiveInt('verify-timeout', get('verify-timeout'), 180),
    cleanup: parseBoolean('cleanup', get('cleanup'), false),
    diagnostics: parseEnum(
      'diagnostics',
      get('diagnostics'),
      ['on-failure', 'always', 'never'] as const,
      'on-failure',
    ),
  };
}
