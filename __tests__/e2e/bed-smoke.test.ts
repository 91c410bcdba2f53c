// Proves the emulated runner itself (see __tests__/bed/README.md): real sudo, dockerd, registries
// and network namespaces behave as on a runner, and the snap double lays out MicroK8s like snapd.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Bed, RUNNER_DAEMON_JSON } from '../bed/bed.js';

const MICROK8S_CTR = ['sudo', 'ctr', '--address', '/var/snap/microk8s/common/run/containerd.sock'];
const LOCALHOST_HOSTS_TOML = `server = "http://localhost:32000"

[host."http://localhost:32000"]
  capabilities = ["pull", "resolve"]
`;

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a bed', () => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await Bed.start();
    console.log(`bed start-up: ${bed.startupMs} ms`);
  });
  afterAll(() => bed?.stop());

  it('starts in well under ten seconds', () => {
    expect(bed.startupMs).toBeLessThan(10_000);
  });

  it('gives runner password-less sudo, like a GitHub runner', async () => {
    const r = await bed.exec(['sudo', '-n', 'id', '-u'], { user: 'runner' });
    expect(r.stdout.trim()).toBe('0');
    const id = await bed.exec(['id', '-Gn'], { user: 'runner' });
    expect(id.stdout.trim().split(' ').sort()).toEqual(['adm', 'docker', 'runner']);
  });

  it("seeds the runner's daemon.json", async () => {
    expect((await bed.readFile('/etc/docker/daemon.json'))?.toString()).toBe(RUNNER_DAEMON_JSON);
  });

  it('lets runner use dockerd through the docker group', async () => {
    const r = await bed.exec(
      ['docker', 'info', '--format', '{{.ServerVersion}} {{.CgroupDriver}}'],
      { user: 'runner' },
    );
    expect(r.stdout.trim()).toMatch(/^\S+ cgroupfs$/);
  });

  it('refuses snap install and systemctl reload without sudo', async () => {
    const snap = await bed.exec(['snap', 'install', 'microk8s', '--classic'], {
      user: 'runner',
      allowFailure: true,
    });
    expect(snap).toMatchObject({ code: 1, stderr: 'error: access denied (try with sudo)\n' });
    expect(await bed.readFile('/snap/microk8s/current/bed-release.json')).toBeNull();
    const reload = await bed.exec(['systemctl', 'reload', 'docker'], {
      user: 'runner',
      allowFailure: true,
    });
    expect(reload.code).toBe(1);
    expect(reload.stderr).toContain(
      'Failed to reload docker.service: Interactive authentication required.',
    );
  });

  it('asks for --classic on a classic track, like snapd', async () => {
    const r = await bed.exec(['sudo', 'snap', 'install', 'microk8s', '--channel=1.34/stable'], {
      user: 'runner',
      allowFailure: true,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: This revision of snap "microk8s" was published using classic confinement/,
    );
    expect(r.stderr).toContain('repeat the command including\n       --classic.');
  });

  it('rejects a track that does not exist', async () => {
    const r = await bed.exec(
      ['sudo', 'snap', 'install', 'microk8s', '--classic', '--channel=1.99/stable'],
      { user: 'runner', allowFailure: true },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: snap "microk8s" is not available on 1\.99\/stable but is available to\n/,
    );
    expect(r.stderr).toContain('1.34/stable         snap install --channel=1.34 microk8s');
  });

  describe('after sudo snap install microk8s --classic --channel=1.34/stable', () => {
    beforeAll(async () => {
      const r = await bed.exec(
        ['sudo', 'snap', 'install', 'microk8s', '--classic', '--channel=1.34/stable'],
        { user: 'runner' },
      );
      expect(r.stdout).toBe('microk8s (1.34/stable) v1.34.2 from Canonical** installed\n');
    });

    it('lays out certs.d with the default localhost:32000 entry', async () => {
      const hosts = await bed.readFile(
        '/var/snap/microk8s/current/args/certs.d/localhost:32000/hosts.toml',
      );
      expect(hosts?.toString()).toBe(LOCALHOST_HOSTS_TOML);
      const template = (await bed.readFile(
        '/var/snap/microk8s/current/args/containerd-template.toml',
      ))!.toString();
      expect(template).toContain('config_path = "${SNAP_DATA}/args/certs.d"');
      const release = JSON.parse(
        (await bed.readFile('/snap/microk8s/current/bed-release.json'))!.toString(),
      );
      expect(release).toMatchObject({
        channel: '1.34/stable',
        version: 'v1.34.2',
        containerd: 'v1.7.29',
        strict: false,
      });
    });

    it('keeps args/ and the credentials away from runner', async () => {
      const r = await bed.exec(['cat', '/var/snap/microk8s/current/credentials/client.config'], {
        user: 'runner',
        allowFailure: true,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Permission denied');
      const ls = await bed.exec(['ls', '/var/snap/microk8s/current/args/certs.d'], {
        user: 'runner',
        allowFailure: true,
      });
      expect(ls.code).not.toBe(0);
    });

    it("runs the node's containerd with the rendered template", async () => {
      const r = await bed.exec([...MICROK8S_CTR, 'version'], { user: 'runner' });
      expect(r.stdout).toMatch(/Server:\n\s+Version:/);
      const rendered = (await bed.readFile(
        '/var/snap/microk8s/current/args/containerd.toml',
      ))!.toString();
      expect(rendered).toMatch(/config_path = "\/var\/snap\/microk8s\/\d+\/args\/certs\.d"/);
      expect(rendered).not.toContain('${');
    });

    it('restarts only containerd on snap restart, re-rendering the template', async () => {
      const template = '/var/snap/microk8s/current/args/containerd-template.toml';
      const edited = `${(await bed.readFile(template))!.toString()}\n# edited by the test\n`;
      await bed.writeFile(template, edited, 0o660);
      const pidBefore = await bed.exec(['pidof', 'containerd'], { allowFailure: true });
      const r = await bed.exec(['sudo', 'snap', 'restart', 'microk8s.daemon-containerd'], {
        user: 'runner',
      });
      expect(r.stdout).toBe('Restarted.\n');
      expect(
        (await bed.readFile('/var/snap/microk8s/current/args/containerd.toml'))!.toString(),
      ).toContain('# edited by the test');
      const pidAfter = await bed.exec(['pidof', 'containerd']);
      expect(pidAfter.stdout).not.toBe(pidBefore.stdout);
      await bed.exec([...MICROK8S_CTR, 'version'], { user: 'runner' });
      const logs = await bed.exec(
        ['sudo', 'snap', 'logs', '-n', '1', 'microk8s.daemon-containerd'],
        { user: 'runner' },
      );
      expect(logs.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:]+Z microk8s\.daemon-containerd\[\d+\]: /);
    });

    it('says so when installed again', async () => {
      const r = await bed.exec(
        ['sudo', 'snap', 'install', 'microk8s', '--classic', '--channel=1.34/stable'],
        { user: 'runner' },
      );
      expect(r.stdout).toBe(`snap "microk8s" is already installed, see 'snap help refresh'\n`);
    });

    it('lists the snap and the install change', async () => {
      const list = await bed.exec(['snap', 'list', 'microk8s'], { user: 'runner' });
      expect(list.stdout).toMatch(
        /^Name +Version +Rev +Tracking +Publisher +Notes\nmicrok8s +v1\.34\.2 +\d+ +1\.34\/stable +canonical\*\* +classic\n$/,
      );
      const changes = await bed.exec(['snap', 'changes'], { user: 'runner' });
      expect(changes.stdout).toMatch(
        /Done +today at \d\d:\d\d UTC +today at \d\d:\d\d UTC +Install "microk8s" snap/,
      );
    });
  });

  describe('with a plain-HTTP registry on its own host at 10.141.241.175:32000', () => {
    const image = '10.141.241.175:32000/smoke:1';
    beforeAll(async () => {
      const reg = await bed.startRegistry({
        name: 'lan',
        netnsHost: { ip: '10.141.241.175', port: 32000 },
      });
      expect(reg).toEqual({ host: '10.141.241.175:32000' });
      await bed.buildImage(image);
    });

    it('answers /v2/ from the bed', async () => {
      const r = await bed.exec(['curl', '-sS', 'http://10.141.241.175:32000/v2/'], {
        user: 'runner',
      });
      expect(r.stdout).toBe('{}');
    });

    it('takes a docker push only once daemon.json trusts it and docker is reloaded', async () => {
      const refused = await bed.exec(['docker', 'push', image], {
        user: 'runner',
        allowFailure: true,
      });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('server gave HTTP response to HTTPS client');

      const config = {
        ...JSON.parse(RUNNER_DAEMON_JSON),
        'insecure-registries': ['10.141.241.175:32000'],
      };
      await bed.exec(['sudo', 'tee', '/etc/docker/daemon.json'], {
        user: 'runner',
        input: JSON.stringify(config),
      });
      await bed.exec(['sudo', 'systemctl', 'reload', 'docker'], { user: 'runner' });
      await until('dockerd to reload', async () => {
        const info = await bed.exec(
          ['docker', 'info', '--format', '{{json .RegistryConfig.IndexConfigs}}'],
          { user: 'runner' },
        );
        return info.stdout.includes('10.141.241.175:32000') ? true : undefined;
      });

      await bed.exec(['docker', 'push', image], { user: 'runner' });
      const tags = await bed.exec([
        'curl',
        '-sS',
        'http://10.141.241.175:32000/v2/smoke/tags/list',
      ]);
      expect(JSON.parse(tags.stdout)).toEqual({ name: 'smoke', tags: ['1'] });
    });
  });

  it('serves a TLS registry with htpasswd that answers 401 without credentials', async () => {
    const reg = await bed.startRegistry({
      name: 'private',
      netnsHost: { ip: '10.141.242.10', port: 5000, hostname: 'registry.bed.test' },
      tls: true,
      htpasswd: { user: 'ci', password: 's3cret' },
    });
    expect(reg.host).toBe('registry.bed.test:5000');
    const url = `https://${reg.host}/v2/`;
    const code = (args: string[]) =>
      bed.exec(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', ...args, url], {
        user: 'runner',
        allowFailure: true,
      });
    expect((await code(['--cacert', reg.caPath!])).stdout).toBe('401');
    expect((await code(['--cacert', reg.caPath!, '-u', 'ci:s3cret'])).stdout).toBe('200');
    const untrusted = await code([]);
    expect(untrusted.code).toBe(60); // curl: the certificate is not trusted
  });

  it("runs a step as runner under node 24 with GitHub's file commands", async () => {
    // The bed's <ctl-dir> is inside the repository (bound at the same path), so @actions/core resolves.
    const script = path.join(bed.ctl, 'fake-main.mjs');
    fs.writeFileSync(
      script,
      `import * as core from '@actions/core';
core.setOutput('who', String(process.getuid()) + ' ' + process.version.split('.')[0]);
core.setOutput('input', core.getInput('insecure-registries') + '|' + core.getInput('with space'));
core.setOutput('multi', 'a\\nb');
core.saveState('token', 'kept');
core.exportVariable('KUBECONFIG', '/home/runner/.kube/config');
core.addPath('/opt/bed/bin');
core.setSecret('hidden');
core.warning('careful');
await core.summary.addRaw('# done').write();
`,
    );
    const post = path.join(bed.ctl, 'fake-post.mjs');
    fs.writeFileSync(
      post,
      `import * as core from '@actions/core';\ncore.setOutput('state', core.getState('token') + ' ' + process.env.KUBECONFIG + ' ' + process.env.PATH.split(':')[0]);\n`,
    );

    const main = await bed.runMain(
      { 'insecure-registries': 'a:1', 'with space': 'x' },
      {},
      { script },
    );
    expect(main).toMatchObject({
      exitCode: 0,
      outputs: { who: '1001 v24', input: 'a:1|x', multi: 'a\nb' },
      state: { token: 'kept' },
      env: { KUBECONFIG: '/home/runner/.kube/config' },
      summary: '# done',
      masks: ['hidden'],
      annotations: [{ level: 'warning', message: 'careful' }],
    });
    const after = await bed.runPost({}, { script: post });
    expect(after.outputs.state).toBe('kept /home/runner/.kube/config /opt/bed/bin');
  });
});

