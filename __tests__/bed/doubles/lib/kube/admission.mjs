// What the API server does to an object before storing it: validation (a few common checks,
// with the real messages), defaulting, and the admission plugins that matter for image pulls
// (ServiceAccount copies the account's imagePullSecrets into new pods).
import { defaultPullPolicy } from './imageref.mjs';
import { matchLabelSelector } from './selectors.mjs';
import { ApiError } from './errors.mjs';
import { clone, stableJson } from './json.mjs';

const invalid = (message) => new ApiError(422, 'Invalid', message);

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function goMap(m) {
  return `map[string]string{${Object.entries(m ?? {})
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(', ')}}`;
}

function podSpecErrors(spec, prefix) {
  const errs = [];
  if (!spec || !Array.isArray(spec.containers) || spec.containers.length === 0) {
    errs.push(`${prefix}.containers: Required value`);
    return errs;
  }
  for (const [list, key] of [
    [spec.initContainers ?? [], 'initContainers'],
    [spec.containers, 'containers'],
  ]) {
    list.forEach((c, i) => {
      if (!c.name) errs.push(`${prefix}.${key}[${i}].name: Required value`);
      if (!c.image) errs.push(`${prefix}.${key}[${i}].image: Required value`);
      else if (c.image.trim() !== c.image) {
        errs.push(
          `${prefix}.${key}[${i}].image: Invalid value: ${JSON.stringify(c.image)}: must not have leading or trailing whitespace`,
        );
      }
      const p = c.imagePullPolicy;
      if (p && !['Always', 'IfNotPresent', 'Never'].includes(p)) {
        errs.push(
          `${prefix}.${key}[${i}].imagePullPolicy: Unsupported value: ${JSON.stringify(p)}: supported values: "Always", "IfNotPresent", "Never"`,
        );
      }
    });
  }
  return errs;
}

export function validate(r, obj) {
  const name = obj.metadata.name;
  const errs = [];
  const rbac = r.group === 'rbac.authorization.k8s.io';
  const re = r.plural === 'namespaces' || r.plural === 'services' ? LABEL : SUBDOMAIN;
  if (rbac) {
    // RBAC objects only need to be valid path segments (system:..., metallb-system:controller).
    if (name === '.' || name === '..' || /[/%]/.test(name)) {
      errs.push(`metadata.name: Invalid value: ${JSON.stringify(name)}: may not contain '/'`);
    }
  } else if (!re.test(name) || name.length > 253) {
    errs.push(
      re === LABEL
        ? `metadata.name: Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`
        : `metadata.name: Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
  }
  if (r.plural === 'pods') errs.push(...podSpecErrors(obj.spec, 'spec'));
  if (['deployments', 'replicasets', 'statefulsets', 'daemonsets'].includes(r.plural)) {
    const spec = obj.spec ?? {};
    if (!spec.selector) errs.push('spec.selector: Required value');
    else if (!matchLabelSelector(spec.selector, spec.template?.metadata?.labels)) {
      errs.push(
        `spec.template.metadata.labels: Invalid value: ${goMap(spec.template?.metadata?.labels)}: \`selector\` does not match template \`labels\``,
      );
    }
    errs.push(...podSpecErrors(spec.template?.spec, 'spec.template.spec'));
  }
  if (r.plural === 'jobs') {
    const tpl = obj.spec?.template;
    errs.push(...podSpecErrors(tpl?.spec, 'spec.template.spec'));
    const rp = tpl?.spec?.restartPolicy;
    if (tpl?.spec && !['Never', 'OnFailure'].includes(rp)) {
      errs.push(
        rp
          ? `spec.template.spec.restartPolicy: Unsupported value: ${JSON.stringify(rp)}: supported values: "OnFailure", "Never"`
          : 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
      );
    }
  }
  if (r.plural === 'persistentvolumeclaims') {
    if (!obj.spec?.accessModes?.length)
      errs.push('spec.accessModes: Required value: at least 1 access mode is required');
    if (!obj.spec?.resources?.requests?.storage)
      errs.push('spec.resources[storage]: Required value');
  }
  if (errs.length) throw invalid(`The ${r.kind} "${name}" is invalid: ${errs.join(', ')}`);
}

