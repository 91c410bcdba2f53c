import { expect, it } from 'vitest';
import { Bed } from '../bed/bed.js';
import { buildContext, checkout, nginxDeployment } from '../e2e/workspace.js';

// What `npm run demo` shows a newcomer: the bundled action on the emulated runner, building one
// image that is side-loaded and one that is pushed to the built-in registry, proving the kubelet
// pulls both, then deploying the article's nginx Deployment.

const say = (text: string) => process.stdout.write(`${text}\n`);
const banner = (title: string) => say(`\n\x1b[1m==> ${title}\x1b[0m`);

const INPUTS = {
  registry: 'true',
  build: 'mynginx:1.0=app\nlocalhost:32000/mynginx:registry=app',
  manifests: 'k8s/nginx-deployment.yaml',
};

it('runs the action with a side-loaded image and a pushed image', async () => {
  banner('Starting the emulated runner (own namespaces, dockerd, containerd; MicroK8s emulated)');
  const bed = await Bed.start();
  try {
    say(`started in ${bed.startupMs} ms`);
    await checkout(bed, {
      ...buildContext('app'),
      'k8s/nginx-deployment.yaml': nginxDeployment('mynginx:1.0'),
    });
    banner(
      `Main step, with:\n${Object.entries(INPUTS)
        .map(([k, v]) => `  ${k}: ${v.replace(/\n/g, '\n    ')}`)
        .join('\n')}`,
    );
    const main = await bed.runMain(INPUTS);
    say(main.stdout.trimEnd());
    if (main.stderr.trim()) say(main.stderr.trimEnd());
    banner('Outputs');
    for (const [k, v] of Object.entries(main.outputs)) say(`${k}: ${v}`);
    banner('images, read');
    for (const i of JSON.parse(main.outputs.images || '[]') as Array<Record<string, unknown>>) {
      say(
        `  ${String(i.image).padEnd(34)} ${String(i.method).padEnd(10)} verified: ${String(i.verified).padEnd(6)} ${String(i.digest)}`,
      );
    }
    banner('What the node has (microk8s ctr images ls)');
    say((await bed.exec(['/snap/bin/microk8s', 'ctr', 'images', 'ls', '-q'])).stdout.trimEnd());
    banner('kubectl get deployment nginx-deployment (as the runner, with the exported KUBECONFIG)');
    say(
      (
        await bed.exec(['kubectl', 'get', 'deployment', 'nginx-deployment', '-o', 'wide'], {
          user: 'runner',
          env: { KUBECONFIG: main.env.KUBECONFIG ?? '/home/runner/.kube/config' },
          allowFailure: true,
        })
      ).stdout.trimEnd(),
    );
    const post = await bed.runPost();
    banner('Job summary');
    say((main.summary + post.summary).trimEnd() || '(empty)');
    expect(main.exitCode).toBe(0);
  } finally {
    await bed.stop();
    banner('Stopped the emulated runner');
  }
});
