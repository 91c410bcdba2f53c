import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CHANNEL,
  InputError,
  parseChannel,
  parseInputs,
  parseList,
  parseRegistryHost,
} from '../../src/inputs.js';

const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'inputs-'));
fs.mkdirSync(path.join(workspace, 'app'));
fs.writeFileSync(path.join(workspace, 'deploy.yaml'), 'kind: List\n');
fs.writeFileSync(
  path.join(workspace, 'ca.pem'),
  '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
);
fs.writeFileSync(path.join(workspace, 'not-a-ca.txt'), 'hello\n');

function parse(values: Record<string, string>) {
  return parseInputs((name) => values[name] ?? '', workspace);
}

function errorOf(values: Record<string, string>): InputError {
  try {
    parse(values);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(values)} to be rejected`);
}

describe('parseList', () => {
  it.each([
    ['', []],
    ['a', ['a']],
    ['a,b', ['a', 'b']],
    ['a\nb\n\n c ,, d', ['a', 'b', 'c', 'd']],
  ])('splits %j on commas and new lines', (value, expected) => {
    expect(parseList(value)).toEqual(expected);
  });
});

describe('parseChannel', () => {
  it.each([
    ['', { snapChannel: DEFAULT_CHANNEL, track: '1.34', risk: 'stable', strict: false, minor: 34 }],
    ['1.34/stable', { snapChannel: '1.34/stable', minor: 34, strict: false }],
    [
      'latest/edge',
      { snapChannel: 'latest/edge', track: 'latest', risk: 'edge', minor: undefined },
    ],
    ['edge', { snapChannel: 'latest/edge', track: 'latest' }],
    ['1.33', { snapChannel: '1.33/stable', risk: 'stable' }],
    ['1.33-strict/stable', { snapChannel: '1.33-strict/stable', strict: true, minor: 33 }],
    ['1.28/beta/hotfix-1', { snapChannel: '1.28/beta/hotfix-1', branch: 'hotfix-1' }],
    ['1.22/stable', { minor: 22 }],
  ])('reads %j', (raw, expected) => {
    expect(parseChannel(raw)).toMatchObject(expected);
  });

  it.each([
    ['1.34/stabel', "'1.34/stabel' has risk 'stabel'"],
    ['1.34//stable', 'is not a snap channel'],
    ['v1.34/stable', "has track 'v1.34'"],
    ['1.34/stable/a/b', 'is not a snap channel'],
    ['1.18/stable', 'older than MicroK8s 1.19'],
    ['1.34/stable;rm', "has risk 'stable;rm'"],
  ])('rejects %j, quoting it', (raw, fragment) => {
    expect(() => parseChannel(raw)).toThrow(fragment);
    expect(() => parseChannel(raw)).toThrow(/Expected \[track\/\]risk\[\/branch\]/);
  });
});

describe('parseRegistryHost', () => {
  it.each([
    ['10.141.241.175:32000', { host: '10.141.241.175', port: 32000 }],
    ['registry.example.com', { host: 'registry.example.com', port: undefined }],
    ['localhost:5000', { host: 'localhost', port: 5000 }],
    ['[::1]:5000', { host: '[::1]', port: 5000 }],
  ])('accepts %j', (raw, expected) => {
    expect(parseRegistryHost('insecure-registries', raw)).toMatchObject({
      address: raw,
      ...expected,
    });
  });

  it.each([
    ['http://10.0.0.1:5000', 'has a scheme'],
    ['10.0.0.1:5000/v2', 'has a path'],
    ['10.0.0.1 :5000', 'has white space'],
    ['reg$(id):5000', 'has characters a host name cannot have'],
    ['reg;rm:5000', 'has characters a host name cannot have'],
    [':5000', 'has an empty host'],
    ['10.0.0.1:0', 'has a port outside 1-65535'],
    ['10.0.0.1:65536', 'has a port outside 1-65535'],
    ['10.0.0.1:', 'has a port outside 1-65535'],
    ['-bad-.example.com', 'has an invalid host name'],
  ])('rejects %j with the accepted form', (raw, fragment) => {
    const call = () => parseRegistryHost('insecure-registries', raw);
    expect(call).toThrow(`insecure-registries: '${raw}' ${fragment}`);
    expect(call).toThrow(
      'Expected host[:port] without a scheme or path, e.g. 10.141.241.175:32000',
    );
  });
});

describe('parseInputs', () => {
  it('gives the documented defaults', () => {
    expect(parse({})).toEqual({
      channel: parseChannel(DEFAULT_CHANNEL),
      addons: [{ raw: 'dns', name: 'dns', words: ['dns'] }],
      registry: false,
      registrySize: '20Gi',
      insecureRegistries: [],
      registryServer: undefined,
      registryUsername: '',
      registryPassword: '',
      registryCa: undefined,
      build: [],
      images: [],
      load: 'auto',
      manifests: [],
      verify: true,
      timeoutSeconds: 600,
      verifyTimeoutSeconds: 180,
      cleanup: false,
      diagnostics: 'on-failure',
    });
  });

  it('keeps one enable call per addon item, arguments included', () => {
    const inputs = parse({
      addons: 'dns\nhostpath-storage, metallb:10.64.140.43-10.64.140.49\ncommunity/foo --bar 1',
    });
    expect(inputs.addons.map((a) => [a.name, a.words])).toEqual([
      ['dns', ['dns']],
      ['hostpath-storage', ['hostpath-storage']],
      ['metallb', ['metallb:10.64.140.43-10.64.140.49']],
      ['community/foo', ['community/foo', '--bar', '1']],
    ]);
  });

  it.each([
    ['registry --size 40Gi', '40Gi'],
    ['registry:size=60Gi', '60Gi'],
    ['registry', '20Gi'],
  ])('turns the addon %j into the registry input with size %s', (item, size) => {
    const inputs = parse({ addons: `dns\n${item}` });
    expect(inputs.registry).toBe(true);
    expect(inputs.registrySize).toBe(size);
    expect(inputs.addons.map((a) => a.name)).toEqual(['dns']);
  });

  it('resolves build contexts and manifests against the workspace', () => {
    const inputs = parse({
      build: 'mynginx:local=app',
      manifests: 'deploy.yaml',
      'registry-server': 'reg.example.com:5000',
      'registry-ca': 'ca.pem',
    });
    expect(inputs.build[0].context).toBe(path.join(workspace, 'app'));
    expect(inputs.build[0].image.normalized).toBe('docker.io/library/mynginx:local');
    expect(inputs.manifests).toEqual([path.join(workspace, 'deploy.yaml')]);
    expect(inputs.registryCa).toBe(path.join(workspace, 'ca.pem'));
  });

  it.each([
    [{ addons: 'dns; rm -rf /' }, 'addons', "'dns; rm -rf /' is not an addon"],
    [{ addons: 'metallb:$(curl x)' }, 'addons', 'is not an addon'],
    [{ addons: 'registry --size 10Gi' }, 'addons', "'10Gi' is not a size"],
    [{ 'registry-size': '40G' }, 'registry-size', "'40G' is not a size"],
    [{ registry: 'yes' }, 'registry', "'yes' is not a boolean. Use true or false"],
    [{ verify: '1' }, 'verify', "'1' is not a boolean"],
    [{ cleanup: 'on' }, 'cleanup', "'on' is not a boolean"],
    [{ timeout: '0' }, 'timeout', "'0' is not a positive whole number"],
    [{ timeout: '10m' }, 'timeout', "'10m' is not a positive whole number"],
    [{ 'verify-timeout': '-5' }, 'verify-timeout', "'-5' is not a positive whole number"],
    [{ load: 'copy' }, 'load', "'copy' is not one of auto, side-load, push"],
    [
      { diagnostics: 'sometimes' },
      'diagnostics',
      "'sometimes' is not one of on-failure, always, never",
    ],
    [
      { 'insecure-registries': 'ok:5000\nhttp://10.0.0.1:5000' },
      'insecure-registries',
      "'http://10.0.0.1:5000' has a scheme",
    ],
    [{ 'registry-server': 'https://reg.example.com' }, 'registry-server', 'has a scheme'],
    [
      { 'registry-server': 'reg.example.com', 'registry-username': 'u' },
      'registry-password',
      'go together',
    ],
    [
      { 'registry-username': 'u', 'registry-password': 'p' },
      'registry-server',
      'is empty, but registry-username is set',
    ],
    [{ 'registry-ca': 'ca.pem' }, 'registry-server', 'is empty, but registry-ca is set'],
    [
      { 'registry-server': 'r.example.com', 'registry-ca': 'missing.pem' },
      'registry-ca',
      "'missing.pem' cannot be read",
    ],
    [
      { 'registry-server': 'r.example.com', 'registry-ca': 'not-a-ca.txt' },
      'registry-ca',
      'holds no PEM certificate',
    ],
    [{ build: 'mynginx:local' }, 'build', "'mynginx:local' is not IMAGE=CONTEXT"],
    [{ build: 'MyNginx:local=app' }, 'build', "'MyNginx:local' is not a valid image reference"],
    [
      { build: 'mynginx:local=nope' },
      'build',
      "the context 'nope' of 'mynginx:local=nope' is not a folder",
    ],
    [{ images: 'mynginx:lo cal' }, 'images', 'is not a valid image reference'],
    [{ images: 'localhost:99999/x:1' }, 'images', 'outside 1-65535'],
    [{ images: `app@sha256:${'c'.repeat(64)}` }, 'images', 'is pinned by digest'],
    [{ manifests: 'nope.yaml' }, 'manifests', "'nope.yaml' is neither a file nor a folder"],
  ])('rejects %j in %s, quoting the value', (values, input, fragment) => {
    const e = errorOf(values as Record<string, string>);
    expect(e.input).toBe(input);
    expect(e.message).toContain(fragment);
  });
});

describe('action.yml', () => {
  it('declares the same defaults the parser applies to an empty input', async () => {
    const { parse: parseYaml } = await import('yaml');
    const action = parseYaml(fs.readFileSync('action.yml', 'utf8')) as {
      inputs: Record<string, { default?: string }>;
    };
    const fromDefaults = parseInputs((name) => action.inputs[name]?.default ?? '', workspace);
    expect(fromDefaults).toEqual(parse({}));
  });
});
