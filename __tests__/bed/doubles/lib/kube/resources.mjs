// The API resources the emulated API server knows, with kubectl's names for them.
const BUILTIN = [
  ['Pod', 'pods', '', 'v1', true, ['po']],
  ['Service', 'services', '', 'v1', true, ['svc']],
  ['Namespace', 'namespaces', '', 'v1', false, ['ns']],
  ['Node', 'nodes', '', 'v1', false, ['no']],
  ['ConfigMap', 'configmaps', '', 'v1', true, ['cm']],
  ['Secret', 'secrets', '', 'v1', true, []],
  ['ServiceAccount', 'serviceaccounts', '', 'v1', true, ['sa']],
  ['PersistentVolumeClaim', 'persistentvolumeclaims', '', 'v1', true, ['pvc']],
  ['PersistentVolume', 'persistentvolumes', '', 'v1', false, ['pv']],
  ['Event', 'events', '', 'v1', true, ['ev']],
  ['Endpoints', 'endpoints', '', 'v1', true, ['ep']],
  ['LimitRange', 'limitranges', '', 'v1', true, ['limits']],
  ['ResourceQuota', 'resourcequotas', '', 'v1', true, ['quota']],
  ['ReplicationController', 'replicationcontrollers', '', 'v1', true, ['rc']],
  ['Deployment', 'deployments', 'apps', 'v1', true, ['deploy']],
  ['ReplicaSet', 'replicasets', 'apps', 'v1', true, ['rs']],
  ['StatefulSet', 'statefulsets', 'apps', 'v1', true, ['sts']],
  ['DaemonSet', 'daemonsets', 'apps', 'v1', true, ['ds']],
  ['ControllerRevision', 'controllerrevisions', 'apps', 'v1', true, []],
  ['Job', 'jobs', 'batch', 'v1', true, []],
  ['CronJob', 'cronjobs', 'batch', 'v1', true, ['cj']],
  ['StorageClass', 'storageclasses', 'storage.k8s.io', 'v1', false, ['sc']],
  ['CSIDriver', 'csidrivers', 'storage.k8s.io', 'v1', false, []],
  ['ClusterRole', 'clusterroles', 'rbac.authorization.k8s.io', 'v1', false, []],
  ['ClusterRoleBinding', 'clusterrolebindings', 'rbac.authorization.k8s.io', 'v1', false, []],
  ['Role', 'roles', 'rbac.authorization.k8s.io', 'v1', true, []],
  ['RoleBinding', 'rolebindings', 'rbac.authorization.k8s.io', 'v1', true, []],
  ['Ingress', 'ingresses', 'networking.k8s.io', 'v1', true, ['ing']],
  ['IngressClass', 'ingressclasses', 'networking.k8s.io', 'v1', false, []],
  ['NetworkPolicy', 'networkpolicies', 'networking.k8s.io', 'v1', true, ['netpol']],
  [
    'CustomResourceDefinition',
    'customresourcedefinitions',
    'apiextensions.k8s.io',
    'v1',
    false,
    ['crd', 'crds'],
  ],
  ['PodDisruptionBudget', 'poddisruptionbudgets', 'policy', 'v1', true, ['pdb']],
  ['PriorityClass', 'priorityclasses', 'scheduling.k8s.io', 'v1', false, ['pc']],
  ['Lease', 'leases', 'coordination.k8s.io', 'v1', true, []],
  ['EndpointSlice', 'endpointslices', 'discovery.k8s.io', 'v1', true, []],
  ['HorizontalPodAutoscaler', 'horizontalpodautoscalers', 'autoscaling', 'v2', true, ['hpa']],
  [
    'MutatingWebhookConfiguration',
    'mutatingwebhookconfigurations',
    'admissionregistration.k8s.io',
    'v1',
    false,
    [],
  ],
  [
    'ValidatingWebhookConfiguration',
    'validatingwebhookconfigurations',
    'admissionregistration.k8s.io',
    'v1',
    false,
    [],
  ],
  ['APIService', 'apiservices', 'apiregistration.k8s.io', 'v1', false, []],
].map(([kind, plural, group, version, namespaced, short]) => ({
  kind,
  plural,
  singular: kind.toLowerCase(),
  group,
  version,
  namespaced,
  short,
}));

/** The kinds that own pods through a pod template. */
export const WORKLOADS = [
  'deployments',
  'replicasets',
  'statefulsets',
  'daemonsets',
  'jobs',
  'cronjobs',
];

/** What `kubectl get all` lists (the "all" category). */
export const ALL_CATEGORY = [
  'pods',
  'replicationcontrollers',
  'services',
  'daemonsets',
  'deployments',
  'replicasets',
  'statefulsets',
  'horizontalpodautoscalers',
  'cronjobs',
  'jobs',
];

/** Resources defined by stored CustomResourceDefinitions. */
function crdResources(store) {
  const out = [];
  for (const crd of store.listRaw('customresourcedefinitions', null)) {
    const names = crd.spec?.names ?? {};
    if (!names.kind || !names.plural) continue;
    const served = (crd.spec.versions ?? []).find((v) => v.served !== false) ?? { name: 'v1' };
    out.push({
      kind: names.kind,
      plural: names.plural,
      singular: names.singular ?? names.kind.toLowerCase(),
      group: crd.spec.group ?? '',
      version: served.name,
      versions: (crd.spec.versions ?? []).map((v) => v.name),
      namespaced: crd.spec.scope !== 'Cluster',
      short: names.shortNames ?? [],
      crd: true,
    });
  }
  return out;
}

export function allResources(store) {
  return store ? [...BUILTIN, ...crdResources(store)] : BUILTIN;
}

export const builtin = (plural) => BUILTIN.find((r) => r.plural === plural);

/** kubectl's resource argument: `pods`, `po`, `pod`, `deployments.apps`, `deploy.apps`... */
export function resolveResource(arg, store) {
  const a = arg.toLowerCase();
  const all = allResources(store);
  for (const r of all) {
    const names = [r.plural, r.singular, ...r.short];
    for (const n of names) {
      if (a === n) return r;
      if (r.group && (a === `${n}.${r.group}` || a === `${n}.${r.version}.${r.group}`)) return r;
    }
    if (a === r.kind.toLowerCase()) return r;
  }
  return null;
}

/** The resource for a manifest's apiVersion + kind, or null ("no matches for kind"). */
export function resourceForKind(apiVersion, kind, store) {
  const [group, version] = apiVersion?.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return (
    allResources(store).find(
      (r) =>
        r.kind === kind &&
        r.group === group &&
        (r.crd
          ? r.versions.includes(version)
          : version === r.version || (r.plural === 'horizontalpodautoscalers' && version === 'v1')),
    ) ?? null
  );
}

/** `deployment.apps`, `pod`: how kubectl names a kind in `TYPE/NAME` output. */
export const typeName = (r) => (r.group ? `${r.singular}.${r.group}` : r.singular);
/** `deployments.apps`, `pods`: how the API server names a resource in its errors. */
export const qualifiedPlural = (r) => (r.group ? `${r.plural}.${r.group}` : r.plural);
export const apiVersionOf = (r) => (r.group ? `${r.group}/${r.version}` : r.version);
