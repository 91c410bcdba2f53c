import { RetryPolicy, RunResult } from './host.js';
import { ImageRef, defaultPullPolicy } from './image-ref.js';
import { BuildSpec, Inputs } from './inputs.js';
import { BUILT_IN_REGISTRY } from './registries/builtin-registry.js';
import { ImageReport } from './state.js';

/**
 * Argument lists for docker and `microk8s ctr`, and readers of their output. Pure, so the exact
 * commands the action types are tested as data.
 */

export type DeliveryMethod = ImageReport['method'];

/** `docker build CONTEXT -t IMAGE`, exactly as the build input promises. */
export function buildArgs(spec: BuildSpec): string[] {
  return ['build', spec.context, '-t', spec.image.raw];
}

/**
 * The name to hand docker for one image. An untagged name means `:latest` to Kubernetes, but
 * `docker save repo` would save every tag of the repository: name the tag.
 */
export function dockerName(ref: ImageRef): string {
  return ref.tag ? ref.raw : `${ref.raw}:latest`;
}

/** `docker save A B C`: one archive, so layers the images share travel once. */
export function saveArgs(refs: ImageRef[]): string[] {
  return ['save', ...refs.map(dockerName)];
}

/**
 * The `ctr` platform of the node. This action's node is the runner itself, so its architecture
 * is the runner's (Node.js names it as process.arch; containerd as GOARCH).
 */
export function nodePlatform(arch: string = process.arch): string {
  const goarch: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  const a = goarch[arch];
  if (!a) throw new Error(`cannot side-load on a ${arch} runner: MicroK8s has no build for it`);
  return `linux/${a}`;
}

/**
 * `microk8s ctr image import --platform linux/amd64 -`: the node's platform only. An archive from
 * Docker's containerd image store lists every platform of a pulled image but holds the blobs of
 * one; importing the others fails with "content digest …: not found" (canonical/microk8s#3863).
 */
export function importArgs(platform: string): string[] {
  return ['ctr', 'image', 'import', '--platform', platform, '-'];
}

/** `docker push` of exactly the tag named (an untagged name means `:latest`). */
export function pushArgs(ref: ImageRef): string[] {
  return ['push', dockerName(ref)];
}

/** `docker image inspect` of one image: its ID and the digests registries gave it. */
export function inspectArgs(ref: ImageRef): string[] {
  return ['image', 'inspect', '--format', '{{json .Id}} {{json .RepoDigests}}', dockerName(ref)];
}

export interface DockerImage {
  id: string;
  repoDigests: string[];
}

export function parseInspect(stdout: string): DockerImage {
  const m = /^("[^"]*")\s+(.*)$/s.exec(stdout.trim());
  if (!m) throw new Error(`cannot read \`docker image inspect\` output: ${stdout.trim()}`);
  return {
    id: JSON.parse(m[1]) as string,
    repoDigests: (JSON.parse(m[2]) as string[] | null) ?? [],
  };
}

/** Network hiccups between the runner and a registry: another try can help. */
const PUSH_TRANSIENT = [
  /connection (reset|refused)/i,
  /i\/o timeout|TLS handshake timeout|timeout exceeded|deadline exceeded/i,
  /\bEOF\b/,
  /broken pipe/i,
  /no route to host|network is unreachable/i,
  /temporary failure in name resolution/i,
  /\b(500|502|503|504)\b|bad gateway|service unavailable|gateway time-?out/i,
  /too many requests|\b429\b/i,
];

/** What no retry fixes: trust, credentials, a missing tag. Checked first. */
const PUSH_PERMANENT = [
  /server gave HTTP response to HTTPS client/i,
  /x509|certificate/i,
  /unauthorized|authentication required|denied|forbidden|no basic auth credentials/i,
  /tag does not exist|no such image|An image does not exist locally/i,
];

