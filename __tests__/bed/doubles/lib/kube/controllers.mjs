// The control plane's loops inside the emulated kubelite: node status and namespaces here, the
// workload controllers and the garbage collector in workloads.mjs, the hostpath provisioner and
// binder in volumes.mjs, the scheduler in scheduler.mjs.
import os from 'node:os';
import { builtin } from './resources.mjs';
import { nowRfc3339 } from './store.mjs';
import { ApiError } from './errors.mjs';
import { clone } from './json.mjs';
import { setCondition } from './conditions.mjs';
import {
  deployments,
  replicaSets,
  statefulSets,
  daemonSets,
  jobs,
  garbageCollect,
} from './workloads.mjs';
import { volumes, reclaim } from './volumes.mjs';
import { schedule } from './scheduler.mjs';

export class Controllers {
  /**
   * @param ctx {nodeName, nodeIP, release(), faults(), bootTime, bootId, minor, caPem()}
   */
  constructor(store, recorder, ctx) {
    this.store = store;
    this.rec = recorder;
    this.ctx = ctx;
    this.lastEvent = new Map();
    this.progress = new Map();
  }

  tick() {
    const now = nowRfc3339();
    this.nodeStatus(now);
    this.namespaces();
    deployments(this, now);
    replicaSets(this);
    statefulSets(this);
    daemonSets(this);
    jobs(this, now);
    garbageCollect(this);
    volumes(this, now);
    reclaim(this);
    schedule(this, now);
  }

  /** An event at most once per `everyMs` for the same key (the real loops resync periodically). */
  throttled(key, everyMs, fn) {
    const last = this.lastEvent.get(key) ?? 0;
    if (Date.now() - last < everyMs) return;
    this.lastEvent.set(key, Date.now());
    fn();
  }

  /** An event from one of the control plane's components (type Normal unless given). */
  event(obj, component, reason, message, type) {
    this.rec.record(obj, { type, reason, message, component });
  }

  /** Creates an object; null if it exists, or (with an owner) if the API server refused it. */
  create(plural, obj, owner, component) {
    try {
      return this.store.create(builtin(plural), obj);
    } catch (e) {
      if (e instanceof ApiError && e.code === 409) return null;
      if (owner && e.message) {
        this.throttled(`fc:${owner.metadata.uid}:${e.message}`, 10_000, () =>
          this.event(owner, component, 'FailedCreate', `Error creating: ${e.message}`, 'Warning'),
        );
        return null;
      }
      throw e;
    }
  }

  /** Writes a controller's status, without the fields it left undefined. */
  setStatus(plural, obj, status) {
    this.store.writeStatus(plural, obj, { status: clone(status) });
  }

  // ---------------------------------------------------------------- node

  nodeReady() {
    const f = this.ctx.faults();
    if (f.neverReady) return false;
    const after = Number(f.readyAfterSeconds ?? 1) * 1000;
    return Date.now() >= this.ctx.bootTime + after;
  }

  nodeStatus(now) {
    const name = this.ctx.nodeName;
    let node = this.store.get('nodes', null, name);
    if (!node) {
      node = this.create('nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          labels: {
            'beta.kubernetes.io/arch': 'amd64',
            'beta.kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'microk8s.io/cluster': 'true',
            'node.kubernetes.io/microk8s-controlplane': 'microk8s-controlplane',
          },
          annotations: {
            'node.alpha.kubernetes.io/ttl': '0',
            'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
          },
        },
        spec: {},
      });
      if (!node) return;
    }
    const ready = this.nodeReady();
    const readyStatus = ready ? 'True' : 'False';
    let conds = node.status?.conditions ?? [];
    for (const [type, reason, message] of [
      ['MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
      ['DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
      ['PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    ]) {
      conds = setCondition(
        conds,
        { type, status: 'False', reason, message, lastHeartbeatTime: now },
        now,
      );
    }
    conds = setCondition(
      conds,
      {
        type: 'Ready',
        status: readyStatus,
        reason: ready ? 'KubeletReady' : 'KubeletNotReady',
        message: ready
          ? 'kubelet is posting ready status'
          : 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
        lastHeartbeatTime: now,
      },
      now,
    );
    // Heartbeats every 10 s, like node status updates; transitions at once.
    const prevReady = (node.status?.conditions ?? []).find((c) => c.type === 'Ready')?.status;
    const due =
      !node.status?.conditions ||
      prevReady !== readyStatus ||
      Date.now() - (this.lastHeartbeat ?? 0) > 10_000;
    if (!due) return;
    this.lastHeartbeat = Date.now();
    const rel = this.ctx.release();
    const mem = os.totalmem();
    const status = {
      addresses: [
        { type: 'InternalIP', address: this.ctx.nodeIP },
        { type: 'Hostname', address: name },
      ],
      allocatable: {
        cpu: String(os.cpus().length),
        'ephemeral-storage': '101430960Ki',
        hugepages: '0',
        memory: `${Math.floor(mem / 1024) - 102400}Ki`,
        pods: '110',
      },
      capacity: {
        cpu: String(os.cpus().length),
        'ephemeral-storage': '102479536Ki',
        memory: `${Math.floor(mem / 1024)}Ki`,
        pods: '110',
      },
      conditions: conds,
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: this.ctx.bootId,
        containerRuntimeVersion: `containerd://${String(rel.containerd ?? 'v1.7.29').replace(/^v/, '')}`,
        kernelVersion: os.release(),
        kubeProxyVersion: rel.version,
        kubeletVersion: rel.version,
        machineID: this.ctx.bootId.replace(/-/g, ''),
        operatingSystem: 'linux',
        osImage: 'Ubuntu 24.04.3 LTS',
        systemUUID: this.ctx.bootId,
      },
    };
    const spec = ready
      ? {}
      : { taints: [{ effect: 'NoSchedule', key: 'node.kubernetes.io/not-ready' }] };
    this.store.writeStatus('nodes', node, { status, spec });
    if (prevReady === readyStatus) return;
    const fresh = this.store.get('nodes', null, name);
    if (!prevReady) {
      this.event(fresh, 'kubelet', 'Starting', 'Starting kubelet.');
      this.event(
        fresh,
        'kubelet',
        'NodeAllocatableEnforced',
        'Updated Node Allocatable limit across pods',
      );
    }
    if (ready) this.event(fresh, 'kubelet', 'NodeReady', `Node ${name} status is now: NodeReady`);
    else if (prevReady)
      this.event(fresh, 'kubelet', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
  }

  // ---------------------------------------------------------------- namespaces

  /** Each namespace's default ServiceAccount and kube-root-ca.crt ConfigMap. */
  namespaces() {
    const caPem = this.ctx.caPem();
    for (const ns of this.store.list('namespaces', null)) {
      const n = ns.metadata.name;
      if (!this.store.getRaw('serviceaccounts', n, 'default')) {
        this.create('serviceaccounts', { metadata: { name: 'default', namespace: n } });
      }
      if (caPem && !this.store.getRaw('configmaps', n, 'kube-root-ca.crt')) {
        this.create('configmaps', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'kube-root-ca.crt',
            namespace: n,
            annotations: {
              'kubernetes.io/description':
                'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
            },
          },
          data: { 'ca.crt': caPem },
        });
      }
    }
  }
}
