// kubectl describe: the pod layout in full, a shorter one for other kinds, and the Events table
// every kind ends with. Lines use tabs and go through Go's tabwriter like kubectl's.
import { tabwrite } from './tabwriter.mjs';
import { age, labelsString } from './printers.mjs';

const L = (level) => '  '.repeat(level);

export function rfc1123z(ts) {
  if (!ts) return '<unknown>';
  const d = new Date(ts);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = [
    'Jan',
    'Feb',
    'Mar',
    'Apr',
    'May',
    'Jun',
    'Jul',
    'Aug',
    'Sep',
    'Oct',
    'Nov',
    'Dec',
  ];
  const p = (n) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** `Title: k=v` lines of a string map, sorted; annotations as `k: v`, without last-applied. */
function mapLines(out, level, title, m) {
  const annotations = title === 'Annotations';
  const keys = Object.keys(m ?? {})
    .filter((k) => !annotations || k !== 'kubectl.kubernetes.io/last-applied-configuration')
    .sort();
  if (!keys.length) {
    out.push(`${L(level)}${title}:\t<none>`);
    return;
  }
  const sep = annotations ? ': ' : '=';
  keys.forEach((k, i) => out.push(`${L(level)}${i === 0 ? `${title}:` : ''}\t${k}${sep}${m[k]}`));
}

function stateLines(out, title, st) {
  if (st?.running) {
    out.push(`${L(2)}${title}:\tRunning`);
    out.push(`${L(3)}Started:\t${rfc1123z(st.running.startedAt)}`);
  } else if (st?.waiting) {
    out.push(`${L(2)}${title}:\tWaiting`);
    if (st.waiting.reason) out.push(`${L(3)}Reason:\t${st.waiting.reason}`);
  } else if (st?.terminated) {
    const t = st.terminated;
    out.push(`${L(2)}${title}:\tTerminated`);
    if (t.reason) out.push(`${L(3)}Reason:\t${t.reason}`);
    if (t.message) out.push(`${L(3)}Message:\t${t.message}`);
    out.push(`${L(3)}Exit Code:\t${t.exitCode}`);
    out.push(`${L(3)}Started:\t${rfc1123z(t.startedAt)}`);
    out.push(`${L(3)}Finished:\t${rfc1123z(t.finishedAt)}`);
  } else {
    out.push(`${L(2)}${title}:\tWaiting`);
  }
}

function containerLines(out, containers, statuses) {
  for (const c of containers) {
    const s = (statuses ?? []).find((x) => x.name === c.name) ?? {};
    out.push(`${L(1)}${c.name}:`);
    out.push(`${L(2)}Container ID:\t${s.containerID ?? ''}`);
    out.push(`${L(2)}Image:\t${c.image}`);
    out.push(`${L(2)}Image ID:\t${s.imageID ?? ''}`);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`);
    const hostPorts = (c.ports ?? []).map((p) => `${p.hostPort ?? 0}/${p.protocol ?? 'TCP'}`);
    out.push(
      `${L(2)}Port${ports.length > 1 ? 's' : ''}:\t${ports.length ? ports.join(', ') : '<none>'}`,
    );
    out.push(
      `${L(2)}Host Port${hostPorts.length > 1 ? 's' : ''}:\t${hostPorts.length ? hostPorts.join(', ') : '<none>'}`,
    );
    if (c.command) {
      out.push(`${L(2)}Command:`);
      for (const x of c.command) out.push(`${L(3)}${x}`);
    }
    if (c.args) {
      out.push(`${L(2)}Args:`);
      for (const x of c.args) out.push(`${L(3)}${x}`);
    }
    stateLines(out, 'State', s.state);
    if (s.lastState && Object.keys(s.lastState).length) stateLines(out, 'Last State', s.lastState);
    out.push(`${L(2)}Ready:\t${s.ready ? 'True' : 'False'}`);
    out.push(`${L(2)}Restart Count:\t${s.restartCount ?? 0}`);
    if (c.env?.length) {
      out.push(`${L(2)}Environment:`);
      for (const e of c.env) out.push(`${L(3)}${e.name}:\t${e.value ?? '<set to the key>'}`);
    } else out.push(`${L(2)}Environment:\t<none>`);
    if (c.volumeMounts?.length) {
      out.push(`${L(2)}Mounts:`);
      for (const m of c.volumeMounts)
        out.push(`${L(3)}${m.mountPath} from ${m.name} (${m.readOnly ? 'ro' : 'rw'})`);
    } else out.push(`${L(2)}Mounts:\t<none>`);
  }
}

function volumeLines(out, volumes) {
  if (!volumes?.length) {
    out.push('Volumes:\t<none>');
    return;
  }
  out.push('Volumes:');
  for (const v of volumes) {
    out.push(`${L(1)}${v.name}:`);
    if (v.persistentVolumeClaim) {
      out.push(
        `${L(2)}Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)`,
      );
      out.push(`${L(2)}ClaimName:\t${v.persistentVolumeClaim.claimName}`);
      out.push(`${L(2)}ReadOnly:\t${v.persistentVolumeClaim.readOnly ? 'true' : 'false'}`);
    } else if (v.projected) {
      out.push(
        `${L(2)}Type:\tProjected (a volume that contains injected data from multiple sources)`,
      );
      out.push(`${L(2)}TokenExpirationSeconds:\t3607`);
      out.push(`${L(2)}ConfigMapName:\tkube-root-ca.crt`);
      out.push(`${L(2)}Optional:\tfalse`);
      out.push(`${L(2)}DownwardAPI:\ttrue`);
    } else if (v.hostPath) {
      out.push(`${L(2)}Type:\tHostPath (bare host directory volume)`);
      out.push(`${L(2)}Path:\t${v.hostPath.path}`);
      out.push(`${L(2)}HostPathType:\t${v.hostPath.type ?? ''}`);
    } else if (v.configMap) {
      out.push(`${L(2)}Type:\tConfigMap (a volume populated by a ConfigMap)`);
      out.push(`${L(2)}Name:\t${v.configMap.name}`);
      out.push(`${L(2)}Optional:\t${v.configMap.optional ? 'true' : 'false'}`);
    } else if (v.secret) {
      out.push(`${L(2)}Type:\tSecret (a volume populated by a Secret)`);
      out.push(`${L(2)}SecretName:\t${v.secret.secretName}`);
      out.push(`${L(2)}Optional:\t${v.secret.optional ? 'true' : 'false'}`);
    } else if (v.emptyDir) {
      out.push(`${L(2)}Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)`);
      out.push(`${L(2)}Medium:\t${v.emptyDir.medium ?? ''}`);
      out.push(`${L(2)}SizeLimit:\t${v.emptyDir.sizeLimit ?? '<unset>'}`);
    } else {
      out.push(`${L(2)}Type:\t${Object.keys(v).find((k) => k !== 'name') ?? 'Unknown'}`);
    }
  }
}

function tolerationLines(out, tolerations) {
  if (!tolerations?.length) {
    out.push('Tolerations:\t<none>');
    return;
  }
  tolerations.forEach((t, i) => {
    let s = t.key ?? '';
    if (t.value) s += `=${t.value}`;
    if (t.effect) s += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.value) s += ' op=Exists';
    if (t.tolerationSeconds !== undefined) s += ` for ${t.tolerationSeconds}s`;
    out.push(`${i === 0 ? 'Tolerations:' : ''}\t${s}`);
  });
}

/** The Events section, as kubectl describe prints it. */
export function eventLines(out, events, { now = Date.now(), fieldPathPrefix = false } = {}) {
  if (!events.length) {
    out.push('Events:\t<none>');
    return;
  }
  out.push('Events:');
  out.push(`${L(1)}Type\tReason\tAge\tFrom\tMessage`);
  out.push(`${L(1)}----\t------\t----\t----\t-------`);
  const sorted = [...events].sort(
    (a, b) => Date.parse(a.lastTimestamp ?? 0) - Date.parse(b.lastTimestamp ?? 0),
  );
  for (const e of sorted) {
    const a =
      (e.count ?? 1) > 1
        ? `${age(e.lastTimestamp, now)} (x${e.count} over ${age(e.firstTimestamp, now)})`
        : age(e.lastTimestamp ?? e.firstTimestamp, now);
    const msg =
      (fieldPathPrefix && e.involvedObject?.fieldPath ? `${e.involvedObject.fieldPath}: ` : '') +
      (e.message ?? '').trim();
    out.push(
      `${L(1)}${e.type}\t${e.reason}\t${a}\t${e.source?.component || e.reportingComponent || '<unknown>'}\t${msg}`,
    );
  }
}

function controlledBy(o) {
  const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller);
  return ref ? `${ref.kind}/${ref.name}` : null;
}

export function describePod(p, events, opts = {}) {
  const out = [];
  const st = p.status ?? {};
  out.push(`Name:\t${p.metadata.name}`);
  out.push(`Namespace:\t${p.metadata.namespace}`);
  out.push(`Priority:\t${p.spec.priority ?? 0}`);
  out.push(`Service Account:\t${p.spec.serviceAccountName ?? 'default'}`);
  out.push(`Node:\t${p.spec.nodeName ? `${p.spec.nodeName}/${st.hostIP ?? ''}` : '<none>'}`);
  if (st.startTime) out.push(`Start Time:\t${rfc1123z(st.startTime)}`);
  mapLines(out, 0, 'Labels', p.metadata.labels);
  mapLines(out, 0, 'Annotations', p.metadata.annotations);
  out.push(`Status:\t${p.metadata.deletionTimestamp ? 'Terminating' : (st.phase ?? 'Pending')}`);
  if (st.reason) out.push(`Reason:\t${st.reason}`);
  if (st.message) out.push(`Message:\t${st.message}`);
  out.push(`IP:\t${st.podIP ?? ''}`);
  if (st.podIPs?.length) {
    out.push('IPs:');
    for (const ip of st.podIPs) out.push(`${L(1)}IP:\t${ip.ip}`);
  } else out.push('IPs:\t<none>');
  const ctl = controlledBy(p);
  if (ctl) out.push(`Controlled By:\t${ctl}`);
  if (p.spec.initContainers?.length) {
    out.push('Init Containers:');
    containerLines(out, p.spec.initContainers, st.initContainerStatuses);
  }
  out.push('Containers:');
  containerLines(out, p.spec.containers ?? [], st.containerStatuses);
  if (st.conditions?.length) {
    out.push('Conditions:');
    out.push(`${L(1)}Type\tStatus`);
    for (const c of st.conditions) out.push(`${L(1)}${c.type} \t${c.status} `);
  }
  volumeLines(out, p.spec.volumes);
  out.push(`QoS Class:\t${st.qosClass ?? 'BestEffort'}`);
  mapLines(out, 0, 'Node-Selectors', p.spec.nodeSelector);
  tolerationLines(out, p.spec.tolerations);
  eventLines(out, events, opts);
  return tabwrite(out.join('\n') + '\n', { minwidth: 0, padding: 2 });
}

function conditionsBlock(out, conds, cols = ['Type', 'Status', 'Reason']) {
  if (!conds?.length) return;
  out.push('Conditions:');
  out.push(`${L(1)}${cols.join('\t')}`);
  out.push(`${L(1)}${cols.map((c) => '-'.repeat(c.length)).join('\t')}`);
  for (const c of conds)
    out.push(`${L(1)}${[c.type, c.status, c.reason ?? ''].slice(0, cols.length).join('\t')}`);
}

function podTemplateLines(out, tpl) {
  out.push('Pod Template:');
  mapLines(out, 1, 'Labels', tpl?.metadata?.labels);
  out.push(`${L(1)}Containers:`);
  for (const c of tpl?.spec?.containers ?? []) {
    out.push(`${L(2)}${c.name}:`);
    out.push(`${L(3)}Image:\t${c.image}`);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`);
    out.push(`${L(3)}Port:\t${ports.length ? ports.join(', ') : '<none>'}`);
    out.push(
      `${L(3)}Host Port:\t${ports.length ? ports.map((x) => `0/${x.split('/')[1]}`).join(', ') : '<none>'}`,
    );
    out.push(`${L(3)}Environment:\t${c.env?.length ? '' : '<none>'}`);
    for (const e of c.env ?? []) out.push(`${L(4)}${e.name}:\t${e.value ?? ''}`);
    out.push(`${L(3)}Mounts:\t${c.volumeMounts?.length ? '' : '<none>'}`);
    for (const m of c.volumeMounts ?? [])
      out.push(`${L(4)}${m.mountPath} from ${m.name} (${m.readOnly ? 'ro' : 'rw'})`);
  }
  out.push(`${L(1)}Volumes:\t${tpl?.spec?.volumes?.length ? '' : '<none>'}`);
  for (const v of tpl?.spec?.volumes ?? []) out.push(`${L(2)}${v.name}:`);
  mapLines(out, 1, 'Node-Selectors', tpl?.spec?.nodeSelector);
  out.push(
    `${L(1)}Tolerations:\t${tpl?.spec?.tolerations?.length ? tpl.spec.tolerations.map((t) => t.key).join(', ') : '<none>'}`,
  );
}

