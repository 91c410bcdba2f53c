import { describe, expect, it } from 'vitest';
import {
  artifactName,
  artifactServiceAvailable,
  inspectTarball,
  notReadyPods,
  uploadDiagnostics,
} from '../../src/diagnostics.js';
import { postSettings, wantDiagnostics } from '../../src/post.js';
import { Report } from '../../src/state.js';

const pod = (namespace: string, name: string, phase: string, ready?: 'True' | 'False') => ({
  metadata: { namespace, name },
  status: { phase, conditions: ready ? [{ type: 'Ready', status: ready }] : [] },
});

describe('notReadyPods', () => {
  it('lists pods without a true Ready condition, and leaves out finished ones', () => {
    const json = JSON.stringify({
      items: [
        pod('kube-system', 'coredns-7d9f', 'Running', 'False'),
        pod('kube-system', 'calico-node-x', 'Running', 'True'),
        pod('default', 'probe-0', 'Pending'),
        pod('default', 'job-done', 'Succeeded', 'False'),
        pod('default', 'crashed', 'Failed', 'False'),
      ],
    });
    expect(notReadyPods(json)).toEqual([
      { namespace: 'kube-system', name: 'coredns-7d9f' },
      { namespace: 'default', name: 'probe-0' },
      { namespace: 'default', name: 'crashed' },
    ]);
  });

  it('reads an empty list', () => {
    expect(notReadyPods('{"apiVersion":"v1","items":[]}')).toEqual([]);
  });
});

describe('inspectTarball', () => {
  it('finds the path microk8s inspect prints', () => {
    const out =
      'Inspecting services\n  Service snap.microk8s.daemon-kubelite is running\n' +
      'Building the report tarball\n  Report tarball is at /var/snap/microk8s/8205/inspection-report-20260101_101010.tar.gz\n';
    expect(inspectTarball(out)).toBe(
      '/var/snap/microk8s/8205/inspection-report-20260101_101010.tar.gz',
    );
    expect(inspectTarball('Inspecting services\n')).toBeUndefined();
  });
});

describe('artifact naming and the service check', () => {
  it.each([
    ['e2e', '/runner/_temp/microk8s-diagnostics-Ab12Cd', 'microk8s-diagnostics-e2e-Ab12Cd'],
    [undefined, '/tmp/microk8s-diagnostics-Zz9', 'microk8s-diagnostics-job-Zz9'],
  ])('job %s, folder %s: %s', (job, dir, name) => expect(artifactName(job, dir)).toBe(name));

  it.each([
    [{ ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_RESULTS_URL: 'https://results/' }, true],
    [{ ACTIONS_RUNTIME_TOKEN: 't' }, false],
    [{ ACTIONS_RESULTS_URL: 'https://results/' }, false],
    [{}, false],
  ])('%j has the artifact service: %s', (env, yes) =>
    expect(artifactServiceAvailable(env)).toBe(yes),
  );
});

describe('uploadDiagnostics', () => {
  const service = {
    ACTIONS_RUNTIME_TOKEN: 't',
    ACTIONS_RESULTS_URL: 'https://results/',
    GITHUB_JOB: 'e2e',
  };
  const dir = '/runner/_temp/microk8s-diagnostics-Ab12Cd';
  const collected = { files: [`${dir}/pods.txt`, `${dir}/events.txt`], errors: ['inspect.txt: x'] };

  it('uploads every file, relative to the folder, when the service is there', async () => {
    const uploads: unknown[][] = [];
    const client = {
      uploadArtifact: async (...args: unknown[]) => {
        uploads.push(args);
        return { id: 7, size: 10 };
      },
    };
    const place = await uploadDiagnostics(dir, collected, client, service);
    expect(uploads).toEqual([['microk8s-diagnostics-e2e-Ab12Cd', collected.files, dir]]);
    expect(place).toEqual({
      dir,
      files: 2,
      errors: 1,
      artifact: 'microk8s-diagnostics-e2e-Ab12Cd',
    });
  });

  it('keeps the folder when there is no service, without trying to upload', async () => {
    const client = {
      uploadArtifact: async () => {
        throw new Error('must not be called');
      },
    };
    expect(await uploadDiagnostics(dir, collected, client, {})).toEqual({
      dir,
      files: 2,
      errors: 1,
    });
  });

  it('keeps the folder when the upload fails', async () => {
    const client = {
      uploadArtifact: async () => {
        throw new Error('Failed to CreateArtifact: 409 conflict');
      },
    };
    expect(await uploadDiagnostics(dir, collected, client, service)).toEqual({
      dir,
      files: 2,
      errors: 1,
    });
  });
});

describe('post settings', () => {
  const get = (values: Record<string, string>) => (name: string) => values[name] ?? '';

  it.each([
    [{}, { cleanup: false, diagnostics: 'on-failure' }],
    [
      { cleanup: 'true', diagnostics: 'always' },
      { cleanup: true, diagnostics: 'always' },
    ],
    [
      { cleanup: 'TRUE', diagnostics: 'never' },
      { cleanup: true, diagnostics: 'never' },
    ],
    // Main rejected these already; the post step falls back instead of failing a second time.
    [
      { cleanup: 'yes', diagnostics: 'sometimes' },
      { cleanup: false, diagnostics: 'on-failure' },
    ],
  ])('%j → %j', (inputs, settings) => expect(postSettings(get(inputs))).toEqual(settings));

  const ok: Report = { channel: '1.34/stable', addons: [], images: [], phases: [], finished: true };
  const failed: Report = { ...ok, finished: undefined, failure: { message: 'boom' } };
  const stopped: Report = { ...ok, finished: undefined };
  it.each([
    ['on-failure', ok, false],
    ['on-failure', stopped, true],
    ['on-failure', failed, true],
    ['on-failure', undefined, true],
    ['always', ok, true],
    ['never', failed, false],
    ['never', undefined, false],
  ] as const)('%s with report %j: collect %s', (mode, report, yes) =>
    expect(wantDiagnostics(mode, report)).toBe(yes),
  );
});
