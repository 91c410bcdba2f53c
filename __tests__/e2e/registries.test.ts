import { afterEach, describe, expect, it } from 'vitest';
import { Bed, RUNNER_DAEMON_JSON, StepResult } from '../bed/bed.js';

// The registry inputs on the emulated runner: the bundled dist/main and dist/post as user
// `runner` (real sudo), real dockerd, containerd and registries; the node's containerd is the
// snap double's, and its kubelet pulls through containerd's CRI plugin.

const INSECURE = { ip: '10.141.241.175', port: 32000 };
const PRIVATE = { ip: '10.141.241.176', port: 5000, hostname: 'registry.bed.test' };
const HTTPS_ERROR = 'server gave HTTP response to HTTPS client';
const DAEMON_JSON = '/etc/docker/daemon.json';
const CERTS_D = '/var/snap/microk8s/current/args/certs.d';
const TEMPLATE = '/var/snap/microk8s/current/args/containerd-template.toml';
const KUBECONFIG = '/home/runner/.kube/config';

let bed: Bed | undefined;
afterEach(async () => {
  await bed?.stop();
  bed = undefined;
});

function inputEnv(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
  );
}

const asRunner = (b: Bed, argv: string[], input?: string) =>
  b.exec(argv, {
    user: 'runner',
    env: { KUBECONFIG },
    allowFailure: true,
    ...(input ? { input } : {}),
  });

async function dockerInsecure(b: Bed): Promise<string[]> {
  const r = await asRunner(b, [
    'docker',
    'info',
    '--format',
    '{{json .RegistryConfig.IndexConfigs}}',
  ]);
  const configs = JSON.parse(r.stdout) as Record<string, { Secure: boolean }>;
  return Object.keys(configs).filter((k) => !configs[k].Secure);
}

/** A pod of `image` in `default`, as a later step would start it; its outcome once settled. */
async function podPulls(b: Bed, name: string, image: string): Promise<string> {
  await asRunner(b, ['kubectl', 'run', name, `--image=${image}`, '--restart=Never']);
  const wait = await asRunner(b, [
    'kubectl',
    'wait',
    '--for=condition=Ready',
    `pod/${name}`,
    '--timeout=60s',
  ]);
  if (wait.code === 0) return 'Ready';
  const events = await asRunner(b, [
    'kubectl',
    'get',
    'events',
    '--field-selector',
    `involvedObject.name=${name}`,
  ]);
  return events.stdout + events.stderr;
}

const systemctlCalls = async (b: Bed) =>
  (await b.calls('systemctl')).map((c) => `${c.uid === 0 ? 'root' : c.uid}: ${c.argv.join(' ')}`);

