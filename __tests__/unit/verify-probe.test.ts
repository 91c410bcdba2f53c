import { describe, expect, it } from 'vitest';
import { parseImageRef } from '../../src/image-ref.js';
import {
  KubeEvent,
  Pod,
  eventsAbout,
  formatEvent,
  parseKubectlJson,
  podPullFailure,
  probeOutcome,
  pullFailureMessage,
} from '../../src/kube-objects.js';
import {
  PROBE_NAMESPACE,
  applyDocuments,
  probePodManifest,
  probePodName,
} from '../../src/probe.js';

const ref = parseImageRef;

describe('probePodManifest', () => {
  it.each([
    ['mynginx:local', 'IfNotPresent'],
    ['localhost:32000/mynginx:registry', 'IfNotPresent'],
    ['mynginx:latest', 'Always'],
    ['mynginx', 'Always'],
  ])('asks for %s with the pull policy Kubernetes would give it (%s)', (raw, policy) => {
    const pod = probePodManifest(ref(raw), PROBE_NAMESPACE) as {
      spec: { containers: { image: string; imagePullPolicy: string }[] };
    };
    expect(pod.spec.containers).toEqual([{ name: 'probe', image: raw, imagePullPolicy: policy }]);
  });

  it('is a pod that never restarts, in the namespace given, with the pull secret when there is one', () => {
    const pod = probePodManifest(
      ref('registry.example.com:5000/team/app:1.0'),
      'setup-microk8s',
      'regcred',
    );
    expect(pod).toMatchObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        namespace: 'setup-microk8s',
        labels: { 'app.kubernetes.io/managed-by': 'setup-microk8s' },
      },
      spec: { restartPolicy: 'Never', imagePullSecrets: [{ name: 'regcred' }] },
    });
    expect(probePodManifest(ref('a:1'), 'ns')).not.toHaveProperty('spec.imagePullSecrets');
  });

  it.each([
    ['mynginx:local', /^probe-mynginx-local-[0-9a-f]{8}$/],
    ['10.141.241.175:32000/mynginx:registry', /^probe-mynginx-registry-[0-9a-f]{8}$/],
    ['mynginx', /^probe-mynginx-latest-[0-9a-f]{8}$/],
    ['ghcr.io/o/a_b__c:V1.2_x', /^probe-a-b-c-v1-2-x-[0-9a-f]{8}$/],
  ])('names the probe of %s as a DNS-1123 label', (raw, name) => {
    expect(probePodName(ref(raw))).toMatch(name);
  });

  it('keeps names short and distinct for long and for look-alike references', () => {
    const long = probePodName(ref(`r.example.com/${'x'.repeat(120)}:${'y'.repeat(100)}`));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    expect(probePodName(ref('localhost:32000/mynginx:1'))).not.toBe(probePodName(ref('mynginx:1')));
  });

  it('sends several objects as one YAML stream of JSON documents', () => {
    expect(applyDocuments([{ a: 1 }, { b: 2 }])).toBe('{"a":1}\n---\n{"b":2}\n');
  });
});

describe('parseKubectlJson', () => {
  it.each([
    ['one object', '{"kind":"Pod","metadata":{"name":"a"}}', ['a']],
    [
      'a List',
      '{"kind":"List","items":[{"kind":"Pod","metadata":{"name":"a"}},{"kind":"Pod","metadata":{"name":"b"}}]}',
      ['a', 'b'],
    ],
    ['a PodList', '{"kind":"PodList","items":[{"metadata":{"name":"a"}}]}', ['a']],
    [
      'objects one after the other',
      '{"kind":"Pod","metadata":{"name":"a"}}\n{\n "kind":"Pod","metadata":{"name":"b {\\"x"}}',
      ['a', 'b {"x'],
    ],
    ['nothing', '', []],
  ])('reads %s', (_what, text, names) => {
    expect(parseKubectlJson(text).map((o) => o.metadata.name)).toEqual(names);
  });
});

const pod = (status: Pod['status'], image = 'mynginx:latest'): Pod => ({
  metadata: { name: 'probe-x', namespace: 'setup-microk8s' },
  spec: { containers: [{ name: 'probe', image }] },
  status,
});
const waiting = (reason: string, message = '') =>
  pod({
    phase: 'Pending',
    containerStatuses: [{ name: 'probe', state: { waiting: { reason, message } } }],
  });
const ev = (reason: string, message: string, t: string, type = 'Warning'): KubeEvent => ({
  type,
  reason,
  message,
  involvedObject: { kind: 'Pod', name: 'probe-x' },
  lastTimestamp: t,
});
const PULL_FAILED =
  'Failed to pull image "mynginx:latest": rpc error: code = Unknown desc = pull access denied';

