// Image references as github.com/distribution/reference parses them (ParseNormalizedNamed),
// plus the kubelet's and API server's uses of them: pull policy defaulting, default tag, and
// credential lookup in dockerconfigjson pull secrets.

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domain = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const name = `(?:${domain}/)?${pathComponent}(?:/${pathComponent})*`;
const REFERENCE = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);

export class ReferenceError extends Error {}

/** { domain, path, name, tag, digest } with docker.io/library defaults, or throws like Go. */
export function parseNormalizedNamed(s) {
  if (/^[a-f0-9]{64}$/.test(s)) {
    throw new ReferenceError(
      'invalid repository name (, cannot specify 64-byte hexadecimal strings)',
    );
  }
  let dom;
  let remainder;
  const i = s.indexOf('/');
  const first = i === -1 ? '' : s.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    dom = 'docker.io';
    remainder = s;
  } else {
    dom = first;
    remainder = s.slice(i + 1);
  }
  if (dom === 'index.docker.io') dom = 'docker.io';
  if (dom === 'docker.io' && !remainder.includes('/')) remainder = `library/${remainder}`;
  const repoPart = remainder.split(/[:@]/)[0];
  if (repoPart.toLowerCase() !== repoPart) {
    throw new ReferenceError(
      `invalid reference format: repository name (${repoPart}) must be lowercase`,
    );
  }
  const full = `${dom}/${remainder}`;
  const m = REFERENCE.exec(full);
  if (!m) {
    if (s === '') throw new ReferenceError('repository name must have at least one component');
    throw new ReferenceError('invalid reference format');
  }
  if (m[1].length > 255)
    throw new ReferenceError('repository name must not be more than 255 characters');
  return {
    domain: dom,
    path: remainder.slice(0, repoPart.length),
    name: m[1],
    tag: m[2] ?? '',
    digest: m[3] ?? '',
  };
}

/** k8s.io/kubernetes/pkg/util/parsers.ParseImageName: the tag is "latest" when none is given. */
export function parseImageName(image) {
  let r;
  try {
    r = parseNormalizedNamed(image);
  } catch (e) {
    throw new ReferenceError(`couldn't parse image name ${JSON.stringify(image)}: ${e.message}`);
  }
  const t = r.tag || (r.digest ? '' : 'latest');
  return { repo: r.name, tag: t, digest: r.digest };
}

/** SetDefaults_Container: an omitted imagePullPolicy is Always for :latest, else IfNotPresent. */
export function defaultPullPolicy(image) {
  try {
    return parseImageName(image).tag === 'latest' ? 'Always' : 'IfNotPresent';
  } catch {
    return 'IfNotPresent';
  }
}

/** The kubelet's applyDefaultImageTag: `busybox` becomes `busybox:latest`. */
export function applyDefaultImageTag(image) {
  const { tag, digest } = parseImageName(image);
  if (!digest && tag && !image.endsWith(`:${tag}`)) return `${image}:${tag}`;
  return image;
}

function schemeless(u) {
  const v = /^https?:\/\//.test(u) ? u : `https://${u}`;
  const url = new URL(v);
  return { host: url.hostname, port: url.port, path: url.pathname };
}

function hostsMatch(glob, target) {
  const g = glob.split('.');
  const t = target.split('.');
  if (g.length !== t.length) return false;
  return g.every((p, i) =>
    new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]*')}$`).test(t[i]),
  );
}

/** credentialprovider URLsMatchStr: the key's host (glob), port and path prefix match the image. */
function urlsMatch(key, image) {
  let g;
  let t;
  try {
    g = schemeless(key);
    t = schemeless(image);
  } catch {
    return false;
  }
  if (g.port !== t.port) return false;
  if (!hostsMatch(g.host, t.host)) return false;
  return t.path.startsWith(g.path === '/' ? '' : g.path);
}

/**
 * The credentials the kubelet's keyring finds for an image in dockerconfigjson secrets
 * (credentialprovider.BasicDockerKeyring), in the order it tries them.
 */
export function lookupCredentials(image, dockerConfigs) {
  let repo;
  try {
    repo = parseImageName(image).repo;
  } catch {
    return [];
  }
  const creds = new Map();
  for (const cfg of dockerConfigs) {
    for (const [loc, entry] of Object.entries(cfg.auths ?? cfg ?? {})) {
      let username = entry.username ?? '';
      let password = entry.password ?? '';
      if (entry.auth) {
        const dec = Buffer.from(entry.auth, 'base64').toString();
        const c = dec.indexOf(':');
        if (c > 0) {
          username = dec.slice(0, c);
          password = dec.slice(c + 1);
        }
      }
      let key;
      try {
        const p = schemeless(loc);
        let eff = p.path;
        if (eff.startsWith('/v2/') || eff.startsWith('/v1/')) eff = eff.slice(3);
        key = (p.port ? `${p.host}:${p.port}` : p.host) + (eff && eff !== '/' ? eff : '');
      } catch {
        continue;
      }
      if (!creds.has(key)) creds.set(key, []);
      creds.get(key).push({ username, password });
    }
  }
  const index = [...creds.keys()].sort().reverse();
  const out = index.filter((k) => urlsMatch(k, repo)).flatMap((k) => creds.get(k));
  if (out.length) return out;
  const [first, rest] = [repo.split('/')[0], repo.includes('/')];
  const isDefault =
    !rest || first === 'docker.io' || first === 'index.docker.io' || !/[.:]/.test(first);
  if (isDefault && creds.has('index.docker.io')) return creds.get('index.docker.io');
  return [];
}
