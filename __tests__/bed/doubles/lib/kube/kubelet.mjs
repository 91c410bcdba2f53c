// The emulated kubelet. For every pod bound to this node it resolves each container's image the
// way pkg/kubelet/images does (pull policy, presence through CRI ImageStatus, PullImage through
// containerd's CRI plugin with credentials from the pod's imagePullSecrets, back-off), records
// the kubelet's events, and reports container statuses. Containers do not really run (there is
// no CNI): a container whose image is present is reported running. The addons' own pods (whose
// images live on Docker Hub) are started without a pull, and the registry addon's pod runs the
// real distribution registry on the node port.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { nowRfc3339 } from './store.mjs';
import {
  parseImageName,
  applyDefaultImageTag,
  defaultPullPolicy,
  lookupCredentials,
  ReferenceError,
} from './imageref.mjs';
import { addonOfPod, addonFaulted } from './addons.mjs';
import { SNAP_COMMON, sleep, pidAlive, readJson, writeAtomic } from './env.mjs';

const BACKOFF_STEPS_MS = [1000, 2000, 4000, 8000, 10_000];

/** Go's time.Duration String() of a millisecond count (already truncated to ms). */
export function goDuration(ms) {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number(s.toFixed(3))}s`;
  if (h) return `${h}h${m}m${sec}`;
  if (m) return `${m}m${sec}`;
  return sec;
}

const REGISTRY_RUN = `${SNAP_COMMON}/run/bed-registry`;
export const CONTAINERS_KILLED = `${SNAP_COMMON}/run/bed-containers-killed`;

// The registry container's "shim": it outlives kubelite restarts like a containerd shim, stops
// the registry on SIGTERM (microk8s stop), and goes away with the snap (snap remove).
const REGISTRY_SHIM = `docker-registry serve "$1" & reg=$!
trap 'kill $reg 2>/dev/null; exit 0' TERM INT
while kill -0 $reg 2>/dev/null; do
  [ -e /var/snap/microk8s/current ] || { kill $reg; exit 0; }
  sleep 1 & wait $!