describe('beds', () => {
  const beds: Bed[] = [];
  afterEach(async () => {
    await Promise.all(beds.splice(0).map((b) => b.stop()));
  });

  it("don't share state, and keep their writes off the host", async () => {
    const first = await Bed.start({ docker: false });
    beds.push(first);
    await first.writeFile('/etc/docker/daemon.json', '{"debug": true}\n');
    await first.writeFile('/etc/bed-marker', 'first\n');
    await first.exec(['sudo', 'snap', 'install', 'microk8s', '--classic'], { user: 'runner' });
    await first.stop();

    const second = await Bed.start({ docker: false });
    beds.push(second);
    expect((await second.readFile('/etc/docker/daemon.json'))?.toString()).toBe(RUNNER_DAEMON_JSON);
    expect(await second.readFile('/etc/bed-marker')).toBeNull();
    expect(await second.readFile('/snap/microk8s/current/bed-release.json')).toBeNull();
    expect(await second.calls('snap')).toEqual([]);
    expect(fs.existsSync('/etc/bed-marker')).toBe(false);
    expect(fs.existsSync('/snap/microk8s')).toBe(false);
  });

  it('leave no process behind on stop', async () => {
    const bed = await Bed.start();
    beds.push(bed);
    await bed.exec(['sudo', 'snap', 'install', 'microk8s', '--classic'], { user: 'runner' });
    const before = bed.processes();
    expect(before.map((p) => p.comm)).toEqual(expect.arrayContaining(['dockerd', 'containerd']));
    await bed.stop();
    await bed.stop();
    const alive = before.filter(
      (p) =>
        fs.existsSync(`/proc/${p.pid}`) &&
        fs.readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim() === p.comm,
    );
    expect(alive).toEqual([]);
  });

  it('restart dockerd on systemctl restart, failing on a broken daemon.json like systemd', async () => {
    const bed = await Bed.start();
    beds.push(bed);
    await bed.writeFile('/etc/docker/daemon.json', '{"insecure-registries": [\n');
    const broken = await bed.exec(['sudo', 'systemctl', 'restart', 'docker'], {
      user: 'runner',
      allowFailure: true,
    });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(
      /^Job for docker\.service failed because the control process exited with error code\./,
    );
    expect(
      (await bed.exec(['systemctl', 'is-active', 'docker'], { user: 'runner', allowFailure: true }))
        .stdout,
    ).toBe('inactive\n');

    await bed.writeFile('/etc/docker/daemon.json', RUNNER_DAEMON_JSON);
    await bed.exec(['sudo', 'systemctl', 'restart', 'docker'], { user: 'runner' });
    await bed.exec(['docker', 'version'], { user: 'runner' });
  });

  it('record every snap call, even refused ones', async () => {
    const bed = await Bed.start({ docker: false });
    beds.push(bed);
    await bed.exec(['snap', 'install', 'microk8s'], { user: 'runner', allowFailure: true });
    await bed.exec(['sudo', 'snap', 'list'], { user: 'runner', allowFailure: true });
    const calls = await bed.calls('snap');
    expect(calls.map((c) => [c.argv, c.uid])).toEqual([
      [['install', 'microk8s'], 1001],
      [['list'], 0],
    ]);
  });

  it('can start without snap or daemon.json', async () => {
    const bed = await Bed.start({ snapAvailable: false, daemonJson: null, docker: false });
    beds.push(bed);
    expect(await bed.readFile('/etc/docker/daemon.json')).toBeNull();
    const r = await bed.exec(['sudo', 'snap', 'version'], { user: 'runner', allowFailure: true });
    expect(r).toMatchObject({ code: 1, stderr: 'sudo: snap: command not found\n' });
  });

  it('fail the first snap installs when the scenario says the store is down', async () => {
    const bed = await Bed.start({ faults: { storeFailures: 2 }, docker: false });
    beds.push(bed);
    const install = () =>
      bed.exec(['sudo', 'snap', 'install', 'microk8s', '--classic', '--channel=1.28/stable'], {
        user: 'runner',
        allowFailure: true,
      });
    for (let i = 0; i < 2; i++) {
      const r = await install();
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^error: cannot perform the following tasks:\n- Download snap "microk8s" \(\d+\) from channel "1\.28\/stable" \(received an unexpected http response code \(502\)/,
      );
    }
    expect((await install()).code).toBe(0);
    const changes = await bed.exec(['snap', 'changes'], { user: 'runner' });
    expect(changes.stdout.match(/Error .*Install "microk8s" snap/g)).toHaveLength(2);
  });

  it('install the legacy registry mirrors on MicroK8s 1.22 and no certs.d', async () => {
    const bed = await Bed.start({ docker: false });
    beds.push(bed);
    await bed.exec(['sudo', 'snap', 'install', 'microk8s', '--classic', '--channel=1.22/stable'], {
      user: 'runner',
    });
    const template = (await bed.readFile(
      '/var/snap/microk8s/current/args/containerd-template.toml',
    ))!.toString();
    expect(template).toContain(
      '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."localhost:32000"]',
    );
    expect(template).not.toContain('config_path');
    expect(await bed.readFile('/var/snap/microk8s/current/args/certs.d')).toBeNull();
    await bed.exec([...MICROK8S_CTR, 'version'], { user: 'runner' });
  });

  it('warn that --classic is ignored on a strict track', async () => {
    const bed = await Bed.start({ docker: false });
    beds.push(bed);
    const r = await bed.exec(
      ['sudo', 'snap', 'install', 'microk8s', '--classic', '--channel=1.33-strict/stable'],
      { user: 'runner' },
    );
    expect(r.stderr).toContain(
      'Warning: flag --classic ignored for strictly confined snap microk8s',
    );
    expect(r.stdout).toBe('microk8s (1.33-strict/stable) v1.33.5 from Canonical** installed\n');
  });
});
