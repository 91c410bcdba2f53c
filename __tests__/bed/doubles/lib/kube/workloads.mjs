// The workload controllers (Deployment -> ReplicaSet -> Pod, StatefulSet, DaemonSet, Job) and the
// garbage collector. Each takes the Controllers it runs in (store, recorder, context).
import fs from 'node:fs';
import { builtin, WORKLOADS } from './resources.mjs';
import { randomSuffix, safeEncode } from './store.mjs';
import { clone, stableJson } from './json.mjs';
import { matchLabelSelector } from './selectors.mjs';
import { setCondition, isPodReady, isTerminal } from './conditions.mjs';

function ownerRef(o) {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    uid: o.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

const controllerOf = (o) => (o.metadata.ownerReferences ?? []).find((r) => r.controller);
const ownedBy = (o, owner) => controllerOf(o)?.uid === owner.metadata.uid;
const podsOf = (c, owner) =>
  c.store.list('pods', owner.metadata.namespace).filter((p) => ownedBy(p, owner));
const revisionOf = (p) => p.metadata.labels?.['controller-revision-hash'];

/** Like controller.ComputeHash: fnv32a of the template, safe-encoded (pod-template-hash). */
function templateHash(tpl) {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(stableJson(tpl))) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return safeEncode(String(h));
}

function intOrPercent(v, total, roundUp) {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.endsWith('%')) {
    const n = (Number(v.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(n) : Math.floor(n);
  }
  return Number(v ?? 0);
}

function podFromTemplate(owner, tpl, name, extraLabels = {}, extraSpec = {}) {
  const metadata = {
    name,
    namespace: owner.metadata.namespace,
    labels: { ...(tpl.metadata?.labels ?? {}), ...extraLabels },
    ownerReferences: [ownerRef(owner)],
  };
  if (tpl.metadata?.annotations) metadata.annotations = { ...tpl.metadata.annotations };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata,
    spec: { ...clone(tpl.spec), ...extraSpec },
  };
}

/** Creates a controller's pod and records SuccessfulCreate; null if it could not. */
function createPod(c, owner, pod, component, message = (p) => `Created pod: ${p.metadata.name}`) {
  const made = c.create('pods', pod, owner, component);
  if (made) c.event(owner, component, 'SuccessfulCreate', message(made));
  return made;
}

/** Deletes a controller's pod and records SuccessfulDelete. */
function deletePod(c, owner, p, component, message = `Deleted pod: ${p.metadata.name}`) {
  c.store.delete(builtin('pods'), p.metadata.namespace, p.metadata.name);
  c.event(owner, component, 'SuccessfulDelete', message);
}

