import { afterEach, describe, expect, it } from 'vitest';
import { Bed, RUNNER_DAEMON_JSON, StepResult } from '../bed/bed.js';

// The post step on the emulated runner: the bundled dist/post after the bundled dist/main, as
// user `runner`, with the STATE_* main saved. What it must leave: a job summary that says what
// happened, diagnostics on disk with the cluster's real state, and (cleanup: true) a runner put
// back as it was found.

const RUNNER_TEMP = '/home/runner/work/_temp';
const KUBECONFIG = '/home/runner/.kube/config';
const DOCKER_CONFIG = '/home/runner/.docker/config.json';
const INSECURE = { ip: '10.141.241.175', port: 32000 };

let bed: Bed | undefined;
afterEach(async () => {
  await bed?.stop();
  bed = undefined;
});

/** Main, then post (which the bed gives main's inputs, as GitHub does). */
async function runJob(
  b: Bed,
  inputs: Record<string, string>,
): Promise<{ main: StepResult; post: StepResult }> {
  const main = await b.runMain(inputs);
  const post = await b.runPost();
  return { main, post };
}

/** The diagnostics folder the summary names. */
function diagnosticsDir(post: StepResult): string {
  const m = /kept on the runner in `([^`]+)`/.exec(post.summary);
  expect(m, post.summary + post.stdout).not.toBeNull();
  return m![1];
}

async function text(b: Bed, file: string): Promise<string> {
  const data = await b.readFile(file);
  expect(data, `${file} is missing`).not.toBeNull();
  return data!.toString();
}

const iptablesRules = async (b: Bed) =>
  (await b.exec(['sh', '-c', 'iptables -S FORWARD; iptables -S DOCKER-USER'])).stdout;

/** The post step's own warnings and errors; a clean run has none. */
const troubles = (post: StepResult) => post.annotations.filter((a) => a.level !== 'notice');

describe('the post step', () => {
  it('after a failed main: a summary naming the failed phase and its error, and diagnostics with the cluster as it was', async () => {
    bed = await Bed.start({ docker: false, faults: { addonNeverReady: 'dns' } });
    const { main, post } = await runJob(bed, { timeout: '8' });
    expect(main.exitCode).toBe(1);

    // Post never fails the job and never adds an error of its own: main's error stands alone.
    expect(post.exitCode, post.stdout).toBe(0);
    expect(post.annotations.filter((a) => a.level === 'error')).toEqual([]);

    expect(post.summary).toContain('## setup-microk8s failed: Enabling dns');
    expect(post.summary).toContain(
      'The dns addon (deployment/coredns in kube-system) was not ready before the timeout.',
    );
    expect(post.summary).toMatch(/\| Installing MicroK8s 1\.34\/stable \| [\d.]+ s \| done \|/);
    expect(post.summary).toMatch(/\| Enabling dns \| [\d.]+ s \| \*\*failed\*\* \|/);
    expect(post.summary).toMatch(/\| Snap revision \| \d+ \|/);

    const dir = diagnosticsDir(post);
    expect(dir.startsWith(`${RUNNER_TEMP}/microk8s-diagnostics-`)).toBe(true);
    // The pods listing is the cluster's: coredns is there and not ready.
    expect(await text(bed, `${dir}/pods.txt`)).toMatch(/kube-system\s+coredns-\S+\s+0\/1\s/);
    expect(await text(bed, `${dir}/nodes.txt`)).toMatch(/\sReady\s/);
    const described = (await bed.exec(['ls', `${dir}/describe`])).stdout.split('\n');
    const coredns = described.find((f) => /^kube-system\.coredns-.*\.txt$/.test(f));
    expect(coredns, described.join(' ')).toBeDefined();
    expect(await text(bed, `${dir}/describe/${coredns}`)).toMatch(/Ready\s+False/);
    expect(await text(bed, `${dir}/events.txt`)).toMatch(/coredns/);
    expect(await text(bed, `${dir}/snap-changes.txt`)).toContain('Install "microk8s" snap');
    expect(await text(bed, `${dir}/daemon-containerd.log`)).not.toBe('');
    expect(await text(bed, `${dir}/daemon-kubelite.log`)).not.toBe('');
    const tarball = (
      await bed.exec(['sh', '-c', `ls ${dir}/inspection-report-*.tar.gz`])
    ).stdout.trim();
    const listing = await bed.exec(['tar', 'tzf', tarball], { user: 'runner' });
    expect(listing.stdout).not.toBe('');
    // Every file is the runner's: a later upload step (or a person) can read them.
    const owners = await bed.exec(['find', dir, '-type', 'f', '!', '-user', 'runner']);
    expect(owners.stdout).toBe('');
    // Every item was collected, so no warning either.
    expect(troubles(post)).toEqual([]);
  });

  it("after an install that failed: what can be collected is, the rest is one warning, and main's error stands", async () => {
    const error = 'error: snap "microk8s" is not available on 1.34/stable';
    bed = await Bed.start({ docker: false, faults: { permanentInstallError: error } });
    const { main, post } = await runJob(bed, {});
    expect(main.exitCode).toBe(1);

    expect(post.exitCode, post.stdout).toBe(0);
    expect(post.summary).toContain('## setup-microk8s failed: Installing MicroK8s 1.34/stable');
    expect(post.summary).toContain(error);
    const dir = diagnosticsDir(post);
    expect(await text(bed, `${dir}/snap-changes.txt`)).toContain('Initialize system state');
    expect(post.summary).toMatch(/\d+ items? could not be collected/);
    const warnings = post.annotations.filter((a) => a.level === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toContain('/snap/bin/microk8s is not there');
    expect(post.annotations.filter((a) => a.level === 'error')).toEqual([]);
  });

  it('after a verify that fails: the summary names the image, quotes the kubelet event and gives the diagnosis', async () => {
    bed = await Bed.start();
    await bed.buildImage('tool:latest');
    const { main, post } = await runJob(bed, {
      images: 'tool:latest',
      load: 'side-load',
      'verify-timeout': '30',
    });
    expect(main.exitCode).toBe(1);
    expect(post.exitCode, post.stdout).toBe(0);

    expect(post.summary).toMatch(/## setup-microk8s failed: Verif/);
    expect(post.summary).toMatch(
      /\| `tool:latest` \| side-load \| `sha256:[0-9a-f]{12}…` \| \*\*no\*\* \|/,
    );
    expect(post.summary).toMatch(/\*\*Pod:\*\* `setup-microk8s\/\S+`/);
    // The kubelet's own words, as it logged them for the probe pod.
    expect(post.summary).toMatch(/Failed to pull image "tool:latest"/);
    expect(post.summary).toMatch(
      /\*\*Diagnosis:\*\* 'tool:latest' was side-loaded, but its tag is latest/,
    );
    const dir = diagnosticsDir(post);
    expect(await text(bed, `${dir}/events.txt`)).toMatch(/Failed to pull image "tool:latest"/);
  });

  it('after a successful main: the cluster, its phases, and diagnostics only when asked', async () => {
    bed = await Bed.start({ docker: false });
    const main = await bed.runMain({ addons: 'dns' });
    expect(main.exitCode, main.stdout).toBe(0);

    const quiet = await bed.runPost();
    expect(quiet.exitCode).toBe(0);
    expect(quiet.summary).toContain('## MicroK8s 1.34/stable is ready');
    expect(quiet.summary).toContain(`| Kubernetes | ${main.outputs['kubernetes-version']} |`);
    expect(quiet.summary).toContain('| Addons | `dns` |');
    expect(quiet.summary).not.toContain('Diagnostics');
    expect(troubles(quiet)).toEqual([]);
    const none = await bed.exec([
      'sh',
      '-c',
      `ls -d ${RUNNER_TEMP}/microk8s-diagnostics-* 2>/dev/null || true`,
    ]);
    expect(none.stdout).toBe('');

    const always = await bed.runPost({ INPUT_DIAGNOSTICS: 'always' });
    expect(await text(bed, `${diagnosticsDir(always)}/pods.txt`)).toMatch(
      /coredns-\S+\s+1\/1\s+Running/,
    );

    const never = await bed.runPost({ INPUT_DIAGNOSTICS: 'never' });
    expect(never.summary).not.toContain('Diagnostics');
  });

  it('cleanup: true after a successful run leaves the runner as it found it', async () => {
    bed = await Bed.start();
    const mine = 'apiVersion: v1\nkind: Config\nclusters: []\n# the runner owner’s own\n';
    await bed.exec(['mkdir', '-p', '/home/runner/.kube'], { user: 'runner' });
    await bed.exec(['sh', '-c', `cat > ${KUBECONFIG} && chmod 640 ${KUBECONFIG}`], {
      user: 'runner',
      input: mine,
    });
    const rulesBefore = await iptablesRules(bed);
    expect(rulesBefore).toContain('-P FORWARD DROP');

    const { main, post } = await runJob(bed, { cleanup: 'true' });
    expect(main.exitCode, main.stdout).toBe(0);
    expect(post.exitCode, post.stdout).toBe(0);
    expect(troubles(post)).toEqual([]);

    expect((await bed.readFile(KUBECONFIG))?.toString()).toBe(mine);
    expect((await bed.exec(['stat', '-c', '%a %U', KUBECONFIG])).stdout.trim()).toBe('640 runner');
    expect(await bed.readFile(`${KUBECONFIG}.before-setup-microk8s`)).toBeNull();
    expect(await bed.readFile('/snap/bin/microk8s')).toBeNull();
    expect(await bed.readFile('/var/snap/microk8s/current')).toBeNull();
    const removals = (await bed.calls('snap')).filter((c) => c.argv[0] === 'remove');
    expect(removals.map((c) => [c.argv.join(' '), c.uid])).toEqual([
      ['remove microk8s --purge', 0],
    ]);
    // Docker's FORWARD DROP is back, and the DOCKER-USER rule main added is gone.
    expect(await iptablesRules(bed)).toBe(rulesBefore);
    // The summary was written before the cleanup took the cluster away.
    expect(post.summary).toContain('## MicroK8s 1.34/stable is ready');
  });

  it('cleanup: true puts back what the registries changed: daemon.json byte for byte, the CA removed, logged out', async () => {
    bed = await Bed.start();
    const insecure = await bed.startRegistry({ name: 'plain', netnsHost: INSECURE });
    const secure = await bed.startRegistry({
      name: 'private',
      tls: true,
      htpasswd: { user: 'ci', password: 's3cret-pw' },
      netnsHost: { ip: '10.141.241.176', port: 5000 },
    });
    const inputs = {
      cleanup: 'true',
      'insecure-registries': insecure.host,
      'registry-server': secure.host,
      'registry-username': 'ci',
      'registry-password': 's3cret-pw',
      'registry-ca': secure.caPath!,
    };
    const main = await bed.runMain(inputs);
    expect(main.exitCode, main.stdout).toBe(0);
    // Main really changed them: otherwise the restore below proves nothing.
    expect(await text(bed, '/etc/docker/daemon.json')).toContain(insecure.host);
    expect(await bed.readFile(`/etc/docker/certs.d/${secure.host}/ca.crt`)).not.toBeNull();
    expect(JSON.parse(await text(bed, DOCKER_CONFIG)).auths[secure.host]).toBeDefined();

    const post = await bed.runPost();
    expect(post.exitCode, post.stdout).toBe(0);
    expect(troubles(post)).toEqual([]);
    expect((await bed.readFile('/etc/docker/daemon.json'))?.toString()).toBe(RUNNER_DAEMON_JSON);
    const info = await bed.exec([
      'docker',
      'info',
      '--format',
      '{{json .RegistryConfig.IndexConfigs}}',
    ]);
    expect(info.stdout).not.toContain(insecure.host);
    // The folder the action made for the CA goes with it.
    expect(await bed.readFile(`/etc/docker/certs.d/${secure.host}`)).toBeNull();
    expect(JSON.parse(await text(bed, DOCKER_CONFIG)).auths[secure.host]).toBeUndefined();
    expect(await bed.readFile('/var/snap/microk8s/current/args/certs.d')).toBeNull();
  });

  it('main failing halfway, after daemon.json and hosts.toml were written, still gets a full undo', async () => {
    bed = await Bed.start();
    const insecure = await bed.startRegistry({ name: 'plain', netnsHost: INSECURE });
    const secure = await bed.startRegistry({
      name: 'private',
      tls: true,
      htpasswd: { user: 'ci', password: 's3cret-pw' },
      netnsHost: { ip: '10.141.241.176', port: 5000 },
    });
    const rulesBefore = await iptablesRules(bed);
    // The wrong password fails `docker login`, after the trust for both registries is in place.
    const { main, post } = await runJob(bed, {
      cleanup: 'true',
      'insecure-registries': insecure.host,
      'registry-server': secure.host,
      'registry-username': 'ci',
      'registry-password': 'wrong',
      'registry-ca': secure.caPath!,
    });
    expect(main.exitCode).toBe(1);
    expect(main.state.files).toContain('/etc/docker/daemon.json');

    expect(post.exitCode, post.stdout).toBe(0);
    expect(post.summary).toContain('## setup-microk8s failed');
    expect((await bed.readFile('/etc/docker/daemon.json'))?.toString()).toBe(RUNNER_DAEMON_JSON);
    expect(await bed.readFile(`/etc/docker/certs.d/${secure.host}`)).toBeNull();
    expect(await bed.readFile('/snap/bin/microk8s')).toBeNull();
    expect(await iptablesRules(bed)).toBe(rulesBefore);
    expect((await bed.calls('snap')).map((c) => c.argv.join(' '))).toContain(
      'remove microk8s --purge',
    );
  });

  it('main failing halfway (an addon never ready): diagnostics from the live cluster first, then the undo', async () => {
    bed = await Bed.start({ docker: false, faults: { addonNeverReady: 'dns' } });
    const { main, post } = await runJob(bed, { timeout: '8', cleanup: 'true' });
    expect(main.exitCode).toBe(1);
    expect(post.exitCode, post.stdout).toBe(0);
    expect(await text(bed, `${diagnosticsDir(post)}/pods.txt`)).toMatch(/coredns/);
    expect(await bed.readFile('/snap/bin/microk8s')).toBeNull();
    expect(await bed.readFile('/var/snap/microk8s')).toBeNull();
    const calls = await bed.calls();
    const lastKubectl = calls.map((c) => c.argv[0]).lastIndexOf('kubectl');
    const removal = calls.findIndex((c) => c.tool === 'snap' && c.argv[0] === 'remove');
    expect(removal).toBeGreaterThan(lastKubectl);
  });
});
