import * as fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Bed } from '../bed/bed.js';
import {
  MICROK8S,
  dockerInspect,
  errorOf,
  imagesOf,
  kubectlJson,
  log,
  nodeImages,
  reportOf,
} from './step.js';
import { buildContext, checkout, nginxDeployment } from './workspace.js';

// The article's workflows end to end on the emulated runner: real dockerd, real containerd for
// the node (its kubelet emulated, pulling through it), real registries. Every assertion reads an
// effect outside the action: the output JSON against `docker inspect` and the node's containerd,
// the calls the MicroK8s double received, the cluster's objects, the step's failure message.

let bed: Bed | undefined;
afterEach(async () => {
  await bed?.stop();
  bed = undefined;
});

/** Probe pods still alive in the action's namespace. */
async function probePods(b: Bed): Promise<string[]> {
  const r = await b.exec(
    [MICROK8S, 'kubectl', '-n', 'setup-microk8s', 'get', 'pods', '-o', 'json'],
    {
      allowFailure: true,
    },
  );
  if (r.code !== 0) return [];
  return (
    JSON.parse(r.stdout) as {
      items: Array<{ metadata: { name: string; deletionTimestamp?: string } }>;
    }
  ).items
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => p.metadata.name);
}

const imports = async (b: Bed) =>
  (await b.calls('microk8s')).filter((c) => c.argv.slice(0, 3).join(' ') === 'ctr image import');

describe('the article workflows', () => {
  it('side-loads a locally built mynginx:local and deploys the article nginx Deployment from manifests', async () => {
    bed = await Bed.start();
    await checkout(bed, {
      ...buildContext('app'),
      'k8s/nginx-deployment.yaml': nginxDeployment('mynginx:local'),
    });
    const main = await bed.runMain({
      build: 'mynginx:local=app',
      manifests: 'k8s/nginx-deployment.yaml',
    });
    expect(main.exitCode, log(main)).toBe(0);

    const id = await dockerInspect(bed, 'mynginx:local', '{{.Id}}');
    expect(imagesOf(main)).toEqual([
      {
        image: 'mynginx:local',
        method: 'side-load',
        ref: 'docker.io/library/mynginx:local',
        digest: id,
        verified: true,
      },
    ]);
    // One `docker save | ctr import` for the node's platform only.
    const calls = await imports(bed);
    expect(calls.map((c) => c.argv.join(' '))).toEqual([
      'ctr image import --platform linux/amd64 -',
    ]);
    expect(calls[0].uid).toBe(0);
    expect((await nodeImages(bed)).has('docker.io/library/mynginx:local')).toBe(true);

    const deploy = await kubectlJson(bed, 'get', 'deployment', 'nginx-deployment');
    expect(deploy.status?.availableReplicas).toBe(1);
    expect(await probePods(bed)).toEqual([]);
    expect(main.annotations.filter((a) => a.level === 'warning')).toEqual([]);
  });

  it('pushes localhost:32000/mynginx:registry to the built-in registry, and the node pulls that digest', async () => {
    bed = await Bed.start();
    await checkout(bed, buildContext('app'));
    const main = await bed.runMain({
      registry: 'true',
      build: 'localhost:32000/mynginx:registry=app',
    });
    expect(main.exitCode, log(main)).toBe(0);

    const [out] = imagesOf(main);
    expect(out).toMatchObject({
      image: 'localhost:32000/mynginx:registry',
      method: 'push',
      verified: true,
    });
    expect(
      await dockerInspect(bed, 'localhost:32000/mynginx:registry', '{{json .RepoDigests}}'),
    ).toContain(`localhost:32000/mynginx@${out.digest}`);
    // The kubelet pulled it from the registry: the node's containerd has it under that digest.
    expect((await nodeImages(bed)).get('localhost:32000/mynginx:registry')).toBe(out.digest);
    expect(await imports(bed)).toEqual([]);
  });

  it('pushes to a plain-HTTP registry on another host (10.141.241.175:32000) listed in insecure-registries', async () => {
    bed = await Bed.start();
    const reg = await bed.startRegistry({
      name: 'vm',
      netnsHost: { ip: '10.141.241.175', port: 32000 },
    });
    expect(reg.host).toBe('10.141.241.175:32000');
    await checkout(bed, buildContext('app'));
    const main = await bed.runMain({
      'insecure-registries': reg.host,
      build: `${reg.host}/mynginx:registry=app`,
    });
    expect(main.exitCode, log(main)).toBe(0);

    const [out] = imagesOf(main);
    expect(out).toMatchObject({
      method: 'push',
      ref: `${reg.host}/mynginx:registry`,
      verified: true,
    });
    expect((await nodeImages(bed)).get(`${reg.host}/mynginx:registry`)).toBe(out.digest);
  });

  it('pushes to a private TLS registry with credentials, and the probe pulls it with the pull secret', async () => {
    bed = await Bed.start();
    const reg = await bed.startRegistry({
      name: 'private',
      netnsHost: { ip: '10.141.241.180', port: 5000, hostname: 'registry.example.com' },
      tls: true,
      htpasswd: { user: 'ci', password: 's3cret-pw' },
    });
    await checkout(bed, buildContext('app'));
    const main = await bed.runMain({
      'registry-server': reg.host,
      'registry-ca': reg.caPath!,
      'registry-username': 'ci',
      'registry-password': 's3cret-pw',
      build: `${reg.host}/team/mynginx:1.0=app`,
    });
    expect(main.exitCode, log(main)).toBe(0);

    const [out] = imagesOf(main);
    expect(out).toMatchObject({
      method: 'push',
      ref: `${reg.host}/team/mynginx:1.0`,
      verified: true,
    });
    expect((await nodeImages(bed)).get(`${reg.host}/team/mynginx:1.0`)).toBe(out.digest);
    // The probe's namespace got its own copy of the secret; the password never reached a command line.
    const secret = await kubectlJson(
      bed,
      '-n',
      'setup-microk8s',
      'get',
      'secret',
      'setup-microk8s-registry',
    );
    expect(secret).toMatchObject({ type: 'kubernetes.io/dockerconfigjson' });
    expect((await bed.calls()).some((c) => c.argv.join(' ').includes('s3cret-pw'))).toBe(false);
  });
});

