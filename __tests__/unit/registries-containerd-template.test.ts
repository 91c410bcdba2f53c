import * as fs from 'node:fs';
import { parse } from '@iarna/toml';
import { describe, expect, it } from 'vitest';
import {
  ContainerdTemplateError,
  appendLegacyRegistries,
  criPluginStatus,
  parseTemplate,
  templateFormat,
} from '../../src/registries/containerd-template.js';
import { RegistryTrust } from '../../src/registries/hosts-toml.js';

const LEGACY = fs.readFileSync('__fixtures__/microk8s/containerd-template-1.22.toml', 'utf8');
const HOSTS_DIR = fs.readFileSync('__fixtures__/microk8s/containerd-template-1.34.toml', 'utf8');

const HTTP: RegistryTrust = { address: '10.141.241.175:32000', scheme: 'http' };
const CA: RegistryTrust = {
  address: 'registry.test:5443',
  scheme: 'https',
  caFile: '/var/snap/microk8s/current/args/certs.d/registry.test:5443/ca.crt',
};

type Cri = {
  registry: {
    mirrors: Record<string, { endpoint: string[] }>;
    configs?: Record<string, { tls: { ca_file: string } }>;
  };
};
const cri = (text: string) =>
  (parse(text).plugins as Record<string, unknown>)['io.containerd.grpc.v1.cri'] as Cri;

describe('templateFormat', () => {
  it.each([
    ['the 1.22 template (registry.mirrors)', LEGACY, 'legacy'],
    ['the 1.34 template (config_path)', HOSTS_DIR, 'hosts-dir'],
    [
      'a containerd 2 (version 3) template',
      'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n',
      'hosts-dir',
    ],
    [
      'an empty config_path',
      '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = ""\n',
      'legacy',
    ],
  ])('reads %s as %s', (_what, text, format) => {
    expect(templateFormat(parseTemplate(text))).toBe(format);
  });

  it('names the file and the line of a broken template', () => {
    expect(() => parseTemplate('version = 2\n[plugins\n')).toThrow(
      /containerd-template.toml is not valid TOML: .*row 2/,
    );
  });
});

describe('appendLegacyRegistries', () => {
  it('adds a mirror for a plain-HTTP registry, keeping every byte that was there', () => {
    const { content, changed, added } = appendLegacyRegistries(LEGACY, [HTTP]);
    expect(changed).toBe(true);
    expect(added).toEqual(['10.141.241.175:32000']);
    // Appended: comments and ${…} placeholders survive, the file is the old one plus our tables.
    expect(content.startsWith(LEGACY)).toBe(true);
    expect(content).toContain('snapshotter = "${SNAPSHOTTER}"');
    expect(cri(content).registry.mirrors).toEqual({
      'docker.io': { endpoint: ['https://registry-1.docker.io'] },
      'localhost:32000': { endpoint: ['http://localhost:32000'] },
      '10.141.241.175:32000': { endpoint: ['http://10.141.241.175:32000'] },
    });
  });

  it('sets the ca_file of a registry with its own CA', () => {
    const { content } = appendLegacyRegistries(LEGACY, [HTTP, CA]);
    expect(cri(content).registry.configs).toEqual({
      'registry.test:5443': { tls: { ca_file: CA.caFile } },
    });
  });

  it.each([
    [
      'the built-in registry, which the template maps already',
      [{ address: 'localhost:32000', scheme: 'http' as const }],
    ],
    ['a CA with nothing to verify', [{ address: 'r.test', scheme: 'https' as const }]],
    ['nothing', []],
  ])('leaves the file alone for %s', (_what, trusts) => {
    expect(appendLegacyRegistries(LEGACY, trusts)).toEqual({
      content: LEGACY,
      changed: false,
      added: [],
    });
  });

  it('adds nothing the second time', () => {
    const once = appendLegacyRegistries(LEGACY, [HTTP, CA]).content;
    expect(appendLegacyRegistries(once, [HTTP, CA])).toEqual({
      content: once,
      changed: false,
      added: [],
    });
  });

  it('ends a file that lacks a final new line before appending', () => {
    const text = LEGACY.trimEnd();
    const { content } = appendLegacyRegistries(text, [HTTP]);
    expect(cri(content).registry.mirrors['10.141.241.175:32000']).toBeDefined();
  });

  it('never adds registry.mirrors to a template with config_path', () => {
    // containerd would run without its CRI plugin (microk8s-facts §2, "Fatal pitfall").
    expect(() => appendLegacyRegistries(HOSTS_DIR, [HTTP])).toThrow(ContainerdTemplateError);
    expect(() => appendLegacyRegistries(HOSTS_DIR, [HTTP])).toThrow(/sets config_path.*hosts.toml/);
  });

  it.each([
    [
      'a mirror with other endpoints',
      LEGACY.replace(
        'endpoint = ["http://localhost:32000"]',
        'endpoint = ["https://localhost:32000"]',
      ),
      [{ address: 'localhost:32000', scheme: 'http' as const }],
      /already has a mirror for localhost:32000 \(endpoint \["https:\/\/localhost:32000"\]\)/,
    ],
    [
      'TLS settings of its own',
      `${LEGACY}\n[plugins."io.containerd.grpc.v1.cri".registry.configs."registry.test:5443".tls]\n  insecure_skip_verify = true\n`,
      [CA],
      /already has TLS settings for registry.test:5443/,
    ],
    [
      'mirrors as an inline table, which TOML cannot extend',
      'version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  mirrors = { "docker.io" = { endpoint = ["https://registry-1.docker.io"] } }\n',
      [HTTP],
      /Adding 10.141.241.175:32000 to .* would make it invalid .*; the file was left unchanged/,
    ],
  ])('refuses a template that has %s, naming it', (_what, text, trusts, message) => {
    expect(() => appendLegacyRegistries(text, trusts)).toThrow(message);
  });

  it('refuses to touch a template that is not TOML', () => {
    expect(() => appendLegacyRegistries(`${LEGACY}\n[broken\n`, [HTTP])).toThrow(
      /is not valid TOML/,
    );
  });
});

describe('criPluginStatus', () => {
  const head =
    'TYPE                            ID                       PLATFORMS      STATUS    \n';
  it.each([
    [
      `${head}io.containerd.grpc.v1           cri                      linux/amd64    ok        \n`,
      'ok',
    ],
    [
      `${head}io.containerd.grpc.v1           cri                      linux/amd64    error     \n`,
      'error',
    ],
    [
      `${head}io.containerd.grpc.v1           introspection            -              ok        \n`,
      undefined,
    ],
    ['', undefined],
  ])('reads %j as %s', (out, status) => {
    expect(criPluginStatus(out)).toBe(status);
  });
});
