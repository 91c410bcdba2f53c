import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PULL_SECRET } from '../../src/registries/pull-secret.js';
import { buildDriver, cleanup, configure } from './lib/action.js';
import { Auth, criPullOutcome, criRemove } from './lib/cri.js';
import { StartedRegistry, seedImage, startRegistry } from './lib/registry-host.js';
import { Sandbox } from './lib/sandbox.js';

// A private registry with TLS from its own CA and htpasswd credentials, on another host
// (registry.test = 10.141.241.176), against the real dockerd and containerd (CRI).

const SERVER = 'registry.test:5443';
const USER = 'ci';
const PASSWORD = 'hunter2 with spaces&$';
const CERTS_D = `/var/snap/microk8s/current/args/certs.d/${SERVER}`;
const DOCKER_CA = `/etc/docker/certs.d/${SERVER}/ca.crt`;
const UNKNOWN_CA = 'x509: certificate signed by unknown authority';
const TEMPLATE_1_34 = fs.readFileSync(
  '__fixtures__/microk8s/containerd-template-1.34.toml',
  'utf8',
);
const IMAGE = `${SERVER}/private/busybox:seeded`;

interface DockerConfigJson {
  auths: Record<string, { username: string; password: string; auth: string }>;
}

describe(`a private registry with its own CA and credentials (${SERVER})`, () => {
  let sb: Sandbox;
  let registry: StartedRegistry;
  let inputs: Record<string, string | number>;
  /** The credentials the action put in the cluster, as the kubelet would hand them to containerd. */
  let secretAuth: Auth | undefined;

  beforeAll(async () => {
    buildDriver();
    sb = await Sandbox.start();
    sb.writeFile('/etc/docker/daemon.json', '{"cgroup-parent": "/actions_job"}\n');
    await sb.startDockerd();
    await sb.startNodeContainerd(TEMPLATE_1_34);
    registry = await startRegistry(sb, {
      name: 'tls',
      listen: '10.141.241.176:5443',
      seed: '127.0.0.1:5002',
      tlsSans: ['registry.test', '10.141.241.176'],
      htpasswd: { user: USER, password: PASSWORD },
    });
    await seedImage(sb, registry, 'private/busybox:seeded');
    inputs = {
      'registry-server': SERVER,
      'registry-ca': registry.caPath!,
      'registry-username': USER,
      'registry-password': PASSWORD,
      kubeMinor: 34,
    };
  });
  afterAll(async () => sb?.stop());

  it('without the action, neither Docker nor containerd trusts the registry', async () => {
    const login = await sb.exec(['docker', 'login', SERVER, '-u', USER, '--password-stdin'], {
      input: PASSWORD,
      allowFailure: true,
    });
    expect(login.stderr).toContain(UNKNOWN_CA);
    expect(
      await criPullOutcome(sb.criSocket, IMAGE, { username: USER, password: PASSWORD }),
    ).toContain(UNKNOWN_CA);
  });

  it('installs the CA for containerd and Docker, logs Docker in and gives the cluster a pull secret', async () => {
    const main = await configure(sb, inputs);
    expect(main.code, main.stdout + main.stderr).toBe(0);

    expect(sb.readFile(`${CERTS_D}/ca.crt`)?.toString()).toBe(registry.caPem);
    expect(sb.readFile(`${CERTS_D}/hosts.toml`)?.toString()).toContain(`ca = "${CERTS_D}/ca.crt"`);
    expect(sb.readFile(DOCKER_CA)?.toString()).toBe(registry.caPem);
    const dockerConfig = JSON.parse(
      sb.readFile('/root/.docker/config.json')!.toString(),
    ) as DockerConfigJson;
    expect(Object.keys(dockerConfig.auths)).toEqual([SERVER]);

    const [apply, getSa, patch] = sb.kubectlCalls();
    expect(apply.argv).toEqual(['apply', '-f', '-']);
    const secret = JSON.parse(apply.stdin) as {
      metadata: { name: string; namespace: string };
      data: Record<string, string>;
    };
    expect(secret.metadata).toMatchObject({ name: PULL_SECRET, namespace: 'default' });
    const config = JSON.parse(
      Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString(),
    ) as DockerConfigJson;
    secretAuth = {
      username: config.auths[SERVER].username,
      password: config.auths[SERVER].password,
    };
    expect(getSa.argv).toEqual(['-n', 'default', 'get', 'serviceaccount', 'default', '-o', 'json']);
    expect(patch.argv).toEqual([
      '-n',
      'default',
      'patch',
      'serviceaccount',
      'default',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ imagePullSecrets: [{ name: PULL_SECRET }] }),
    ]);

    // The password went on stdin only: never in an argument list, never in the log.
    const argvs = [...sb.calls('microk8s'), ...sb.kubectlCalls().map((c) => c.argv.join(' '))];
    expect(argvs.filter((a) => a.includes(PASSWORD))).toEqual([]);
    const logged = main.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    expect(logged.filter((l) => l.includes(PASSWORD))).toEqual([]);
    expect(main.stdout).toContain(`::add-mask::${PASSWORD}`);
  });

  it('lets Docker push, and containerd pull with the credentials of the pull secret', async () => {
    await sb.sh(
      `r=$(mktemp -d); cp /bin/busybox $r/; tar -C $r -c . | docker import - ${SERVER}/app:1 >/dev/null`,
    );
    const push = await sb.exec(['docker', 'push', `${SERVER}/app:1`], { allowFailure: true });
    expect(push.code, push.stderr).toBe(0);

    expect(await criPullOutcome(sb.criSocket, IMAGE, secretAuth)).toBe('pulled');
    expect(await criPullOutcome(sb.criSocket, `${SERVER}/app:1`, secretAuth)).toBe('pulled');
  });

  it('fails the containerd pull without the credentials, and without the CA', async () => {
    await criRemove(sb.criSocket, IMAGE);
    expect(await criPullOutcome(sb.criSocket, IMAGE)).toMatch(
      /401 Unauthorized|authorization failed/,
    );

    // containerd also takes a *.crt in the folder as a CA when hosts.toml is missing: both go.
    const files = ['hosts.toml', 'ca.crt'].map(
      (f) => [`${CERTS_D}/${f}`, sb.readFile(`${CERTS_D}/${f}`)!] as const,
    );
    for (const [file] of files) sb.removeFile(file);
    expect(await criPullOutcome(sb.criSocket, IMAGE, secretAuth)).toContain(UNKNOWN_CA);
    for (const [file, bytes] of files) sb.writeFile(file, bytes);
    expect(await criPullOutcome(sb.criSocket, IMAGE, secretAuth)).toBe('pulled');
  });

  it('cleanup logs Docker out and removes the certificates and hosts.toml it wrote', async () => {
    const post = await cleanup(sb);
    expect(post.code, post.stdout + post.stderr).toBe(0);
    expect(sb.readFile(DOCKER_CA)).toBeNull();
    expect(sb.readFile(`${CERTS_D}/ca.crt`)).toBeNull();
    expect(sb.readFile(`${CERTS_D}/hosts.toml`)).toBeNull();
    const dockerConfig = JSON.parse(
      sb.readFile('/root/.docker/config.json')!.toString(),
    ) as DockerConfigJson;
    expect(dockerConfig.auths).toEqual({});
    expect(sb.readFile('/etc/docker/daemon.json')?.toString()).toBe(
      '{"cgroup-parent": "/actions_job"}\n',
    );

    await criRemove(sb.criSocket, IMAGE);
    expect(await criPullOutcome(sb.criSocket, IMAGE, secretAuth)).toContain(UNKNOWN_CA);
  });
});