describe('side-loading', () => {
  it('sends several images in one stream, and does not send an image the node already has', async () => {
    bed = await Bed.start();
    await bed.buildImage('one:1.0');
    await bed.buildImage('two:1.0');
    const first = await bed.runMain({ images: 'one:1.0\ntwo:1.0' });
    expect(first.exitCode, log(first)).toBe(0);
    expect(await imports(bed)).toHaveLength(1);
    expect(imagesOf(first).map((i) => [i.ref, i.verified])).toEqual([
      ['docker.io/library/one:1.0', true],
      ['docker.io/library/two:1.0', true],
    ]);

    const again = await bed.runMain({ images: 'one:1.0\ntwo:1.0' });
    expect(again.exitCode, log(again)).toBe(0);
    expect(await imports(bed)).toHaveLength(1);
    expect(imagesOf(again)).toEqual(imagesOf(first));

    // Same name, new content: sent again, and only that one.
    const { id } = await bed.buildImage('two:1.0', { tag: 'rebuilt' });
    const third = await bed.runMain({ images: 'one:1.0\ntwo:1.0' });
    expect(third.exitCode, log(third)).toBe(0);
    const calls = await imports(bed);
    expect(calls).toHaveLength(2);
    expect(imagesOf(third)[1].digest).toBe(id);
  });
});

