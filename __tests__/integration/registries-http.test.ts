import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHostsToml } from '../../src/registries/hosts-toml.js';
import { buildDriver, cleanup, configure, resetJournal } from './lib/action.js';
import { criPullOutcome, criRemove } from './lib/cri.js';
import { StartedRegistry, seedImage, startRegistry } from './lib/registry-host.js';
import { Sandbox, TEMPLATE } from './lib/sandbox.js';

// The article's plain-HTTP registry on another host, against the real dockerd 20.10 and
// containerd 1.6 (CRI plugin, MicroK8s 1.34 template with config_path).

const REG = '10.141.241.175:32000';
const HTTPS_ERROR = 'http: server gave HTTP response to HTTPS client';
const DAEMON_JSON = '/etc/docker/daemon.json';
const HOSTS_TOML = `/var/snap/microk8s/current/args/certs.d/${REG}/hosts.toml`;
/** The GitHub runner's own daemon.json, byte for byte as the tests compare it. */
const RUNNER_DAEMON_JSON =
  '{\n    "exec-opts": ["native.cgroupdriver=cgroupfs"],\n    "cgroup-parent": "/actions_job"\n}\n';
const TEMPLATE_1_34 = fs.readFileSync(
  '__fixtures__/microk8s/containerd-template-1.34.toml',
  'utf8',
);

async function dockerInsecure(sb: Sandbox): Promise<string[]> {
  const r = await sb.exec(['docker', 'info', '--format', '{{json .RegistryConfig.IndexConfigs}}']);
  const configs = JSON.parse(r.stdout) as Record<string, { Secure: boolean }>;
  return Object.keys(configs).filter((k) => !configs[k].Secure);
}

async function dockerPush(sb: Sandbox, ref: string): Promise<string> {
  await sb.exec(['docker', 'tag', 'seed-local:1', ref]);
  const r = await sb.exec(['docker', 'push', ref], { allowFailure: true });
  return r.code === 0 ? 'pushed' : r.stderr;
}

describe(`a plain-HTTP registry on another host (${REG})`, () => {
  let sb: Sandbox;
  let registry: StartedRegistry;

  beforeAll(async () => {
    buildDriver();
    sb = await Sandbox.start();
    sb.writeFile(DAEMON_JSON, RUNNER_DAEMON_JSON);
    await sb.startDockerd();
    await sb.startNodeContainerd(TEMPLATE_1_34);
    registry = await startRegistry(sb, { name: 'http', listen: REG, seed: '127.0.0.1:5001' });
    await seedImage(sb, registry, 'busybox:seeded');
    await sb.sh(
      'r=$(mktemp -d); cp /bin/busybox $r/; tar -C $r -c . | docker import - seed-local:1 >/dev/null',
    );
  });
  afterAll(async () => sb?.stop());

  it('without the action, docker push and the containerd pull both fail with the HTTP/HTTPS error', async () => {
    expect(await dockerPush(sb, `${REG}/app:1`)).toContain(HTTPS_ERROR);
    expect(await criPullOutcome(sb.criSocket, `${REG}/busybox:seeded`)).toContain(HTTPS_ERROR);
  });

  it('with insecure-registries, both succeed: hosts.toml written, daemon.json merged, Docker reloaded', async () => {
    const dockerd = await sb.dockerdPid();
    const containerd = sb.nodeContainerdPid();

    const main = await configure(sb, { 'insecure-registries': REG, kubeMinor: 34 });
    expect(main.code, main.stdout + main.stderr).toBe(0);

    expect(sb.readFile(HOSTS_TOML)?.toString()).toBe(
      renderHostsToml({ address: REG, scheme: 'http' }),
    );
    expect(JSON.parse(sb.readFile(DAEMON_JSON)!.toString())).toEqual({
      'exec-opts': ['native.cgroupdriver=cgroupfs'],
      'cgroup-parent': '/actions_job',
      'insecure-registries': [REG],
    });
    expect(await dockerInsecure(sb)).toEqual([REG]);
    expect(sb.calls('systemctl')).toEqual(['reload docker']);
    // Reloaded, not restarted; containerd read hosts.toml without a restart; the template is
    // never touched on a MicroK8s with config_path.
    expect(await sb.dockerdPid()).toBe(dockerd);
    expect(sb.nodeContainerdPid()).toBe(containerd);
    expect(sb.readFile(TEMPLATE)?.toString()).toBe(TEMPLATE_1_34);
    expect(sb.calls('snap')).toEqual([]);

    expect(await dockerPush(sb, `${REG}/app:1`)).toBe('pushed');
    expect(await criPullOutcome(sb.criSocket, `${REG}/busybox:seeded`)).toBe('pulled');
    expect(await criPullOutcome(sb.criSocket, `${REG}/app:1`)).toBe('pulled');
  });

  it('a second run changes nothing and reloads nothing', async () => {
    const before = sb.readFile(DAEMON_JSON);
    const again = await configure(sb, { 'insecure-registries': REG, kubeMinor: 34 });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(sb.readFile(DAEMON_JSON)).toEqual(before);
    expect(sb.calls('systemctl')).toEqual(['reload docker']);
  });

  it('cleanup puts daemon.json back byte for byte, and the registry is gone from Docker and containerd', async () => {
    const post = await cleanup(sb);
    expect(post.code, post.stdout + post.stderr).toBe(0);

    expect(sb.readFile(DAEMON_JSON)?.toString()).toBe(RUNNER_DAEMON_JSON);
    expect(sb.readFile(HOSTS_TOML)).toBeNull();
    expect(await dockerInsecure(sb)).toEqual([]);
    expect(await dockerPush(sb, `${REG}/app:2`)).toContain(HTTPS_ERROR);
    await criRemove(sb.criSocket, `${REG}/busybox:seeded`);
    expect(await criPullOutcome(sb.criSocket, `${REG}/busybox:seeded`)).toContain(HTTPS_ERROR);
    resetJournal(sb);
  });
});

