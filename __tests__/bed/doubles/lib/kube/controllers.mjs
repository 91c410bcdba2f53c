// The control plane's loops inside the emulated kubelite: node status, workload controllers
// (Deployment -> ReplicaSet -> Pod, StatefulSet, DaemonSet, Job), garbage collection, the
// scheduler and the hostpath volume provisioner/binder.
import fs from 'node:fs';
import os from 'node:os';
import { builtin } from './resources.mjs';
import { nowRfc3339, randomSuffix, ApiError } from './store.mjs';
import { matchLabelSelector } from './selectors.mjs';
import { SNAP_COMMON, minor as minorOf } from './env.mjs';

const R = (p) => builtin(p);

function ownerRef(o, blockOwnerDeletion = true) {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    uid: o.metadata.uid,
    controller: true,
    blockOwnerDeletion,
  };
}

const controllerOf = (o) => (o.metadata.ownerReferences ?? []).find((r) => r.controller);
const ownedBy = (o, owner) => controllerOf(o)?.uid === owner.metadata.uid;

export const isPodReady = (p) =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const isTerminal = (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
/** Like controller.ComputeHash: fnv32a of the template, safe-encoded (pod-template-hash). */
export function templateHash(tpl) {
  const s = stableStringify(tpl);
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((c) => SAFE[c.charCodeAt(0) % SAFE.length]).join('');
}

function stableStringify(v) {
  return JSON.stringify(v, (_, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort())
      : x,
  );
}

function intOrPercent(v, total, roundUp) {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.endsWith('%')) {
    const n = (Number(v.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(n) : Math.floor(n);
  }
  return Number(v ?? 0);
}

/** Keeps lastTransitionTime when a condition's status does not change. */
function setCondition(conds, c, now) {
  const prev = conds.find((x) => x.type === c.type);
  const next = {
    ...c,
    lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now,
  };
  if ('lastUpdateTime' in c || prev?.lastUpdateTime) {
    next.lastUpdateTime =
      prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message
        ? prev.lastUpdateTime
        : now;
  }
  const out = conds.filter((x) => x.type !== c.type);
  const idx = conds.findIndex((x) => x.type === c.type);
  out.splice(idx === -1 ? out.length : idx, 0, next);
  return out;
}

function tolerates(tolerations, taint) {
  return (tolerations ?? []).some(
    (t) =>
      (t.operator === 'Exists' &&
        (!t.key || t.key === taint.key) &&
        (!t.effect || t.effect === taint.effect)) ||
      (t.key === taint.key &&
        (t.value ?? '') === (taint.value ?? '') &&
        (!t.effect || t.effect === taint.effect)),
  );
}

export class Controllers {
  /**
   * @param ctx {nodeName, nodeIP, release(), faults(), bootTime, minor}
   */
  constructor(store, recorder, ctx) {
    this.store = store;
    this.rec = recorder;
    this.ctx = ctx;
    this.lastEvent = new Map();
    this.progress = new Map();
  }

  /** An event at most once per `everyMs` for the same key (the real loops resync periodically). */
  throttled(key, everyMs, fn) {
    const last = this.lastEvent.get(key) ?? 0;
    if (Date.now() - last < everyMs) return;
    this.lastEvent.set(key, Date.now());
    fn();
  }

  create(plural, obj, owner, component) {
    try {
      return this.store.create(R(plural), obj);
    } catch (e) {
      if (e instanceof ApiError && e.code === 409) return null;
      if (owner && e.message) {
        this.throttled(`fc:${owner.metadata.uid}:${e.message}`, 10_000, () =>
          this.rec.record(owner, {
            type: 'Warning',
            reason: 'FailedCreate',
            message: `Error creating: ${e.message}`,
            component,
          }),
        );
        return null;
      }
      throw e;
    }
  }

  tick() {
    const now = nowRfc3339();
    this.nodeStatus(now);
    this.namespaces();
    this.deployments(now);
    this.replicaSets();
    this.statefulSets();
    this.daemonSets();
    this.jobs(now);
    this.garbageCollect();
    this.volumes(now);
    this.schedule(now);
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
    const hb = now;
    let conds = node.status?.conditions ?? [];
    for (const [type, reason, message] of [
      ['MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
      ['DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
      ['PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    ]) {
      conds = setCondition(
        conds,
        { type, status: 'False', reason, message, lastHeartbeatTime: hb },
        now,
      );
    }
    conds = setCondition(
      conds,
      ready
        ? {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
            lastHeartbeatTime: hb,
          }
        : {
            type: 'Ready',
            status: 'False',
            reason: 'KubeletNotReady',
            message:
              'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
            lastHeartbeatTime: hb,
          },
      now,
    );
    // Heartbeats every 10 s, like node status updates; transitions at once.
    const prevReady = (node.status?.conditions ?? []).find((c) => c.type === 'Ready')?.status;
    const due =
      !node.status?.conditions ||
      prevReady !== (ready ? 'True' : 'False') ||
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
    if (prevReady !== (ready ? 'True' : 'False')) {
      const fresh = this.store.get('nodes', null, name);
      if (!prevReady) {
        this.rec.record(fresh, {
          reason: 'Starting',
          message: 'Starting kubelet.',
          component: 'kubelet',
        });
        this.rec.record(fresh, {
          reason: 'NodeAllocatableEnforced',
          message: 'Updated Node Allocatable limit across pods',
          component: 'kubelet',
        });
      }
      if (ready)
        this.rec.record(fresh, {
          reason: 'NodeReady',
          message: `Node ${name} status is now: NodeReady`,
          component: 'kubelet',
        });
      else if (prevReady)
        this.rec.record(fresh, {
          reason: 'NodeNotReady',
          message: `Node ${name} status is now: NodeNotReady`,
          component: 'kubelet',
        });
    }
  }

  nodeTaints() {
    const n = this.store.get('nodes', null, this.ctx.nodeName);
    return n?.spec?.taints ?? [];
  }

  // ---------------------------------------------------------------- namespaces

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

  // ---------------------------------------------------------------- workloads

  podFromTemplate(owner, tpl, name, extraLabels = {}, extraSpec = {}) {
    const labels = { ...(tpl.metadata?.labels ?? {}), ...extraLabels };
    const metadata = {
      name,
      namespace: owner.metadata.namespace,
      labels,
      ownerReferences: [ownerRef(owner)],
    };
    if (name.endsWith('-')) {
      delete metadata.name;
      metadata.generateName = name;
    }
    if (tpl.metadata?.annotations) metadata.annotations = { ...tpl.metadata.annotations };
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata,
      spec: { ...JSON.parse(JSON.stringify(tpl.spec)), ...extraSpec },
    };
  }

  podsOf(owner) {
    return this.store.list('pods', owner.metadata.namespace).filter((p) => ownedBy(p, owner));
  }

  deployments(now) {
    const m = this.ctx.minor;
    const scaled = (dir, rs, from, to) =>
      m >= 30
        ? `Scaled ${dir} replica set ${rs} from ${from} to ${to}`
        : `Scaled ${dir} replica set ${rs} to ${to}`;
    for (const d of this.store.list('deployments', null)) {
      const ns = d.metadata.namespace;
      const desired = d.spec.replicas ?? 1;
      const tpl = d.spec.template;
      const hash = templateHash(tpl);
      const owned = this.store.list('replicasets', ns).filter((rs) => ownedBy(rs, d));
      const rsName = `${d.metadata.name}-${hash}`;
      let newRS = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
      const rollingMaxUnavailable =
        d.spec.strategy?.type === 'Recreate'
          ? 0
          : intOrPercent(d.spec.strategy?.rollingUpdate?.maxUnavailable ?? '25%', desired, false);
      const revision = Math.max(
        0,
        ...owned.map((rs) =>
          Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0),
        ),
      );
      const oldActive = owned.filter((rs) => rs !== newRS && (rs.spec.replicas ?? 0) > 0);
      if (!newRS) {
        const labels = { ...(tpl.metadata?.labels ?? {}), 'pod-template-hash': hash };
        newRS = this.create('replicasets', {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: rsName,
            namespace: ns,
            labels,
            annotations: {
              'deployment.kubernetes.io/desired-replicas': String(desired),
              'deployment.kubernetes.io/max-replicas': String(
                desired +
                  intOrPercent(d.spec.strategy?.rollingUpdate?.maxSurge ?? '25%', desired, true),
              ),
              'deployment.kubernetes.io/revision': String(revision + 1),
            },
            ownerReferences: [ownerRef(d)],
          },
          spec: {
            replicas: d.spec.strategy?.type === 'Recreate' && oldActive.length ? 0 : desired,
            selector: {
              matchLabels: { ...(d.spec.selector?.matchLabels ?? {}), 'pod-template-hash': hash },
              ...(d.spec.selector?.matchExpressions
                ? { matchExpressions: d.spec.selector.matchExpressions }
                : {}),
            },
            template: { metadata: { ...(tpl.metadata ?? {}), labels }, spec: tpl.spec },
          },
        });
        if (!newRS) continue;
        if (newRS.spec.replicas > 0) {
          this.rec.record(d, {
            reason: 'ScalingReplicaSet',
            message: scaled('up', rsName, 0, desired),
            component: 'deployment-controller',
          });
        }
        this.progress.set(d.metadata.uid, Date.now());
      } else if (
        newRS.spec.replicas !== desired &&
        !(d.spec.strategy?.type === 'Recreate' && oldActive.length)
      ) {
        const from = newRS.spec.replicas;
        this.store.update(R('replicasets'), {
          ...newRS,
          spec: { ...newRS.spec, replicas: desired },
        });
        this.rec.record(d, {
          reason: 'ScalingReplicaSet',
          message: scaled(desired > from ? 'up' : 'down', newRS.metadata.name, from, desired),
          component: 'deployment-controller',
        });
        newRS = this.store.get('replicasets', ns, newRS.metadata.name);
      }
      const newAvailable = newRS.status?.availableReplicas ?? 0;
      for (const old of oldActive) {
        const oldReady = old.status?.availableReplicas ?? 0;
        if (d.spec.strategy?.type === 'Recreate' || newAvailable >= desired || oldReady === 0) {
          this.store.update(R('replicasets'), { ...old, spec: { ...old.spec, replicas: 0 } });
          this.rec.record(d, {
            reason: 'ScalingReplicaSet',
            message: scaled('down', old.metadata.name, old.spec.replicas, 0),
            component: 'deployment-controller',
          });
        }
      }
      // Deployment status from its replica sets.
      const all = this.store.list('replicasets', ns).filter((rs) => ownedBy(rs, d));
      const sum = (f) => all.reduce((a, rs) => a + (rs.status?.[f] ?? 0), 0);
      const updated = newRS.status?.replicas ?? 0;
      const replicas = sum('replicas');
      const available = sum('availableReplicas');
      const st = d.status ?? {};
      const key = `${updated}/${available}/${replicas}`;
      if (this.progress.get(`${d.metadata.uid}:k`) !== key) {
        this.progress.set(`${d.metadata.uid}:k`, key);
        this.progress.set(d.metadata.uid, Date.now());
      }
      let conds = st.conditions ?? [];
      const minAvailable = available >= desired - rollingMaxUnavailable;
      conds = setCondition(
        conds,
        minAvailable
          ? {
              type: 'Available',
              status: 'True',
              lastUpdateTime: now,
              reason: 'MinimumReplicasAvailable',
              message: 'Deployment has minimum availability.',
            }
          : {
              type: 'Available',
              status: 'False',
              lastUpdateTime: now,
              reason: 'MinimumReplicasUnavailable',
              message: 'Deployment does not have minimum availability.',
            },
        now,
      );
      const complete = updated === desired && available === desired && replicas === desired;
      const deadline = (d.spec.progressDeadlineSeconds ?? 600) * 1000;
      const stalled =
        !complete && Date.now() - (this.progress.get(d.metadata.uid) ?? Date.now()) > deadline;
      conds = setCondition(
        conds,
        complete
          ? {
              type: 'Progressing',
              status: 'True',
              lastUpdateTime: now,
              reason: 'NewReplicaSetAvailable',
              message: `ReplicaSet "${newRS.metadata.name}" has successfully progressed.`,
            }
          : stalled
            ? {
                type: 'Progressing',
                status: 'False',
                lastUpdateTime: now,
                reason: 'ProgressDeadlineExceeded',
                message: `ReplicaSet "${newRS.metadata.name}" has timed out progressing.`,
              }
            : {
                type: 'Progressing',
                status: 'True',
                lastUpdateTime: now,
                reason: 'ReplicaSetUpdated',
                message: `ReplicaSet "${newRS.metadata.name}" is progressing.`,
              },
        now,
      );
      const status = {
        availableReplicas: available || undefined,
        conditions: conds,
        observedGeneration: d.metadata.generation,
        readyReplicas: sum('readyReplicas') || undefined,
        replicas: replicas || undefined,
        unavailableReplicas: Math.max(0, Math.max(desired, replicas) - available) || undefined,
        updatedReplicas: updated || undefined,
      };
      this.store.writeStatus('deployments', d, { status: JSON.parse(JSON.stringify(status)) });
    }
  }

  replicaSets() {
    for (const rs of this.store.list('replicasets', null)) {
      const pods = this.podsOf(rs).filter((p) => !isTerminal(p));
      const want = rs.spec.replicas ?? 1;
      if (pods.length < want) {
        for (let i = pods.length; i < want; i++) {
          const pod = this.create(
            'pods',
            this.podFromTemplate(rs, rs.spec.template, `${rs.metadata.name}-${randomSuffix()}`),
            rs,
            'replicaset-controller',
          );
          if (!pod) break;
          this.rec.record(rs, {
            reason: 'SuccessfulCreate',
            message: `Created pod: ${pod.metadata.name}`,
            component: 'replicaset-controller',
          });
        }
      } else if (pods.length > want) {
        const victims = [...pods]
          .sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)))
          .slice(0, pods.length - want);
        for (const p of victims) {
          this.store.delete(R('pods'), p.metadata.namespace, p.metadata.name);
          this.rec.record(rs, {
            reason: 'SuccessfulDelete',
            message: `Deleted pod: ${p.metadata.name}`,
            component: 'replicaset-controller',
          });
        }
      }
      const now = this.podsOf(rs).filter((p) => !isTerminal(p));
      const ready = now.filter(isPodReady).length;
      const status = {
        availableReplicas: ready || undefined,
        fullyLabeledReplicas: now.length || undefined,
        observedGeneration: rs.metadata.generation,
        readyReplicas: ready || undefined,
        replicas: now.length,
      };
      this.store.writeStatus('replicasets', rs, { status: JSON.parse(JSON.stringify(status)) });
    }
  }

  statefulSets() {
    for (const sts of this.store.list('statefulsets', null)) {
      const ns = sts.metadata.namespace;
      const name = sts.metadata.name;
      const revision = `${name}-${templateHash(sts.spec.template)}`;
      const want = sts.spec.replicas ?? 1;
      const ordered = (sts.spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
      const pods = this.podsOf(sts);
      const byIndex = new Map(pods.map((p) => [Number(p.metadata.name.slice(name.length + 1)), p]));
      for (let i = 0; i < want; i++) {
        if (byIndex.has(i)) {
          if (ordered && !isPodReady(byIndex.get(i))) break;
          continue;
        }
        const podName = `${name}-${i}`;
        const volumes = [];
        for (const t of sts.spec.volumeClaimTemplates ?? []) {
          const claim = `${t.metadata.name}-${podName}`;
          if (!this.store.getRaw('persistentvolumeclaims', ns, claim)) {
            const made = this.create(
              'persistentvolumeclaims',
              {
                apiVersion: 'v1',
                kind: 'PersistentVolumeClaim',
                metadata: {
                  name: claim,
                  namespace: ns,
                  labels: { ...(sts.spec.selector?.matchLabels ?? {}) },
                },
                spec: JSON.parse(JSON.stringify(t.spec)),
              },
              sts,
              'statefulset-controller',
            );
            if (made)
              this.rec.record(sts, {
                reason: 'SuccessfulCreate',
                message: `create Claim ${claim} Pod ${podName} in StatefulSet ${name} success`,
                component: 'statefulset-controller',
              });
          }
          volumes.push({ name: t.metadata.name, persistentVolumeClaim: { claimName: claim } });
        }
        const tplSpec = sts.spec.template.spec;
        const pod = this.create(
          'pods',
          this.podFromTemplate(
            sts,
            sts.spec.template,
            podName,
            {
              'controller-revision-hash': revision,
              'statefulset.kubernetes.io/pod-name': podName,
              'apps.kubernetes.io/pod-index': String(i),
            },
            {
              hostname: podName,
              subdomain: sts.spec.serviceName,
              volumes: [...(tplSpec.volumes ?? []), ...volumes],
            },
          ),
          sts,
          'statefulset-controller',
        );
        if (pod)
          this.rec.record(sts, {
            reason: 'SuccessfulCreate',
            message: `create Pod ${podName} in StatefulSet ${name} successful`,
            component: 'statefulset-controller',
          });
        break;
      }
      for (const [i, p] of [...byIndex.entries()].sort((a, b) => b[0] - a[0])) {
        if (i >= want) {
          this.store.delete(R('pods'), ns, p.metadata.name);
          this.rec.record(sts, {
            reason: 'SuccessfulDelete',
            message: `delete Pod ${p.metadata.name} in StatefulSet ${name} successful`,
            component: 'statefulset-controller',
          });
        }
      }
      const current = this.podsOf(sts);
      const stale = current.filter(
        (p) => p.metadata.labels?.['controller-revision-hash'] !== revision,
      );
      if (stale.length && current.every(isPodReady)) {
        const p = stale.sort((a, b) => b.metadata.name.localeCompare(a.metadata.name))[0];
        this.store.delete(R('pods'), ns, p.metadata.name);
      }
      const ready = current.filter(isPodReady).length;
      const updated = current.filter(
        (p) => p.metadata.labels?.['controller-revision-hash'] === revision,
      ).length;
      const status = {
        availableReplicas: ready,
        collisionCount: 0,
        currentReplicas: updated,
        currentRevision: stale.length
          ? stale[0].metadata.labels?.['controller-revision-hash']
          : revision,
        observedGeneration: sts.metadata.generation,
        readyReplicas: ready || undefined,
        replicas: current.length,
        updateRevision: revision,
        updatedReplicas: updated || undefined,
      };
      this.store.writeStatus('statefulsets', sts, { status: JSON.parse(JSON.stringify(status)) });
    }
  }

  daemonSets() {
    const node = this.store.get('nodes', null, this.ctx.nodeName);
    for (const ds of this.store.list('daemonsets', null)) {
      const tpl = ds.spec.template;
      const hash = templateHash(tpl);
      const fits =
        !tpl.spec.nodeSelector ||
        matchLabelSelector({ matchLabels: tpl.spec.nodeSelector }, node?.metadata?.labels);
      const pods = this.podsOf(ds);
      for (const p of pods) {
        if (p.metadata.labels?.['controller-revision-hash'] !== hash || !fits) {
          this.store.delete(R('pods'), p.metadata.namespace, p.metadata.name);
          this.rec.record(ds, {
            reason: 'SuccessfulDelete',
            message: `Deleted pod: ${p.metadata.name}`,
            component: 'daemonset-controller',
          });
        }
      }
      const live = this.podsOf(ds);
      if (fits && node && live.length === 0) {
        const tolerations = [
          ...(tpl.spec.tolerations ?? []),
          { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists' },
          { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists' },
          { effect: 'NoSchedule', key: 'node.kubernetes.io/disk-pressure', operator: 'Exists' },
          { effect: 'NoSchedule', key: 'node.kubernetes.io/memory-pressure', operator: 'Exists' },
          { effect: 'NoSchedule', key: 'node.kubernetes.io/pid-pressure', operator: 'Exists' },
          { effect: 'NoSchedule', key: 'node.kubernetes.io/unschedulable', operator: 'Exists' },
        ];
        const pod = this.create(
          'pods',
          this.podFromTemplate(
            ds,
            tpl,
            `${ds.metadata.name}-${randomSuffix()}`,
            {
              'controller-revision-hash': hash,
              'pod-template-generation': String(ds.metadata.generation ?? 1),
            },
            { tolerations },
          ),
          ds,
          'daemonset-controller',
        );
        if (pod)
          this.rec.record(ds, {
            reason: 'SuccessfulCreate',
            message: `Created pod: ${pod.metadata.name}`,
            component: 'daemonset-controller',
          });
      }
      const now = this.podsOf(ds);
      const ready = now.filter(isPodReady).length;
      const desired = fits && node ? 1 : 0;
      const status = {
        currentNumberScheduled: now.length,
        desiredNumberScheduled: desired,
        numberAvailable: ready || undefined,
        numberMisscheduled: 0,
        numberReady: ready,
        numberUnavailable: desired - ready > 0 ? desired - ready : undefined,
        observedGeneration: ds.metadata.generation,
        updatedNumberScheduled:
          now.filter((p) => p.metadata.labels?.['controller-revision-hash'] === hash).length ||
          undefined,
      };
      this.store.writeStatus('daemonsets', ds, { status: JSON.parse(JSON.stringify(status)) });
    }
  }

  jobs(now) {
    for (const job of this.store.list('jobs', null)) {
      const uid = job.metadata.uid;
      const pods = this.podsOf(job);
      const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
      const failed = pods.filter((p) => p.status?.phase === 'Failed').length;
      const active = pods.filter((p) => !isTerminal(p));
      const completions = job.spec.completions ?? 1;
      const st = job.status ?? {};
      let conds = st.conditions ?? [];
      const done = conds.some(
        (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      );
      const status = {
        ...st,
        startTime: st.startTime ?? now,
        uncountedTerminatedPods: {},
        terminating: 0,
      };
      if (!done) {
        if (succeeded >= completions) {
          if (this.ctx.minor >= 31)
            conds = setCondition(
              conds,
              {
                type: 'SuccessCriteriaMet',
                status: 'True',
                lastProbeTime: now,
                reason: 'CompletionsReached',
                message: 'Reached expected number of succeeded pods',
              },
              now,
            );
          conds = setCondition(
            conds,
            {
              type: 'Complete',
              status: 'True',
              lastProbeTime: now,
              reason: 'CompletionsReached',
              message: 'Reached expected number of succeeded pods',
            },
            now,
          );
          status.completionTime = now;
          this.rec.record(job, {
            reason: 'Completed',
            message: 'Job completed',
            component: 'job-controller',
          });
        } else if (failed > (job.spec.backoffLimit ?? 6)) {
          conds = setCondition(
            conds,
            {
              type: 'Failed',
              status: 'True',
              lastProbeTime: now,
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
            },
            now,
          );
          this.rec.record(job, {
            type: 'Warning',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
            component: 'job-controller',
          });
        } else if (!job.spec.suspend) {
          const want = Math.min(job.spec.parallelism ?? 1, completions - succeeded);
          for (let i = active.length; i < want; i++) {
            const labels = {
              'batch.kubernetes.io/controller-uid': uid,
              'batch.kubernetes.io/job-name': job.metadata.name,
              'controller-uid': uid,
              'job-name': job.metadata.name,
            };
            const pod = this.create(
              'pods',
              this.podFromTemplate(
                job,
                job.spec.template,
                `${job.metadata.name}-${randomSuffix()}`,
                labels,
              ),
              job,
              'job-controller',
            );
            if (!pod) break;
            this.rec.record(job, {
              reason: 'SuccessfulCreate',
              message: `Created pod: ${pod.metadata.name}`,
              component: 'job-controller',
            });
          }
        }
      }
      const activeNow = this.podsOf(job).filter((p) => !isTerminal(p));
      Object.assign(status, {
        active: activeNow.length || undefined,
        succeeded: succeeded || undefined,
        failed: failed || undefined,
        ready: activeNow.filter(isPodReady).length,
        conditions: conds.length ? conds : undefined,
      });
      // The API server's job defaulting: a selector on the controller uid, labels to match.
      const labels = {
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': job.metadata.name,
        'controller-uid': uid,
        'job-name': job.metadata.name,
      };
      const spec = job.spec.selector
        ? undefined
        : {
            selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
            template: {
              metadata: { labels: { ...labels, ...(job.spec.template.metadata?.labels ?? {}) } },
            },
          };
      this.store.writeStatus('jobs', job, {
        status: JSON.parse(JSON.stringify(status)),
        ...(spec ? { spec } : {}),
      });
    }
  }

  garbageCollect() {
    const owners = new Set();
    for (const p of [
      'deployments',
      'replicasets',
      'statefulsets',
      'daemonsets',
      'jobs',
      'cronjobs',
    ]) {
      for (const o of this.store.listRaw(p, null)) owners.add(o.metadata.uid);
    }
    for (const plural of ['replicasets', 'pods']) {
      for (const o of this.store.listRaw(plural, null)) {
        const refs = o.metadata.ownerReferences ?? [];
        if (refs.length && refs.every((r) => !owners.has(r.uid)))
          this.store.delete(R(plural), o.metadata.namespace, o.metadata.name);
      }
    }
    // Status files of deleted objects.
    for (const plural of ['pods', 'deployments', 'replicasets', 'persistentvolumeclaims']) {
      const dir = `${this.store.dir}/status/${plural}`;
      let nss = [];
      try {
        nss = fs.readdirSync(dir);
      } catch {
        continue;
      }
      for (const ns of nss) {
        for (const f of fs.readdirSync(`${dir}/${ns}`)) {
          if (
            f.endsWith('.json') &&
            !fs.existsSync(this.store.objFile(plural, ns === '_' ? null : ns, f.slice(0, -5)))
          ) {
            fs.rmSync(`${dir}/${ns}/${f}`, { force: true });
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- storage

  provisionerReady() {
    return this.store
      .list('pods', 'kube-system')
      .some((p) => p.metadata.labels?.['k8s-app'] === 'hostpath-provisioner' && isPodReady(p));
  }

  volumes(now) {
    const pods = this.store.list('pods', null);
    for (const pvc of this.store.list('persistentvolumeclaims', null)) {
      if (pvc.status?.phase === 'Bound') continue;
      const ns = pvc.metadata.namespace;
      const name = pvc.metadata.name;
      const scName = pvc.spec.storageClassName;
      const sc = scName ? this.store.get('storageclasses', null, scName) : null;
      if (!sc) {
        this.throttled(`pvc:${pvc.metadata.uid}:nosc`, 15_000, () =>
          this.rec.record(pvc, {
            type: scName ? 'Warning' : 'Normal',
            reason: scName ? 'ProvisioningFailed' : 'FailedBinding',
            message: scName
              ? `storageclass.storage.k8s.io "${scName}" not found`
              : 'no persistent volumes available for this claim and no storage class is set',
            component: 'persistentvolume-controller',
          }),
        );
        continue;
      }
      const selected = pvc.metadata.annotations?.['volume.kubernetes.io/selected-node'];
      const consumers = pods.filter(
        (p) =>
          (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === name) &&
          p.metadata.namespace === ns,
      );
      if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !selected) {
        if (!consumers.length) {
          this.throttled(`pvc:${pvc.metadata.uid}:wffc`, 15_000, () =>
            this.rec.record(pvc, {
              reason: 'WaitForFirstConsumer',
              message: 'waiting for first consumer to be created before binding',
              component: 'persistentvolume-controller',
            }),
          );
        }
        continue;
      }
      if (sc.provisioner !== 'microk8s.io/hostpath' || !this.provisionerReady()) {
        this.throttled(`pvc:${pvc.metadata.uid}:ext`, 15_000, () =>
          this.rec.record(pvc, {
            reason: 'ExternalProvisioning',
            message: `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
            component: 'persistentvolume-controller',
          }),
        );
        continue;
      }
      this.provision(pvc, sc, now);
    }
  }

  provision(pvc, sc, now) {
    const ns = pvc.metadata.namespace;
    const pvName = `pvc-${pvc.metadata.uid}`;
    const dir = `${SNAP_COMMON}/default-storage/${ns}-${pvc.metadata.name}-${pvName}`;
    const component = `microk8s.io/hostpath_hostpath-provisioner-${this.ctx.nodeName}`;
    this.rec.record(pvc, {
      reason: 'Provisioning',
      message: `External provisioner is provisioning volume for claim "${ns}/${pvc.metadata.name}"`,
      component,
    });
    fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
    const pv = this.create('persistentvolumes', {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name: pvName,
        annotations: {
          hostPathProvisionerIdentity: this.ctx.nodeName,
          'pv.kubernetes.io/provisioned-by': 'microk8s.io/hostpath',
        },
        finalizers: ['kubernetes.io/pv-protection'],
      },
      spec: {
        accessModes: pvc.spec.accessModes,
        capacity: { storage: pvc.spec.resources.requests.storage },
        claimRef: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          name: pvc.metadata.name,
          namespace: ns,
          resourceVersion: pvc.metadata.resourceVersion,
          uid: pvc.metadata.uid,
        },
        hostPath: { path: dir, type: 'DirectoryOrCreate' },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'kubernetes.io/hostname', operator: 'In', values: [this.ctx.nodeName] },
                ],
              },
            ],
          },
        },
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        storageClassName: sc.metadata.name,
        volumeMode: pvc.spec.volumeMode ?? 'Filesystem',
      },
    });
    const pvObj = pv ?? this.store.get('persistentvolumes', null, pvName);
    this.store.writeStatus('persistentvolumes', pvObj, {
      status: { phase: 'Bound', lastPhaseTransitionTime: now },
    });
    this.rec.record(pvc, {
      reason: 'ProvisioningSucceeded',
      message: `Successfully provisioned volume ${pvName}`,
      component,
    });
    this.store.writeStatus('persistentvolumeclaims', pvc, {
      spec: { volumeName: pvName },
      metadata: {
        annotations: {
          ...(pvc.metadata.annotations ?? {}),
          'pv.kubernetes.io/bind-completed': 'yes',
          'pv.kubernetes.io/bound-by-controller': 'yes',
          'volume.beta.kubernetes.io/storage-provisioner': sc.provisioner,
          'volume.kubernetes.io/storage-provisioner': sc.provisioner,
        },
        finalizers: ['kubernetes.io/pvc-protection'],
      },
      status: {
        accessModes: pvc.spec.accessModes,
        capacity: { storage: pvc.spec.resources.requests.storage },
        phase: 'Bound',
      },
    });
  }

  /** PersistentVolumes whose claim is gone: the Delete reclaim policy removes them. */
  reclaim() {
    for (const pv of this.store.list('persistentvolumes', null)) {
      const ref = pv.spec.claimRef;
      if (!ref) continue;
      const claim = this.store.getRaw('persistentvolumeclaims', ref.namespace, ref.name);
      if (claim && claim.metadata.uid === ref.uid) continue;
      if (pv.spec.persistentVolumeReclaimPolicy === 'Delete') {
        if (pv.spec.hostPath?.path?.startsWith(`${SNAP_COMMON}/default-storage/`))
          fs.rmSync(pv.spec.hostPath.path, { recursive: true, force: true });
        this.store.delete(R('persistentvolumes'), null, pv.metadata.name);
      } else if (pv.status?.phase !== 'Released') {
        this.store.writeStatus('persistentvolumes', pv, { status: { phase: 'Released' } });
      }
    }
  }

  // ---------------------------------------------------------------- scheduler

  schedule(now) {
    this.reclaim();
    const taints = this.nodeTaints();
    const node = this.ctx.nodeName;
    for (const pod of this.store.list('pods', null)) {
      if (pod.spec.nodeName || isTerminal(pod)) continue;
      const unschedulable = (message) => {
        this.throttled(`sched:${pod.metadata.uid}`, 10_000, () =>
          this.rec.record(pod, {
            type: 'Warning',
            reason: 'FailedScheduling',
            message,
            component: 'default-scheduler',
          }),
        );
        this.store.writeStatus('pods', pod, {
          status: {
            ...(pod.status ?? {}),
            phase: 'Pending',
            qosClass: 'BestEffort',
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                lastProbeTime: null,
                lastTransitionTime: pod.status?.conditions?.[0]?.lastTransitionTime ?? now,
                reason: 'Unschedulable',
                message,
              },
            ],
          },
        });
      };
      const untolerated = taints.find(
        (t) =>
          (t.effect === 'NoSchedule' || t.effect === 'NoExecute') &&
          !tolerates(pod.spec.tolerations, t),
      );
      if (untolerated) {
        unschedulable(
          `0/1 nodes are available: 1 node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.`,
        );
        continue;
      }
      let waitVolumes = false;
      let volumeProblem = null;
      for (const v of pod.spec.volumes ?? []) {
        const claimName = v.persistentVolumeClaim?.claimName;
        if (!claimName) continue;
        const pvc = this.store.get('persistentvolumeclaims', pod.metadata.namespace, claimName);
        if (!pvc) {
          volumeProblem = `0/1 nodes are available: persistentvolumeclaim "${claimName}" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.`;
          break;
        }
        if (pvc.status?.phase === 'Bound') continue;
        const sc = pvc.spec.storageClassName
          ? this.store.get('storageclasses', null, pvc.spec.storageClassName)
          : null;
        if (sc?.volumeBindingMode === 'WaitForFirstConsumer') {
          if (!pvc.metadata.annotations?.['volume.kubernetes.io/selected-node']) {
            this.store.writeStatus('persistentvolumeclaims', pvc, {
              metadata: {
                annotations: {
                  ...(pvc.metadata.annotations ?? {}),
                  'volume.kubernetes.io/selected-node': node,
                },
              },
            });
          }
          waitVolumes = true;
        } else {
          volumeProblem =
            '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';
        }
      }
      if (volumeProblem) {
        unschedulable(volumeProblem);
        continue;
      }
      if (waitVolumes) continue;
      this.store.writeStatus('pods', pod, {
        spec: { nodeName: node },
        status: {
          phase: 'Pending',
          qosClass: 'BestEffort',
          conditions: [
            { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
          ],
        },
      });
      this.rec.record(pod, {
        reason: 'Scheduled',
        message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node}`,
        component: 'default-scheduler',
      });
    }
  }
}

export { minorOf };