/** Host pids of the processes whose command line contains `words` (beds' containers included). */
function processesRunning(words: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ').includes(words);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('when something fails halfway', () => {
  it('a failed push keeps the image already side-loaded in the images output', async () => {
    bed = await Bed.start();
    // A TLS registry whose CA the action was not given: the push fails, permanently.
    const reg = await bed.startRegistry({
      name: 'private',
      netnsHost: { ip: '10.141.241.180', port: 5000, hostname: 'registry.example.com' },
      tls: true,
    });
    const { id } = await bed.buildImage('one:1.0');
    await bed.buildImage(`${reg.host}/two:1.0`);
    const main = await bed.runMain({
      'registry-server': reg.host,
      images: `one:1.0\n${reg.host}/two:1.0`,
    });
    expect(main.exitCode).toBe(1);
    expect(errorOf(main)).toMatch(
      /^Delivering images failed: docker push of registry\.example\.com:5000\/two:1\.0 failed: .*certificate/s,
    );
    expect(imagesOf(main)).toEqual([
      {
        image: 'one:1.0',
        method: 'side-load',
        ref: 'docker.io/library/one:1.0',
        digest: id,
        verified: false,
      },
    ]);
    expect((await nodeImages(bed)).has('docker.io/library/one:1.0')).toBe(true);
  });

  it('a failed install stops the builds still running instead of waiting for them', async () => {
    bed = await Bed.start({ faults: { neverReady: true } });
    // A build that runs for minutes; the number makes its process easy to find.
    const seconds = 600 + Math.floor(Math.random() * 300);
    const marker = `/bin/busybox sleep ${seconds}`;
    await checkout(bed, {
      'slow/Dockerfile': `FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sleep", "${seconds}"]\n`,
      'slow/busybox': fs.readFileSync('/bin/busybox'),
    });
    const started = Date.now();
    const running = bed.runMain({ build: 'slow:1.0=slow', timeout: '10' });
    // The build is under way (its RUN step sleeps) before the install gives up.
    await until('the build runs', () => processesRunning(marker).length > 0, 10_000);
    const main = await running;
    expect(main.exitCode).toBe(1);
    expect(errorOf(main)).toMatch(/^Waiting for the node to be ready failed/);
    expect(Date.now() - started).toBeLessThan(45_000);
    // The runner's Docker ends the build whose client went away.
    await until('the build stops', () => processesRunning(marker).length === 0, 20_000);
  });
});

