// Status conditions as the controllers keep them, and the pod predicates they share.

/** Replaces the condition of c's type; lastTransitionTime stays while its status does. */
export function setCondition(conds, c, now) {
  const prev = conds.find((x) => x.type === c.type);
  const next = {
    ...c,
    lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now,
  };
  if ('lastUpdateTime' in c || prev?.lastUpdateTime) {
    next.lastUpdateTime =
      prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message
        ? prev.lastUpdateTime
        : now;
  }
  const out = conds.filter((x) => x.type !== c.type);
  const idx = conds.findIndex((x) => x.type === c.type);
  out.splice(idx === -1 ? out.length : idx, 0, next);
  return out;
}

export const isPodReady = (p) =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export const isTerminal = (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
