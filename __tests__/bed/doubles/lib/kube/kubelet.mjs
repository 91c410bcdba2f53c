// The emulated kubelet. For every pod bound to this node it gets each container's image (see
// image-pulls.mjs), records the kubelet's events, and reports container statuses. Containers do
// not really run (there is no CNI): a container whose image is present is reported running. The
// addons' own pods (whose images live on Docker Hub) are started without a pull, and the registry
// addon's pod runs the real distribution registry on the node port (registry-pod.mjs).
import crypto from 'node:crypto';
import { nowRfc3339 } from './store.mjs';
import { addonOfPod, addonFaulted } from './addons.mjs';
import { ensureImage, simulatedPull } from './image-pulls.mjs';
import { parseImageName } from './imageref.mjs';
import {
  isRegistryPod,
  runningRegistry,
  startRegistry,
  checkRegistry,
  stopRegistry,
  containersWereKilled,
} from './registry-pod.mjs';
import { sleep } from './env.mjs';

export { reapOrphanRegistry } from './registry-pod.mjs';

/** The state of a container found running that has to start again, one restart more. */
const restartedAfter = (s) => ({
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
    this.killedContainers = containersWereKilled();
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
      if (!image) continue;
      if (s.state?.terminated) {
        state.containers.set(s.name, {
          restartCount: s.restartCount ?? 0,
          started: 1,
          startedAt: s.state.terminated.startedAt,
          finishedAt: s.state.terminated.finishedAt,
          containerID: s.containerID,
          image,
          simulatedPulled: image,
        });
      } else if (s.state?.running) {
        const process = isRegistryPod(pod) ? runningRegistry(pod) : undefined;
        if (this.killedContainers || process === null) {
          state.containers.set(s.name, restartedAfter(s));
          continue;
        }
        const cs = {
          restartCount: s.restartCount ?? 0,
          started: 1,
          startedAt: s.state.running.startedAt,
          containerID: s.containerID,
          image,
          simulatedPulled: image,
          lastState: s.lastState,
        };
        if (process) cs.process = process;
        state.containers.set(s.name, cs);
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
        for (const cs of state.containers.values())
          if (cs.process) stopRegistry(state.uid, cs.process.pid);
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
        cs.waiting = { reason: 'PodInitializing' };
        continue;
      }
      if (!cs.started) {
        if (!cs.waiting) cs.waiting = { reason: 'ContainerCreating' };
        const res = addon
          ? await simulatedPull(this, pod, c, cs)
          : await ensureImage(this, pod, c, cs);
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
        if (isRegistryPod(pod)) startRegistry(this.store, pod, c, cs);
      }
      // A started container: init containers and run-to-completion pods finish after a moment.
      const runsOnce = c.init || (restartPolicy !== 'Always' && !addon);
      if (runsOnce && !cs.finishedAt && Date.now() - cs.started >= (c.init ? 300 : 1000))
        cs.finishedAt = nowRfc3339();
      if (runsOnce && !cs.finishedAt) {
        retry = Math.min(retry, 300);
        if (c.init) blocked = true;
      }
      if (cs.process) await checkRegistry(this.store, pod, c, cs);
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

  containerStatus(c, cs) {
    const base = { name: c.name, ready: !!cs.ready, restartCount: cs.restartCount ?? 0 };
    if (!cs.started) {
      const waiting = { reason: cs.waiting?.reason ?? 'ContainerCreating' };
      if (cs.waiting?.message) waiting.message = cs.waiting.message;
      return {
        ...base,
        image: c.spec.image,
        imageID: '',
        lastState: cs.lastState ?? {},
        started: false,
        state: { waiting },
      };
    }
    // The image as the runtime names it: its tag the pod asked for, else the reference.
    const img = cs.image;
    let name;
    try {
      const wanted = parseImageName(c.spec.image);
      const tagged = `${wanted.repo}:${wanted.tag || 'latest'}`;
      name =
        img.repoTags?.find((t) => t === tagged) ??
        (wanted.digest ? `${wanted.repo}@${wanted.digest}` : tagged);
    } catch {
      name = c.spec.image;
    }
    const started = {
      ...base,
      containerID: cs.containerID,
      image: name,
      imageID: img.repoDigests?.[0] ?? img.id,
    };
    if (cs.finishedAt) {
      return {
        ...started,
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
    return {
      ...started,
      lastState: cs.lastState ?? {},
      started: true,
      state: { running: { startedAt: cs.startedAt } },
    };
  }

  writePodStatus(pod, state, specs, now) {
    const cur = this.store.get('pods', pod.metadata.namespace, pod.metadata.name);
    if (!cur || cur.metadata.uid !== state.uid) return;
    const prev = cur.status ?? {};
    const statusOf = (c) => this.containerStatus(c, state.containers.get(c.name));
    const initStatuses = specs.filter((c) => c.init).map(statusOf);
    const statuses = specs.filter((c) => !c.init).map(statusOf);
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
    const readiness = [
      allReady && !completed,
      completed ? 'PodCompleted' : 'ContainersNotReady',
      completed ? undefined : `containers with unready status: [${unready.join(' ')}]`,
    ];
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
      cond('Ready', ...readiness),
      cond('ContainersReady', ...readiness),
      (prev.conditions ?? []).find((c) => c.type === 'PodScheduled') ?? {
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: now,
      },
    );
    const podIP = pod.spec.hostNetwork ? this.ctx.nodeIP : state.podIP;
    const status = {
      conditions,
      containerStatuses: statuses,
      hostIP: this.ctx.nodeIP,
      hostIPs: [{ ip: this.ctx.nodeIP }],
      phase,
      podIP,
      podIPs: [{ ip: podIP }],
      qosClass: 'BestEffort',
      startTime: state.startTime,
    };
    if (this.ctx.minor >= 33 && pod.metadata.generation !== undefined)
      status.observedGeneration = pod.metadata.generation;
    if (initStatuses.length) status.initContainerStatuses = initStatuses;
    this.store.writeStatus('pods', cur, { status });
  }
}
