import { afterEach, describe, expect, it } from 'vitest';
import { Bed } from '../bed/bed.js';

// The action's spine on the emulated runner: the bundled dist/ under Node 24, as user `runner`
// with the real sudo, against the snap and MicroK8s doubles.

let bed: Bed | undefined;
afterEach(async () => {
  await bed?.stop();
  bed = undefined;
});

const snapCalls = async (b: Bed) => (await b.calls('snap')).map((c) => c.argv.join(' '));

/** Host paths a bad input must leave alone, with their bytes (null = absent). */
async function hostSnapshot(b: Bed): Promise<Record<string, string | null>> {
  const paths = [
    '/etc/docker/daemon.json',
    '/home/runner/.kube/config',
    '/snap/bin/microk8s',
    '/var/snap/microk8s/current/args/containerd-template.toml',
  ];
  const out: Record<string, string | null> = {};
  for (const p of paths) out[p] = (await b.readFile(p))?.toString('base64') ?? null;
  return out;
}

describe('the spine', () => {
  it('installs MicroK8s, waits for the node and dns, and hands over a working kubeconfig', async () => {
    bed = await Bed.start();
    const main = await bed.runMain({ channel: '1.34/stable', addons: 'dns\nhostpath-storage' });
    expect(main.exitCode, main.stdout).toBe(0);

    expect(await snapCalls(bed)).toContain('install microk8s --classic --channel=1.34/stable');
    // The addons were each enabled by a separate call, through sudo (uid 0), never as the runner.
    const enables = (await bed.calls('microk8s')).filter((c) => c.argv[0] === 'enable');
    expect(enables.map((c) => c.argv.join(' '))).toEqual(['enable dns', 'enable hostpath-storage']);
    expect(enables.every((c) => c.uid === 0)).toBe(true);

    // The kubeconfig is the runner's, 0600, and a plain kubectl in a later step can use it.
    expect(main.outputs.kubeconfig).toBe('/home/runner/.kube/config');
    expect(main.env.KUBECONFIG).toBe('/home/runner/.kube/config');
    const stat = await bed.exec(['stat', '-c', '%a %U', '/home/runner/.kube/config']);
    expect(stat.stdout.trim()).toBe('600 runner');
    const nodes = await bed.exec(['kubectl', 'get', 'nodes'], {
      user: 'runner',
      env: { KUBECONFIG: main.env.KUBECONFIG },
    });
    expect(nodes.stdout).toMatch(/\sReady\s/);
    const coredns = await bed.exec(
      [
        'kubectl',
        '-n',
        'kube-system',
        'get',
        'deployment',
        'coredns',
        '-o',
        'jsonpath={.status.readyReplicas}',
      ],
      {
        user: 'runner',
        env: { KUBECONFIG: main.env.KUBECONFIG },
      },
    );
    expect(coredns.stdout.trim()).toBe('1');

    const version = await bed.exec(['/snap/bin/microk8s', 'kubectl', 'version', '-o', 'json']);
    expect(main.outputs['kubernetes-version']).toBe(
      JSON.parse(version.stdout).serverVersion.gitVersion,
    );

    // Docker is on this runner: pod forwarding must not be left to Docker's DROP policy.
    const forward = await bed.exec(['iptables', '-S', 'FORWARD']);
    expect(forward.stdout).toContain('-P FORWARD ACCEPT');
    const dockerUser = await bed.exec(['iptables', '-S', 'DOCKER-USER']);
    expect(dockerUser.stdout).toContain('-A DOCKER-USER -j ACCEPT');
  });

  it('installs a strict track without --classic', async () => {
    bed = await Bed.start({ docker: false });
    const main = await bed.runMain({ channel: '1.33-strict/stable' });
    expect(main.exitCode, main.stdout).toBe(0);
    expect(await snapCalls(bed)).toContain('install microk8s --channel=1.33-strict/stable');
  });

  it('rides out a flaky store: two transient failures, then success', async () => {
    bed = await Bed.start({ docker: false, faults: { storeFailures: 2 } });
    const main = await bed.runMain({});
    expect(main.exitCode, main.stdout).toBe(0);
    const installs = (await snapCalls(bed)).filter((c) => c.startsWith('install microk8s'));
    expect(installs).toHaveLength(3);
    expect(await bed.readFile('/snap/bin/microk8s')).not.toBeNull();
  });

  it('fails at once on a permanent store failure, quoting snap', async () => {
    const error =
      'error: snap "microk8s" is not available on 1.99/stable but is available to install on the\n       following tracks: 1.34/stable';
    bed = await Bed.start({ docker: false, faults: { permanentInstallError: error } });
    const main = await bed.runMain({ channel: '1.34/stable' });
    expect(main.exitCode).toBe(1);
    expect(main.stdout).toContain('::error::Installing MicroK8s 1.34/stable failed: snap refused');
    expect(main.stdout).toContain('is not available on 1.99/stable');
    const installs = (await snapCalls(bed)).filter((c) => c.startsWith('install'));
    expect(installs).toHaveLength(1);
  });

  it('names what was not ready when the node never becomes ready, and shows its state', async () => {
    bed = await Bed.start({ docker: false, faults: { neverReady: true } });
    const main = await bed.runMain({ timeout: '6' });
    expect(main.exitCode).toBe(1);
    expect(main.stdout).toContain(
      '::error::Waiting for the node to be ready failed: The MicroK8s node was not ready before the timeout.',
    );
    expect(main.stdout).toMatch(/NotReady/);
  });

  it('names the addon whose workloads never roll out', async () => {
    bed = await Bed.start({ docker: false, faults: { addonNeverReady: 'dns' } });
    const main = await bed.runMain({ timeout: '8' });
    expect(main.exitCode).toBe(1);
    expect(main.stdout).toContain(
      '::error::Enabling dns failed: The dns addon (deployment/coredns in kube-system) was not ready before the timeout.',
    );
    expect(main.stdout).toContain('coredns');
  });

  it('fails on an addon MicroK8s does not have, although microk8s exits 0 for it', async () => {
    bed = await Bed.start({ docker: false });
    const main = await bed.runMain({ addons: 'dns\ncore/no-such-addon' });
    expect(main.exitCode).toBe(1);
    expect(main.stdout).toContain(
      "::error::Enabling core/no-such-addon failed: addons: 'core/no-such-addon' is not an addon of this MicroK8s",
    );
    const enable = (await bed.calls('microk8s'))
      .filter((c) => c.argv[0] === 'enable')
      .map((c) => c.argv.join(' '));
    expect(enable).toEqual(['enable dns', 'enable core/no-such-addon']);
  });

  it('retries an enable that collides with snapd finishing the install', async () => {
    bed = await Bed.start({ docker: false, faults: { changeInProgressEnables: 2 } });
    const main = await bed.runMain({});
    expect(main.exitCode, main.stdout).toBe(0);
    const enables = (await bed.calls('microk8s')).filter((c) => c.argv[0] === 'enable');
    expect(enables).toHaveLength(3);
  });

  it('keeps an existing kubeconfig as a backup', async () => {
    bed = await Bed.start({ docker: false });
    const mine = 'apiVersion: v1\nkind: Config\nclusters: []\n# the runner owner’s own\n';
    await bed.exec(['mkdir', '-p', '/home/runner/.kube'], { user: 'runner' });
    await bed.exec(['tee', '/home/runner/.kube/config'], { user: 'runner', input: mine });
    const main = await bed.runMain({});
    expect(main.exitCode, main.stdout).toBe(0);
    expect(
      (await bed.readFile('/home/runner/.kube/config.before-setup-microk8s'))?.toString(),
    ).toBe(mine);
    expect((await bed.readFile('/home/runner/.kube/config'))?.toString()).toContain(
      'microk8s-cluster',
    );
  });

  it('runs twice in one job: the second run finds MicroK8s installed and skips the install', async () => {
    bed = await Bed.start({ docker: false });
    const first = await bed.runMain({});
    expect(first.exitCode, first.stdout).toBe(0);
    const second = await bed.runMain({ addons: 'dns' });
    expect(second.exitCode, second.stdout).toBe(0);
    const installs = (await snapCalls(bed)).filter((c) => c.startsWith('install'));
    expect(installs).toHaveLength(1);
    expect(second.outputs['kubernetes-version']).toBe(first.outputs['kubernetes-version']);
  });

  it('refreshes to another channel when MicroK8s is installed from a different one', async () => {
    bed = await Bed.start({ docker: false });
    expect((await bed.runMain({ channel: '1.33/stable' })).exitCode).toBe(0);
    const second = await bed.runMain({ channel: '1.34/stable' });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(await snapCalls(bed)).toContain('refresh microk8s --channel=1.34/stable');
    expect(second.outputs['kubernetes-version']).toMatch(/^v1\.34\./);
  });

  it('fails fast with a clear message on a runner without snap', async () => {
    bed = await Bed.start({ docker: false, snapAvailable: false });
    const main = await bed.runMain({});
    expect(main.exitCode).toBe(1);
    expect(main.stdout).toContain('::error::snap is not installed on this runner');
    expect(main.stdout).toContain('ubuntu-24.04');
    expect(main.stdout).not.toMatch(/\n\s+at /); // no stack trace
  });

  describe('bad input changes nothing on the host', () => {
    const cases: [string, Record<string, string>, string][] = [
      ['channel', { channel: '1.34/stabel' }, "channel: '1.34/stabel' has risk 'stabel'"],
      ['addons', { addons: 'dns; curl evil' }, "addons: 'dns; curl evil' is not an addon"],
      [
        'insecure-registries',
        { 'insecure-registries': 'http://10.141.241.175:32000' },
        "insecure-registries: 'http://10.141.241.175:32000' has a scheme",
      ],
      [
        'registry-server',
        { 'registry-server': 'reg:99999' },
        "registry-server: 'reg:99999' has a port outside 1-65535",
      ],
      ['timeout', { timeout: 'soon' }, "timeout: 'soon' is not a positive whole number"],
      ['load', { load: 'copy' }, "load: 'copy' is not one of auto, side-load, push"],
      [
        'diagnostics',
        { diagnostics: 'yes' },
        "diagnostics: 'yes' is not one of on-failure, always, never",
      ],
      ['cleanup', { cleanup: 'yes' }, "cleanup: 'yes' is not a boolean"],
      ['images', { images: 'My/Image:1' }, "images: 'My/Image:1' is not a valid image reference"],
    ];
    it.each(cases)('%s', async (_name, inputs, message) => {
      bed ??= await Bed.start({ docker: false });
      const before = await hostSnapshot(bed);
      const callsBefore = (await bed.calls()).length;
      const main = await bed.runMain(inputs);
      expect(main.exitCode).toBe(1);
      expect(main.stdout).toContain(`::error::Invalid input. ${message}`);
      expect(await hostSnapshot(bed)).toEqual(before);
      expect((await bed.calls()).slice(callsBefore)).toEqual([]);
      const post = await bed.runPost();
      expect(post.exitCode).toBe(0);
      expect((await bed.calls()).slice(callsBefore)).toEqual([]);
    });
  });
});
