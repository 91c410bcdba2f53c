import * as path from 'node:path';
import { SNAP_DATA } from '../microk8s.js';
import { Inputs } from '../inputs.js';

/** Where MicroK8s 1.23+ points containerd's `config_path`: one folder per registry host. */
export const CERTS_D = `${SNAP_DATA}/args/certs.d`;

/** How containerd must reach one registry. */
export interface RegistryTrust {
  /** `host[:port]` exactly as image references name it: containerd matches the folder name. */
  address: string;
  /** `http` for an insecure-registries entry; `https` for a registry with its own CA. */
  scheme: 'http' | 'https';
  /** Absolute path of the CA bundle that signs the registry's certificate. */
  caFile?: string;
}

/** `certs.d/<host:port>`: localhost:32000, 127.0.0.1:32000 and <ip>:32000 are separate folders. */
export function hostsDir(address: string): string {
  return path.posix.join(CERTS_D, address);
}

export function hostsTomlPath(address: string): string {
  return path.posix.join(hostsDir(address), 'hosts.toml');
}

/** The copy of `registry-ca` that containerd reads, beside the registry's hosts.toml. */
export function containerdCaPath(address: string): string {
  return path.posix.join(hostsDir(address), 'ca.crt');
}

/**
 * What containerd needs for the inputs: every insecure registry over plain HTTP, and
 * `registry-server` over HTTPS with its CA. A registry-server that is also an insecure registry
 * is plain HTTP, where a CA has nothing to verify.
 */
export function containerdTrusts(inputs: Inputs): RegistryTrust[] {
  const trusts: RegistryTrust[] = [];
  for (const r of inputs.insecureRegistries) {
    if (!trusts.some((t) => t.address === r.address))
      trusts.push({ address: r.address, scheme: 'http' });
  }
  const server = inputs.registryServer;
  if (server && inputs.registryCa && !trusts.some((t) => t.address === server.address)) {
    trusts.push({
      address: server.address,
      scheme: 'https',
      caFile: containerdCaPath(server.address),
    });
  }
  return trusts;
}

/** A TOML basic string; JSON's escaping is a subset of TOML's. */
const str = (s: string): string => JSON.stringify(s);

/**
 * A `hosts.toml` in containerd's format (docs/hosts.md). The `[host."…"]` table is not optional:
 * containerd 1.6/1.7 ignores a file with only `server` and falls back to HTTPS
 * (microk8s-facts §2, "Undoing a reload"; k3s-io/k3s#9983).
 */
export function renderHostsToml(trust: RegistryTrust): string {
  const url = `${trust.scheme}://${trust.address}`;
  const lines = [
    '# Written by setup-microk8s; containerd reads it on every pull.',
    `server = ${str(url)}`,
    '',
    `[host.${str(url)}]`,
    '  capabilities = ["pull", "resolve"]',
  ];
  if (trust.caFile) lines.push(`  ca = ${str(trust.caFile)}`);
  return `${lines.join('\n')}\n`;
}
