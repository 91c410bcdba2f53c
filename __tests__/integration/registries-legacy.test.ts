import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { criPluginStatus } from '../../src/registries/containerd-template.js';
import { buildDriver, cleanup, configure } from './lib/action.js';
import { criPullOutcome, criRemove } from './lib/cri.js';
import { StartedRegistry, seedImage, startRegistry } from './lib/registry-host.js';
import { Sandbox, TEMPLATE } from './lib/sandbox.js';

// MicroK8s 1.19-1.22: no certs.d, the registries live in containerd-template.toml, which
// MicroK8s renders (sed of ${SNAP}, ${SNAP_DATA}, …) each time containerd starts. The template
// the action writes is given to a real containerd 1.6, started the way run-containerd-with-args
// starts it, and images are pulled through its CRI plugin as the kubelet pulls them.

const HTTP_REG = '10.141.241.175:32000';
const SERVER = 'registry.test:5443';
const USER = 'ci';
const PASSWORD = 'legacy-secret';
const TEMPLATE_1_22 = fs.readFileSync(
  '__fixtures__/microk8s/containerd-template-1.22.toml',
  'utf8',
);
const TEMPLATE_1_34 = fs.readFileSync(
  '__fixtures__/microk8s/containerd-template-1.34.toml',
  'utf8',
);

describe('MicroK8s 1.22: the legacy containerd template', () => {
  let sb: Sandbox;
  let tls: StartedRegistry;
  let inputs: Record<string, string | number>;

  beforeAll(async () => {
    buildDriver();
    sb = await Sandbox.start();
    await sb.startDockerd();
    await sb.startNodeContainerd(TEMPLATE_1_22);
    const http = await startRegistry(sb, {
      name: 'http',
      listen: HTTP_REG,
      seed: '127.0.0.1:5001',
    });
    tls = await startRegistry(sb, {
      name: 'tls',
      listen: '10.141.241.176:5443',
      seed: '127.0.0.1:5002',
      tlsSans: ['registry.test'],
      htpasswd: { user: USER, password: PASSWORD },
    });
    await seedImage(sb, http, 'busybox:seeded');
    await seedImage(sb, tls, 'busybox:seeded');
    inputs = {
      'insecure-registries': HTTP_REG,
      'registry-server': SERVER,
      'registry-ca': tls.caPath!,
      'registry-username': USER,
      'registry-password': PASSWORD,
      kubeMinor: 22,
    };
  });
  afterAll(async () => sb?.stop());

  const auth = { username: USER, password: PASSWORD };

  it('without the action, containerd speaks HTTPS to the HTTP registry and distrusts the private one', async () => {
    expect(await criPullOutcome(sb.criSocket, `${HTTP_REG}/busybox:seeded`)).toContain(
      'http: server gave HTTP response to HTTPS client',
    );
    expect(await criPullOutcome(sb.criSocket, `${SERVER}/busybox:seeded`, auth)).toContain(
      'x509: certificate signed by unknown authority',
    );
  });

  it('extends the template, restarts only containerd, and the restarted containerd pulls from both', async () => {
    const before = sb.nodeContainerdPid();
    const main = await configure(sb, inputs);
    expect(main.code, main.stdout + main.stderr).toBe(0);

    expect(sb.calls('snap')).toEqual(['restart microk8s.daemon-containerd']);
    expect(sb.nodeContainerdPid()).not.toBe(before);
    expect(
      criPluginStatus((await sb.exec(['/snap/bin/microk8s', 'ctr', 'plugins', 'ls'])).stdout),
    ).toBe('ok');

    expect(await criPullOutcome(sb.criSocket, `${HTTP_REG}/busybox:seeded`)).toBe('pulled');
    expect(await criPullOutcome(sb.criSocket, `${SERVER}/busybox:seeded`, auth)).toBe('pulled');
    await criRemove(sb.criSocket, `${SERVER}/busybox:seeded`);
    expect(await criPullOutcome(sb.criSocket, `${SERVER}/busybox:seeded`)).toMatch(
      /401 Unauthorized|authorization failed/,
    );

    const template = sb.readFile(TEMPLATE)!.toString();
    expect(template.startsWith(TEMPLATE_1_22)).toBe(true);
    expect(template.slice(TEMPLATE_1_22.length)).toMatchInlineSnapshot(`
      "
      # Added by setup-microk8s: 10.141.241.175:32000 serves plain HTTP (insecure-registries).
      [plugins."io.containerd.grpc.v1.cri".registry.mirrors."10.141.241.175:32000"]
        endpoint = ["http://10.141.241.175:32000"]

      # Added by setup-microk8s: the CA of registry.test:5443 (registry-ca).
      [plugins."io.containerd.grpc.v1.cri".registry.configs."registry.test:5443".tls]
        ca_file = "/var/snap/microk8s/current/args/certs.d/registry.test:5443/ca.crt"
      "
    `);
    expect(
      sb.readFile('/var/snap/microk8s/current/args/certs.d/registry.test:5443/ca.crt')?.toString(),
    ).toBe(tls.caPem);
  });

  it('neither edits nor restarts anything the second time', async () => {
    const template = sb.readFile(TEMPLATE);
    const again = await configure(sb, inputs);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(sb.readFile(TEMPLATE)).toEqual(template);
    expect(sb.calls('snap')).toEqual(['restart microk8s.daemon-containerd']);
  });

  it('cleanup puts the template back byte for byte and restarts containerd on it', async () => {
    const post = await cleanup(sb);
    expect(post.code, post.stdout + post.stderr).toBe(0);
    expect(sb.readFile(TEMPLATE)?.toString()).toBe(TEMPLATE_1_22);
    expect(sb.calls('snap')).toEqual([
      'restart microk8s.daemon-containerd',
      'restart microk8s.daemon-containerd',
    ]);
    await criRemove(sb.criSocket, `${HTTP_REG}/busybox:seeded`);
    expect(await criPullOutcome(sb.criSocket, `${HTTP_REG}/busybox:seeded`)).toContain(
      'http: server gave HTTP response to HTTPS client',
    );
  });
});

describe('MicroK8s 1.23+: why the template is never given mirrors there', () => {
  it('a real containerd runs without its CRI plugin when mirrors sit beside config_path', async () => {
    const sb = await Sandbox.start();
    try {
      await sb.startNodeContainerd(
        `${TEMPLATE_1_34}\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."${HTTP_REG}"]\n  endpoint = ["http://${HTTP_REG}"]\n`,
      );
      const plugins = await sb.exec(['/snap/bin/microk8s', 'ctr', 'plugins', 'ls']);
      // What the action's wait after a restart reads: this state fails it at once.
      expect(criPluginStatus(plugins.stdout)).toBe('error');
      expect(sb.logs(200)).toContain('`mirrors` cannot be set when `config_path` is provided');
    } finally {
      await sb.stop();
    }
  });
});