describe("the runner's daemon.json", () => {
  let sb: Sandbox;

  beforeAll(async () => {
    buildDriver();
    sb = await Sandbox.start();
    // Only the file matters to the containerd side here: config_path, so hosts.toml files.
    sb.writeFile(TEMPLATE, TEMPLATE_1_34);
    await sb.startDockerd();
  });
  afterAll(async () => sb?.stop());

  it('is created when missing, and removed again by cleanup with Docker back as it was', async () => {
    expect(sb.readFile(DAEMON_JSON)).toBeNull();
    const main = await configure(sb, { 'insecure-registries': REG });
    expect(main.code, main.stdout + main.stderr).toBe(0);
    expect(JSON.parse(sb.readFile(DAEMON_JSON)!.toString())).toEqual({
      'insecure-registries': [REG],
    });
    expect(await dockerInsecure(sb)).toEqual([REG]);

    const post = await cleanup(sb);
    expect(post.code, post.stdout + post.stderr).toBe(0);
    expect(sb.readFile(DAEMON_JSON)).toBeNull();
    expect(await dockerInsecure(sb)).toEqual([]);
    resetJournal(sb);
  });

  it('is left byte-identical when it is not valid JSON, and the step fails saying so', async () => {
    const corrupt = Buffer.from(
      '{\n  "exec-opts": ["native.cgroupdriver=cgroupfs"],\n  "cgroup-parent": "/actions_job",\n',
    );
    sb.writeFile(DAEMON_JSON, corrupt);
    const main = await configure(sb, { 'insecure-registries': REG });
    expect(main.code).toBe(1);
    expect(main.stderr).toMatch(
      /\/etc\/docker\/daemon.json is not valid JSON .*The action left it untouched/,
    );
    expect(sb.readFile(DAEMON_JSON)).toEqual(corrupt);
    expect(await dockerInsecure(sb)).toEqual([]);

    // Nothing journalled for it, so the post step leaves it alone as well.
    const post = await cleanup(sb);
    expect(post.code, post.stdout + post.stderr).toBe(0);
    expect(sb.readFile(DAEMON_JSON)).toEqual(corrupt);
    sb.removeFile(DAEMON_JSON);
    resetJournal(sb);
  });

  it('is not needed for loopback registries, which Docker trusts already', async () => {
    const reloads = sb.calls('systemctl').length;
    const main = await configure(sb, { 'insecure-registries': '127.0.0.1:5001, localhost:5002' });
    expect(main.code, main.stdout + main.stderr).toBe(0);
    expect(sb.readFile(DAEMON_JSON)).toBeNull();
    expect(sb.calls('systemctl').length).toBe(reloads);
    // containerd has no such default: those still get a hosts.toml each.
    expect(
      sb.readFile('/var/snap/microk8s/current/args/certs.d/127.0.0.1:5001/hosts.toml'),
    ).not.toBeNull();
    await cleanup(sb);
    resetJournal(sb);
  });

  it('reaches the running Docker by a reload, far faster than a restart', async () => {
    const timed = async (verb: string, registries: string[]) => {
      sb.writeFile(DAEMON_JSON, JSON.stringify({ 'insecure-registries': registries }));
      const started = performance.now();
      await sb.exec(['systemctl', verb, 'docker']);
      while ((await dockerInsecure(sb)).length !== registries.length)
        await new Promise((r) => setTimeout(r, 20));
      return performance.now() - started;
    };
    const reload = await timed('reload', ['10.0.0.1:5000']);
    const restart = await timed('restart', ['10.0.0.1:5000', '10.0.0.2:5000']);
    console.log(
      `dockerd 20.10: reload took effect in ${reload.toFixed(0)} ms, restart in ${restart.toFixed(0)} ms`,
    );
    expect(reload).toBeLessThan(restart);
  });
});
