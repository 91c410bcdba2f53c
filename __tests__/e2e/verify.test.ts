import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_NODE, Bed } from '../bed/bed.js';
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
import { checkout, nginxDeployment } from './workspace.js';

// What the action proves after delivery, end to end on the emulated runner: the probe pods (or
// none, with verify: false), the verify-timeout, and the workloads from `manifests`, each read
// from the cluster, the node's containerd and the step's own message.

let bed: Bed | undefined;
afterEach(async () => {
  await bed?.stop();
  bed = undefined;
});

const PROBE_NAMESPACE = 'setup-microk8s';

/** The MicroK8s calls whose words name the probes' namespace or apply anything. */
async function probeCalls(b: Bed): Promise<string[]> {
  return (await b.calls('microk8s'))
    .map((c) => c.argv.join(' '))
    .filter((a) => a.includes(PROBE_NAMESPACE) || a.startsWith('kubectl apply'));
}

/**
 * A plain-HTTP front for a real registry that forwards everything but blob downloads, which it
 * accepts and never answers: a push goes through (docker push never GETs a blob), a pull stalls
 * after the manifest, as with a registry that hangs. Each stalled request is one line in `log`.
 */
const STALLING_PROXY = `
import fs from 'node:fs';
import http from 'node:http';
const [listen, upstream, log] = process.argv.slice(2);
const [uhost, uport] = upstream.split(':');
const [lhost, lport] = listen.split(':');
http
  .createServer((req, res) => {
    if (req.method === 'GET' && /\\/blobs\\/sha256:/.test(req.url)) {
      fs.appendFileSync(log, \`stalled \${req.method} \${req.url}\\n\`);
      return;
    }
    const out = http.request(
      { host: uhost, port: Number(uport), method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  })
  .listen(Number(lport), lhost, () => fs.appendFileSync(log, 'listening\\n'));
`;