export function deployments(c, now) {
  const scaled = (dir, rs, from, to) =>
    c.ctx.minor >= 30
      ? `Scaled ${dir} replica set ${rs} from ${from} to ${to}`
      : `Scaled ${dir} replica set ${rs} to ${to}`;
  const scaling = (d, message) => c.event(d, 'deployment-controller', 'ScalingReplicaSet', message);
  const replicaSets = builtin('replicasets');
  for (const d of c.store.list('deployments', null)) {
    const ns = d.metadata.namespace;
    const desired = d.spec.replicas ?? 1;
    const tpl = d.spec.template;
    const hash = templateHash(tpl);
    const owned = c.store.list('replicasets', ns).filter((rs) => ownedBy(rs, d));
    const rsName = `${d.metadata.name}-${hash}`;
    let newRS = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const recreate = d.spec.strategy?.type === 'Recreate';
    const rollingMaxUnavailable = recreate
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
      const maxSurge = intOrPercent(
        d.spec.strategy?.rollingUpdate?.maxSurge ?? '25%',
        desired,
        true,
      );
      newRS = c.create('replicasets', {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: rsName,
          namespace: ns,
          labels,
          annotations: {
            'deployment.kubernetes.io/desired-replicas': String(desired),
            'deployment.kubernetes.io/max-replicas': String(desired + maxSurge),
            'deployment.kubernetes.io/revision': String(revision + 1),
          },
          ownerReferences: [ownerRef(d)],
        },
        spec: {
          replicas: recreate && oldActive.length ? 0 : desired,
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
      if (newRS.spec.replicas > 0) scaling(d, scaled('up', rsName, 0, desired));
      c.progress.set(d.metadata.uid, Date.now());
    } else if (newRS.spec.replicas !== desired && !(recreate && oldActive.length)) {
      const from = newRS.spec.replicas;
      c.store.update(replicaSets, { ...newRS, spec: { ...newRS.spec, replicas: desired } });
      scaling(d, scaled(desired > from ? 'up' : 'down', newRS.metadata.name, from, desired));
      newRS = c.store.get('replicasets', ns, newRS.metadata.name);
    }
    const newAvailable = newRS.status?.availableReplicas ?? 0;
    for (const old of oldActive) {
      const oldReady = old.status?.availableReplicas ?? 0;
      if (recreate || newAvailable >= desired || oldReady === 0) {
        c.store.update(replicaSets, { ...old, spec: { ...old.spec, replicas: 0 } });
        scaling(d, scaled('down', old.metadata.name, old.spec.replicas, 0));
      }
    }
    // Deployment status from its replica sets.
    const all = c.store.list('replicasets', ns).filter((rs) => ownedBy(rs, d));
    const sum = (f) => all.reduce((a, rs) => a + (rs.status?.[f] ?? 0), 0);
    const updated = newRS.status?.replicas ?? 0;
    const replicas = sum('replicas');
    const available = sum('availableReplicas');
    const key = `${updated}/${available}/${replicas}`;
    if (c.progress.get(`${d.metadata.uid}:k`) !== key) {
      c.progress.set(`${d.metadata.uid}:k`, key);
      c.progress.set(d.metadata.uid, Date.now());
    }
    const condition = (type, ok, reason, message) => ({
      type,
      status: ok ? 'True' : 'False',
      lastUpdateTime: now,
      reason,
      message,
    });
    let conds = d.status?.conditions ?? [];
    conds = setCondition(
      conds,
      available >= desired - rollingMaxUnavailable
        ? condition(
            'Available',
            true,
            'MinimumReplicasAvailable',
            'Deployment has minimum availability.',
          )
        : condition(
            'Available',
            false,
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
          ),
      now,
    );
    const complete = updated === desired && available === desired && replicas === desired;
    const deadline = (d.spec.progressDeadlineSeconds ?? 600) * 1000;
    const stalled =
      !complete && Date.now() - (c.progress.get(d.metadata.uid) ?? Date.now()) > deadline;
    const rs = `ReplicaSet "${newRS.metadata.name}"`;
    conds = setCondition(
      conds,
      complete
        ? condition(
            'Progressing',
            true,
            'NewReplicaSetAvailable',
            `${rs} has successfully progressed.`,
          )
        : stalled
          ? condition(
              'Progressing',
              false,
              'ProgressDeadlineExceeded',
              `${rs} has timed out progressing.`,
            )
          : condition('Progressing', true, 'ReplicaSetUpdated', `${rs} is progressing.`),
      now,
    );
    c.setStatus('deployments', d, {
      availableReplicas: available || undefined,
      conditions: conds,
      observedGeneration: d.metadata.generation,
      readyReplicas: sum('readyReplicas') || undefined,
      replicas: replicas || undefined,
      unavailableReplicas: Math.max(0, Math.max(desired, replicas) - available) || undefined,
      updatedReplicas: updated || undefined,
    });
  }
}

export function replicaSets(c) {
  const component = 'replicaset-controller';
  for (const rs of c.store.list('replicasets', null)) {
    const pods = podsOf(c, rs).filter((p) => !isTerminal(p));
    const want = rs.spec.replicas ?? 1;
    for (let i = pods.length; i < want; i++) {
      const pod = podFromTemplate(rs, rs.spec.template, `${rs.metadata.name}-${randomSuffix()}`);
      if (!createPod(c, rs, pod, component)) break;
    }
    if (pods.length > want) {
      const victims = [...pods]
        .sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)))
        .slice(0, pods.length - want);
      for (const p of victims) deletePod(c, rs, p, component);
    }
    const live = podsOf(c, rs).filter((p) => !isTerminal(p));
    const ready = live.filter(isPodReady).length;
    c.setStatus('replicasets', rs, {
      availableReplicas: ready || undefined,
      fullyLabeledReplicas: live.length || undefined,
      observedGeneration: rs.metadata.generation,
      readyReplicas: ready || undefined,
      replicas: live.length,
    });
  }
}

