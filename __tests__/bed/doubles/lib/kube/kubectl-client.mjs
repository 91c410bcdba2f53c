// The runner's own kubectl: it finds its kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config)
// as the calling user and reaches the cluster only if that kubeconfig really points at it: the
// server must be one of the node's addresses on port 16443 with the API server up, the CA must
// be the cluster's CA, and the credentials the cluster's (admin token or a client certificate
// signed by the cluster CA). Otherwise it fails with kubectl's own messages.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { dep } from './deps.mjs';
import { CA_CRT, API_DIR, apiserverUp, release } from './env.mjs';
import { authInfo, sha256, localAddresses } from './credentials.mjs';
import { Kubectl, isLocalKubectl } from './kubectl.mjs';
import { emptyKubeconfig } from './kubectl-info.mjs';
import { Store } from './store.mjs';

const YAML = dep('yaml');

/** The kubectl preinstalled on GitHub's Ubuntu runners (runner-images, late 2025). */
export const RUNNER_KUBECTL_VERSION = 'v1.34.2';

class Fail extends Error {}

function flagValue(argv, name, short) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a === `--${name}` || (short && a === `-${short}`)) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

function loadKubeconfig(argv) {
  const explicit = flagValue(argv, 'kubeconfig');
  let files;
  if (explicit) files = [explicit];
  else if (process.env.KUBECONFIG) files = process.env.KUBECONFIG.split(':').filter(Boolean);
  else files = [path.join(process.env.HOME || os.homedir(), '.kube', 'config')];
  const merged = emptyKubeconfig();
  let source = null;
  for (const f of files) {
    let text;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch (e) {
      if (e.code === 'ENOENT') {
        if (explicit) throw new Fail(`error: stat ${f}: no such file or directory`);
        continue;
      }
      if (e.code === 'EACCES')
        throw new Fail(`error: error loading config file "${f}": open ${f}: permission denied`);
      if (e.code === 'EISDIR')
        throw new Fail(`error: error loading config file "${f}": read ${f}: is a directory`);
      throw e;
    }
    let cfg;
    try {
      cfg = YAML.parse(text) ?? {};
    } catch (e) {
      throw new Fail(`error: error loading config file "${f}": yaml: ${e.message.split('\n')[0]}`);
    }
    if (typeof cfg !== 'object' || Array.isArray(cfg)) {
      throw new Fail(
        `error: error loading config file "${f}": couldn't get version/kind; json parse error: json: cannot unmarshal string into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`,
      );
    }
    source ??= f;
    for (const k of ['clusters', 'contexts', 'users']) {
      for (const item of cfg[k] ?? [])
        if (!merged[k].some((x) => x.name === item.name)) merged[k].push(item);
    }
    if (!merged['current-context'] && cfg['current-context'])
      merged['current-context'] = cfg['current-context'];
  }
  return { cfg: merged, source };
}

function resolveContext(cfg, argv) {
  const ctxName = flagValue(argv, 'context') || cfg['current-context'];
  const ctx = cfg.contexts.find((c) => c.name === ctxName)?.context ?? {};
  if (flagValue(argv, 'context') && !cfg.contexts.some((c) => c.name === ctxName)) {
    throw new Fail(`error: context "${ctxName}" does not exist`);
  }
  const clusterName = flagValue(argv, 'cluster') || ctx.cluster;
  const userName = flagValue(argv, 'user') || ctx.user;
  const cluster = cfg.clusters.find((c) => c.name === clusterName)?.cluster ?? {};
  const user = { ...(cfg.users.find((u) => u.name === userName)?.user ?? {}) };
  const token = flagValue(argv, 'token');
  if (token) user.token = token;
  const server = flagValue(argv, 'server', 's') || cluster.server;
  return { cluster, user, server, namespace: ctx.namespace };
}

