#!/usr/bin/env node
// The emulated `kubelite` (MicroK8s' daemon-kubelite: API server, controllers, scheduler and
// kubelet in one process). It bootstraps the cluster's objects on first start, then runs the
// control loops every 200 ms; the kubelet pulls through the node containerd's CRI plugin.
import fs from 'node:fs';
import os from 'node:os';
import crypto from 'node:crypto';
import { Store } from './kube/store.mjs';
import { builtin } from './kube/resources.mjs';
import { Recorder } from './kube/events.mjs';
import { Controllers } from './kube/controllers.mjs';
import { Kubelet, reapOrphanRegistry } from './kube/kubelet.mjs';
import { CriImageClient } from './kube/cri.mjs';
import { Kubectl } from './kube/kubectl.mjs';
import { calicoManifest } from './kube/addons.mjs';
import { ensureCredentials, defaultIp } from './kube/credentials.mjs';
import { xable } from './kube/microk8s-cli.mjs';
import { dep } from './kube/deps.mjs';
import {
  API_DIR,
  SNAP_DATA,
  SNAP_COMMON,
  CA_CRT,
  CONTAINERD_SOCK,
  release,
  faults,
  minor,
  readJson,
  writeAtomic,
  sleep,
} from './kube/env.mjs';

const log = (s) => process.stderr.write(`${new Date().toISOString()} kubelite: ${s}\n`);

function nodeIP() {
  const ip = defaultIp();
  if (ip !== 'none') return ip;
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** The launch configuration the install hook applies (first found wins; 1.27+ default: dns). */
function launchConfig(rel) {
  const YAML = dep('yaml');
  for (const f of [
    '/etc/microk8s.yaml',
    '/root/snap/microk8s/common/.microk8s.yaml',
    `${SNAP_COMMON}/.microk8s.yaml`,
  ]) {
    try {
      return YAML.parse(fs.readFileSync(f, 'utf8')) ?? {};
    } catch {
      // Not there.
    }
  }
  return minor(rel) >= 27 ? { addons: [{ name: 'dns' }] } : {};
}

async function bootstrap(store, rel) {
  const quiet = { write: () => {}, writeErr: (s) => log(s.trim()) };
  const k = new Kubectl({
    store,
    clientVersion: rel.version,
    serverVersion: () => rel.version,
    ...quiet,
  });
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    if (!store.getRaw('namespaces', null, ns))
      store.create(builtin('namespaces'), {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
  }
  if (!store.getRaw('services', 'default', 'kubernetes')) {
    store.create(builtin('services'), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { component: 'apiserver', provider: 'kubernetes' },
      },
      spec: {
        clusterIP: '10.152.183.1',
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 16443 }],
        type: 'ClusterIP',
      },
    });
  }
  k.applyObjects(calicoManifest());
  fs.mkdirSync(`${SNAP_DATA}/var/lock`, { recursive: true });
  fs.writeFileSync(`${SNAP_DATA}/var/lock/ha-cluster`, '');
  const lc = launchConfig(rel);
  for (const [host, text] of Object.entries(lc.containerdRegistryConfigs ?? {})) {
    fs.mkdirSync(`${SNAP_DATA}/args/certs.d/${host}`, { recursive: true });
    fs.writeFileSync(`${SNAP_DATA}/args/certs.d/${host}/hosts.toml`, text);
  }
  const io = { out: () => {}, err: (s) => log(s), outRaw: () => {}, errRaw: (s) => log(s.trim()) };
  for (const a of lc.addons ?? []) {
    const args = Array.isArray(a.args) ? a.args : [];
    try {
      await xable(a.disable ? 'disable' : 'enable', [a.name, ...args], rel, io, { quick: true });
    } catch (e) {
      log(`launch configuration addon ${a.name}: ${e.message}`);
    }
  }
}

async function main() {
  const rel = release();
  const store = new Store();
  fs.mkdirSync(API_DIR, { recursive: true, mode: 0o777 });
  fs.chmodSync(API_DIR, 0o777);
  await ensureCredentials({ strict: rel.strict });
  writeAtomic(
    `${API_DIR}/kubelite.json`,
    JSON.stringify({ pid: process.pid, started: Date.now() }),
    0o644,
  );
  let boot = readJson(`${API_DIR}/bootstrap.json`);
  const first = !boot;
  if (!boot) {
    boot = { time: Date.now(), bootId: crypto.randomUUID() };
    writeAtomic(`${API_DIR}/bootstrap.json`, JSON.stringify(boot), 0o644);
  }
  const nodeName = os.hostname().toLowerCase();
  const ctx = {
    nodeName,
    nodeIP: nodeIP(),
    release,
    faults,
    bootTime: boot.time,
    bootId: boot.bootId,
    minor: minor(rel),
    caPem: () => {
      try {
        return fs.readFileSync(CA_CRT, 'utf8');
      } catch {
        return null;
      }
    },
  };
  const recorder = new Recorder(store, nodeName);
  const controllers = new Controllers(store, recorder, ctx);
  const cri = new CriImageClient(CONTAINERD_SOCK);
  const kubelet = new Kubelet(store, recorder, { ...ctx, cri });
  let running = true;
  const shutdown = () => {
    running = false;
    kubelet.stopped = true;
    cri.close();
    log('stopping');
    setTimeout(() => process.exit(0), 50);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  log(
    `starting: node ${nodeName} (${ctx.nodeIP}), Kubernetes ${rel.version}, API objects in ${API_DIR}`,
  );
  if (first) {
    controllers.tick();
    await bootstrap(store, rel).catch((e) => log(`bootstrap: ${e.stack ?? e}`));
  }
  reapOrphanRegistry(store);
  while (running) {
    try {
      controllers.tick();
      kubelet.tick();
    } catch (e) {
      log(`control loop: ${e.stack ?? e}`);
    }
    await sleep(200);
  }
}

main().catch((e) => {
  log(`fatal: ${e.stack ?? e}`);
  process.exit(1);
});
