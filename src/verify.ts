import * as core from '@actions/core';
import { Context } from './context.js';
import { sleep } from './host.js';
import { ImageRef, ImageRefError, parseImageRef, storedName } from './image-ref.js';
import {
  KubeEvent,
  KubeObject,
  Pod,
  ProbeOutcome,
  eventsAbout,
  formatEvent,
  parseKubectlJson,
  podPullFailure,
  probeOutcome,
  pullFailureMessage,
} from './kube-objects.js';
import {
  PROBE_NAMESPACE,
  applyDocuments,
  namespaceManifest,
  probePodManifest,
  probePodName,
} from './probe.js';
import { TIMEOUT_REASON, diagnosePullFailure } from './pull-failure.js';
import { PULL_SECRET, pullSecretManifest } from './registries/pull-secret.js';
import { Failure, ImageReport } from './state.js';
import { Workload, describeWorkload, podsOf, rolloutState, workloadsIn } from './workloads.js';

const PROBE_POLL_MS = 1_000;
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const WORKLOAD_POLL_MS = 2_000;

async function getObjects(ctx: Context, args: string[]): Promise<KubeObject[]> {
  const r = await ctx.microk8s.kubectl([...args, '-o', 'json'], { quiet: true, timeoutMs: 60_000 });
  return parseKubectlJson(r.stdout);
}

const getPods = (ctx: Context, namespace: string) =>
  getObjects(ctx, ['-n', namespace, 'get', 'pods']) as Promise<Pod[]>;
const getEvents = async (ctx: Context, namespace: string) =>
  (await getObjects(ctx, ['-n', namespace, 'get', 'events'])) as unknown as KubeEvent[];

/** A reference for the diagnosis even when the kubelet found the name invalid. */
function refOf(image: string): ImageRef {
  try {
    return parseImageRef(image);
  } catch (e) {
    if (!(e instanceof ImageRefError)) throw e;
    return { raw: image, registry: 'docker.io', repository: image, normalized: image };
  }
}

/** One image the kubelet could not get, with its evidence and what to do. */
interface PullProblem {
  image: string;
  what: string;
  pod: string;
  reason: string;
  message: string;
  events: string[];
  diagnosis: string;
}

/** Records the first problem for the job summary and builds the step's message. */
function pullError(ctx: Context, headline: string, problems: PullProblem[]): Error {
  const lines = problems.map(
    (p) =>
      `- ${p.image} (${p.what}, pod ${p.pod}): ${p.reason}: ${p.message || 'no event from the kubelet'}\n  ${p.diagnosis}`,
  );
  const message = `${headline}\n${lines.join('\n')}`;
  const first = problems[0];
  const failure: Failure = {
    message,
    pod: first.pod,
    events: first.events,
    diagnosis: first.diagnosis,
  };
  ctx.report.failure = failure;
  return new Error(message);
}

interface Probe {
  report: ImageReport;
  ref: ImageRef;
  name: string;
  /** The uid of the probe pod, once the API server has it. */
  uid?: string;
  outcome: ProbeOutcome;
}

/**
 * Proves each delivered image reaches a pod: one probe pod per image in the action's namespace,
 * with the pull policy Kubernetes gives its reference and the pull secret when there is one,
 * until the kubelet reports the image pulled or present. Marks each pulled image verified; fails
 * with the kubelet's event and a diagnosis for the first that is not. Probe pods are removed.
 */
