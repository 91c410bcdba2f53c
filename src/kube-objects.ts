import { PULL_FAILURE_REASONS } from './pull-failure.js';

/**
 * The parts of Kubernetes objects the action reads from `kubectl get -o json`, and pure readers
 * of them: pods, events, workloads.
 */

export interface ObjectMeta {
  name: string;
  uid?: string;
  namespace?: string;
  generation?: number;
  labels?: Record<string, string>;
  ownerReferences?: { kind: string; name: string }[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

interface ContainerStatus {
  name: string;
  image?: string;
  imageID?: string;
  state?: { waiting?: { reason?: string; message?: string } };
}

export interface Pod extends KubeObject {
  spec?: {
    containers?: { name: string; image: string }[];
    initContainers?: { name: string; image: string }[];
  };
  status?: {
    phase?: string;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

export interface KubeEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string };
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  metadata?: { creationTimestamp?: string };
}

/**
 * Objects from kubectl's JSON output: one object, a List, or several objects one after the other
 * (what `kubectl apply -o json` prints for more than one).
 */
export function parseKubectlJson(text: string): KubeObject[] {
  const out: KubeObject[] = [];
  const add = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    const o = v as { kind?: string; items?: unknown[] };
    if (Array.isArray(o.items) && (o.kind === undefined || o.kind.endsWith('List')))
      o.items.forEach(add);
    else out.push(v as KubeObject);
  };
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth++ === 0) start = i;
    } else if (ch === '}' && --depth === 0) add(JSON.parse(text.slice(start, i + 1)));
  }
  return out;
}

const eventTime = (e: KubeEvent): string =>
  e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? '';

/**
 * The events about one object, oldest first. With its uid, only those about this very object:
 * events outlive their pod, and a pod of the same name from an earlier run has other ones.
 */
export function eventsAbout(
  events: KubeEvent[],
  kind: string,
  name: string,
  uid?: string,
): KubeEvent[] {
  return events
    .filter(
      (e) =>
        e.involvedObject?.kind === kind &&
        e.involvedObject.name === name &&
        (uid === undefined || e.involvedObject.uid === undefined || e.involvedObject.uid === uid),
    )
    .sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
}

/** As `kubectl describe` shows an event: `Warning  Failed  Failed to pull image …`. */
export function formatEvent(e: KubeEvent): string {
  const times = e.count && e.count > 1 ? ` (x${e.count})` : '';
  return `${e.type ?? 'Normal'} ${e.reason ?? ''}${times}: ${e.message ?? ''}`.trim();
}

export interface PullFailure {
  container: string;
  image: string;
  reason: string;
  message: string;
}

/** A container of the pod that waits because its image could not be pulled. */
export function podPullFailure(pod: Pod): PullFailure | undefined {
  const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  for (const s of statuses) {
    const reason = s.state?.waiting?.reason ?? '';
    if ((PULL_FAILURE_REASONS as readonly string[]).includes(reason)) {
      return {
        container: s.name,
        image: specs.find((c) => c.name === s.name)?.image ?? s.image ?? '',
        reason,
        message: s.state?.waiting?.message ?? '',
      };
    }
  }
  return undefined;
}

/** The kubelet's own words for a failed pull: the "Failed to pull image" event before the rest. */
export function pullFailureMessage(failure: PullFailure | undefined, events: KubeEvent[]): string {
  const failedPull = [...events]
    .reverse()
    .find((e) =>
      /Failed to pull image|not present with pull policy|Failed to apply default image tag|couldn't parse image/i.test(
        e.message ?? '',
      ),
    );
  return failedPull?.message ?? failure?.message ?? failure?.reason ?? '';
}

/** Event reasons that mean the kubelet gave up on the image. */
const FAILED_EVENT: Record<string, string> = {
  ErrImageNeverPull: 'ErrImageNeverPull',
  InspectFailed: 'InvalidImageName',
};

export type ProbeOutcome =
  | { state: 'pulled'; evidence: string }
  | { state: 'failed'; reason: string; message: string }
  | { state: 'waiting' };

/**
 * Whether the kubelet got a probe pod's image: the `Pulled` event ("Successfully pulled" or
 * "already present on machine") or a container status with an imageID says yes, whether or not
 * the entrypoint ran; a pull failure reason in the status or the events says no.
 */
export function probeOutcome(pod: Pod, events: KubeEvent[]): ProbeOutcome {
  const pulled = events.find((e) => e.reason === 'Pulled');
  if (pulled) return { state: 'pulled', evidence: pulled.message ?? 'Pulled' };
  const withId = pod.status?.containerStatuses?.find((s) => s.imageID);
  if (withId) return { state: 'pulled', evidence: `imageID ${withId.imageID}` };
  const failure = podPullFailure(pod);
  if (failure)
    return {
      state: 'failed',
      reason: failure.reason,
      message: pullFailureMessage(failure, events),
    };
  for (const e of events) {
    const reason =
      FAILED_EVENT[e.reason ?? ''] ??
      (e.reason === 'Failed' && /Failed to pull image/i.test(e.message ?? '')
        ? 'ErrImagePull'
        : undefined);
    if (reason) return { state: 'failed', reason, message: pullFailureMessage(undefined, events) };
  }
  return { state: 'waiting' };
}
