// The scheduler of the one-node cluster: a pending pod goes to the node unless a taint it does
// not tolerate or its volume claims keep it off.
import { isTerminal } from './conditions.mjs';

const COMPONENT = 'default-scheduler';
const NO_PREEMPTION =
  'preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.';

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

export function schedule(c, now) {
  const taints = c.store.get('nodes', null, c.ctx.nodeName)?.spec?.taints ?? [];
  const node = c.ctx.nodeName;
  for (const pod of c.store.list('pods', null)) {
    if (pod.spec.nodeName || isTerminal(pod)) continue;
    const unschedulable = (message) => {
      c.throttled(`sched:${pod.metadata.uid}`, 10_000, () =>
        c.event(pod, COMPONENT, 'FailedScheduling', message, 'Warning'),
      );
      c.store.writeStatus('pods', pod, {
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
        `0/1 nodes are available: 1 node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}. ${NO_PREEMPTION}`,
      );
      continue;
    }
    const volumes = volumesReady(c, pod, node);
    if (volumes.problem) {
      unschedulable(volumes.problem);
      continue;
    }
    if (volumes.wait) continue;
    c.store.writeStatus('pods', pod, {
      spec: { nodeName: node },
      status: {
        phase: 'Pending',
        qosClass: 'BestEffort',
        conditions: [
          { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
        ],
      },
    });
    c.event(
      pod,
      COMPONENT,
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node}`,
    );
  }
}

/**
 * The pod's claims: {problem} if one keeps it off the node, {wait} while its WaitForFirstConsumer
 * claims (marked for this node here) are being provisioned.
 */
function volumesReady(c, pod, node) {
  let wait = false;
  let problem = null;
  for (const v of pod.spec.volumes ?? []) {
    const claimName = v.persistentVolumeClaim?.claimName;
    if (!claimName) continue;
    const pvc = c.store.get('persistentvolumeclaims', pod.metadata.namespace, claimName);
    if (!pvc) {
      return {
        problem: `0/1 nodes are available: persistentvolumeclaim "${claimName}" not found. ${NO_PREEMPTION}`,
      };
    }
    if (pvc.status?.phase === 'Bound') continue;
    const sc = pvc.spec.storageClassName
      ? c.store.get('storageclasses', null, pvc.spec.storageClassName)
      : null;
    if (sc?.volumeBindingMode !== 'WaitForFirstConsumer') {
      problem = `0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. ${NO_PREEMPTION}`;
      continue;
    }
    if (!pvc.metadata.annotations?.['volume.kubernetes.io/selected-node']) {
      c.store.writeStatus('persistentvolumeclaims', pvc, {
        metadata: {
          annotations: {
            ...(pvc.metadata.annotations ?? {}),
            'volume.kubernetes.io/selected-node': node,
          },
        },
      });
    }
    wait = true;
  }
  return { problem, wait };
}