/** SetDefaults_PodSpec and SetDefaults_Container, as applied to pods and pod templates. */
export function defaultPodSpec(spec) {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if (!c.imagePullPolicy && c.image) c.imagePullPolicy = defaultPullPolicy(c.image);
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.resources ??= {};
    for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  }
  return spec;
}

// SetDefaults_Deployment, _ReplicaSet, _StatefulSet, _DaemonSet and _Job, in their order.
const WORKLOAD_DEFAULTS = {
  deployments: {
    replicas: 1,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    revisionHistoryLimit: 10,
    progressDeadlineSeconds: 600,
  },
  replicasets: { replicas: 1 },
  statefulsets: {
    replicas: 1,
    podManagementPolicy: 'OrderedReady',
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    revisionHistoryLimit: 10,
  },
  daemonsets: {
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
    revisionHistoryLimit: 10,
  },
  jobs: {
    completions: 1,
    parallelism: 1,
    backoffLimit: 6,
    completionMode: 'NonIndexed',
    suspend: false,
  },
};

function admitPod(store, obj) {
  const spec = obj.spec;
  defaultPodSpec(spec);
  spec.enableServiceLinks ??= true;
  spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  // ServiceAccount admission: the account must exist, and its pull secrets reach the pod.
  const saName = spec.serviceAccountName || spec.serviceAccount || 'default';
  spec.serviceAccountName = saName;
  spec.serviceAccount = saName;
  const sa = store.getRaw('serviceaccounts', obj.metadata.namespace, saName);
  if (!sa) {
    throw new ApiError(
      403,
      'Forbidden',
      `pods "${obj.metadata.name}" is forbidden: error looking up service account ${obj.metadata.namespace}/${saName}: serviceaccount "${saName}" not found`,
    );
  }
  if (!spec.imagePullSecrets?.length && sa.imagePullSecrets?.length) {
    spec.imagePullSecrets = sa.imagePullSecrets.map((s) => ({ name: s.name }));
  }
  // DefaultTolerationSeconds admission.
  spec.tolerations ??= [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!spec.tolerations.some((t) => t.key === key)) {
      spec.tolerations.push({
        effect: 'NoExecute',
        key,
        operator: 'Exists',
        tolerationSeconds: 300,
      });
    }
  }
}

const podSpecSansImages = (spec) => ({
  ...spec,
  containers: (spec.containers ?? []).map(({ image: _i, ...c }) => c),
  initContainers: (spec.initContainers ?? []).map(({ image: _i, ...c }) => c),
});

function allocateClusterIP(store, want) {
  const used = new Set(store.listRaw('services', null).map((s) => s.spec?.clusterIP));
  if (want) {
    if (used.has(want)) {
      throw invalid(
        `Service "x" is invalid: spec.clusterIPs: Invalid value: []string{${JSON.stringify(want)}}: failed to allocate IP ${want}: provided IP is already allocated`,
      );
    }
    return want;
  }
  for (let i = 0; i < 1000; i++) {
    const ip = `10.152.183.${17 + Math.floor(Math.random() * 237)}`;
    if (!used.has(ip)) return ip;
  }
  throw new Error('cluster IP range exhausted');
}

