import { parse } from '@iarna/toml';
import { describe, expect, it } from 'vitest';
import { Inputs, parseRegistryHost } from '../../src/inputs.js';
import {
  containerdCaPath,
  containerdTrusts,
  hostsTomlPath,
  renderHostsToml,
} from '../../src/registries/hosts-toml.js';

const host = (r: string) => parseRegistryHost('insecure-registries', r);

function inputs(over: Partial<Inputs>): Inputs {
  return {
    insecureRegistries: [],
    registryUsername: '',
    registryPassword: '',
    ...over,
  } as Inputs;
}

describe('hostsTomlPath', () => {
  it.each([
    [
      '10.141.241.175:32000',
      '/var/snap/microk8s/current/args/certs.d/10.141.241.175:32000/hosts.toml',
    ],
    ['localhost:32000', '/var/snap/microk8s/current/args/certs.d/localhost:32000/hosts.toml'],
    [
      'registry.example.com',
      '/var/snap/microk8s/current/args/certs.d/registry.example.com/hosts.toml',
    ],
  ])('puts %s in its own certs.d folder', (address, expected) => {
    expect(hostsTomlPath(address)).toBe(expected);
  });
});

describe('renderHostsToml', () => {
  it.each([
    [
      'a plain-HTTP registry',
      { address: '10.141.241.175:32000', scheme: 'http' as const },
      {
        server: 'http://10.141.241.175:32000',
        host: { 'http://10.141.241.175:32000': { capabilities: ['pull', 'resolve'] } },
      },
    ],
    [
      'a registry with its own CA',
      {
        address: 'registry.test:5443',
        scheme: 'https' as const,
        caFile: '/var/snap/microk8s/current/args/certs.d/registry.test:5443/ca.crt',
      },
      {
        server: 'https://registry.test:5443',
        host: {
          'https://registry.test:5443': {
            capabilities: ['pull', 'resolve'],
            ca: '/var/snap/microk8s/current/args/certs.d/registry.test:5443/ca.crt',
          },
        },
      },
    ],
  ])('renders %s as containerd reads it', (_what, trust, expected) => {
    expect(parse(renderHostsToml(trust))).toEqual(expected);
  });

  it('always has the [host."…"] table containerd 1.6 needs', () => {
    // Without it containerd ignores the file and speaks HTTPS (microk8s-facts §2).
    expect(renderHostsToml({ address: 'r:5000', scheme: 'http' })).toContain(
      '[host."http://r:5000"]\n  capabilities = ["pull", "resolve"]\n',
    );
  });
});

describe('containerdTrusts', () => {
  it.each([
    ['nothing for no registries', inputs({}), []],
    [
      'HTTP for each insecure registry, once',
      inputs({
        insecureRegistries: [
          host('10.141.241.175:32000'),
          host('10.141.241.175:32000'),
          host('localhost:5000'),
        ],
      }),
      [
        { address: '10.141.241.175:32000', scheme: 'http' },
        { address: 'localhost:5000', scheme: 'http' },
      ],
    ],
    [
      'HTTPS with the CA for registry-server',
      inputs({ registryServer: host('registry.test:5443'), registryCa: '/w/ca.pem' }),
      [
        {
          address: 'registry.test:5443',
          scheme: 'https',
          caFile: containerdCaPath('registry.test:5443'),
        },
      ],
    ],
    [
      'nothing for a registry-server with credentials only: the kubelet passes them',
      inputs({
        registryServer: host('registry.test:5443'),
        registryUsername: 'u',
        registryPassword: 'p',
      }),
      [],
    ],
    [
      'HTTP for a registry-server that is also insecure',
      inputs({
        insecureRegistries: [host('10.0.0.5:5000')],
        registryServer: host('10.0.0.5:5000'),
        registryCa: '/w/ca.pem',
      }),
      [{ address: '10.0.0.5:5000', scheme: 'http' }],
    ],
  ])('gives %s', (_what, given, expected) => {
    expect(containerdTrusts(given)).toEqual(expected);
  });
});
