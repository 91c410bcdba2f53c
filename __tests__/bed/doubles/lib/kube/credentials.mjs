// The cluster's identity, made the way the snap's install hook makes it: a CA (certs/ca.crt,
// CN=10.152.183.1), an admin token (credentials/known_tokens.csv) and the admin kubeconfig
// (credentials/client.config) that `microk8s config` prints.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  SNAP_DATA,
  API_DIR,
  CLIENT_CONFIG,
  CA_CRT,
  createExclusive,
  writeAtomic,
  readJson,
  sleep,
} from './env.mjs';

const AUTH_FILE = `${API_DIR}/auth.json`;

function group(name) {
  try {
    const line = fs
      .readFileSync('/etc/group', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${name}:`));
    return line ? Number(line.split(':')[2]) : null;
  } catch {
    return null;
  }
}

function clientConfig(caPem, token) {
  const caData = Buffer.from(caPem).toString('base64');
  return `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${caData}
    server: https://127.0.0.1:16443
  name: microk8s-cluster
contexts:
- context:
    cluster: microk8s-cluster
    user: admin
  name: microk8s
current-context: microk8s
kind: Config
preferences: {}
users:
- name: admin
  user:
    token: ${token}
`;
}

/** Creates the CA, token and client.config once; safe to race between processes. */
export async function ensureCredentials({ strict = false } = {}) {
  if (fs.existsSync(CLIENT_CONFIG) && fs.existsSync(AUTH_FILE)) return;
  const lock = `${SNAP_DATA}/credentials/.bed-credentials.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      if (fs.existsSync(CLIENT_CONFIG) && fs.existsSync(AUTH_FILE)) return;
      // A holder that died leaves the lock behind; it never takes more than a few seconds.
      if (i > 100) fs.rmSync(lock, { recursive: true, force: true });
      await sleep(100);
    }
  }
  try {
    const certs = `${SNAP_DATA}/certs`;
    fs.mkdirSync(certs, { recursive: true });
    const key = `${certs}/ca.key`;
    if (!fs.existsSync(CA_CRT)) {
      if (!fs.existsSync(key))
        execFileSync('openssl', ['genrsa', '-out', key, '2048'], { stdio: 'ignore' });
      fs.chmodSync(key, 0o600);
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-new',
          '-sha256',
          '-nodes',
          '-days',
          '3650',
          '-key',
          key,
          '-subj',
          '/CN=10.152.183.1',
          '-addext',
          'basicConstraints=critical,CA:TRUE',
          '-addext',
          'keyUsage=critical,keyCertSign,cRLSign',
          '-out',
          CA_CRT,
        ],
        { stdio: 'ignore' },
      );
    }
    const tokens = `${SNAP_DATA}/credentials/known_tokens.csv`;
    // An existing client.config (the snap double's install hook writes one) is the source of truth.
    const existing = fs.existsSync(CLIENT_CONFIG)
      ? /^\s*token:\s*(\S+)\s*$/m.exec(fs.readFileSync(CLIENT_CONFIG, 'utf8'))?.[1]
      : null;
    let token =
      existing ??
      (fs.existsSync(tokens)
        ? /^([^,]+),admin,/m.exec(fs.readFileSync(tokens, 'utf8'))?.[1]
        : null);
    if (token && !fs.existsSync(tokens))
      createExclusive(tokens, `${token},admin,admin,"system:masters"\n`, 0o660);
    if (!token) {
      token = crypto
        .randomBytes(24)
        .toString('base64')
        .replace(/[^A-Za-z0-9]/g, '')
        .slice(0, 32);
      createExclusive(tokens, `${token},admin,admin,"system:masters"\n`, 0o660);
    }
    // Readable by the runner's kubectl (certs/ and credentials/ are not): it checks a kubeconfig's
    // CA and token against these.
    fs.mkdirSync(API_DIR, { recursive: true, mode: 0o777 });
    fs.chmodSync(API_DIR, 0o777);
    writeAtomic(
      AUTH_FILE,
      JSON.stringify({ tokenSha256: sha256(token), caPem: fs.readFileSync(CA_CRT, 'utf8') }),
      0o644,
    );
    const config = clientConfig(fs.readFileSync(CA_CRT, 'utf8'), token);
    if (!fs.existsSync(CLIENT_CONFIG)) writeAtomic(CLIENT_CONFIG, config, 0o660);
    const gid = group(strict ? 'snap_microk8s' : 'microk8s');
    if (gid !== null) {
      for (const f of [CLIENT_CONFIG, tokens]) fs.chownSync(f, 0, gid);
    }
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

export const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');

export function authInfo() {
  return readJson(AUTH_FILE, null);
}

/** get_default_ip from the snap's utils.sh: the default route's interface, else "none". */
export function defaultIp() {
  const run = (args) => {
    try {
      return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return '';
    }
  };
  const dev = /\bdev\s+(\S+)/.exec(run(['route', 'show', 'default']))?.[1];
  if (dev) {
    const ip = /inet\s+([\d.]+)/.exec(run(['-o', '-4', 'addr', 'list', dev]))?.[1];
    if (ip) return ip;
  }
  const src = /\bsrc\s+([\d.]+)/.exec(run(['route', 'get', '255.255.255.255']))?.[1];
  return src ?? 'none';
}

/** Addresses the node owns: a kubeconfig pointing at one of them reaches its API server. */
export function localAddresses() {
  const out = new Set(['127.0.0.1', 'localhost', '::1']);
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) out.add(a.address);
  return out;
}
