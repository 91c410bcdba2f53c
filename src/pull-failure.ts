import { ImageRef, defaultPullPolicy } from './image-ref.js';
import { DeliveryMethod, dockerName } from './image-commands.js';

/** Container waiting reasons that mean the kubelet could not get the image. */
export const PULL_FAILURE_REASONS = [
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
] as const;

/** Not a kubelet reason: the image was not reported pulled within verify-timeout. */
export const TIMEOUT_REASON = 'Timeout';

interface Case {
  message: string;
  reason: string;
  ref: ImageRef;
  /** How the action delivered the image; undefined when it did not deliver it. */
  method?: DeliveryMethod;
}

interface Rule {
  when(c: Case): boolean;
  diagnosis(c: Case): string;
}

const test = (re: RegExp) => (c: Case) => re.test(c.message);

const HTTP_TO_HTTPS = /server gave HTTP response to HTTPS client/i;
const UNTRUSTED_CERT =
  /x509|certificate signed by unknown authority|tls: failed to verify certificate|certificate is not trusted/i;
const UNAUTHORIZED =
  /\b401\b|\b403\b|unauthorized|forbidden|authorization failed|pull access denied|insufficient_scope|no basic auth credentials|authentication required/i;
const NOT_FOUND = /not found|manifest unknown|NotFound|name unknown/i;
const RATE_LIMITED = /\b429\b|too many requests|toomanyrequests/i;
const UNREACHABLE =
  /no such host|connection refused|no route to host|network is unreachable|i\/o timeout|dial tcp|connection reset|server misbehaving/i;

const plainName = (ref: ImageRef): string => dockerName(ref).replace(/:latest$/, '');

/**
 * From the most specific cause to the most general. A side-loaded `:latest` comes before the
 * registry's own answer: whatever the registry says, the fix is the tag or the pull policy.
 */
const RULES: Rule[] = [
  {
    when: (c) => c.reason === 'InvalidImageName',
    diagnosis: (c) =>
      `'${c.ref.raw}' is not an image reference the kubelet accepts. Fix the image name in the manifest: [registry/]name[:tag] in lowercase, e.g. ${plainName(c.ref)}:1.0.`,
  },
  {
    when: (c) => c.method === 'side-load' && defaultPullPolicy(c.ref) === 'Always',
    diagnosis: (c) =>
      `'${c.ref.raw}' was side-loaded, but ${c.ref.tag ? 'its tag is latest' : 'it has no tag, which means latest'}, so Kubernetes gives it imagePullPolicy: Always and the kubelet pulls it from ${c.ref.registry} instead of using the copy on the node. Fix: give the image a version tag (e.g. ${plainName(c.ref)}:1.0) in build/images and in your manifests, or set imagePullPolicy: IfNotPresent on its containers.`,
  },
  {
    when: (c) => c.reason === 'ErrImageNeverPull',
    diagnosis: (c) =>
      `The pod has imagePullPolicy: Never, and the node's containerd has no image named ${c.ref.normalized}. Fix: side-load exactly that reference (images: ${c.ref.raw} with load: side-load or auto), or let the kubelet pull it (imagePullPolicy: IfNotPresent).`,
  },
  {
    when: (c) => c.method === 'side-load' && c.reason !== TIMEOUT_REASON,
    diagnosis: (c) =>
      `'${c.ref.raw}' was side-loaded, but the node's containerd had no image named ${c.ref.normalized} when the pod started, so the kubelet tried ${c.ref.registry}: the image was never loaded under that name, or was removed since (e.g. by image garbage collection under disk pressure). Fix: side-load the reference the pod uses, with the same registry, name and tag; \`microk8s ctr images ls\` lists what the node has.`,
  },
  {
    when: test(HTTP_TO_HTTPS),
    diagnosis: (c) =>
      `${c.ref.registry} serves plain HTTP, but the node's containerd spoke HTTPS to it. Fix: add ${c.ref.registry} to insecure-registries, which writes certs.d/${c.ref.registry}/hosts.toml for containerd and trusts it in the runner's Docker.`,
  },
  {
    when: test(UNTRUSTED_CERT),
    diagnosis: (c) =>
      `The node's containerd does not trust the TLS certificate of ${c.ref.registry}. Fix: set registry-server: ${c.ref.registry} and registry-ca to the PEM bundle of the CA that signed it.`,
  },
  {
    when: test(RATE_LIMITED),
    diagnosis: (c) =>
      `${c.ref.registry} refused the pull with 429 Too Many Requests (the Docker Hub rate limit for anonymous pulls). Fix: pull with credentials (registry-server, registry-username, registry-password), or deliver the image yourself (images: ${c.ref.raw}).`,
  },
  {
    when: test(UNAUTHORIZED),
    diagnosis: (c) =>
      `${c.ref.registry} refused the pull (401/403): the cluster has no valid credentials for it${c.ref.registry === 'docker.io' ? ', or the repository does not exist' : ''}. Fix: set registry-server: ${c.ref.registry}, registry-username and registry-password, so the action creates the pull secret; if they are set, check them. A runner whose Docker was logged in by an earlier step can push while the cluster still cannot pull.`,
  },
  {
    when: test(NOT_FOUND),
    diagnosis: (c) =>
      `${c.ref.registry} has no ${c.ref.repository}:${c.ref.tag ?? 'latest'}: the tag was never pushed there (or was pushed under another name). Fix: deliver the image with this action (build or images, load: push or auto) under exactly the reference the pod uses, or correct the tag in the manifest.`,
  },
  {
    when: test(UNREACHABLE),
    diagnosis: (c) =>
      `The node cannot reach ${c.ref.registry}. Fix: check the registry's address and port${c.ref.registry === 'localhost:32000' ? ', and set registry: true so the built-in registry runs' : ', and that it is running and reachable from the runner'}.`,
  },
  {
    when: (c) => c.reason === TIMEOUT_REASON,
    diagnosis: (c) =>
      `The kubelet did not report '${c.ref.raw}' pulled within verify-timeout: the pull is slow, or the pod was never scheduled. Fix: read the pod's events above; raise verify-timeout for a large image.`,
  },
];