export function statefulSets(c) {
  const component = 'statefulset-controller';
  for (const sts of c.store.list('statefulsets', null)) {
    const ns = sts.metadata.namespace;
    const name = sts.metadata.name;
    const revision = `${name}-${templateHash(sts.spec.template)}`;
    const want = sts.spec.replicas ?? 1;
    const ordered = (sts.spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    const byIndex = new Map(
      podsOf(c, sts).map((p) => [Number(p.metadata.name.slice(name.length + 1)), p]),
    );
    // The first missing ordinal gets its claims and its pod (after the ones before are Ready).
    for (let i = 0; i < want; i++) {
      if (byIndex.has(i)) {
        if (ordered && !isPodReady(byIndex.get(i))) break;
        continue;
      }
      const podName = `${name}-${i}`;
      const volumes = [];
      for (const t of sts.spec.volumeClaimTemplates ?? []) {
        const claim = `${t.metadata.name}-${podName}`;
        if (!c.store.getRaw('persistentvolumeclaims', ns, claim)) {
          const pvc = {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: {
              name: claim,
              namespace: ns,
              labels: { ...(sts.spec.selector?.matchLabels ?? {}) },
            },
            spec: clone(t.spec),
          };
          if (c.create('persistentvolumeclaims', pvc, sts, component)) {
            const message = `create Claim ${claim} Pod ${podName} in StatefulSet ${name} success`;
            c.event(sts, component, 'SuccessfulCreate', message);
          }
        }
        volumes.push({ name: t.metadata.name, persistentVolumeClaim: { claimName: claim } });
      }
      const labels = {
        'controller-revision-hash': revision,
        'statefulset.kubernetes.io/pod-name': podName,
        'apps.kubernetes.io/pod-index': String(i),
      };
      const spec = {
        hostname: podName,
        subdomain: sts.spec.serviceName,
        volumes: [...(sts.spec.template.spec.volumes ?? []), ...volumes],
      };
      const pod = podFromTemplate(sts, sts.spec.template, podName, labels, spec);
      createPod(
        c,
        sts,
        pod,
        component,
        () => `create Pod ${podName} in StatefulSet ${name} successful`,
      );
      break;
    }
    for (const [i, p] of [...byIndex.entries()].sort((a, b) => b[0] - a[0])) {
      if (i >= want)
        deletePod(
          c,
          sts,
          p,
          component,
          `delete Pod ${p.metadata.name} in StatefulSet ${name} successful`,
        );
    }
    // A rolling update replaces the highest stale pod once all are Ready.
    const current = podsOf(c, sts);
    const stale = current.filter((p) => revisionOf(p) !== revision);
    if (stale.length && current.every(isPodReady)) {
      const p = stale.sort((a, b) => b.metadata.name.localeCompare(a.metadata.name))[0];
      c.store.delete(builtin('pods'), ns, p.metadata.name);
    }
    const ready = current.filter(isPodReady).length;
    const updated = current.filter((p) => revisionOf(p) === revision).length;
    c.setStatus('statefulsets', sts, {
      availableReplicas: ready,
      collisionCount: 0,
      currentReplicas: updated,
      currentRevision: stale.length ? revisionOf(stale[0]) : revision,
      observedGeneration: sts.metadata.generation,
      readyReplicas: ready || undefined,
      replicas: current.length,
      updateRevision: revision,
      updatedReplicas: updated || undefined,
    });
  }
}

// The tolerations the DaemonSet controller adds to its pods.
const DAEMON_TOLERATIONS = [
  ['NoExecute', 'node.kubernetes.io/not-ready'],
  ['NoExecute', 'node.kubernetes.io/unreachable'],
  ['NoSchedule', 'node.kubernetes.io/disk-pressure'],
  ['NoSchedule', 'node.kubernetes.io/memory-pressure'],
  ['NoSchedule', 'node.kubernetes.io/pid-pressure'],
  ['NoSchedule', 'node.kubernetes.io/unschedulable'],
].map(([effect, key]) => ({ effect, key, operator: 'Exists' }));

export function daemonSets(c) {
  const component = 'daemonset-controller';
  const node = c.store.get('nodes', null, c.ctx.nodeName);
  for (const ds of c.store.list('daemonsets', null)) {
    const tpl = ds.spec.template;
    const hash = templateHash(tpl);
    const fits =
      !tpl.spec.nodeSelector ||
      matchLabelSelector({ matchLabels: tpl.spec.nodeSelector }, node?.metadata?.labels);
    for (const p of podsOf(c, ds)) {
      if (revisionOf(p) !== hash || !fits) deletePod(c, ds, p, component);
    }
    if (fits && node && podsOf(c, ds).length === 0) {
      const labels = {
        'controller-revision-hash': hash,
        'pod-template-generation': String(ds.metadata.generation ?? 1),
      };
      const tolerations = [...(tpl.spec.tolerations ?? []), ...DAEMON_TOLERATIONS];
      const name = `${ds.metadata.name}-${randomSuffix()}`;
      createPod(c, ds, podFromTemplate(ds, tpl, name, labels, { tolerations }), component);
    }
    const live = podsOf(c, ds);
    const ready = live.filter(isPodReady).length;
    const desired = fits && node ? 1 : 0;
    c.setStatus('daemonsets', ds, {
      currentNumberScheduled: live.length,
      desiredNumberScheduled: desired,
      numberAvailable: ready || undefined,
      numberMisscheduled: 0,
      numberReady: ready,
      numberUnavailable: desired - ready > 0 ? desired - ready : undefined,
      observedGeneration: ds.metadata.generation,
      updatedNumberScheduled: live.filter((p) => revisionOf(p) === hash).length || undefined,
    });
  }
}

/** The labels a Job's pods carry (and its selector matches). */
const jobLabels = (job) => ({
  'batch.kubernetes.io/controller-uid': job.metadata.uid,
  'batch.kubernetes.io/job-name': job.metadata.name,
  'controller-uid': job.metadata.uid,
  'job-name': job.metadata.name,
});

export function jobs(c, now) {
  const component = 'job-controller';
  for (const job of c.store.list('jobs', null)) {
    const pods = podsOf(c, job);
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
    const failed = pods.filter((p) => p.status?.phase === 'Failed').length;
    const active = pods.filter((p) => !isTerminal(p));
    const completions = job.spec.completions ?? 1;
    const st = job.status ?? {};
    let conds = st.conditions ?? [];
    const done = conds.some(
      (x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True',
    );
    const status = {
      ...st,
      startTime: st.startTime ?? now,
      uncountedTerminatedPods: {},
      terminating: 0,
    };
    const finish = (type, reason, message) => {
      conds = setCondition(
        conds,
        { type, status: 'True', lastProbeTime: now, reason, message },
        now,
      );
    };
    if (!done) {
      if (succeeded >= completions) {
        const message = 'Reached expected number of succeeded pods';
        if (c.ctx.minor >= 31) finish('SuccessCriteriaMet', 'CompletionsReached', message);
        finish('Complete', 'CompletionsReached', message);
        status.completionTime = now;
        c.event(job, component, 'Completed', 'Job completed');
      } else if (failed > (job.spec.backoffLimit ?? 6)) {
        const message = 'Job has reached the specified backoff limit';
        finish('Failed', 'BackoffLimitExceeded', message);
        c.event(job, component, 'BackoffLimitExceeded', message, 'Warning');
      } else if (!job.spec.suspend) {
        const want = Math.min(job.spec.parallelism ?? 1, completions - succeeded);
        for (let i = active.length; i < want; i++) {
          const name = `${job.metadata.name}-${randomSuffix()}`;
          const pod = podFromTemplate(job, job.spec.template, name, jobLabels(job));
          if (!createPod(c, job, pod, component)) break;
        }
      }
    }
    const activeNow = podsOf(c, job).filter((p) => !isTerminal(p));
    Object.assign(status, {
      active: activeNow.length || undefined,
      succeeded: succeeded || undefined,
      failed: failed || undefined,
      ready: activeNow.filter(isPodReady).length,
      conditions: conds.length ? conds : undefined,
    });
    // The API server's job defaulting: a selector on the controller uid, labels to match.
    const spec = job.spec.selector
      ? undefined
      : {
          selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': job.metadata.uid } },
          template: {
            metadata: {
              labels: { ...jobLabels(job), ...(job.spec.template.metadata?.labels ?? {}) },
            },
          },
        };
    c.store.writeStatus('jobs', job, { status: clone(status), ...(spec ? { spec } : {}) });
  }
}

/** Deletes owned objects whose owners are gone, and the status files of deleted objects. */
export function garbageCollect(c) {
  const owners = new Set();
  for (const p of WORKLOADS) {
    for (const o of c.store.listRaw(p, null)) owners.add(o.metadata.uid);
  }
  for (const plural of ['replicasets', 'pods']) {
    for (const o of c.store.listRaw(plural, null)) {
      const refs = o.metadata.ownerReferences ?? [];
      if (refs.length && refs.every((r) => !owners.has(r.uid)))
        c.store.delete(builtin(plural), o.metadata.namespace, o.metadata.name);
    }
  }
  for (const plural of ['pods', 'deployments', 'replicasets', 'persistentvolumeclaims']) {
    const dir = `${c.store.dir}/status/${plural}`;
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
          !fs.existsSync(c.store.objFile(plural, ns === '_' ? null : ns, f.slice(0, -5)))
        ) {
          fs.rmSync(`${dir}/${ns}/${f}`, { force: true });
        }
      }
    }
  }
}