export async function verifyImages(ctx: Context, delivered: ImageReport[]): Promise<void> {
  if (!ctx.inputs.verify || delivered.length === 0) return;
  const ns = PROBE_NAMESPACE;
  const deadline = Date.now() + ctx.inputs.verifyTimeoutSeconds * 1000;
  const { registryServer, registryUsername, registryPassword } = ctx.inputs;
  const secret = registryServer && registryUsername ? PULL_SECRET : undefined;
  const setup: object[] = [namespaceManifest(ns)];
  if (registryServer && secret) {
    setup.push(
      JSON.parse(
        pullSecretManifest(registryServer.address, registryUsername, registryPassword, ns),
      ) as object,
    );
  }
  // The pull secret travels on stdin; quiet, so nothing of it is echoed.
  await ctx.microk8s.kubectl(['apply', '-f', '-'], { input: applyDocuments(setup), quiet: true });

  const probes: Probe[] = delivered.map((report) => {
    const ref = parseImageRef(report.image);
    return { report, ref, name: probePodName(ref), outcome: { state: 'waiting' } };
  });
  const names = probes.map((p) => p.name);
  // A pod of the same name left by an earlier run would answer for this one.
  await ctx.microk8s.kubectl(['-n', ns, 'delete', 'pod', ...names, '--ignore-not-found'], {
    quiet: true,
  });
  try {
    await ctx.microk8s.kubectl(['apply', '-f', '-'], {
      input: applyDocuments(probes.map((p) => probePodManifest(p.ref, ns, secret))),
    });
    let events: KubeEvent[] = [];
    for (;;) {
      const pods = await getPods(ctx, ns);
      events = await getEvents(ctx, ns);
      for (const p of probes.filter((q) => q.outcome.state === 'waiting')) {
        const pod = pods.find((x) => x.metadata.name === p.name);
        if (!pod) continue;
        p.uid = pod.metadata.uid;
        p.outcome = probeOutcome(pod, eventsAbout(events, 'Pod', p.name, p.uid));
        if (p.outcome.state === 'pulled') {
          p.report.verified = true;
          core.info(`Verified ${p.report.image} (${p.report.method}): ${p.outcome.evidence}`);
        } else if (p.outcome.state === 'failed') {
          core.info(
            `${p.report.image} (${p.report.method}): ${p.outcome.reason}: ${p.outcome.message}`,
          );
        }
      }
      if (probes.every((p) => p.outcome.state !== 'waiting') || Date.now() >= deadline) break;
      await sleep(PROBE_POLL_MS);
    }
    const problems = probes
      .filter((p) => p.outcome.state !== 'pulled')
      .map((p): PullProblem => {
        const podEvents = eventsAbout(events, 'Pod', p.name, p.uid);
        const reason = p.outcome.state === 'failed' ? p.outcome.reason : TIMEOUT_REASON;
        const message =
          p.outcome.state === 'failed' ? p.outcome.message : (podEvents.at(-1)?.message ?? '');
        return {
          image: p.report.image,
          what: p.report.method === 'side-load' ? 'side-loaded' : 'pushed',
          pod: `${ns}/${p.name}`,
          reason,
          message,
          events: podEvents.map(formatEvent),
          diagnosis: diagnosePullFailure(message, reason, p.ref, p.report.method),
        };
      });
    if (problems.length > 0) {
      const timedOut = problems.some((p) => p.reason === TIMEOUT_REASON);
      throw pullError(
        ctx,
        `The kubelet could not pull ${problems.length} of ${count(probes.length, 'delivered image')}${timedOut ? ` (verify-timeout: ${ctx.inputs.verifyTimeoutSeconds} s)` : ''}:`,
        problems,
      );
    }
  } finally {
    await ctx.microk8s.kubectl(
      ['-n', ns, 'delete', 'pod', ...names, '--ignore-not-found', '--wait=false'],
      { quiet: true, allowFailure: true },
    );
  }
}

/** How the action delivered an image, if it did. */
function methodOf(ctx: Context, ref: ImageRef): ImageReport['method'] | undefined {
  const name = storedName(ref);
  return ctx.report.images.find((i) => storedName(refOf(i.image)) === name)?.method;
}

