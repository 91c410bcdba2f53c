import { describe, expect, it } from 'vitest';
import { Report } from '../../src/state.js';
import { block, cell, code, formatSeconds, renderSummary, shortDigest } from '../../src/summary.js';

const DIGEST = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

const ready: Report = {
  channel: '1.34/stable',
  revision: '8205',
  kubernetesVersion: 'v1.34.2',
  addons: ['dns', 'hostpath-storage'],
  registry: 'localhost:32000',
  images: [
    {
      image: 'localhost:32000/app:1.0',
      method: 'push',
      ref: 'localhost:32000/app:1.0',
      digest: DIGEST,
      verified: true,
      seconds: 3.24,
    },
    {
      image: 'tool:dev',
      method: 'side-load',
      ref: 'docker.io/library/tool:dev',
      digest: DIGEST,
      verified: false,
    },
  ],
  phases: [
    { name: 'Installing MicroK8s 1.34/stable', seconds: 41, ok: true },
    { name: 'Enabling dns', seconds: 125.4, ok: true },
  ],
  finished: true,
};

const failedVerify: Report = {
  ...ready,
  finished: undefined,
  images: [{ ...ready.images[0], verified: false }],
  phases: [...ready.phases, { name: 'Verifying images', seconds: 180, ok: false }],
  failure: {
    message:
      'Verifying images failed: the kubelet could not pull localhost:32000/app:1.0\n$ kubectl get pods',
    pod: 'default/setup-microk8s-probe-0',
    events: [
      'Normal   Pulling  pulling image "localhost:32000/app:1.0"',
      'Warning  Failed   Failed to pull image "localhost:32000/app:1.0": http: server gave HTTP response to HTTPS client',
    ],
    diagnosis: 'containerd has no hosts.toml for localhost:32000',
  },
};

describe('renderSummary', () => {
  const cases: [string, Report | undefined, string[], string[]][] = [
    [
      'a ready cluster: cluster facts, images, phases, no failure',
      ready,
      [
        '## MicroK8s 1.34/stable is ready',
        '| Snap revision | 8205 |',
        '| Kubernetes | v1.34.2 |',
        '| Addons | `dns`, `hostpath-storage` |',
        '| Registry | `localhost:32000` |',
        '| `localhost:32000/app:1.0` | push | `sha256:9f86d081884c…` | yes | 3.2 s |',
        '| `tool:dev` | side-load | `sha256:9f86d081884c…` | **no** | — |',
        '| Enabling dns | 2 min 5 s | done |',
      ],
      ['What failed', 'failed'],
    ],
    [
      'a failed verify: the failing phase in the title, the pod, the kubelet events, the diagnosis',
      failedVerify,
      [
        '## setup-microk8s failed: Verifying images',
        '> Verifying images failed: the kubelet could not pull localhost:32000/app:1.0\n',
        '| Verifying images | 3 min 0 s | **failed** |',
        '**Pod:** `default/setup-microk8s-probe-0`',
        '**Diagnosis:** containerd has no hosts.toml for localhost:32000',
        'http: server gave HTTP response to HTTPS client',
        '```text\nVerifying images failed: the kubelet could not pull localhost:32000/app:1.0\n$ kubectl get pods\n```',
      ],
      ['is ready'],
    ],
    [
      'a main that was stopped mid-way: says so and names the last phase it got to',
      { ...ready, finished: undefined },
      [
        '## setup-microk8s stopped before it finished, after: Enabling dns',
        '| Enabling dns | 2 min 5 s | done |',
      ],
      ['is ready', 'What failed'],
    ],
    [
      'a main that failed before the cluster was up: dashes, no images table',
      {
        channel: '1.34/stable',
        addons: [],
        images: [],
        phases: [{ name: 'Installing MicroK8s 1.34/stable', seconds: 2, ok: false }],
        failure: { message: 'Installing MicroK8s 1.34/stable failed: snap refused' },
      },
      [
        '## setup-microk8s failed: Installing MicroK8s 1.34/stable',
        '| Snap revision | — |',
        '| Kubernetes | — |',
        '| Addons | none |',
        '| Registry | none |',
      ],
      ['### Images', '**Pod:**', 'Kubelet events'],
    ],
    [
      'a main that saved no report (cancelled or crashed)',
      undefined,
      ['## setup-microk8s: the main step stopped early', 'cancelled, timed out or crashed'],
      ['| Cluster |'],
    ],
  ];
  it.each(cases)('%s', (_name, report, present, absent) => {
    const md = renderSummary(report);
    for (const p of present) expect(md).toContain(p);
    for (const a of absent) expect(md).not.toContain(a);
  });

  it('says where the diagnostics went: an artifact, or a folder on the runner', () => {
    expect(
      renderSummary(failedVerify, {
        artifact: 'microk8s-diagnostics-e2e-x1',
        dir: '/t',
        files: 9,
        errors: 0,
      }),
    ).toContain('**Diagnostics:** 9 files in the workflow artifact `microk8s-diagnostics-e2e-x1`.');
    expect(
      renderSummary(undefined, {
        dir: '/runner/_temp/microk8s-diagnostics-x1',
        files: 1,
        errors: 2,
      }),
    ).toContain(
      '**Diagnostics:** 1 file kept on the runner in `/runner/_temp/microk8s-diagnostics-x1` (no artifact service in this job); 2 items could not be collected',
    );
  });

  it('keeps text from the cluster from breaking the table or injecting HTML', () => {
    const md = renderSummary({ ...ready, addons: ['metallb:10.0.0.1-10.0.0.9|<script>'] });
    expect(md).toContain('| Addons | `metallb:10.0.0.1-10.0.0.9\\|&lt;script&gt;` |');
  });

  it('shows only the last kubelet events of a long list and says so', () => {
    const events = Array.from({ length: 45 }, (_, i) => `event ${i}`);
    const md = renderSummary({ ...failedVerify, failure: { message: 'x', events } });
    expect(md).toContain('**Kubelet events (last 30 of 45):**');
    expect(md).toContain('event 44');
    expect(md).not.toContain('event 14\n');
  });
});

describe('formatting helpers', () => {
  it.each([
    [0.04, '0.0 s'],
    [3.24, '3.2 s'],
    [59.9, '59.9 s'],
    [60, '1 min 0 s'],
    [125.4, '2 min 5 s'],
  ])('formatSeconds(%s) is %s', (s, text) => expect(formatSeconds(s)).toBe(text));

  it.each([
    [DIGEST, 'sha256:9f86d081884c…'],
    ['', ''],
    ['sha256:short', 'sha256:short'],
  ])('shortDigest(%s) is %s', (d, text) => expect(shortDigest(d)).toBe(text));

  it.each([
    ['a|b', 'a\\|b'],
    ['<b>&', '&lt;b&gt;&amp;'],
    ['two\nlines', 'two<br>lines'],
  ])('cell(%j) is %j', (t, out) => expect(cell(t)).toBe(out));

  it.each([
    ['plain', '`plain`'],
    ['a`b', '``a`b``'],
    ['`edge', '`` `edge ``'],
  ])('code(%j) is %j', (t, out) => expect(code(t)).toBe(out));

  it('fences a block longer than any backtick run inside it, and clips a huge one', () => {
    expect(block('has ``` inside')).toBe('````text\nhas ``` inside\n````');
    const huge = block('x'.repeat(20_000));
    expect(huge).toContain('… (4000 more characters)');
  });
});
