import { describe, expect, it } from 'vitest';
import { KubeObject, Pod } from '../../src/kube-objects.js';
import { Workload, podsOf, rolloutState, workloadsIn } from '../../src/workloads.js';

const obj = (
  kind: string,
  spec: Record<string, unknown>,
  status: Record<string, unknown>,
  generation = 1,
): KubeObject => ({
  kind,
  metadata: { name: 'nginx-deployment', namespace: 'default', generation },
  spec,
  status,
});
const workload = (o: KubeObject): Workload => workloadsIn([o])[0];

describe('rolloutState', () => {
  it.each([
    [
      'a Deployment with every replica available',
      obj(
        'Deployment',
        { replicas: 2 },
        { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
      ),
      true,
    ],
    [
      'a Deployment whose replicas default to 1',
      obj(
        'Deployment',
        {},
        { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
      ),
      true,
    ],
    [
      'a Deployment not observed yet',
      obj(
        'Deployment',
        { replicas: 1 },
        { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
        2,
      ),
      false,
    ],
    ['a Deployment without a status yet', obj('Deployment', { replicas: 1 }, {}), false],
    [
      'a Deployment waiting for its pod',
      obj(
        'Deployment',
        { replicas: 1 },
        { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 0 },
      ),
      false,
    ],
    [
      'a Deployment with old replicas left',
      obj(
        'Deployment',
        { replicas: 1 },
        { observedGeneration: 1, replicas: 2, updatedReplicas: 1, availableReplicas: 1 },
      ),
      false,
    ],
    [
      'a StatefulSet with every pod ready',
      obj(
        'StatefulSet',
        { replicas: 1 },
        { observedGeneration: 1, readyReplicas: 1, currentRevision: 'r1', updateRevision: 'r1' },
      ),
      true,
    ],
    [
      'a StatefulSet still updating',
      obj(
        'StatefulSet',
        { replicas: 1 },
        { observedGeneration: 1, readyReplicas: 1, currentRevision: 'r1', updateRevision: 'r2' },
      ),
      false,
    ],
    [
      'a DaemonSet available on every node',
      obj(
        'DaemonSet',
        {},
        {
          observedGeneration: 1,
          desiredNumberScheduled: 1,
          updatedNumberScheduled: 1,
          numberAvailable: 1,
        },
      ),
      true,
    ],
    ['a DaemonSet not scheduled yet', obj('DaemonSet', {}, { observedGeneration: 1 }), false],
    [
      'a complete Job',
      obj('Job', {}, { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }),
      true,
    ],
    ['a running Job', obj('Job', {}, { active: 1 }), false],
  ])('%s → done %s', (_what, o, done) => {
    expect(rolloutState(workload(o)).done).toBe(done);
  });

  it.each([
    [
      'a failed Job',
      obj(
        'Job',
        {},
        {
          conditions: [
            {
              type: 'Failed',
              status: 'True',
              reason: 'BackoffLimitExceeded',
              message: 'Job has reached the specified backoff limit',
            },
          ],
        },
      ),
      /BackoffLimitExceeded/,
    ],
    [
      'a Deployment past its progress deadline',
      obj(
        'Deployment',
        { replicas: 1 },
        {
          observedGeneration: 1,
          conditions: [
            { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' },
          ],
        },
      ),
      /progress deadline/,
    ],
  ])('gives up on %s', (_what, o, failed) => {
    expect(rolloutState(workload(o)).failed).toMatch(failed);
  });
});

describe('workloadsIn', () => {
  it('keeps Deployments, StatefulSets, DaemonSets and Jobs, in their namespace', () => {
    const ws = workloadsIn([
      { kind: 'Deployment', metadata: { name: 'a' } },
      { kind: 'Service', metadata: { name: 'b' } },
      { kind: 'Job', metadata: { name: 'c', namespace: 'batch' } },
      { kind: 'ConfigMap', metadata: { name: 'd' } },
    ]);
    expect(ws.map((w) => `${w.kind}/${w.namespace}/${w.name}`)).toEqual([
      'Deployment/default/a',
      'Job/batch/c',
    ]);
  });
});

describe('podsOf', () => {
  const p = (
    name: string,
    labels: Record<string, string>,
    owner?: { kind: string; name: string },
    namespace = 'default',
  ): Pod => ({
    metadata: { name, namespace, labels, ownerReferences: owner ? [owner] : [] },
  });
  const deploy = workload({
    kind: 'Deployment',
    metadata: { name: 'nginx-deployment', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'nginx' } } },
  });
  const pods = [
    p(
      'nginx-deployment-5d9c-abcde',
      { app: 'nginx', 'pod-template-hash': '5d9c' },
      { kind: 'ReplicaSet', name: 'nginx-deployment-5d9c' },
    ),
    p('other', { app: 'other' }),
    p('nginx-in-other-ns', { app: 'nginx' }, undefined, 'other'),
    p('owned-without-labels', {}, { kind: 'ReplicaSet', name: 'nginx-deployment-77' }),
  ];

  it("finds a Deployment's pods by its selector or through its ReplicaSets, in its namespace only", () => {
    expect(podsOf(deploy, pods).map((x) => x.metadata.name)).toEqual([
      'nginx-deployment-5d9c-abcde',
      'owned-without-labels',
    ]);
  });

  it("finds a Job's pods by owner or by the job-name label", () => {
    const job = workload({ kind: 'Job', metadata: { name: 'migrate', namespace: 'default' } });
    const jobPods = [
      p('migrate-x1', { 'job-name': 'migrate' }),
      p('migrate-x2', {}, { kind: 'Job', name: 'migrate' }),
      p('migrate2-x', { 'job-name': 'migrate2' }),
    ];
    expect(podsOf(job, jobPods).map((x) => x.metadata.name)).toEqual(['migrate-x1', 'migrate-x2']);
  });
});