/** Other kinds: identity, labels, the fields that matter, conditions, events. */
export function describeGeneric(r, o, events, opts = {}) {
  const out = [];
  out.push(`Name:\t${o.metadata.name}`);
  if (o.metadata.namespace) out.push(`Namespace:\t${o.metadata.namespace}`);
  out.push(`CreationTimestamp:\t${rfc1123z(o.metadata.creationTimestamp)}`);
  mapLines(out, 0, 'Labels', o.metadata.labels);
  mapLines(out, 0, 'Annotations', o.metadata.annotations);
  const st = o.status ?? {};
  switch (r.plural) {
    case 'deployments': {
      out.push(`Selector:\t${labelsString(o.spec.selector?.matchLabels)}`);
      out.push(
        `Replicas:\t${o.spec.replicas} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`,
      );
      out.push(`StrategyType:\t${o.spec.strategy?.type ?? 'RollingUpdate'}`);
      out.push(`MinReadySeconds:\t${o.spec.minReadySeconds ?? 0}`);
      if (o.spec.strategy?.rollingUpdate) {
        out.push(
          `RollingUpdateStrategy:\t${o.spec.strategy.rollingUpdate.maxUnavailable} max unavailable, ${o.spec.strategy.rollingUpdate.maxSurge} max surge`,
        );
      }
      podTemplateLines(out, o.spec.template);
      conditionsBlock(out, st.conditions);
      break;
    }
    case 'persistentvolumeclaims':
      out.push(`StorageClass:\t${o.spec.storageClassName ?? ''}`);
      out.push(`Status:\t${st.phase ?? 'Pending'}`);
      out.push(`Volume:\t${o.spec.volumeName ?? ''}`);
      out.push(`Capacity:\t${st.capacity?.storage ?? ''}`);
      out.push(`Access Modes:\t${(st.accessModes ?? []).join(',')}`);
      out.push(`VolumeMode:\t${o.spec.volumeMode ?? 'Filesystem'}`);
      break;
    case 'nodes':
      out.push(`Roles:\t<none>`);
      conditionsBlock(out, st.conditions, ['Type', 'Status', 'Reason']);
      out.push('Addresses:');
      for (const a of st.addresses ?? []) out.push(`${L(1)}${a.type}:\t${a.address}`);
      break;
    case 'services':
      out.push(`Selector:\t${labelsString(o.spec.selector)}`);
      out.push(`Type:\t${o.spec.type}`);
      out.push(`IP:\t${o.spec.clusterIP}`);
      for (const p of o.spec.ports ?? []) {
        out.push(`Port:\t${p.name ?? '<unset>'}  ${p.port}/${p.protocol}`);
        out.push(`TargetPort:\t${p.targetPort}/${p.protocol}`);
        if (p.nodePort) out.push(`NodePort:\t${p.name ?? '<unset>'}  ${p.nodePort}/${p.protocol}`);
      }
      break;
    default:
      if (st.phase) out.push(`Status:\t${st.phase}`);
      if (st.conditions) conditionsBlock(out, st.conditions);
      break;
  }
  eventLines(out, events, opts);
  return tabwrite(out.join('\n') + '\n', { minwidth: 0, padding: 2 });
}
