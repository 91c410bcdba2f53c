import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bed } from '../bed/bed.js';

// The bed's emulated kubelet pulls through the node containerd's CRI plugin (containerd 1.6,
// config_path = args/certs.d), so trust settings behave as on a real node: these tests show the
// article's failures and fixes coming out of containerd itself, not out of the double.

const MICROK8S = '/snap/bin/microk8s';
const CERTS_D = '/var/snap/microk8s/current/args/certs.d';
const HTTPS_ERROR = 'http: server gave HTTP response to HTTPS client';
/** The article's plain-HTTP registry on another host. */
const REMOTE_IP = '10.141.241.175';

interface KubeEvent {
  reason: string;
  message: string;
  type: string;
  count: number;
  source: { component: string };
  involvedObject: { name: string; fieldPath?: string };
}

interface ContainerStatus {
  image: string;
  imageID: string;
  state: { waiting?: { reason: string; message?: string }; running?: object };
}

interface Pod {
  spec: { containers: Array<{ imagePullPolicy: string }> };
  status: { phase: string; containerStatuses?: ContainerStatus[] };
}

function podManifest(name: string, image: string, pullPolicy?: string): string {
  const policy = pullPolicy ? `\n    imagePullPolicy: ${pullPolicy}` : '';
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: app
    image: ${image}${policy}
`;
}

function hostsToml(server: string): string {
  return `server = "${server}"\n\n[host."${server}"]\n  capabilities = ["pull", "resolve"]\n`;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the emulated kubelet pulls through containerd CRI', () => {
  let bed: Bed;
  let remote: string;

  const microk8s = (args: string[], input?: string) => bed.exec([MICROK8S, ...args], { input });
  const apply = (yaml: string) => microk8s(['kubectl', 'apply', '-f', '-'], yaml);
  const pod = async (name: string) =>
    JSON.parse((await microk8s(['kubectl', 'get', 'pod', name, '-o', 'json'])).stdout) as Pod;
  const events = async (name: string) =>
    (
      JSON.parse(
        (
          await microk8s([
            'kubectl',
            'get',
            'events',
            '--field-selector',
            `involvedObject.name=${name}`,
            '--sort-by=.lastTimestamp',
            '-o',
            'json',
          ])
        ).stdout,
      ) as { items: KubeEvent[] }
    ).items;
  const containerdPid = async () =>
    (await bed.exec(['cat', '/run/bed/services/daemon-containerd.pid'])).stdout.split('\n')[0];

  /** Pushes a freshly built busybox image with the runner's containerd (plain HTTP). */
  async function push(ref: string) {
    await bed.buildImage(ref);
    const ctr = ['ctr', '--address', '/run/containerd/containerd.sock', '--namespace', 'push'];
    await bed.exec([
      '/bin/sh',
      '-c',
      `docker save "$1" | ${ctr.join(' ')} image import -`,
      'sh',
      ref,
    ]);
    await bed.exec([...ctr, 'image', 'push', '--plain-http', ref]);
  }

  /** Loads an image into the node's k8s.io namespace the article's way: docker save | ctr import. */
  async function sideLoad(ref: string) {
    await bed.buildImage(ref);
    await bed.exec([
      '/bin/sh',
      '-c',
      `docker save "$1" | ${MICROK8S} ctr image import -`,
      'sh',
      ref,
    ]);
  }

  beforeAll(async () => {
    bed = await Bed.start();
    remote = (await bed.startRegistry({ name: 'remote', netnsHost: { ip: REMOTE_IP, port: 5000 } }))
      .host;
    await bed.exec(['snap', 'install', 'microk8s', '--classic', '--channel=1.34/stable']);
    await microk8s(['status', '--wait-ready', '--timeout', '60']);
  });
  afterAll(async () => bed?.stop());

  it("fails with containerd's HTTPS error for a plain-HTTP registry that certs.d does not name", async () => {
    await push(`${remote}/x:1`);
    await apply(podManifest('remote-x', `${remote}/x:1`));

    const failed = await waitFor('the Failed event', async () =>
      (await events('remote-x')).find(
        (e) => e.reason === 'Failed' && e.message.includes(HTTPS_ERROR),
      ),
    );
    expect(failed).toMatchObject({ type: 'Warning', source: { component: 'kubelet' } });
    expect(failed.message).toBe(
      `Failed to pull image "${remote}/x:1": failed to pull and unpack image "${remote}/x:1": ` +
        `failed to resolve reference "${remote}/x:1": failed to do request: ` +
        `Head "https://${remote}/v2/x/manifests/1": ${HTTPS_ERROR}`,
    );
    const waiting = await waitFor('ImagePullBackOff', async () => {
      const w = (await pod('remote-x')).status.containerStatuses?.[0].state.waiting;
      return w?.reason === 'ImagePullBackOff' ? w : undefined;
    });
    expect(waiting.message).toContain(`Back-off pulling image "${remote}/x:1": ErrImagePull: `);
    const reasons = (await events('remote-x')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Scheduled', 'Pulling', 'Failed', 'BackOff']));
  });

  it('pulls once hosts.toml names the registry, with no containerd restart in between', async () => {
    const before = await containerdPid();
    await bed.writeFile(`${CERTS_D}/${remote}/hosts.toml`, hostsToml(`http://${remote}`));

    const status = await waitFor('the container to run', async () => {
      const s = (await pod('remote-x')).status.containerStatuses?.[0];
      return s?.state.running ? s : undefined;
    });
    expect(status.imageID).toMatch(new RegExp(`^${remote}/x@sha256:[0-9a-f]{64}$`));
    expect(status.image).toBe(`${remote}/x:1`);
    const pulled = (await events('remote-x')).find((e) => e.reason === 'Pulled');
    expect(pulled?.message).toMatch(
      new RegExp(
        `^Successfully pulled image "${remote}/x:1" in \\S+ \\(\\S+ including waiting\\)\\. Image size: \\d+ bytes\\.$`,
      ),
    );
    expect(await containerdPid()).toBe(before);
  });

  it('needs no hosts.toml for a loopback registry: containerd speaks plain HTTP to localhost itself', async () => {
    const local = (await bed.startRegistry({ name: 'loopback', address: '127.0.0.1:5000' })).host;
    await push(`${local}/x:1`);
    await apply(podManifest('loopback-x', `${local}/x:1`));
    const status = await waitFor('the container to run', async () => {
      const s = (await pod('loopback-x')).status.containerStatuses?.[0];
      return s?.state.running ? s : undefined;
    });
    expect(status.imageID).toMatch(/^127\.0\.0\.1:5000\/x@sha256:/);
    expect((await bed.exec(['ls', CERTS_D])).stdout).not.toContain('127.0.0.1');
  });

  it('pulls a side-loaded :latest again (policy Always) but starts a side-loaded 1.0 from the node', async () => {
    await sideLoad('sideloaded:latest');
    await sideLoad('sideloaded:1.0');
    // docker.io served by the bed's registry, so the Always pull gets a registry's answer (a real
    // runner gets Docker Hub's "pull access denied"; this bed has no internet).
    await bed.writeFile(`${CERTS_D}/docker.io/hosts.toml`, hostsToml(`http://${remote}`));
    await apply(
      podManifest('side-latest', 'sideloaded:latest') +
        '---\n' +
        podManifest('side-versioned', 'sideloaded:1.0'),
    );

    expect((await pod('side-latest')).spec.containers[0].imagePullPolicy).toBe('Always');
    expect((await pod('side-versioned')).spec.containers[0].imagePullPolicy).toBe('IfNotPresent');

    const failed = await waitFor('the Failed event', async () =>
      (await events('side-latest')).find(
        (e) => e.reason === 'Failed' && e.message.startsWith('Failed to pull'),
      ),
    );
    expect(failed.message).toBe(
      'Failed to pull image "sideloaded:latest": rpc error: code = NotFound desc = failed to pull and unpack image ' +
        '"docker.io/library/sideloaded:latest": failed to resolve reference "docker.io/library/sideloaded:latest": ' +
        'docker.io/library/sideloaded:latest: not found',
    );
    const versioned = await waitFor('side-versioned to run', async () => {
      const s = (await pod('side-versioned')).status.containerStatuses?.[0];
      return s?.state.running ? s : undefined;
    });
    expect(versioned.imageID).toMatch(/^sha256:[0-9a-f]{64}$/);
    const present = (await events('side-versioned')).filter(
      (e) => e.reason === 'Pulled' || e.reason === 'Pulling',
    );
    expect(present.map((e) => e.message)).toEqual([
      'Container image "sideloaded:1.0" already present on machine',
    ]);
  });

  it('reports ErrImageNeverPull and InvalidImageName like the kubelet', async () => {
    await apply(
      podManifest('never', 'absent:2.0', 'Never') + '---\n' + podManifest('invalid', 'Not/Valid:1'),
    );
    const never = await waitFor('ErrImageNeverPull', async () => {
      const w = (await pod('never')).status.containerStatuses?.[0].state.waiting;
      return w?.reason === 'ErrImageNeverPull' ? w : undefined;
    });
    expect(never.message).toBe(
      'Container image "absent:2.0" is not present with pull policy of Never',
    );
    const invalid = await waitFor('InvalidImageName', async () => {
      const w = (await pod('invalid')).status.containerStatuses?.[0].state.waiting;
      return w?.reason === 'InvalidImageName' ? w : undefined;
    });
    expect(invalid.message).toMatch(
      /^Failed to apply default image tag "Not\/Valid:1": couldn't parse image name/,
    );
    expect((await events('invalid')).map((e) => e.reason)).toContain('InspectFailed');
  });
});