export function pushRetryPolicy(deadline?: number): RetryPolicy {
  return {
    attempts: 5,
    initialDelayMs: 2_000,
    maxDelayMs: 20_000,
    factor: 2,
    deadline,
    transient: (r: RunResult) => {
      const text = `${r.stderr}\n${r.stdout}`;
      return (
        !PUSH_PERMANENT.some((re) => re.test(text)) && PUSH_TRANSIENT.some((re) => re.test(text))
      );
    },
  };
}

/** The manifest digest from `docker push` output: `1.0: digest: sha256:… size: 528`. */
export function parsePushDigest(stdout: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1];
}

/** The digest a registry gave `ref`, from `docker image inspect`'s RepoDigests. */
export function repoDigestFor(ref: ImageRef, repoDigests: string[]): string | undefined {
  const repo = dockerName(ref).replace(/:[^:/]+$/, '');
  return repoDigests.find((d) => d.startsWith(`${repo}@`))?.split('@')[1];
}

/**
 * How an image reaches the node. `auto` pushes an image whose registry the cluster pulls from
 * (the built-in one, an insecure-registries entry, registry-server) and side-loads the rest.
 */
export function deliveryMethod(
  ref: ImageRef,
  inputs: Pick<Inputs, 'load' | 'insecureRegistries' | 'registryServer'>,
): DeliveryMethod {
  if (inputs.load !== 'auto') return inputs.load;
  const registry = ref.registry.toLowerCase();
  const known = [
    BUILT_IN_REGISTRY,
    ...inputs.insecureRegistries.map((r) => r.address),
    ...(inputs.registryServer ? [inputs.registryServer.address] : []),
  ].map((r) => r.toLowerCase());
  return known.includes(registry) ? 'push' : 'side-load';
}

/**
 * A side-loaded image that Kubernetes pulls on every start (no tag, or `latest`, means
 * imagePullPolicy: Always) fails to start: the kubelet asks the registry, which never had it.
 */
export function latestWarning(ref: ImageRef): string | undefined {
  if (defaultPullPolicy(ref) !== 'Always') return undefined;
  const name = dockerName(ref).replace(/:latest$/, '');
  return `'${ref.raw}' is side-loaded with the tag latest${ref.tag ? '' : ' (no tag means latest)'}: Kubernetes gives such an image imagePullPolicy: Always and pulls it from ${ref.registry} on every start, which fails because the image exists only on the node. Give it a version tag (e.g. ${name}:1.0, in build/images and in your manifests), or set imagePullPolicy: IfNotPresent on its containers.`;
}

/** One row of `ctr images ls`: REF TYPE DIGEST SIZE PLATFORMS LABELS. */
export interface CtrImage {
  ref: string;
  mediaType: string;
  digest: string;
}

export function parseCtrImages(stdout: string): CtrImage[] {
  return stdout
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && /^sha256:[0-9a-f]{64}$/.test(f[2]))
    .map(([ref, mediaType, digest]) => ({ ref, mediaType, digest }));
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export type ManifestContent =
  { kind: 'index'; manifests: Descriptor[] } | { kind: 'manifest'; config: string };

/** Reads a manifest or an index that `ctr content get` printed. */
export function parseManifest(text: string): ManifestContent {
  const doc = JSON.parse(text) as { manifests?: Descriptor[]; config?: Descriptor };
  if (Array.isArray(doc.manifests)) return { kind: 'index', manifests: doc.manifests };
  if (doc.config?.digest) return { kind: 'manifest', config: doc.config.digest };
  throw new Error('neither an image manifest nor an index');
}

/** The entry of an index for `platform` (`linux/amd64`, `linux/arm/v7`). */
export function manifestFor(manifests: Descriptor[], platform: string): string | undefined {
  const [os, architecture, variant] = platform.split('/');
  return manifests.find(
    (m) =>
      m.platform?.os === os &&
      m.platform.architecture === architecture &&
      (variant === undefined || m.platform.variant === variant),
  )?.digest;
}