describe('pull failures, each diagnosed from what really happened', () => {
  it('side-loaded :latest: warns, then fails on the pull policy, quoting the kubelet', async () => {
    bed = await Bed.start();
    await checkout(bed, buildContext('app'));
    const main = await bed.runMain({ build: 'mynginx:latest=app' });
    expect(main.exitCode).toBe(1);
    expect(
      main.annotations.some(
        (a) => a.level === 'warning' && /imagePullPolicy: Always/.test(a.message),
      ),
    ).toBe(true);
    const error = errorOf(main);
    expect(error).toMatch(/Failed to pull image "mynginx:latest"/);
    expect(error).toMatch(/side-loaded, but its tag is latest.*IfNotPresent/s);
    // It was loaded: the failure is the policy, not the delivery.
    expect((await nodeImages(bed)).has('docker.io/library/mynginx:latest')).toBe(true);
    expect(imagesOf(main)).toMatchObject([
      { image: 'mynginx:latest', method: 'side-load', verified: false },
    ]);
    const report = reportOf(main);
    expect(report.failure?.pod).toMatch(/^setup-microk8s\/probe-mynginx-latest-/);
    expect(report.failure?.events?.join('\n')).toMatch(/Failed to pull image "mynginx:latest"/);
    expect(report.failure?.diagnosis).toMatch(/tag is latest/);
    expect(await probePods(bed)).toEqual([]);
  });

  it('HTTPS to a plain-HTTP registry the node was not told about: insecure-registries', async () => {
    // The runner's Docker already trusts the registry (a self-hosted runner's daemon.json), so the
    // push works; the node's containerd was never told, so its pull speaks HTTPS.
    bed = await Bed.start({
      daemonJson: JSON.stringify({ 'insecure-registries': ['10.141.241.175:32000'] }),
    });
    const reg = await bed.startRegistry({
      name: 'vm',
      netnsHost: { ip: '10.141.241.175', port: 32000 },
    });
    await checkout(bed, buildContext('app'));
    const main = await bed.runMain({ build: `${reg.host}/mynginx:registry=app`, load: 'push' });
    expect(main.exitCode).toBe(1);
    const error = errorOf(main);
    expect(error).toMatch(/http: server gave HTTP response to HTTPS client/);
    expect(error).toMatch(/add 10\.141\.241\.175:32000 to insecure-registries/);
    expect(imagesOf(main)).toMatchObject([{ method: 'push', verified: false }]);
  });

  it('a push to a plain-HTTP registry the runner does not trust fails with the fix', async () => {
    bed = await Bed.start();
    const reg = await bed.startRegistry({
      name: 'vm',
      netnsHost: { ip: '10.141.241.175', port: 32000 },
    });
    await bed.buildImage(`${reg.host}/mynginx:registry`);
    const main = await bed.runMain({ images: `${reg.host}/mynginx:registry`, load: 'push' });
    expect(main.exitCode).toBe(1);
    const error = errorOf(main);
    expect(error).toMatch(/docker push of 10\.141\.241\.175:32000\/mynginx:registry failed/);
    expect(error).toMatch(/server gave HTTP response to HTTPS client/);
    expect(error).toMatch(/add 10\.141\.241\.175:32000 to insecure-registries/);
  });

  it('401: the runner was logged in by an earlier step, the cluster has no credentials', async () => {
    bed = await Bed.start();
    const reg = await bed.startRegistry({
      name: 'private',
      netnsHost: { ip: '10.141.241.180', port: 5000, hostname: 'registry.example.com' },
      tls: true,
      htpasswd: { user: 'ci', password: 's3cret-pw' },
    });
    // An earlier step (docker/login-action) trusted the CA and logged the runner's Docker in.
    await bed.writeFile(
      `/etc/docker/certs.d/${reg.host}/ca.crt`,
      (await bed.readFile(reg.caPath!))!,
    );
    await bed.exec(['docker', 'login', reg.host, '--username', 'ci', '--password-stdin'], {
      user: 'runner',
      input: 's3cret-pw',
    });
    await checkout(bed, buildContext('app'));
    const main = await bed.runMain({
      'registry-server': reg.host,
      'registry-ca': reg.caPath!,
      build: `${reg.host}/team/mynginx:1.0=app`,
    });
    expect(main.exitCode).toBe(1);
    const error = errorOf(main);
    expect(error).toMatch(/401 Unauthorized/);
    expect(error).toMatch(/registry-username and registry-password/);
    expect(imagesOf(main)).toMatchObject([{ method: 'push', verified: false }]);
  });

  it('not found: a manifest names a tag that was never pushed', async () => {
    bed = await Bed.start();
    await checkout(bed, {
      ...buildContext('app'),
      'k8s/nginx-deployment.yaml': nginxDeployment('localhost:32000/mynginx:typo'),
    });
    const main = await bed.runMain({
      registry: 'true',
      build: 'localhost:32000/mynginx:registry=app',
      manifests: 'k8s/nginx-deployment.yaml',
      'verify-timeout': '60',
    });
    expect(main.exitCode).toBe(1);
    const error = errorOf(main);
    expect(error).toMatch(/deployment\/nginx-deployment in default/);
    expect(error).toMatch(/Failed to pull image "localhost:32000\/mynginx:typo"/);
    expect(error).toMatch(/has no mynginx:typo: the tag was never pushed/);
    // The image the action pushed was verified; the typo is the manifest's.
    expect(imagesOf(main)).toMatchObject([
      { image: 'localhost:32000/mynginx:registry', verified: true },
    ]);
  });
});
