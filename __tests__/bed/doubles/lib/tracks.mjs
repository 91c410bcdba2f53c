// The snap store's view of MicroK8s, as far as the bed needs it: which channels exist, what each
// one installs (version, revision, containerd), and snapd's channel syntax.
//
// Versions and revisions are made up but shaped like the real ones. containerd versions come from
// build-scripts/components/containerd/version.sh on each canonical/microk8s branch (1.25+), and
// from the CONTAINERD_COMMIT in build-scripts/set-env-variables.sh on older branches.

export const SNAP_ID = 'EaXqgt1lyCaxKaQCU349mlodBkDCXRcg';
export const RISKS = ['stable', 'candidate', 'beta', 'edge'];

const FIRST_MINOR = 19;
const NEWEST_MINOR = 35; // latest/stable follows the newest track
const FIRST_STRICT_MINOR = 25;
const PATCH = {
  19: 16,
  20: 15,
  21: 14,
  22: 17,
  23: 17,
  24: 17,
  25: 16,
  26: 15,
  27: 16,
  28: 15,
  29: 15,
  30: 14,
  31: 13,
  32: 9,
  33: 5,
  34: 2,
  35: 0,
};
// Tracks still maintained get a newer patch on edge first.
const MAINTAINED_FROM = 33;

function containerdFor(minor) {
  if (minor <= 20) return 'v1.3.7';
  if (minor === 21) return 'v1.4.13';
  if (minor <= 24) return 'v1.5.13';
  if (minor <= 29) return 'v1.6.28';
  if (minor <= 34) return 'v1.7.29';
  if (minor === 35) return 'v2.1.6';
  return 'v2.2.3'; // master, i.e. latest/edge
}

function baseRevision(minor) {
  return 1700 + (minor - FIRST_MINOR) * 420;
}

/**
 * What installing `track/risk` gives, or null when the store has no such channel.
 * `track` is 'latest', '1.xx' or '1.xx-strict'.
 */
export function lookup(track, risk) {
  if (!RISKS.includes(risk)) return null;
  if (track === 'latest') {
    if (risk === 'edge') return release('latest', risk, 36, 1, 9001, false);
    const rel = lookup(`1.${NEWEST_MINOR}`, risk);
    return { ...rel, track: 'latest', channel: `latest/${risk}` };
  }
  const m = /^1\.(\d+)(-strict)?$/.exec(track);
  if (!m) return null;
  const minor = Number(m[1]);
  const strict = Boolean(m[2]);
  if (minor < FIRST_MINOR || minor > NEWEST_MINOR) return null;
  if (strict && minor < FIRST_STRICT_MINOR) return null;
  const edgeAhead = risk === 'edge' && minor >= MAINTAINED_FROM;
  const revision = baseRevision(minor) + (strict ? 2 : 0) + (edgeAhead ? 3 : 0);
  return release(track, risk, minor, PATCH[minor] + (edgeAhead ? 1 : 0), revision, strict);
}

function release(track, risk, minor, patch, revision, strict) {
  return {
    channel: `${track}/${risk}`,
    track,
    risk,
    version: `v1.${minor}.${patch}`,
    minor: `1.${minor}`,
    revision,
    containerd: containerdFor(minor),
    strict,
    confinement: strict ? 'strict' : 'classic',
  };
}

/** Every track the store lists, in `snap info` order: latest, then newest first, strict last. */
export function tracks() {
  const out = ['latest'];
  for (let minor = NEWEST_MINOR; minor >= FIRST_MINOR; minor--) out.push(`1.${minor}`);
  for (let minor = NEWEST_MINOR; minor >= FIRST_STRICT_MINOR; minor--)
    out.push(`1.${minor}-strict`);
  return out;
}

/**
 * snapd's channel syntax: `risk`, `track`, `track/risk`, `risk/branch`, `track/risk/branch`.
 * Returns { track, risk, branch } or { error } with snapd's wording.
 */
export function parseChannel(channel) {
  const parts = channel.split('/');
  const invalid = { error: `invalid channel name: ${JSON.stringify(channel)}` };
  if (parts.some((p) => p === '') || parts.length > 3) return invalid;
  let track = 'latest';
  let risk = 'stable';
  let branch = '';
  if (parts.length === 1) {
    if (RISKS.includes(parts[0])) risk = parts[0];
    else track = parts[0];
  } else if (parts.length === 2) {
    if (RISKS.includes(parts[0])) [risk, branch] = parts;
    else [track, risk] = parts;
  } else {
    [track, risk, branch] = parts;
  }
  if (!RISKS.includes(risk)) return { error: `invalid risk in channel name: ${channel}` };
  return { track, risk, branch };
}
