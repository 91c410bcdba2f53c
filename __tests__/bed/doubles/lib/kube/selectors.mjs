// Label selectors (string and LabelSelector forms) and field selectors.

export class SelectorError extends Error {}

/** Parses `a=b,c!=d,e in (x,y),!f,g` into requirement predicates. */
export function parseLabelSelector(s) {
  const reqs = [];
  const parts = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '' || parts.length) parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    if (!p) throw new SelectorError(`unable to parse requirement: found '', expected: identifier`);
    let m;
    if ((m = /^([^\s!=<>()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) {
      const values = m[3].split(',').map((x) => x.trim());
      const [key, op] = [m[1], m[2]];
      reqs.push((l) =>
        op === 'in' ? key in l && values.includes(l[key]) : !(key in l) || !values.includes(l[key]),
      );
    } else if ((m = /^([^\s!=<>()]+)\s*(==|=|!=)\s*([^\s!=<>()]*)$/.exec(p))) {
      const [key, op, value] = [m[1], m[2], m[3]];
      reqs.push((l) => (op === '!=' ? l[key] !== value : l[key] === value));
    } else if ((m = /^!\s*([^\s!=<>()]+)$/.exec(p))) {
      const key = m[1];
      reqs.push((l) => !(key in l));
    } else if ((m = /^([^\s!=<>()]+)$/.exec(p))) {
      const key = m[1];
      reqs.push((l) => key in l);
    } else {
      throw new SelectorError(`unable to parse requirement: ${p}`);
    }
  }
  return (labels) => reqs.every((r) => r(labels ?? {}));
}

export function matchLabelSelector(sel, labels) {
  if (!sel) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    if (e.operator === 'In' && !(has && e.values.includes(l[e.key]))) return false;
    if (e.operator === 'NotIn' && has && e.values.includes(l[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

const FIELDS = {
  pods: [
    'metadata.name',
    'metadata.namespace',
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  events: [
    'metadata.name',
    'metadata.namespace',
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  secrets: ['metadata.name', 'metadata.namespace', 'type'],
  namespaces: ['metadata.name', 'status.phase'],
  nodes: ['metadata.name', 'spec.unschedulable'],
};

function get(o, p) {
  if (p === 'source') return o.source?.component;
  return p.split('.').reduce((x, k) => (x == null ? undefined : x[k]), o);
}

/** A field selector predicate, or throws the API server's "field label not supported". */
export function parseFieldSelector(s, plural) {
  const allowed = FIELDS[plural] ?? ['metadata.name', 'metadata.namespace'];
  const reqs = s
    .split(',')
    .filter((x) => x.trim())
    .map((p) => {
      const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(p.trim());
      if (!m) throw new SelectorError(`invalid selector: '${s}'; can't understand '${p}'`);
      const [field, op, value] = [m[1], m[2], m[3]];
      if (!allowed.includes(field)) {
        const e = new SelectorError(`field label not supported: ${field}`);
        e.badField = true;
        throw e;
      }
      return (o) => {
        const v = get(o, field);
        const str = v === undefined || v === null ? '' : String(v);
        return op === '!=' ? str !== value : str === value;
      };
    });
  return (o) => reqs.every((r) => r(o));
}