function readMaybe(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

const normPem = (s) => (s ?? '').replace(/\r/g, '').trim();

/** Whether this client would reach the emulated API server; throws kubectl's error if not. */
function checkServer({ cluster, user, server }, argv) {
  if (!server)
    throw new Fail(
      'The connection to the server localhost:8080 was refused - did you specify the right host or port?',
    );
  let url;
  try {
    url = new URL(server.includes('://') ? server : `https://${server}`);
  } catch {
    throw new Fail(`error: couldn't parse server address "${server}"`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port || (url.protocol === 'http:' ? '80' : '443');
  const hostPort = `${url.hostname}:${port}`;
  const local = localAddresses();
  if (!/^[\d.]+$/.test(host) && !host.includes(':') && !local.has(host)) {
    throw new Fail(`Unable to connect to the server: dial tcp: lookup ${host}: no such host`);
  }
  if (!local.has(host))
    throw new Fail(
      `Unable to connect to the server: dial tcp ${hostPort}: connect: network is unreachable`,
    );
  if (port !== '16443' || !fs.existsSync(API_DIR) || !apiserverUp()) {
    throw new Fail(
      `The connection to the server ${hostPort} was refused - did you specify the right host or port?`,
    );
  }
  if (url.protocol === 'http:')
    throw new Fail(
      'Error from server (BadRequest): the server rejected our request for an unknown reason',
    );
  const insecure =
    cluster['insecure-skip-tls-verify'] === true ||
    argv.includes('--insecure-skip-tls-verify') ||
    argv.includes('--insecure-skip-tls-verify=true');
  const auth = authInfo();
  const caPem = normPem(auth?.caPem ?? readMaybe(CA_CRT));
  if (!insecure) {
    let given = null;
    if (cluster['certificate-authority-data'])
      given = Buffer.from(cluster['certificate-authority-data'], 'base64').toString();
    else if (flagValue(argv, 'certificate-authority') || cluster['certificate-authority'])
      given = readMaybe(
        flagValue(argv, 'certificate-authority') || cluster['certificate-authority'],
      );
    if (normPem(given) !== caPem)
      throw new Fail(
        'Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority',
      );
  }
  if (user.token) {
    if (!auth || sha256(user.token) !== auth.tokenSha256)
      throw new Fail('error: You must be logged in to the server (Unauthorized)');
    return;
  }
  const certData = user['client-certificate-data']
    ? Buffer.from(user['client-certificate-data'], 'base64').toString()
    : user['client-certificate']
      ? readMaybe(user['client-certificate'])
      : null;
  if (certData) {
    try {
      const cert = new crypto.X509Certificate(certData);
      const ca = new crypto.X509Certificate(caPem);
      if (cert.verify(ca.publicKey)) return;
    } catch {
      // Falls through to Unauthorized.
    }
  }
  throw new Fail('error: You must be logged in to the server (Unauthorized)');
}

export async function main(argv) {
  let kc;
  let target;
  try {
    kc = loadKubeconfig(argv);
    target = resolveContext(kc.cfg, argv);
  } catch (e) {
    if (e instanceof Fail) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const kubectl = new Kubectl({
    store: new Store(),
    clientVersion: RUNNER_KUBECTL_VERSION,
    serverVersion: () => release().version,
    namespace: target.namespace,
    kubeconfig: { path: kc.source, config: kc.cfg, server: target.server },
  });
  if (!isLocalKubectl(argv)) {
    try {
      checkServer(target, argv);
    } catch (e) {
      if (!(e instanceof Fail)) throw e;
      const words = argv.filter((a) => !a.startsWith('-'));
      if (words[0] === 'version') {
        process.stdout.write(
          `Client Version: ${RUNNER_KUBECTL_VERSION}\nKustomize Version: ${kubectl.kustomizeVersion()}\n`,
        );
      }
      if (/was refused/.test(e.message)) {
        const hp = /server (\S+) was refused/.exec(e.message)?.[1] ?? 'localhost:8080';
        const scheme = hp === 'localhost:8080' ? 'http' : 'https';
        const stamp = new Date()
          .toISOString()
          .replace(/^\d{4}-(\d\d)-(\d\d)T([\d:.]{12}).*$/, '$1$2 $3');
        process.stderr.write(
          `E${stamp}000 ${String(process.pid).padStart(7)} memcache.go:265] "Unhandled Error" err="couldn't get current server API group list: Get \\"${scheme}://${hp}/api?timeout=32s\\": dial tcp ${hp.replace('localhost', '[::1]')}: connect: connection refused"\n`,
        );
      }
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
  }
  return kubectl.run(argv);
}