/**
 * What a kubelet pull failure means and how to fix it, from the kubelet's own event message,
 * the container's waiting reason (or TIMEOUT_REASON), the reference and how the action
 * delivered the image.
 */
export function diagnosePullFailure(
  eventMessage: string,
  reason: string,
  ref: ImageRef,
  method?: DeliveryMethod,
): string {
  const c: Case = { message: eventMessage, reason, ref, method };
  const rule = RULES.find((r) => r.when(c));
  return rule
    ? rule.diagnosis(c)
    : `The kubelet could not pull '${ref.raw}' (${reason}); its message above says why. \`microk8s ctr images ls\` lists what the node has.`;
}

/** What a failed `docker push` means and how to fix it, or '' when the tool's words must do. */
export function diagnosePushFailure(stderr: string, ref: ImageRef): string {
  const registry = ref.registry;
  if (HTTP_TO_HTTPS.test(stderr))
    return `${registry} serves plain HTTP, but the runner's Docker spoke HTTPS to it. Fix: add ${registry} to insecure-registries, which trusts it in the runner's Docker (daemon.json) and in the node's containerd.`;
  if (UNTRUSTED_CERT.test(stderr))
    return `The runner's Docker does not trust the TLS certificate of ${registry}. Fix: set registry-server: ${registry} and registry-ca to the PEM bundle of the CA that signed it.`;
  if (UNAUTHORIZED.test(stderr))
    return `${registry} refused the push: the runner's Docker has no valid credentials for it. Fix: set registry-server: ${registry}, registry-username and registry-password, or side-load the image instead (load: side-load).`;
  if (UNREACHABLE.test(stderr))
    return registry === 'localhost:32000'
      ? `Nothing answers on localhost:32000. Fix: set registry: true so the built-in registry runs, or side-load the image (load: side-load).`
      : `The runner cannot reach ${registry}. Fix: check the registry's address and port, and that it is running.`;
  return '';
}