function allocateNodePorts(store, obj, cur) {
  const used = new Set();
  for (const s of store.listRaw('services', null)) {
    if (cur && s.metadata.uid === cur.metadata.uid) continue;
    for (const p of s.spec?.ports ?? []) if (p.nodePort) used.add(p.nodePort);
  }
  for (const p of obj.spec.ports ?? []) {
    if (p.nodePort) {
      if (used.has(p.nodePort)) {
        throw invalid(
          `Service "${obj.metadata.name}" is invalid: spec.ports[0].nodePort: Invalid value: ${p.nodePort}: provided port is already allocated`,
        );
      }
      continue;
    }
    const old = cur?.spec?.ports?.find((q) => q.port === p.port && q.nodePort);
    if (old) {
      p.nodePort = old.nodePort;
      continue;
    }
    let port;
    do port = 30000 + Math.floor(Math.random() * 2768);
    while (used.has(port));
    used.add(port);
    p.nodePort = port;
  }
}

export function admit(store, r, obj, cur) {
  const meta = obj.metadata;
  switch (r.plural) {
    case 'namespaces':
      meta.labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': meta.name };
      obj.spec = { finalizers: ['kubernetes'], ...(obj.spec ?? {}) };
      break;
    case 'pods':
      if (cur) {
        // Pods are immutable apart from a few fields (images among them).
        const next = defaultPodSpec(clone(obj.spec));
        const a = podSpecSansImages(next);
        const b = podSpecSansImages(cur.spec);
        if (Object.keys(a).some((k) => stableJson(a[k]) !== stableJson(b[k]))) {
          throw invalid(
            `The Pod "${meta.name}" is invalid: spec: Forbidden: pod updates may not change fields other than \`spec.containers[*].image\`,\`spec.initContainers[*].image\`,\`spec.activeDeadlineSeconds\`,\`spec.tolerations\` (only additions to existing tolerations),\`spec.terminationGracePeriodSeconds\` (allow it to be set to 1 if it was previously negative)`,
          );
        }
        obj.spec = {
          ...cur.spec,
          containers: cur.spec.containers.map((c, i) => ({
            ...c,
            image: next.containers[i]?.image ?? c.image,
          })),
        };
      } else admitPod(store, obj);
      break;
    case 'deployments':
    case 'replicasets':
    case 'statefulsets':
    case 'daemonsets':
    case 'jobs':
      for (const [k, v] of Object.entries(WORKLOAD_DEFAULTS[r.plural])) obj.spec[k] ??= clone(v);
      obj.spec.template ??= {};
      obj.spec.template.metadata ??= {};
      defaultPodSpec((obj.spec.template.spec ??= {}));
      break;
    case 'services': {
      const spec = (obj.spec ??= {});
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      spec.internalTrafficPolicy ??= 'Cluster';
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      for (const p of spec.ports ?? []) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      if (spec.clusterIP !== 'None') {
        spec.clusterIP = cur?.spec?.clusterIP ?? allocateClusterIP(store, spec.clusterIP);
        spec.clusterIPs = [spec.clusterIP];
      }
      if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
        spec.externalTrafficPolicy ??= 'Cluster';
        allocateNodePorts(store, obj, cur);
      }
      break;
    }
    case 'persistentvolumeclaims':
      obj.spec.volumeMode ??= 'Filesystem';
      if (obj.spec.storageClassName === undefined) {
        // DefaultStorageClass admission.
        const def = store
          .listRaw('storageclasses', null)
          .find(
            (sc) =>
              sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true',
          );
        if (def) obj.spec.storageClassName = def.metadata.name;
      }
      if (cur) obj.spec = { ...obj.spec, volumeName: cur.spec.volumeName ?? obj.spec.volumeName };
      break;
    case 'storageclasses':
      obj.reclaimPolicy ??= 'Delete';
      obj.volumeBindingMode ??= 'Immediate';
      break;
    case 'secrets':
      obj.type ??= 'Opaque';
      if (obj.stringData) {
        obj.data = { ...(obj.data ?? {}) };
        for (const [k, v] of Object.entries(obj.stringData))
          obj.data[k] = Buffer.from(String(v)).toString('base64');
        delete obj.stringData;
      }
      break;
    default:
      break;
  }
}