describe('probeOutcome', () => {
  it.each([
    [
      'the Pulled event of a fresh pull',
      pod({ phase: 'Pending' }),
      [ev('Pulled', 'Successfully pulled image "a:1" in 1.2s', 't1', 'Normal')],
      'pulled',
    ],
    [
      'the Pulled event of an image already present',
      pod({ phase: 'Pending' }),
      [ev('Pulled', 'Container image "a:1" already present on machine', 't1', 'Normal')],
      'pulled',
    ],
    [
      'an imageID even when the entrypoint failed',
      pod({
        phase: 'Failed',
        containerStatuses: [{ name: 'probe', imageID: 'docker.io/library/a@sha256:1' }],
      }),
      [],
      'pulled',
    ],
    ['ErrImagePull in the status', waiting('ErrImagePull', 'pull access denied'), [], 'failed'],
    [
      'ImagePullBackOff in the status',
      waiting('ImagePullBackOff', 'Back-off pulling image'),
      [],
      'failed',
    ],
    ['ErrImageNeverPull in the status', waiting('ErrImageNeverPull'), [], 'failed'],
    ['InvalidImageName in the status', waiting('InvalidImageName'), [], 'failed'],
    [
      'a Failed pull event before the status says so',
      pod({ phase: 'Pending' }),
      [ev('Failed', PULL_FAILED, 't1')],
      'failed',
    ],
    [
      'an ErrImageNeverPull event',
      pod({ phase: 'Pending' }),
      [
        ev(
          'ErrImageNeverPull',
          'Container image "a:1" is not present with pull policy of Never',
          't1',
        ),
      ],
      'failed',
    ],
    [
      'a pod still pulling',
      pod({ phase: 'Pending' }),
      [ev('Pulling', 'Pulling image "a:1"', 't1', 'Normal')],
      'waiting',
    ],
    [
      'a container that cannot start after the pull',
      waiting('CreateContainerError', 'no command specified'),
      [],
      'waiting',
    ],
    ['a pod not scheduled yet', pod(undefined), [], 'waiting'],
  ] as const)('reads %s', (_what, p, events, state) => {
    expect(probeOutcome(p, [...events]).state).toBe(state);
  });

  it('quotes the kubelet\'s "Failed to pull image" event, not the bare "Error: ErrImagePull"', () => {
    const events = [
      ev('Pulling', 'Pulling image "mynginx:latest"', 't1', 'Normal'),
      ev('Failed', PULL_FAILED, 't2'),
      ev('Failed', 'Error: ErrImagePull', 't3'),
    ];
    expect(probeOutcome(waiting('ErrImagePull', 'short'), events)).toEqual({
      state: 'failed',
      reason: 'ErrImagePull',
      message: PULL_FAILED,
    });
  });

  it('falls back on the waiting message when no event came yet', () => {
    expect(pullFailureMessage(podPullFailure(waiting('ErrImagePull', 'from status')), [])).toBe(
      'from status',
    );
  });

  it('finds pull failures of init containers too, with the image from the spec', () => {
    const p: Pod = {
      metadata: { name: 'p' },
      spec: {
        initContainers: [{ name: 'init', image: 'localhost:32000/init:1' }],
        containers: [{ name: 'c', image: 'a:1' }],
      },
      status: {
        initContainerStatuses: [
          { name: 'init', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off' } } },
        ],
      },
    };
    expect(podPullFailure(p)).toEqual({
      container: 'init',
      image: 'localhost:32000/init:1',
      reason: 'ImagePullBackOff',
      message: 'Back-off',
    });
  });
});

describe('events', () => {
  it('keeps the events of one pod, oldest first', () => {
    const events: KubeEvent[] = [
      ev('Failed', 'second', '2026-01-01T00:00:02Z'),
      {
        ...ev('Pulled', 'other pod', '2026-01-01T00:00:00Z'),
        involvedObject: { kind: 'Pod', name: 'y' },
      },
      ev('Pulling', 'first', '2026-01-01T00:00:01Z', 'Normal'),
    ];
    expect(eventsAbout(events, 'Pod', 'probe-x').map((e) => e.message)).toEqual([
      'first',
      'second',
    ]);
  });

  it('ignores the events of an earlier pod of the same name', () => {
    const old = {
      ...ev('Pulled', 'Successfully pulled image "a:1"', 't1', 'Normal'),
      involvedObject: { kind: 'Pod', name: 'probe-x', uid: 'old' },
    };
    const now = {
      ...ev('Failed', PULL_FAILED, 't2'),
      involvedObject: { kind: 'Pod', name: 'probe-x', uid: 'new' },
    };
    const events = eventsAbout([old, now], 'Pod', 'probe-x', 'new');
    expect(events.map((e) => e.reason)).toEqual(['Failed']);
    expect(
      probeOutcome(
        { ...pod({ phase: 'Pending' }), metadata: { name: 'probe-x', uid: 'new' } },
        events,
      ).state,
    ).toBe('failed');
  });

  it('shows an event as kubectl describe would', () => {
    expect(formatEvent({ ...ev('BackOff', 'Back-off pulling image "a"', 't'), count: 3 })).toBe(
      'Warning BackOff (x3): Back-off pulling image "a"',
    );
  });
});
