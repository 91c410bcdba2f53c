// kubectl's human-readable output: the table columns per resource (pkg/printers/internalversion)
// and HumanDuration ages.

export function humanDuration(ms) {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

export const age = (ts, now = Date.now()) =>
  ts ? humanDuration(now - Date.parse(ts)) : '<unknown>';

const joinOr = (arr, none = '<none>') => (arr.length ? arr.join(',') : none);

function selectorString(sel) {
  if (!sel) return '<none>';
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${e.values.join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${e.values.join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return joinOr(parts);
}

export const labelsString = (labels) =>
  joinOr(
    Object.keys(labels ?? {})
      .sort()
      .map((k) => `${k}=${labels[k]}`),
  );

const containersOf = (tpl) => (tpl?.spec?.containers ?? []).map((c) => c.name).join(',');
const imagesOf = (tpl) => (tpl?.spec?.containers ?? []).map((c) => c.image).join(',');

/** The STATUS column of `kubectl get pods` (printPod). */
export function podStatusReason(pod) {
  const st = pod.status ?? {};
  let reason = st.reason || st.phase || 'Pending';
  const initStatuses = st.initContainerStatuses ?? [];
  const initCount = pod.spec?.initContainers?.length ?? 0;
  let initializing = false;
  initStatuses.forEach((c, i) => {
    if (initializing) return;
    if (c.state?.terminated?.exitCode === 0) return;
    if (c.state?.terminated) {
      reason = c.state.terminated.reason
        ? `Init:${c.state.terminated.reason}`
        : `Init:ExitCode:${c.state.terminated.exitCode}`;
      initializing = true;
    } else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${c.state.waiting.reason}`;
      initializing = true;
    } else {
      reason = `Init:${i}/${initCount}`;
      initializing = true;
    }
  });
  if (!initializing) {
    let hasRunning = false;
    const cs = st.containerStatuses ?? [];
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i];
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
      else if (c.state?.terminated) {
        reason = c.state.terminated.signal
          ? `Signal:${c.state.terminated.signal}`
          : `ExitCode:${c.state.terminated.exitCode}`;
      } else if (c.state?.running && c.ready) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = (st.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = ready ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}

function servicePorts(s) {
  const ports = (s.spec?.ports ?? []).map((p) =>
    p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`,
  );
  return joinOr(ports);
}

function externalIP(s) {
  const type = s.spec?.type;
  const ext = s.spec?.externalIPs ?? [];
  if (type === 'LoadBalancer') {
    const ing = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname);
    const all = [...ing, ...ext];
    return all.length ? all.join(',') : '<pending>';
  }
  if (type === 'ExternalName') return s.spec.externalName;
  return joinOr(ext);
}

function jobStatus(j) {
  const conds = j.status?.conditions ?? [];
  const has = (t) => conds.some((c) => c.type === t && c.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (has('FailureTarget')) return 'FailureTarget';
  if (has('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  if (j.spec?.suspend) return 'Suspended';
  return 'Running';
}

function jobDuration(j, now) {
  const start = j.status?.startTime;
  if (!start) return '';
  const end = j.status?.completionTime ? Date.parse(j.status.completionTime) : now;
  return humanDuration(end - Date.parse(start));
}

function nodeStatus(n) {
  const ready = (n.status?.conditions ?? []).find((c) => c.type === 'Ready');
  const parts = [ready?.status === 'True' ? 'Ready' : 'NotReady'];
  if (n.spec?.unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function nodeRoles(n) {
  const roles = Object.keys(n.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean);
  return roles.length ? roles.sort().join(',') : '<none>';
}

const accessModes = (modes) =>
  (modes ?? [])
    .map(
      (m) =>
        ({
          ReadWriteOnce: 'RWO',
          ReadOnlyMany: 'ROX',
          ReadWriteMany: 'RWX',
          ReadWriteOncePod: 'RWOP',
        })[m] ?? m,
    )
    .join(',');

function eventObject(e) {
  const o = e.involvedObject ?? {};
  return `${(o.kind ?? '').toLowerCase()}/${o.name}`;
}

function eventLastSeen(e, now) {
  const last = e.lastTimestamp || e.eventTime || e.metadata.creationTimestamp;
  if ((e.count ?? 1) > 1 && e.firstTimestamp) {
    return `${age(last, now)} (x${e.count} over ${age(e.firstTimestamp, now)})`;
  }
  return age(last, now);
}

const ageOf = (o, now) => age(o.metadata.creationTimestamp, now);

/** A workload's CONTAINERS, IMAGES and SELECTOR columns (-o wide). */
const templateColumns = (o) => [
  containersOf(o.spec?.template),
  imagesOf(o.spec?.template),
  selectorString(o.spec?.selector),
];

const CREATED_AT = [['NAME', 'CREATED AT'], [], (r) => [r.metadata.creationTimestamp]];
const BINDING = [
  ['NAME', 'ROLE', 'AGE'],
  [],
  (b, now) => [`${b.roleRef?.kind}/${b.roleRef?.name}`, ageOf(b, now)],
];

/** [headers, wide headers, row(obj, now), wide row(obj)] per resource plural, after NAME. */
const TABLES = {
  pods: [
    ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
    (p, now) => {
      const cs = p.status?.containerStatuses ?? [];
      const ready = cs.filter((c) => c.ready).length;
      const restarts = cs.reduce((a, c) => a + (c.restartCount ?? 0), 0);
      return [
        `${ready}/${p.spec?.containers?.length ?? 0}`,
        podStatusReason(p),
        String(restarts),
        ageOf(p, now),
      ];
    },
    (p) => [
      p.status?.podIP || '<none>',
      p.spec?.nodeName || '<none>',
      p.status?.nominatedNodeName || '<none>',
      '<none>',
    ],
  ],
  services: [
    ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    ['SELECTOR'],
    (s, now) => [
      s.spec?.type ?? 'ClusterIP',
      s.spec?.clusterIP || '<none>',
      externalIP(s),
      servicePorts(s),
      ageOf(s, now),
    ],
    (s) => [labelsString(s.spec?.selector)],
  ],
  deployments: [
    ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    (d, now) => [
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`,
      String(d.status?.updatedReplicas ?? 0),
      String(d.status?.availableReplicas ?? 0),
      ageOf(d, now),
    ],
    templateColumns,
  ],
  replicasets: [
    ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
    ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    (r, now) => [
      String(r.spec?.replicas ?? 1),
      String(r.status?.replicas ?? 0),
      String(r.status?.readyReplicas ?? 0),
      ageOf(r, now),
    ],
    templateColumns,
  ],
  statefulsets: [
    ['NAME', 'READY', 'AGE'],
    ['CONTAINERS', 'IMAGES'],
    (s, now) => [`${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 1}`, ageOf(s, now)],
    (s) => templateColumns(s).slice(0, 2),
  ],
  daemonsets: [
    ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
    ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    (d, now) => {
      const st = d.status ?? {};
      return [
        String(st.desiredNumberScheduled ?? 0),
        String(st.currentNumberScheduled ?? 0),
        String(st.numberReady ?? 0),
        String(st.updatedNumberScheduled ?? 0),
        String(st.numberAvailable ?? 0),
        labelsString(d.spec?.template?.spec?.nodeSelector),
        ageOf(d, now),
      ];
    },
    templateColumns,
  ],
  jobs: [
    ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
    ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    (j, now) => [
      jobStatus(j),
      `${j.status?.succeeded ?? 0}/${j.spec?.completions ?? 1}`,
      jobDuration(j, now),
      ageOf(j, now),
    ],
    templateColumns,
  ],
  cronjobs: [
    ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'],
    ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    (c, now) => [
      c.spec?.schedule ?? '',
      c.spec?.timeZone ?? '<none>',
      String(c.spec?.suspend ?? false),
      String(c.status?.active?.length ?? 0),
      c.status?.lastScheduleTime ? age(c.status.lastScheduleTime, now) : '<none>',
      ageOf(c, now),
    ],
  ],
  nodes: [
    ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
    ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'],
    (n, now) => [
      nodeStatus(n),
      nodeRoles(n),
      ageOf(n, now),
      n.status?.nodeInfo?.kubeletVersion ?? '',
    ],
    (n) => {
      const addr = (t) =>
        (n.status?.addresses ?? []).find((a) => a.type === t)?.address ?? '<none>';
      const info = n.status?.nodeInfo ?? {};
      return [
        addr('InternalIP'),
        addr('ExternalIP'),
        info.osImage ?? '<unknown>',
        info.kernelVersion ?? '<unknown>',
        info.containerRuntimeVersion ?? '<unknown>',
      ];
    },
  ],
  namespaces: [
    ['NAME', 'STATUS', 'AGE'],
    [],
    (n, now) => [n.status?.phase ?? 'Active', ageOf(n, now)],
  ],
  configmaps: [
    ['NAME', 'DATA', 'AGE'],
    [],
    (c, now) => [
      String(Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length),
      ageOf(c, now),
    ],
  ],
  secrets: [
    ['NAME', 'TYPE', 'DATA', 'AGE'],
    [],
    (s, now) => [s.type ?? 'Opaque', String(Object.keys(s.data ?? {}).length), ageOf(s, now)],
  ],
  serviceaccounts: [
    ['NAME', 'SECRETS', 'AGE'],
    [],
    (s, now) => [String(s.secrets?.length ?? 0), ageOf(s, now)],
  ],
  persistentvolumeclaims: [
    [
      'NAME',
      'STATUS',
      'VOLUME',
      'CAPACITY',
      'ACCESS MODES',
      'STORAGECLASS',
      'VOLUMEATTRIBUTESCLASS',
      'AGE',
    ],
    ['VOLUMEMODE'],
    (p, now) => {
      const bound = p.status?.phase === 'Bound';
      return [
        p.metadata.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? 'Pending'),
        p.spec?.volumeName ?? '',
        bound ? (p.status?.capacity?.storage ?? '') : '',
        bound ? accessModes(p.status?.accessModes) : '',
        p.spec?.storageClassName ?? '<unset>',
        p.spec?.volumeAttributesClassName ?? '<unset>',
        ageOf(p, now),
      ];
    },
    (p) => [p.spec?.volumeMode ?? 'Filesystem'],
  ],
  persistentvolumes: [
    [
      'NAME',
      'CAPACITY',
      'ACCESS MODES',
      'RECLAIM POLICY',
      'STATUS',
      'CLAIM',
      'STORAGECLASS',
      'VOLUMEATTRIBUTESCLASS',
      'REASON',
      'AGE',
    ],
    ['VOLUMEMODE'],
    (p, now) => [
      p.spec?.capacity?.storage ?? '',
      accessModes(p.spec?.accessModes),
      p.spec?.persistentVolumeReclaimPolicy ?? 'Retain',
      p.status?.phase ?? 'Available',
      p.spec?.claimRef ? `${p.spec.claimRef.namespace}/${p.spec.claimRef.name}` : '',
      p.spec?.storageClassName ?? '',
      p.spec?.volumeAttributesClassName ?? '<unset>',
      p.status?.reason ?? '',
      ageOf(p, now),
    ],
    (p) => [p.spec?.volumeMode ?? 'Filesystem'],
  ],
  storageclasses: [
    ['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE'],
    [],
    (s, now) => [
      s.provisioner ?? '',
      s.reclaimPolicy ?? 'Delete',
      s.volumeBindingMode ?? 'Immediate',
      String(s.allowVolumeExpansion ?? false),
      ageOf(s, now),
    ],
  ],
  events: [
    ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    [],
    (e, now) => [
      eventLastSeen(e, now),
      e.type ?? '',
      e.reason ?? '',
      eventObject(e),
      e.message ?? '',
    ],
  ],
  endpoints: [
    ['NAME', 'ENDPOINTS', 'AGE'],
    [],
    (e, now) => {
      const eps = (e.subsets ?? []).flatMap((s) =>
        (s.addresses ?? []).flatMap((a) => (s.ports ?? []).map((p) => `${a.ip}:${p.port}`)),
      );
      return [joinOr(eps), ageOf(e, now)];
    },
  ],
  ingresses: [
    ['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE'],
    [],
    (i, now) => [
      i.spec?.ingressClassName ?? '<none>',
      (i.spec?.rules ?? []).map((r) => r.host ?? '*').join(',') || '*',
      (i.status?.loadBalancer?.ingress ?? []).map((x) => x.ip || x.hostname).join(','),
      i.spec?.tls?.length ? '80, 443' : '80',
      ageOf(i, now),
    ],
  ],
  ingressclasses: [
    ['NAME', 'CONTROLLER', 'PARAMETERS', 'AGE'],
    [],
    (i, now) => [i.spec?.controller ?? '', '<none>', ageOf(i, now)],
  ],
  clusterroles: CREATED_AT,
  roles: CREATED_AT,
  clusterrolebindings: BINDING,
  rolebindings: BINDING,
  customresourcedefinitions: CREATED_AT,
};

const OTHER = [['NAME', 'AGE'], [], (o, now) => [ageOf(o, now)]];

function displayName(r, o) {
  const isDefault =
    o.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true';
  return r.plural === 'storageclasses' && isDefault
    ? `${o.metadata.name} (default)`
    : o.metadata.name;
}

/** Header cells and row cells for a list of objects of one resource. */
export function tableFor(r, objs, { wide = false, now = Date.now() } = {}) {
  const [headers, wideHeaders, row, wideRow] = TABLES[r.plural] ?? OTHER;
  const cells = (o) => [...row(o, now), ...(wide && wideRow ? wideRow(o) : [])];
  return {
    headers: wide ? [...headers, ...wideHeaders] : headers,
    // kubectl prints events without their (generated) names.
    rows: objs.map((o) => (r.plural === 'events' ? cells(o) : [displayName(r, o), ...cells(o)])),
  };
}