/** The pull failures of the workloads' pods, diagnosed. */
async function workloadPullProblems(
  ctx: Context,
  pending: Workload[],
  pods: Pod[],
): Promise<PullProblem[]> {
  const problems: PullProblem[] = [];
  const eventsByNs = new Map<string, KubeEvent[]>();
  for (const w of pending) {
    for (const pod of podsOf(w, pods)) {
      const f = podPullFailure(pod);
      if (!f) continue;
      if (!eventsByNs.has(w.namespace))
        eventsByNs.set(w.namespace, await getEvents(ctx, w.namespace));
      const podEvents = eventsAbout(
        eventsByNs.get(w.namespace) ?? [],
        'Pod',
        pod.metadata.name,
        pod.metadata.uid,
      );
      const ref = refOf(f.image);
      const method = methodOf(ctx, ref);
      const message = pullFailureMessage(f, podEvents);
      problems.push({
        image: f.image,
        what: `${describeWorkload(w)}${method ? `, ${method === 'side-load' ? 'side-loaded' : 'pushed'} by this action` : ''}`,
        pod: `${w.namespace}/${pod.metadata.name}`,
        reason: f.reason,
        message,
        events: podEvents.map(formatEvent),
        diagnosis: diagnosePullFailure(message, f.reason, ref, method),
      });
      break;
    }
  }
  return problems;
}

/** The state of pods that keep a workload from rolling out, for the timeout message. */
function podStates(pods: Pod[]): string {
  return pods
    .map((p) => {
      const waiting = [
        ...(p.status?.initContainerStatuses ?? []),
        ...(p.status?.containerStatuses ?? []),
      ]
        .map((s) => s.state?.waiting?.reason)
        .filter(Boolean);
      return `  pod ${p.metadata.name}: ${p.status?.phase ?? 'Unknown'}${waiting.length ? ` (${waiting.join(', ')})` : ''}`;
    })
    .join('\n');
}

/**
 * `kubectl apply -f` of each manifests path, then waits within verify-timeout until every
 * Deployment, StatefulSet, DaemonSet and Job in them has rolled out (a Job: completed). A
 * workload whose pod cannot pull its image fails at once, with the same diagnosis as a probe.
 */
export async function applyManifests(ctx: Context): Promise<void> {
  const paths = ctx.inputs.manifests;
  if (paths.length === 0) return;
  for (const p of paths) await ctx.microk8s.kubectl(['apply', '-f', p]);
  const deadline = Date.now() + ctx.inputs.verifyTimeoutSeconds * 1000;
  for (;;) {
    const objects = (await Promise.all(paths.map((p) => getObjects(ctx, ['get', '-f', p])))).flat();
    const states = workloadsIn(objects).map((w) => ({ w, rollout: rolloutState(w) }));
    const failed = states.find((s) => s.rollout.failed);
    if (failed) throw new Error(`${describeWorkload(failed.w)} ${failed.rollout.failed}`);
    const pending = states.filter((s) => !s.rollout.done);
    if (pending.length === 0) {
      for (const s of states) core.info(`${describeWorkload(s.w)}: ${s.rollout.message}`);
      return;
    }
    const namespaces = [...new Set(pending.map((s) => s.w.namespace))];
    const pods = (await Promise.all(namespaces.map((ns) => getPods(ctx, ns)))).flat();
    const problems = await workloadPullProblems(
      ctx,
      pending.map((s) => s.w),
      pods,
    );
    if (problems.length > 0) {
      throw pullError(
        ctx,
        `The kubelet could not pull the images of ${count(problems.length, 'workload')}:`,
        problems,
      );
    }
    if (Date.now() >= deadline) {
      const lines = pending.map(
        (s) => `- ${describeWorkload(s.w)}: ${s.rollout.message}\n${podStates(podsOf(s.w, pods))}`,
      );
      const message = `Not ready within verify-timeout (${ctx.inputs.verifyTimeoutSeconds} s):\n${lines.join('\n')}`;
      ctx.report.failure = { message };
      throw new Error(message);
    }
    await sleep(WORKLOAD_POLL_MS);
  }
}
