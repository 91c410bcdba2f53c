import { createHash } from 'node:crypto';
import { ImageRef, defaultPullPolicy } from './image-ref.js';

/** The action's own namespace: probe pods never mix with the user's workloads. */
export const PROBE_NAMESPACE = 'setup-microk8s';

const LABELS = {
  'app.kubernetes.io/managed-by': 'setup-microk8s',
  'app.kubernetes.io/component': 'image-probe',
};

export function namespaceManifest(namespace: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace, labels: { 'app.kubernetes.io/managed-by': 'setup-microk8s' } },
  };
}

/**
 * A DNS-1123 name that says which image the pod probes and stays unique per reference:
 * `probe-mynginx-local-3f2a9c1d`.
 */
export function probePodName(ref: ImageRef): string {
  const hash = createHash('sha256').update(ref.normalized).digest('hex').slice(0, 8);
  const last = ref.repository.split('/').pop() ?? 'image';
  const slug = `${last}-${ref.tag ?? 'latest'}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `probe-${slug}-${hash}`;
}

/**
 * A pod that asks the kubelet for one image exactly as a user's pod would: the pull policy
 * Kubernetes gives that reference (set here, so it shows in the pod), the pull secret when there
 * is one. restartPolicy Never: whether the entrypoint runs does not matter, only the pull.
 */
export function probePodManifest(ref: ImageRef, namespace: string, secret?: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: probePodName(ref),
      namespace,
      labels: LABELS,
      annotations: { 'setup-microk8s/image': ref.raw },
    },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'probe', image: ref.raw, imagePullPolicy: defaultPullPolicy(ref) }],
      ...(secret ? { imagePullSecrets: [{ name: secret }] } : {}),
    },
  };
}

/** Several objects for one `kubectl apply -f -`: JSON documents in a YAML stream. */
export function applyDocuments(objects: object[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n---\n') + '\n';
}