describe('registries on the emulated runner', () => {
  it(`insecure-registries: ${INSECURE.ip}:${INSECURE.port}, trusted by the node's containerd and the runner's Docker, undone by cleanup`, async () => {
    bed = await Bed.start();
    const reg = await bed.startRegistry({ name: 'plain', netnsHost: INSECURE });
    const image = `${reg.host}/app:1`;
    await bed.buildImage(image);
    const refused = await asRunner(bed, ['docker', 'push', image]);
    expect(refused.stderr).toContain(HTTPS_ERROR);

    const inputs = { 'insecure-registries': reg.host, cleanup: 'true' };
    const main = await bed.runMain(inputs);
    expect(main.exitCode, main.stdout).toBe(0);

    const push = await asRunner(bed, ['docker', 'push', image]);
    expect(push.code, push.stderr).toBe(0);
    expect(await podPulls(bed, 'plain', image)).toBe('Ready');

    expect((await bed.readFile(`${CERTS_D}/${reg.host}/hosts.toml`))?.toString()).toContain(
      `[host."http://${reg.host}"]\n  capabilities = ["pull", "resolve"]`,
    );
    expect(JSON.parse((await bed.readFile(DAEMON_JSON))!.toString())).toEqual({
      ...JSON.parse(RUNNER_DAEMON_JSON),
      'insecure-registries': [reg.host],
    });
    expect(await dockerInsecure(bed)).toEqual([reg.host]);
    expect(await systemctlCalls(bed)).toEqual(['root: reload docker']);

    const post = await bed.runPost(inputEnv(inputs));
    expect(post.exitCode, post.stdout).toBe(0);
    expect((await bed.readFile(DAEMON_JSON))?.toString()).toBe(RUNNER_DAEMON_JSON);
    expect(await dockerInsecure(bed)).toEqual([]);
    expect(await systemctlCalls(bed)).toEqual(['root: reload docker', 'root: reload docker']);
  });

  it('fails on a daemon.json that is not JSON, saying so, and leaves it byte-identical', async () => {
    bed = await Bed.start();
    const reg = await bed.startRegistry({ name: 'plain', netnsHost: INSECURE });
    const corrupt =
      '{\n  "exec-opts": ["native.cgroupdriver=cgroupfs"],\n  "cgroup-parent": "/actions_job",\n';
    await bed.writeFile(DAEMON_JSON, corrupt);

    const inputs = { 'insecure-registries': reg.host, cleanup: 'true' };
    const main = await bed.runMain(inputs);
    expect(main.exitCode).toBe(1);
    expect(main.stdout).toMatch(
      /::error::.*\/etc\/docker\/daemon.json is not valid JSON .*The action left it untouched; fix or remove it/,
    );
    expect((await bed.readFile(DAEMON_JSON))?.toString()).toBe(corrupt);
    expect(await systemctlCalls(bed)).toEqual([]);

    const post = await bed.runPost(inputEnv(inputs));
    expect(post.exitCode, post.stdout).toBe(0);
    expect((await bed.readFile(DAEMON_JSON))?.toString()).toBe(corrupt);
  });

  it('a private registry with its own CA and credentials: Docker logs in and pushes, pods pull with the pull secret', async () => {
    bed = await Bed.start();
    const password = 's3cret pw&$';
    const reg = await bed.startRegistry({
      name: 'private',
      netnsHost: PRIVATE,
      tls: true,
      htpasswd: { user: 'ci', password },
    });
    const image = `${reg.host}/team/app:1`;
    await bed.buildImage(image);

    const main = await bed.runMain({
      'registry-server': reg.host,
      'registry-username': 'ci',
      'registry-password': password,
      'registry-ca': reg.caPath!,
    });
    expect(main.exitCode, main.stdout).toBe(0);
    expect(main.masks).toContain(password);
    const argvs = (await bed.calls()).map((c) => c.argv.join(' '));
    expect(argvs.filter((a) => a.includes(password))).toEqual([]);

    const push = await asRunner(bed, ['docker', 'push', image]);
    expect(push.code, push.stderr).toBe(0);
    const sa = await asRunner(bed, [
      'kubectl',
      'get',
      'serviceaccount',
      'default',
      '-o',
      'jsonpath={.imagePullSecrets[*].name}',
    ]);
    expect(sa.stdout).toBe('setup-microk8s-registry');
    expect(await podPulls(bed, 'private', image)).toBe('Ready');

    const ca = (await bed.readFile(reg.caPath!))!.toString();
    expect((await bed.readFile(`/etc/docker/certs.d/${reg.host}/ca.crt`))?.toString()).toBe(ca);
    expect((await bed.readFile(`${CERTS_D}/${reg.host}/ca.crt`))?.toString()).toBe(ca);
    expect((await bed.readFile(`${CERTS_D}/${reg.host}/hosts.toml`))?.toString()).toContain(
      `ca = "${CERTS_D}/${reg.host}/ca.crt"`,
    );
  });

  it('MicroK8s 1.22/stable: the template gets the registries, containerd alone restarts, pods pull', async () => {
    bed = await Bed.start();
    const plain = await bed.startRegistry({ name: 'plain', netnsHost: INSECURE });
    const secure = await bed.startRegistry({
      name: 'private',
      netnsHost: PRIVATE,
      tls: true,
      htpasswd: { user: 'ci', password: 'pw' },
    });
    await bed.buildImage(`${plain.host}/app:1`);
    await bed.buildImage(`${secure.host}/app:1`);

    const main = await bed.runMain({
      channel: '1.22/stable',
      'insecure-registries': plain.host,
      'registry-server': secure.host,
      'registry-username': 'ci',
      'registry-password': 'pw',
      'registry-ca': secure.caPath!,
    });
    expect(main.exitCode, main.stdout).toBe(0);

    const template = (await bed.readFile(TEMPLATE))!.toString();
    expect(template).toContain(
      `[plugins."io.containerd.grpc.v1.cri".registry.mirrors."${plain.host}"]\n  endpoint = ["http://${plain.host}"]`,
    );
    expect(template).toContain(
      `[plugins."io.containerd.grpc.v1.cri".registry.configs."${secure.host}".tls]`,
    );
    expect(template).toContain('snapshotter = "${SNAPSHOTTER}"');
    expect(await bed.readFile(`${CERTS_D}/${plain.host}/hosts.toml`)).toBeNull();
    const restarts = (await bed.calls('snap')).filter((c) => c.argv[0] === 'restart');
    expect(restarts.map((c) => c.argv.join(' '))).toEqual(['restart microk8s.daemon-containerd']);

    for (const host of [plain.host, secure.host]) {
      const push = await asRunner(bed, ['docker', 'push', `${host}/app:1`]);
      expect(push.code, push.stderr).toBe(0);
    }
    expect(await podPulls(bed, 'plain', `${plain.host}/app:1`)).toBe('Ready');
    expect(await podPulls(bed, 'private', `${secure.host}/app:1`)).toBe('Ready');
  });

  it('on a runner whose MicroK8s 1.22 was there before, cleanup puts the template back and restarts containerd', async () => {
    bed = await Bed.start({ docker: false });
    const plain = await bed.startRegistry({ name: 'plain', netnsHost: INSECURE });
    // An earlier job installed it: this job's post step must not remove it.
    expect((await bed.runMain({ channel: '1.22/stable' })).exitCode).toBe(0);
    const original = await bed.readFile(TEMPLATE);

    const inputs = { channel: '1.22/stable', 'insecure-registries': plain.host, cleanup: 'true' };
    const main = await bed.runMain(inputs);
    expect(main.exitCode, main.stdout).toBe(0);
    // No Docker on this runner: only the cluster is configured, and the step says so.
    expect(main.stdout).toContain('Docker: not on this runner');
    expect((await bed.readFile(TEMPLATE))?.equals(original!)).toBe(false);

    const post = await bed.runPost(inputEnv(inputs));
    expect(post.exitCode, post.stdout).toBe(0);
    expect(await bed.readFile(TEMPLATE)).toEqual(original);
    const restarts = (await bed.calls('snap')).filter((c) => c.argv[0] === 'restart');
    expect(restarts.map((c) => c.argv.join(' '))).toEqual([
      'restart microk8s.daemon-containerd',
      'restart microk8s.daemon-containerd',
    ]);
    expect(await bed.readFile('/snap/bin/microk8s')).not.toBeNull();
  });

  it('registry: true enables the built-in registry, waits until it serves, and outputs localhost:32000', async () => {
    bed = await Bed.start();
    const main = await bed.runMain({ registry: 'true', 'registry-size': '40Gi' });
    expect(main.exitCode, main.stdout).toBe(0);
    expect(main.outputs.registry).toBe('localhost:32000');
    const enables = (await bed.calls('microk8s')).filter((c) => c.argv[0] === 'enable');
    expect(enables.map((c) => c.argv.join(' '))).toContain('enable registry --size 40Gi');
    const v2 = await asRunner(bed, [
      'curl',
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      'http://localhost:32000/v2/',
    ]);
    expect(v2.stdout).toBe('200');

    // Docker needs no setting for localhost, and the node's containerd has its hosts.toml.
    await bed.buildImage('localhost:32000/app:1');
    const push = await asRunner(bed, ['docker', 'push', 'localhost:32000/app:1']);
    expect(push.code, push.stderr).toBe(0);
    expect(await podPulls(bed, 'builtin', 'localhost:32000/app:1')).toBe('Ready');
    expect(await bed.readFile(DAEMON_JSON)).toEqual(Buffer.from(RUNNER_DAEMON_JSON));
  });

  it('registry: true on 1.22/stable uses the registry:size= form of that track', async () => {
    bed = await Bed.start({ docker: false });
    const main: StepResult = await bed.runMain({ channel: '1.22/stable', registry: 'true' });
    expect(main.exitCode, main.stdout).toBe(0);
    const enables = (await bed.calls('microk8s')).filter((c) => c.argv[0] === 'enable');
    expect(enables.map((c) => c.argv.join(' '))).toContain('enable registry:size=20Gi');
    expect(main.outputs.registry).toBe('localhost:32000');
  });
});