done
wait $reg`;

export class Kubelet {
  /**
   * @param ctx {nodeName, nodeIP, minor, faults(), cri: CriImageClient}
   */
  constructor(store, recorder, ctx) {
    this.store = store;
    this.rec = recorder;
    this.ctx = ctx;
    this.workers = new Map();
    this.nextIP = 2;
    this.stopped = false;
    // `microk8s stop` leaves this behind after killing every container.
    this.killedContainers = fs.existsSync(CONTAINERS_KILLED);
    fs.rmSync(CONTAINERS_KILLED, { force: true });
  }

  tick() {
    for (const pod of this.store.list('pods', null)) {
      if (pod.spec.nodeName !== this.ctx.nodeName) continue;
      const uid = pod.metadata.uid;
      if (this.workers.has(uid)) continue;
      const state = {
        uid,
        containers: new Map(),
        podIP:
          pod.status?.podIP ?? `10.1.${Math.floor(this.nextIP / 250)}.${(this.nextIP % 250) + 2}`,
      };
      if (!pod.status?.podIP) this.nextIP += 1;
      this.adopt(pod, state);
      this.workers.set(uid, state);
      this.runWorker(pod, state).catch((e) => {
        process.stderr.write(
          `kubelet: pod worker ${pod.metadata.namespace}/${pod.metadata.name} failed: ${e.stack ?? e}\n`,
        );
      });
    }
  }

  /**
   * A kubelite that starts again finds its pods' containers still running (containerd shims
   * outlive it), unless `microk8s stop` killed them: then they start again, one restart more.
   */
  adopt(pod, state) {
    const st = pod.status ?? {};
    state.startTime = st.startTime;
    for (const s of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) {
      const image = s.imageID
        ? {
            id: s.imageID,
            repoTags: [s.image],
            repoDigests: s.imageID.includes('@') ? [s.imageID] : [],
          }
        : null;
      if (s.state?.terminated && image) {
        state.containers.set(s.name, {
          restartCount: s.restartCount ?? 0,
          started: 1,
          startedAt: s.state.terminated.startedAt,
          finishedAt: s.state.terminated.finishedAt,
          containerID: s.containerID,
          image,
          simulatedPulled: image,
        });
      } else if (s.state?.running && image) {
        if (this.killedContainers) {
          const now = nowRfc3339();
          state.containers.set(s.name, {
            restartCount: (s.restartCount ?? 0) + 1,
            lastState: {
              terminated: {
                containerID: s.containerID,
                exitCode: 255,
                finishedAt: now,
                reason: 'Unknown',
                startedAt: s.state.running.startedAt,
              },
            },
            restarted: true,
          });
        } else {
          const rec = readJson(`${REGISTRY_RUN}/pid.json`);
          const cs = {
            restartCount: s.restartCount ?? 0,
            started: 1,
            startedAt: s.state.running.startedAt,
            containerID: s.containerID,
            image,
            simulatedPulled: image,
            lastState: s.lastState,
          };
          if (pod.metadata.namespace === 'container-registry' && addonOfPod(pod) === 'registry') {
            if (rec?.uid === pod.metadata.uid && pidAlive(rec.pid)) cs.process = { pid: rec.pid };
            else {
              state.containers.set(s.name, {
                restartCount: (s.restartCount ?? 0) + 1,
                lastState: {
                  terminated: {
                    containerID: s.containerID,
                    exitCode: 255,
                    finishedAt: nowRfc3339(),
                    reason: 'Unknown',
                    startedAt: s.state.running.startedAt,
                  },
                },
                restarted: true,
              });
              continue;
            }
          }
          state.containers.set(s.name, cs);
        }
      }
    }
  }

  async runWorker(pod, state) {
    const { namespace, name } = pod.metadata;
    for (;;) {
      if (this.stopped) return;
      const cur = this.store.get('pods', namespace, name);
      if (!cur || cur.metadata.uid !== state.uid) {
        this.workers.delete(state.uid);
        this.stopContainers(state);
        return;
      }
      const delay = await this.syncPod(cur, state);
      await sleep(delay);
    }
  }

  event(pod, c, type, reason, message) {
    this.rec.record(pod, {
      type,
      reason,
      message,
      component: 'kubelet',
      fieldPath: `spec.${c.kind}{${c.name}}`,
    });
  }

  /** Events that the kubelet repeats each sync are emitted at most every `ms` per container. */
  due(cs, key, ms) {
    const last = cs.lastAt?.[key] ?? 0;
    if (Date.now() - last < ms) return false;
    cs.lastAt = { ...(cs.lastAt ?? {}), [key]: Date.now() };
    return true;
  }

  pullSecrets(pod) {
    const out = [];
    for (const ref of pod.spec.imagePullSecrets ?? []) {
      const s = this.store.getRaw('secrets', pod.metadata.namespace, ref.name);
      if (!s) continue;
      try {
        if (s.type === 'kubernetes.io/dockerconfigjson' && s.data?.['.dockerconfigjson']) {
          out.push(JSON.parse(Buffer.from(s.data['.dockerconfigjson'], 'base64').toString()));
        } else if (s.type === 'kubernetes.io/dockercfg' && s.data?.['.dockercfg']) {
          out.push({ auths: JSON.parse(Buffer.from(s.data['.dockercfg'], 'base64').toString()) });
        }
      } catch {
        // The real keyring skips secrets it cannot parse.
      }
    }
    return out;
  }

  /**
   * EnsureImageExists. Returns {ok: true, image} or sets the container's waiting state.
   */
  async ensureImage(pod, c, cs) {
    const spec = c.spec;
    const policy = spec.imagePullPolicy || defaultPullPolicy(spec.image);
    let image;
    try {
      image = applyDefaultImageTag(spec.image);
    } catch (e) {
      if (!(e instanceof ReferenceError)) throw e;
      const msg = `Failed to apply default image tag ${JSON.stringify(spec.image)}: ${e.message}`;
      if (this.due(cs, 'invalid', 10_000)) {
        this.event(pod, c, 'Warning', 'InspectFailed', msg);
        this.event(pod, c, 'Warning', 'Failed', 'Error: InvalidImageName');
      }
      cs.waiting = { reason: 'InvalidImageName', message: msg };
      return { ok: false, retryMs: 5000 };
    }
    let present;
    try {
      present = await this.ctx.cri.imageStatus(image);
    } catch (e) {
      const msg = `Failed to inspect image ${JSON.stringify(spec.image)}: ${e.message}`;
      if (this.due(cs, 'inspect', 10_000)) {
        this.event(pod, c, 'Warning', 'InspectFailed', msg);
        this.event(pod, c, 'Warning', 'Failed', 'Error: ImageInspectError');
      }
      cs.waiting = { reason: 'ImageInspectError', message: msg };
      return { ok: false, retryMs: 2000 };
    }
    const mustPull = policy === 'Always' || (policy === 'IfNotPresent' && !present);
    if (policy === 'Never' || !mustPull) {
      if (present) {
        const msg =
          this.ctx.minor >= 35
            ? `Container image ${JSON.stringify(spec.image)} already present on machine and can be accessed by the pod`
            : `Container image ${JSON.stringify(spec.image)} already present on machine`;
        this.event(pod, c, 'Normal', 'Pulled', msg);
        return { ok: true, image: present };
      }
      const msg = `Container image ${JSON.stringify(spec.image)} is not present with pull policy of Never`;
      if (this.due(cs, 'never', 10_000)) {
        this.event(pod, c, 'Warning', 'ErrImageNeverPull', msg);
        this.event(pod, c, 'Warning', 'Failed', 'Error: ErrImageNeverPull');
      }
      cs.waiting = { reason: 'ErrImageNeverPull', message: msg };
      return { ok: false, retryMs: 1000 };
    }
    // Back-off from earlier failed pulls of this image for this pod.
    const bo = cs.backoff;
    if (bo && Date.now() < bo.until) {
      const msg = `Back-off pulling image ${JSON.stringify(spec.image)}`;
      this.event(pod, c, 'Normal', 'BackOff', msg);
      this.event(pod, c, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      cs.waiting = {
        reason: 'ImagePullBackOff',
        message: bo.prevMsg ? `${msg}: ${bo.prevMsg}` : msg,
      };
      return { ok: false, retryMs: Math.max(200, bo.until - Date.now()) };
    }
    this.event(pod, c, 'Normal', 'Pulling', `Pulling image ${JSON.stringify(spec.image)}`);
    const start = Date.now();
    const creds = lookupCredentials(image, this.pullSecrets(pod));
    const errors = [];
    let ref = null;
    for (const auth of creds.length ? creds : [null]) {
      try {
        ref = await this.ctx.cri.pullImage(
          image,
          auth ? { username: auth.username, password: auth.password } : undefined,
        );
        break;
      } catch (e) {
        errors.push(e.message);
      }
    }
    if (!ref) {
      const err = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
      this.event(
        pod,
        c,
        'Warning',
        'Failed',
        `Failed to pull image ${JSON.stringify(spec.image)}: ${err}`,
      );
      this.event(pod, c, 'Warning', 'Failed', 'Error: ErrImagePull');
      const step = cs.backoff ? Math.min(cs.backoff.step + 1, BACKOFF_STEPS_MS.length - 1) : 0;
      cs.backoff = {
        step,
        until: Date.now() + BACKOFF_STEPS_MS[step],
        prevMsg: `ErrImagePull: ${err}`,
      };
      cs.waiting = { reason: 'ErrImagePull', message: err };
      return { ok: false, retryMs: 500 };
    }
    cs.backoff = null;
    const took = Date.now() - start;
    let status = null;
    try {
      status = await this.ctx.cri.imageStatus(ref);
    } catch {
      status = null;
    }
    const size = status?.size ?? '0';
    if (!cs.restarted)
      this.event(
        pod,
        c,
        'Normal',
        'Pulled',
        `Successfully pulled image ${JSON.stringify(spec.image)} in ${goDuration(took)} (${goDuration(took)} including waiting). Image size: ${size} bytes.`,
      );
    return { ok: true, image: status ?? { id: ref, repoTags: [], repoDigests: [] } };
  }

  /** The addons' images come "from the store": a short, always successful pull. */
  async simulatedPull(pod, c, cs) {
    if (cs.simulatedPulled) return { ok: true, image: cs.simulatedPulled };
    if (cs.restarted)
      this.event(
        pod,
        c,
        'Normal',
        'Pulled',
        `Container image ${JSON.stringify(c.spec.image)} already present on machine`,
      );
    else this.event(pod, c, 'Normal', 'Pulling', `Pulling image ${JSON.stringify(c.spec.image)}`);
    const took = cs.restarted ? 0 : 300 + Math.floor(Math.random() * 400);
    await sleep(took);
    const digest = crypto.createHash('sha256').update(c.spec.image).digest('hex');
    const size = 10_000_000 + (parseInt(digest.slice(0, 6), 16) % 40_000_000);
    let repo;
    try {
      repo = parseImageName(c.spec.image).repo;
    } catch {
      repo = c.spec.image;
    }
    this.event(
      pod,
      c,
      'Normal',
      'Pulled',
      `Successfully pulled image ${JSON.stringify(c.spec.image)} in ${goDuration(took)} (${goDuration(took)} including waiting). Image size: ${size} bytes.`,
    );
    cs.simulatedPulled = {
      id: `sha256:${crypto.createHash('sha256').update(`cfg:${c.spec.image}`).digest('hex')}`,
      repoTags: [applyDefaultImageTagSafe(c.spec.image)],
      repoDigests: [`${repo}@sha256:${digest}`],
      size: String(size),
    };
    return { ok: true, image: cs.simulatedPulled };
  }

  containerEvents(pod, c) {
    const m = this.ctx.minor;
    const [created, started] =
      m >= 35
        ? ['Container created', 'Container started']
        : m >= 33
          ? [`Created container: ${c.name}`, `Started container ${c.name}`]
          : [`Created container ${c.name}`, `Started container ${c.name}`];
    this.event(pod, c, 'Normal', 'Created', created);
    this.event(pod, c, 'Normal', 'Started', started);
  }

  async syncPod(pod, state) {
    const now = nowRfc3339();
    state.startTime ??= now;
    const addon = addonOfPod(pod);
    const faulted = addonFaulted(this.ctx.faults().addonNeverReady, addon);
    const restartPolicy = pod.spec.restartPolicy ?? 'Always';
    const specs = [
      ...(pod.spec.initContainers ?? []).map((spec) => ({
        kind: 'initContainers',
        name: spec.name,
        spec,
        init: true,
      })),
      ...(pod.spec.containers ?? []).map((spec) => ({
        kind: 'containers',
        name: spec.name,
        spec,
        init: false,
      })),
    ];
    let retry = 1000;
    let blocked = false;
    for (const c of specs) {
      let cs = state.containers.get(c.name);
      if (!cs) {
        cs = { restartCount: 0 };
        state.containers.set(c.name, cs);
      }
      if (blocked && !cs.started) {
        cs.waiting = c.init ? { reason: 'PodInitializing' } : { reason: 'PodInitializing' };
        continue;
      }
      if (!cs.started) {
        if (!cs.waiting) cs.waiting = { reason: 'ContainerCreating' };
        const res = addon
          ? await this.simulatedPull(pod, c, cs)
          : await this.ensureImage(pod, c, cs);
        if (!res.ok) {
          retry = Math.min(retry, res.retryMs);
          if (c.init) blocked = true;
          continue;
        }
        // The pod may have gone while the image was pulled.
        const still = this.store.get('pods', pod.metadata.namespace, pod.metadata.name);
        if (!still || still.metadata.uid !== state.uid) return 0;
        this.containerEvents(pod, c);
        cs.waiting = null;
        cs.started = Date.now();
        cs.startedAt = nowRfc3339();
        cs.containerID = `containerd://${crypto.randomBytes(32).toString('hex')}`;
        cs.image = res.image;
        if (pod.metadata.namespace === 'container-registry' && addon === 'registry')
          this.startRegistry(pod, c, cs);
      }
      // A started container: init containers and run-to-completion pods finish after a moment.
      const runsOnce = c.init || (restartPolicy !== 'Always' && !addon);
      if (runsOnce && !cs.finishedAt && Date.now() - cs.started >= (c.init ? 300 : 1000))
        cs.finishedAt = nowRfc3339();
      if (runsOnce && !cs.finishedAt) {
        retry = Math.min(retry, 300);
        if (c.init) blocked = true;
      }
      if (cs.process) await this.checkRegistry(pod, c, cs);
      const readyDelay = addon ? 1000 : 300;
      cs.ready =
        !cs.finishedAt &&
        !faulted &&
        Date.now() - cs.started >= readyDelay &&
        (!cs.process || cs.serving);
      if (!cs.ready && !cs.finishedAt) retry = Math.min(retry, 300);
      if (faulted && this.due(cs, 'unhealthy', 10_000)) {
        const probe = c.spec.readinessProbe?.httpGet;
        const msg = probe
          ? `Readiness probe failed: HTTP probe failed with statuscode: 503`
          : 'Readiness probe failed: connection refused';
        this.event(pod, c, 'Warning', 'Unhealthy', msg);
      }
    }
    this.writePodStatus(pod, state, specs, now);
    return retry;
  }

  containerStatus(c, cs, pod) {
    const base = { name: c.name, ready: !!cs.ready, restartCount: cs.restartCount ?? 0 };
    const img = cs.image;
    let name = c.spec.image;
    if (img) {
      try {
        const wanted = parseImageName(c.spec.image);
        const tagged = `${wanted.repo}:${wanted.tag || 'latest'}`;
        name =
          img.repoTags?.find((t) => t === tagged) ??
          (wanted.digest ? `${wanted.repo}@${wanted.digest}` : tagged);
      } catch {
        name = c.spec.image;
      }
    }
    if (cs.finishedAt) {
      return {
        ...base,
        containerID: cs.containerID,
        image: name,
        imageID: img.repoDigests?.[0] ?? img.id,
        lastState: {},
        started: false,
        state: {
          terminated: {
            containerID: cs.containerID,
            exitCode: 0,
            finishedAt: cs.finishedAt,
            reason: 'Completed',
            startedAt: cs.startedAt,
          },
        },
      };
    }
    if (cs.started) {
      return {
        ...base,
        containerID: cs.containerID,
        image: name,
        imageID: img.repoDigests?.[0] ?? img.id,
        lastState: cs.lastState ?? {},
        started: true,
        state: { running: { startedAt: cs.startedAt } },
      };
    }
    const waiting = { reason: cs.waiting?.reason ?? 'ContainerCreating' };
    if (cs.waiting?.message) waiting.message = cs.waiting.message;
    void pod;
    return {
      ...base,
      image: c.spec.image,
      imageID: '',
      lastState: cs.lastState ?? {},
      started: false,
      state: { waiting },
    };
  }

  writePodStatus(pod, state, specs, now) {
    const cur = this.store.get('pods', pod.metadata.namespace, pod.metadata.name);
    if (!cur || cur.metadata.uid !== state.uid) return;
    const prev = cur.status ?? {};
    const inits = specs.filter((c) => c.init);
    const mains = specs.filter((c) => !c.init);
    const initStatuses = inits.map((c) =>
      this.containerStatus(c, state.containers.get(c.name), pod),
    );
    const statuses = mains.map((c) => this.containerStatus(c, state.containers.get(c.name), pod));
    const initDone = initStatuses.every((s) => s.state.terminated);
    const allReady = statuses.every((s) => s.ready);
    const allDone = statuses.every((s) => s.state.terminated);
    const anyStarted = statuses.some((s) => s.state.running || s.state.terminated);
    const restartPolicy = pod.spec.restartPolicy ?? 'Always';
    let phase = 'Pending';
    if (allDone && restartPolicy !== 'Always') phase = 'Succeeded';
    else if (initDone && anyStarted && statuses.every((s) => s.state.running || s.state.terminated))
      phase = 'Running';
    const cond = (type, ok, reason, message) => {
      const old = (prev.conditions ?? []).find((x) => x.type === type);
      const status = ok ? 'True' : 'False';
      const c = {
        type,
        status,
        lastProbeTime: null,
        lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
      };
      if (!ok && reason) c.reason = reason;
      if (!ok && message) c.message = message;
      if (this.ctx.minor >= 34 && pod.metadata.generation !== undefined)
        c.observedGeneration = pod.metadata.generation;
      return c;
    };
    const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
    const incomplete = initStatuses.filter((s) => !s.state.terminated).map((s) => s.name);
    const completed = phase === 'Succeeded';
    const conditions = [];
    if (this.ctx.minor >= 29)
      conditions.push(cond('PodReadyToStartContainers', !completed, null, null));
    conditions.push(
      cond(
        'Initialized',
        initDone,
        'ContainersNotInitialized',
        `containers with incomplete status: [${incomplete.join(' ')}]`,
      ),
    );
    conditions.push(
      cond(
        'Ready',
        allReady && !completed,
        completed ? 'PodCompleted' : 'ContainersNotReady',
        completed ? undefined : `containers with unready status: [${unready.join(' ')}]`,
      ),
    );
    conditions.push(
      cond(
        'ContainersReady',
        allReady && !completed,
        completed ? 'PodCompleted' : 'ContainersNotReady',
        completed ? undefined : `containers with unready status: [${unready.join(' ')}]`,
      ),
    );
    const sched = (prev.conditions ?? []).find((c) => c.type === 'PodScheduled') ?? {
      type: 'PodScheduled',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: now,
    };
    conditions.push(sched);
    const status = {
      conditions,
      containerStatuses: statuses,
      hostIP: this.ctx.nodeIP,
      hostIPs: [{ ip: this.ctx.nodeIP }],
      phase,
      podIP: pod.spec.hostNetwork ? this.ctx.nodeIP : state.podIP,
      podIPs: [{ ip: pod.spec.hostNetwork ? this.ctx.nodeIP : state.podIP }],
      qosClass: 'BestEffort',
      startTime: state.startTime,
    };
    if (this.ctx.minor >= 33 && pod.metadata.generation !== undefined)
      status.observedGeneration = pod.metadata.generation;
    if (initStatuses.length) status.initContainerStatuses = initStatuses;
    this.store.writeStatus('pods', cur, { status });
  }

  // ---------------------------------------------------------------- the registry addon's pod

  registryDir(pod) {
    const claim = (pod.spec.volumes ?? []).find((v) => v.persistentVolumeClaim)
      ?.persistentVolumeClaim?.claimName;
    const pvc = claim && this.store.get('persistentvolumeclaims', pod.metadata.namespace, claim);
    const pv =
      pvc?.spec?.volumeName && this.store.get('persistentvolumes', null, pvc.spec.volumeName);
    return pv?.spec?.hostPath?.path ?? `${SNAP_COMMON}/default-storage/registry`;
  }

  logFile(pod, c) {
    const dir = path.join(
      this.store.dir,
      'logs',
      `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`,
    );
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    return path.join(dir, `${c.name}.log`);
  }

  startRegistry(pod, c, cs) {
    fs.mkdirSync(REGISTRY_RUN, { recursive: true });
    const prev = readJson(`${REGISTRY_RUN}/pid.json`);
    if (prev && prev.uid === pod.metadata.uid && pidAlive(prev.pid)) {
      cs.process = { pid: prev.pid };
      return;
    }
    if (prev && pidAlive(prev.pid)) {
      try {
        process.kill(prev.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    const root = this.registryDir(pod);
    fs.mkdirSync(root, { recursive: true });
    const config = `${REGISTRY_RUN}/config.yml`;
    fs.writeFileSync(
      config,
      `version: 0.1\nlog:\n  level: info\n  fields:\n    service: registry\nstorage:\n  filesystem:\n    rootdirectory: ${root}\n  delete:\n    enabled: true\nhttp:\n  addr: 0.0.0.0:32000\n  headers:\n    X-Content-Type-Options: [nosniff]\n`,
    );
    const log = fs.openSync(this.logFile(pod, c), 'a');
    const child = spawn('/bin/sh', ['-c', REGISTRY_SHIM, 'registry-shim', config], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    child.on('error', () => {});
    child.unref();
    cs.process = { pid: child.pid };
    writeAtomic(
      `${REGISTRY_RUN}/pid.json`,
      JSON.stringify({ pid: child.pid, uid: pod.metadata.uid }),
    );
  }

  async checkRegistry(pod, c, cs) {
    if (!pidAlive(cs.process.pid)) {
      // The container died: the kubelet restarts it (restartPolicy Always).
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
      this.startRegistry(pod, c, cs);
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

  stopContainers(state) {
    for (const cs of state.containers.values()) {
      if (!cs.process) continue;
      const rec = readJson(`${REGISTRY_RUN}/pid.json`);
      if (rec && rec.uid === state.uid) {
        try {
          process.kill(cs.process.pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
        fs.rmSync(`${REGISTRY_RUN}/pid.json`, { force: true });
      }
    }
  }
}

function applyDefaultImageTagSafe(image) {
  try {
    const { repo, tag, digest } = parseImageName(image);
    return digest && !tag ? `${repo}@${digest}` : `${repo}:${tag}`;
  } catch {
    return image;
  }
}

/** Stops a registry left by an earlier kubelite whose pod no longer exists. */
export function reapOrphanRegistry(store) {
  const rec = readJson(`${REGISTRY_RUN}/pid.json`);
  if (!rec) return;
  const alive = store.list('pods', 'container-registry').some((p) => p.metadata.uid === rec.uid);
  if (!alive && pidAlive(rec.pid)) {
    try {
      process.kill(rec.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  if (!alive) fs.rmSync(`${REGISTRY_RUN}/pid.json`, { force: true });
}

/** What `microk8s stop` does to the containers: kills them (remove_all_containers). */
export function killContainers() {
  killRegistry();
  fs.mkdirSync(path.dirname(CONTAINERS_KILLED), { recursive: true });
  fs.writeFileSync(CONTAINERS_KILLED, '');
}

export function killRegistry() {
  const rec = readJson(`${REGISTRY_RUN}/pid.json`);
  if (rec && pidAlive(rec.pid)) {
    try {
      process.kill(rec.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  fs.rmSync(`${REGISTRY_RUN}/pid.json`, { force: true });
}