async function startStallingProxy(b: Bed, listen: string, upstream: string): Promise<string> {
  const logFile = path.join(b.ctl, 'stalling-proxy.log');
  await b.writeFile('/run/stalling-proxy.mjs', STALLING_PROXY);
  await b.exec([
    '/bin/sh',
    '-c',
    'setsid "$0" /run/stalling-proxy.mjs "$1" "$2" /run/bed/stalling-proxy.log </dev/null >/run/bed/stalling-proxy.out 2>&1 &',
    ACTION_NODE,
    listen,
    upstream,
  ]);
  for (let i = 0; i < 100; i++) {
    if (fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').includes('listening'))
      return logFile;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the stalling proxy did not start: ${b.logTails()}`);
}

describe('verify', () => {
  it('verify: false delivers the images and starts no probe pod', async () => {
    bed = await Bed.start();
    await bed.buildImage('mynginx:1.0');
    const main = await bed.runMain({ images: 'mynginx:1.0', verify: 'false' });
    expect(main.exitCode, log(main)).toBe(0);

    expect(imagesOf(main)).toEqual([
      {
        image: 'mynginx:1.0',
        method: 'side-load',
        ref: 'docker.io/library/mynginx:1.0',
        digest: await dockerInspect(bed, 'mynginx:1.0', '{{.Id}}'),
        verified: false,
      },
    ]);
    expect((await nodeImages(bed)).has('docker.io/library/mynginx:1.0')).toBe(true);
    // No probe: nothing applied, the probes' namespace never made.
    expect(await probeCalls(bed)).toEqual([]);
    const ns = await bed.exec([MICROK8S, 'kubectl', 'get', 'namespace', PROBE_NAMESPACE], {
      allowFailure: true,
    });
    expect(ns.stderr).toMatch(/NotFound|not found/);
    expect(reportOf(main).phases.map((p) => p.name)).not.toContain(
      'Verifying that pods pull the images',
    );
  });

  it('a pull that stalls fails at verify-timeout, naming the image and the kubelet’s last word', async () => {
    bed = await Bed.start();
    const reg = await bed.startRegistry({ name: 'behind', address: '127.0.0.1:5000' });
    const proxyLog = await startStallingProxy(bed, '127.0.0.1:5001', reg.host);
    const image = '127.0.0.1:5001/mynginx:1.0';
    await bed.buildImage(image);
    const started = Date.now();
    const main = await bed.runMain({
      'insecure-registries': '127.0.0.1:5001',
      images: image,
      'verify-timeout': '5',
    });
    expect(main.exitCode).toBe(1);

    const error = errorOf(main);
    expect(error).toMatch(
      /The kubelet could not pull 1 of 1 delivered image \(verify-timeout: 5 s\):/,
    );
    expect(error).toContain(`${image} (pushed, pod ${PROBE_NAMESPACE}/probe-mynginx-1-0-`);
    expect(error).toContain(`Timeout: Pulling image "${image}"`);
    expect(error).toMatch(
      /did not report '127\.0\.0\.1:5001\/mynginx:1\.0' pulled within verify-timeout.*raise verify-timeout/s,
    );
    // The push went through and the node's pull really began: it hangs on the registry.
    expect(imagesOf(main)).toMatchObject([{ image, method: 'push', verified: false }]);
    expect(fs.readFileSync(proxyLog, 'utf8')).toMatch(/stalled GET \/v2\/mynginx\/blobs\/sha256:/);
    expect((await nodeImages(bed)).has(image)).toBe(false);
    const verifying = reportOf(main).phases.find(
      (p) => p.name === 'Verifying that pods pull the images',
    );
    expect(verifying).toMatchObject({ ok: false });
    expect(verifying!.seconds).toBeGreaterThanOrEqual(5);
    expect(verifying!.seconds).toBeLessThan(30);
    expect(Date.now() - started).toBeLessThan(90_000);
  });
});

describe('manifests', () => {
  it('ErrImageNeverPull: imagePullPolicy Never for an image the node does not have fails at once', async () => {
    bed = await Bed.start();
    await bed.buildImage('mynginx:1.0');
    // The manifest names a tag that was never side-loaded, and forbids the kubelet to pull it.
    const manifest = nginxDeployment('mynginx:1.1').replace(
      '        image: mynginx:1.1\n',
      '        image: mynginx:1.1\n        imagePullPolicy: Never\n',
    );
    expect(manifest).toContain('imagePullPolicy: Never');
    await checkout(bed, { 'k8s/nginx-deployment.yaml': manifest });
    const main = await bed.runMain({
      images: 'mynginx:1.0',
      manifests: 'k8s/nginx-deployment.yaml',
      'verify-timeout': '120',
    });
    expect(main.exitCode).toBe(1);

    const error = errorOf(main);
    expect(error).toMatch(/The kubelet could not pull the images of 1 workload:/);
    expect(error).toMatch(/mynginx:1\.1 \(deployment\/nginx-deployment in default, pod default\//);
    expect(error).toContain(
      'ErrImageNeverPull: Container image "mynginx:1.1" is not present with pull policy of Never',
    );
    expect(error).toContain(
      "The pod has imagePullPolicy: Never, and the node's containerd has no image named docker.io/library/mynginx:1.1",
    );
    expect(imagesOf(main)).toMatchObject([{ image: 'mynginx:1.0', verified: true }]);
    const node = await nodeImages(bed);
    expect(node.has('docker.io/library/mynginx:1.0')).toBe(true);
    expect(node.has('docker.io/library/mynginx:1.1')).toBe(false);
    // At once: the action did not sit out the 120 s verify-timeout.
    const applying = reportOf(main).phases.find((p) => p.name === 'Applying manifests');
    expect(applying).toMatchObject({ ok: false });
    expect(applying!.seconds).toBeLessThan(60);
  });

  it('waits for a StatefulSet to be ready and a Job to complete, from a folder', async () => {
    bed = await Bed.start();
    await bed.buildImage('mynginx:1.0');
    await checkout(bed, {
      'k8s/web.yaml': `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: None
  selector:
    app: web
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: mynginx:1.0
`,
      'k8s/migrate.yaml': `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: mynginx:1.0
        command: ["/bin/busybox", "true"]
`,
    });
    const main = await bed.runMain({ images: 'mynginx:1.0', manifests: 'k8s' });
    expect(main.exitCode, log(main)).toBe(0);

    // The action said so only after it had seen them done ...
    expect(main.stdout).toContain('statefulset/web in default: 2 of 2 pods ready');
    expect(main.stdout).toContain('job/migrate in default: 1 succeeded');
    // ... and the cluster agrees the moment the step ends.
    const sts = await kubectlJson(bed, 'get', 'statefulset', 'web');
    expect(sts.status).toMatchObject({ replicas: 2, readyReplicas: 2 });
    const job = await kubectlJson(bed, 'get', 'job', 'migrate');
    expect(job.status).toMatchObject({ succeeded: 1 });
    expect(job.status?.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Complete', status: 'True' })]),
    );
  });
});
