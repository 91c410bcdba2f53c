import * as fs from 'node:fs';
import { Bed } from '../bed/bed.js';

/** GITHUB_WORKSPACE of the bed's runner: relative input paths resolve against it. */
export const WORKSPACE = '/home/runner/work/setup-microk8s/setup-microk8s';

/** Files checked out into the workspace, owned by `runner` as actions/checkout leaves them. */
export async function checkout(bed: Bed, files: Record<string, string | Buffer>): Promise<void> {
  for (const [file, data] of Object.entries(files)) {
    await bed.writeFile(`${WORKSPACE}/${file}`, data, file.endsWith('busybox') ? 0o755 : 0o644);
  }
  await bed.exec(['chown', '-R', 'runner:runner', '/home/runner/work']);
}

/** A build context: FROM scratch + busybox-static; `mark` makes its image distinct. */
export function buildContext(dir: string, mark = dir): Record<string, string | Buffer> {
  return {
    [`${dir}/Dockerfile`]:
      'FROM scratch\nCOPY busybox /bin/busybox\nCOPY mark /mark\nCMD ["/bin/busybox", "sleep", "3600"]\n',
    [`${dir}/busybox`]: fs.readFileSync('/bin/busybox'),
    [`${dir}/mark`]: `${mark}\n`,
  };
}

/** The article's nginx Deployment, with the image given. */
export function nginxDeployment(image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: ${image}
        ports:
        - containerPort: 80
`;
}
