// How the kubelet gets a container's image, as pkg/kubelet/images does: pull policy, presence
// through CRI ImageStatus, PullImage through containerd's CRI plugin with the credentials of the
// pod's imagePullSecrets, back-off; its events and waiting reasons. The addons' images (on
// Docker Hub, which the bed cannot reach) come "from the store" instead.
import crypto from 'node:crypto';
import {
  parseImageName,
  applyDefaultImageTag,
  defaultPullPolicy,
  lookupCredentials,
  ReferenceError,
} from './imageref.mjs';
import { sleep } from './env.mjs';

const BACKOFF_STEPS_MS = [1000, 2000, 4000, 8000, 10_000];

/** Go's time.Duration String() of a millisecond count (already truncated to ms). */
function goDuration(ms) {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number(s.toFixed(3))}s`;
  if (h) return `${h}h${m}m${sec}`;
  if (m) return `${m}m${sec}`;
  return sec;
}

const pulled = (image, took, size) =>
  `Successfully pulled image ${JSON.stringify(image)} in ${goDuration(took)} (${goDuration(took)} including waiting). Image size: ${size} bytes.`;

/** The docker configs of the pod's imagePullSecrets. */
function pullSecrets(store, pod) {
  const out = [];
  for (const ref of pod.spec.imagePullSecrets ?? []) {
    const s = store.getRaw('secrets', pod.metadata.namespace, ref.name);
    if (!s) continue;
    try {
      if (s.type === 'kubernetes.io/dockerconfigjson' && s.data?.['.dockerconfigjson']) {
        out.push(JSON.parse(Buffer.from(s.data['.dockerconfigjson'], 'base64').toString()));
      } else if (s.type === 'kubernetes.io/dockercfg' && s.data?.['.dockercfg']) {
        out.push({ auths: JSON.parse(Buffer.from(s.data['.dockercfg'], 'base64').toString()) });
      }
    } catch {
      // The real keyring skips secrets it cannot parse.
    }
  }
  return out;
}

/**
 * EnsureImageExists for container c (cs: its state) of the pod, on kubelet k.
 * Returns {ok: true, image} or {ok: false, retryMs} with the container's waiting state set.
 */
export async function ensureImage(k, pod, c, cs) {
  const spec = c.spec;
  const quoted = JSON.stringify(spec.image);
  /** A container that cannot start: its events (every 10 s at most) and waiting state. */
  const stuck = (key, reason, waiting, message, retryMs) => {
    if (k.due(cs, key, 10_000)) {
      k.event(pod, c, 'Warning', reason, message);
      k.event(pod, c, 'Warning', 'Failed', `Error: ${waiting}`);
    }
    cs.waiting = { reason: waiting, message };
    return { ok: false, retryMs };
  };
  const policy = spec.imagePullPolicy || defaultPullPolicy(spec.image);
  let image;
  try {
    image = applyDefaultImageTag(spec.image);
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    const msg = `Failed to apply default image tag ${quoted}: ${e.message}`;
    return stuck('invalid', 'InspectFailed', 'InvalidImageName', msg, 5000);
  }
  let present;
  try {
    present = await k.ctx.cri.imageStatus(image);
  } catch (e) {
    const msg = `Failed to inspect image ${quoted}: ${e.message}`;
    return stuck('inspect', 'InspectFailed', 'ImageInspectError', msg, 2000);
  }
  const mustPull = policy === 'Always' || (policy === 'IfNotPresent' && !present);
  if (policy === 'Never' || !mustPull) {
    if (present) {
      const msg =
        k.ctx.minor >= 35
          ? `Container image ${quoted} already present on machine and can be accessed by the pod`
          : `Container image ${quoted} already present on machine`;
      k.event(pod, c, 'Normal', 'Pulled', msg);
      return { ok: true, image: present };
    }
    const msg = `Container image ${quoted} is not present with pull policy of Never`;
    return stuck('never', 'ErrImageNeverPull', 'ErrImageNeverPull', msg, 1000);
  }
  // Back-off from earlier failed pulls of this image for this pod.
  const bo = cs.backoff;
  if (bo && Date.now() < bo.until) {
    const msg = `Back-off pulling image ${quoted}`;
    k.event(pod, c, 'Normal', 'BackOff', msg);
    k.event(pod, c, 'Warning', 'Failed', 'Error: ImagePullBackOff');
    cs.waiting = {
      reason: 'ImagePullBackOff',
      message: bo.prevMsg ? `${msg}: ${bo.prevMsg}` : msg,
    };
    return { ok: false, retryMs: Math.max(200, bo.until - Date.now()) };
  }
  k.event(pod, c, 'Normal', 'Pulling', `Pulling image ${quoted}`);
  const start = Date.now();
  const creds = lookupCredentials(image, pullSecrets(k.store, pod));
  const errors = [];
  let ref = null;
  for (const auth of creds.length ? creds : [null]) {
    try {
      ref = await k.ctx.cri.pullImage(
        image,
        auth ? { username: auth.username, password: auth.password } : undefined,
      );
      break;
    } catch (e) {
      errors.push(e.message);
    }
  }
  if (!ref) {
    const err = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
    k.event(pod, c, 'Warning', 'Failed', `Failed to pull image ${quoted}: ${err}`);
    k.event(pod, c, 'Warning', 'Failed', 'Error: ErrImagePull');
    const step = cs.backoff ? Math.min(cs.backoff.step + 1, BACKOFF_STEPS_MS.length - 1) : 0;
    cs.backoff = {
      step,
      until: Date.now() + BACKOFF_STEPS_MS[step],
      prevMsg: `ErrImagePull: ${err}`,
    };
    cs.waiting = { reason: 'ErrImagePull', message: err };
    return { ok: false, retryMs: 500 };
  }
  cs.backoff = null;
  const took = Date.now() - start;
  let status = null;
  try {
    status = await k.ctx.cri.imageStatus(ref);
  } catch {
    status = null;
  }
  if (!cs.restarted)
    k.event(pod, c, 'Normal', 'Pulled', pulled(spec.image, took, status?.size ?? '0'));
  return { ok: true, image: status ?? { id: ref, repoTags: [], repoDigests: [] } };
}

/** The addons' images come "from the store": a short, always successful pull. */
export async function simulatedPull(k, pod, c, cs) {
  if (cs.simulatedPulled) return { ok: true, image: cs.simulatedPulled };
  const image = c.spec.image;
  if (cs.restarted)
    k.event(
      pod,
      c,
      'Normal',
      'Pulled',
      `Container image ${JSON.stringify(image)} already present on machine`,
    );
  else k.event(pod, c, 'Normal', 'Pulling', `Pulling image ${JSON.stringify(image)}`);
  const took = cs.restarted ? 0 : 300 + Math.floor(Math.random() * 400);
  await sleep(took);
  const digest = crypto.createHash('sha256').update(image).digest('hex');
  const size = 10_000_000 + (parseInt(digest.slice(0, 6), 16) % 40_000_000);
  let repo;
  let tagged = image;
  try {
    const { repo: r, tag, digest: d } = parseImageName(image);
    repo = r;
    tagged = d && !tag ? `${r}@${d}` : `${r}:${tag}`;
  } catch {
    repo = image;
  }
  k.event(pod, c, 'Normal', 'Pulled', pulled(image, took, size));
  cs.simulatedPulled = {
    id: `sha256:${crypto.createHash('sha256').update(`cfg:${image}`).digest('hex')}`,
    repoTags: [tagged],
    repoDigests: [`${repo}@sha256:${digest}`],
    size: String(size),
  };
  return { ok: true, image: cs.simulatedPulled };
}
