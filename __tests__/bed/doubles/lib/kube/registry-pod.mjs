// The one container that really runs: the registry addon's, the distribution registry serving
// the node port 32000 from the claim's directory. Its "shim" outlives kubelite restarts like a
// containerd shim; `microk8s stop` kills it (and marks every container killed).
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { nowRfc3339 } from './store.mjs';
import { addonOfPod } from './addons.mjs';
import { SNAP_COMMON, pidAlive, readJson, writeAtomic, terminate } from './env.mjs';

const REGISTRY_RUN = `${SNAP_COMMON}/run/bed-registry`;
const PID_FILE = `${REGISTRY_RUN}/pid.json`;
const CONTAINERS_KILLED = `${SNAP_COMMON}/run/bed-containers-killed`;

// Stops the registry on SIGTERM (microk8s stop), and goes away with the snap (snap remove).
const REGISTRY_SHIM = `docker-registry serve "$1" & reg=$!
trap 'kill $reg 2>/dev/null; exit 0' TERM INT
while kill -0 $reg 2>/dev/null; do
  [ -e /var/snap/microk8s/current ] || { kill $reg; exit 0; }
  sleep 1 & wait $!
done
wait $reg`;

export const isRegistryPod = (pod) => addonOfPod(pod) === 'registry';

/** The registry process still serving this pod (a kubelite that starts again finds it). */
export function runningRegistry(pod) {
  const rec = readJson(PID_FILE);
  return rec?.uid === pod.metadata.uid && pidAlive(rec.pid) ? { pid: rec.pid } : null;
}

/** The registry's storage: the claim's volume, else the default-storage directory. */
function registryDir(store, pod) {
  const claim = (pod.spec.volumes ?? []).find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim
    ?.claimName;
  const pvc = claim && store.get('persistentvolumeclaims', pod.metadata.namespace, claim);
  const pv = pvc?.spec?.volumeName && store.get('persistentvolumes', null, pvc.spec.volumeName);
  return pv?.spec?.hostPath?.path ?? `${SNAP_COMMON}/default-storage/registry`;
}

/** Starts the registry for container c of the pod (cs: its state), unless it runs already. */
export function startRegistry(store, pod, c, cs) {
  fs.mkdirSync(REGISTRY_RUN, { recursive: true });
  const running = runningRegistry(pod);
  if (running) {
    cs.process = running;
    return;
  }
  const prev = readJson(PID_FILE);
  if (prev && pidAlive(prev.pid)) terminate(prev.pid);
  const root = registryDir(store, pod);
  fs.mkdirSync(root, { recursive: true });
  const config = `${REGISTRY_RUN}/config.yml`;
  fs.writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: info\n  fields:\n    service: registry\nstorage:\n  filesystem:\n    rootdirectory: ${root}\n  delete:\n    enabled: true\nhttp:\n  addr: 0.0.0.0:32000\n  headers:\n    X-Content-Type-Options: [nosniff]\n`,
  );
  const logFile = store.logFile(pod, c.name);
  fs.mkdirSync(path.dirname(logFile), { recursive: true, mode: 0o755 });
  const log = fs.openSync(logFile, 'a');
  const child = spawn('/bin/sh', ['-c', REGISTRY_SHIM, 'registry-shim', config], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  child.on('error', () => {});
  child.unref();
  cs.process = { pid: child.pid };
  writeAtomic(PID_FILE, JSON.stringify({ pid: child.pid, uid: pod.metadata.uid }));
}

/** Restarts a registry that died (restartPolicy Always); notes when it serves. */
export async function checkRegistry(store, pod, c, cs) {
  if (!pidAlive(cs.process.pid)) {
    cs.restartCount = (cs.restartCount ?? 0) + 1;
    cs.lastState = {
      terminated: {
        exitCode: 1,
        reason: 'Error',
        startedAt: cs.startedAt,
        finishedAt: nowRfc3339(),
        containerID: cs.containerID,
      },
    };
    cs.serving = false;
    cs.startedAt = nowRfc3339();
    cs.started = Date.now();
    startRegistry(store, pod, c, cs);
    return;
  }
  if (cs.serving) return;
  cs.serving = await new Promise((resolve) => {
    const req = http.get('http://127.0.0.1:32000/v2/', { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.once('error', () => resolve(false));
    req.once('timeout', () => req.destroy());
  });
}

/** Stops the registry process of a pod (uid) that is gone. */
export function stopRegistry(uid, pid) {
  const rec = readJson(PID_FILE);
  if (rec && rec.uid === uid) {
    terminate(pid);
    fs.rmSync(PID_FILE, { force: true });
  }
}

/** Stops a registry left by an earlier kubelite whose pod no longer exists. */
export function reapOrphanRegistry(store) {
  const rec = readJson(PID_FILE);
  if (!rec) return;
  if (store.list('pods', 'container-registry').some((p) => p.metadata.uid === rec.uid)) return;
  if (pidAlive(rec.pid)) terminate(rec.pid);
  fs.rmSync(PID_FILE, { force: true });
}

/** What `microk8s stop` does to the containers: kills them (remove_all_containers). */
export function killContainers() {
  const rec = readJson(PID_FILE);
  if (rec && pidAlive(rec.pid)) terminate(rec.pid);
  fs.rmSync(PID_FILE, { force: true });
  fs.mkdirSync(path.dirname(CONTAINERS_KILLED), { recursive: true });
  fs.writeFileSync(CONTAINERS_KILLED, '');
}

/** Whether `microk8s stop` killed the containers since the last kubelite (asked once). */
export function containersWereKilled() {
  const killed = fs.existsSync(CONTAINERS_KILLED);
  fs.rmSync(CONTAINERS_KILLED, { force: true });
  return killed;
}
