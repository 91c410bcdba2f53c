/**
 * Image references, normalised the way Docker and Kubernetes read them
 * (github.com/distribution/reference): `mynginx:local` is `docker.io/library/mynginx:local`.
 */
export interface ImageRef {
  /** As the user wrote it. */
  raw: string;
  /** Registry host[:port]; `docker.io` when the reference names none. */
  registry: string;
  /** Repository path inside the registry, with `library/` for official Docker Hub images. */
  repository: string;
  tag?: string;
  digest?: string;
  /** `registry/repository[:tag][@digest]`, the form containerd stores. */
  normalized: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;

export class ImageRefError extends Error {}

export function parseImageRef(raw: string): ImageRef {
  const fail = (why: string): never => {
    throw new ImageRefError(
      `'${raw}' is not a valid image reference: ${why}. Expected [registry/]name[:tag][@digest], e.g. mynginx:1.0 or localhost:32000/mynginx:registry`,
    );
  };
  if (raw === '' || /\s/.test(raw)) fail('it is empty or contains white space');
  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`the digest '${digest}' is not algorithm:hex`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`the tag '${tag}' has characters a tag cannot have`);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  const first = parts[0];
  if (
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z]/.test(first))
  ) {
    if (!HOST.test(first)) fail(`the registry '${first}' is not host[:port]`);
    const port = first.match(/:(\d+)$/)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
      fail(`the port ${port} is outside 1-65535`);
    registry = first;
    parts.shift();
  }
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) {
    fail('a name component is empty or not lowercase letters, digits and separators');
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  const normalized = `${registry}/${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  return { raw, registry, repository, tag, digest, normalized };
}

/**
 * The pull policy Kubernetes gives a container that does not set one: `Always` for `:latest`
 * and for no tag at all (unless pinned by digest), `IfNotPresent` otherwise.
 * https://kubernetes.io/docs/concepts/containers/images/#imagepullpolicy-defaulting
 */
export function defaultPullPolicy(ref: ImageRef): 'Always' | 'IfNotPresent' {
  if (ref.digest) return 'IfNotPresent';
  return !ref.tag || ref.tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** The normalised reference with the implicit `:latest` made explicit, as containerd names images. */
export function storedName(ref: ImageRef): string {
  return ref.tag || ref.digest ? ref.normalized : `${ref.normalized}:latest`;
}

/** Why an image cannot be delivered as asked, or undefined when it can. */
export function deliveryProblem(ref: ImageRef): string | undefined {
  if (ref.digest) {
    return `'${ref.raw}' is pinned by digest, but docker saves and pushes images by tag: name the tag instead, e.g. ${ref.registry === 'docker.io' ? '' : `${ref.registry}/`}${ref.repository.replace(/^library\//, '')}:1.0`;
  }
  return undefined;
}
