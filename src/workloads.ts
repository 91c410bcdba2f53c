import { KubeObject, Pod } from './kube-objects.js';

/** The kinds the action waits for after `kubectl apply`. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'] as const;

export interface Workload {
  kind: (typeof WORKLOAD_KINDS)[number];
  name: string;
  namespace: string;
  object: KubeObject;
}

export function workloadsIn(objects: KubeObject[]): Workload[] {
  return objects
    .filter((o) => (WORKLOAD_KINDS as readonly string[]).includes(o.kind ?? ''))
    .map((o) => ({
      kind: o.kind as Workload['kind'],
      name: o.metadata.name,
      namespace: o.metadata.namespace ?? 'default',
      object: o,
    }));
}

export const describeWorkload = (w: Workload): string =>
  `${w.kind.toLowerCase()}/${w.name} in ${w.namespace}`;

export interface Rollout {
  done: boolean;
  /** Set when waiting longer cannot help (a failed Job, a Deployment past its deadline). */
  failed?: string;
  message: string;
}

type Num = number | undefined;
const n = (v: unknown): number => (typeof v === 'number' ? v : 0);

/**
 * Whether a workload has rolled out, read from its status the way `kubectl rollout status` reads
 * it (k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go); Jobs must complete.
 */
export function rolloutState(w: Workload): Rollout {
  const { metadata, spec = {}, status = {} } = w.object;
  const observed = status.observedGeneration as Num;
  if (
    w.kind !== 'Job' &&
    metadata.generation !== undefined &&
    (observed ?? 0) < metadata.generation
  ) {
    return { done: false, message: 'waiting for the controller to observe the new spec' };
  }
  switch (w.kind) {
    case 'Deployment': {
      const conditions =
        (status.conditions as { type: string; reason?: string }[] | undefined) ?? [];
      if (
        conditions.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')
      ) {
        return {
          done: false,
          failed: 'exceeded its progress deadline',
          message: 'progress deadline exceeded',
        };
      }
      const want = spec.replicas === undefined ? 1 : n(spec.replicas);
      const updated = n(status.updatedReplicas);
      const available = n(status.availableReplicas);
      if (updated < want) return { done: false, message: `${updated} of ${want} updated replicas` };
      if (n(status.replicas) > updated)
        return {
          done: false,
          message: `${n(status.replicas) - updated} old replicas pending termination`,
        };
      if (available < updated)
        return { done: false, message: `${available} of ${updated} updated replicas available` };
      return { done: true, message: `${available} of ${want} replicas available` };
    }
    case 'StatefulSet': {
      const want = spec.replicas === undefined ? 1 : n(spec.replicas);
      const ready = n(status.readyReplicas);
      if (ready < want) return { done: false, message: `${ready} of ${want} pods ready` };
      if (status.updateRevision !== undefined && status.updateRevision !== status.currentRevision)
        return { done: false, message: 'waiting for the update to finish' };
      return { done: true, message: `${ready} of ${want} pods ready` };
    }
    case 'DaemonSet': {
      const desired = n(status.desiredNumberScheduled);
      const updated = n(status.updatedNumberScheduled);
      const available = n(status.numberAvailable);
      if (status.desiredNumberScheduled === undefined)
        return { done: false, message: 'not scheduled yet' };
      if (updated < desired)
        return { done: false, message: `${updated} of ${desired} updated pods` };
      if (available < desired)
        return { done: false, message: `${available} of ${desired} pods available` };
      return { done: true, message: `${available} of ${desired} pods available` };
    }
    case 'Job': {
      const conditions =
        (status.conditions as
          { type: string; status: string; reason?: string; message?: string }[] | undefined) ?? [];
      const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
      if (failed)
        return {
          done: false,
          failed: `failed: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim(),
          message: 'failed',
        };
      if (conditions.some((c) => c.type === 'Complete' && c.status === 'True'))
        return { done: true, message: `${n(status.succeeded)} succeeded` };
      return {
        done: false,
        message: `${n(status.active)} active, ${n(status.succeeded)} succeeded`,
      };
    }
  }
}

/**
 * The workload's pods: those its selector matches, or those it owns (a Deployment through its
 * ReplicaSets, named `<deployment>-<hash>`).
 */
export function podsOf(w: Workload, pods: Pod[]): Pod[] {
  const selector = (w.object.spec?.selector as { matchLabels?: Record<string, string> } | undefined)
    ?.matchLabels;
  return pods.filter((p) => {
    if ((p.metadata.namespace ?? 'default') !== w.namespace) return false;
    const owners = p.metadata.ownerReferences ?? [];
    if (
      owners.some((o) =>
        w.kind === 'Deployment'
          ? o.kind === 'ReplicaSet' && o.name.startsWith(`${w.name}-`)
          : o.kind === w.kind && o.name === w.name,
      )
    ) {
      return true;
    }
    if (w.kind === 'Job' && p.metadata.labels?.['job-name'] === w.name) return true;
    return (
      selector !== undefined &&
      Object.keys(selector).length > 0 &&
      Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v)
    );
  });
}
