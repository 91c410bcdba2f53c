// MicroK8s core addons: the catalogue `microk8s status` lists per track, and what enabling the
// emulated ones deploys (the same object names, labels and images as the real manifests, cut
// down to what the bed uses). The kubelet treats these addons' images as pulled from the store
// (the bed has no Docker Hub) and makes their pods ready a moment later.
import fs from 'node:fs';
import { SNAP, SNAP_DATA, SNAP_COMMON, minor } from './env.mjs';

/** [name, description, version, check_status, confinement] as in core addons.yaml (1.34). */
const CATALOGUE = [
  ['dns', 'CoreDNS', '1.12.3', 'pod/coredns'],
  [
    'rbac',
    'Role-Based Access Control for authorisation',
    '',
    'clusterrole.rbac.authorization.k8s.io/cluster-admin',
  ],
  ['dashboard', 'The Kubernetes dashboard', '7.13.0', 'pod/kubernetes-dashboard'],
  [
    'ingress',
    'Ingress controller for external access',
    '1.13.1',
    'pod/nginx-ingress-microk8s-controller',
  ],
  [
    'hostpath-storage',
    'Storage class; allocates storage from host directory',
    '1.5.0',
    'deployment.apps/hostpath-provisioner',
  ],
  [
    'storage',
    'Alias to hostpath-storage add-on, deprecated',
    '1.5.0',
    'deployment.apps/hostpath-provisioner',
  ],
  [
    'registry',
    'Private image registry exposed on localhost:32000',
    '2.8.3',
    'deployment.apps/registry',
  ],
  [
    'metrics-server',
    'K8s Metrics Server for API access to service metrics',
    '0.8.0',
    'pod/metrics-server',
  ],
  [
    'nvidia',
    'NVIDIA hardware (GPU and network) support',
    'gpu=25.3.2/network=25.1.0/microk8s-1',
    'operator-node-feature-discovery',
    'classic',
  ],
  ['gpu', 'Alias to nvidia add-on', '25.3.2', 'operator-node-feature-discovery', 'classic'],
  ['helm', 'Helm - the package manager for Kubernetes', '3.18.6', '${SNAP}/bin/helm'],
  ['helm3', 'Helm 3 - the package manager for Kubernetes', '3.18.6', '${SNAP}/bin/helm'],
  ['metallb', 'Loadbalancer for your Kubernetes cluster', '0.15.2', 'pod/speaker'],
  [
    'host-access',
    'Allow Pods connecting to Host services smoothly',
    '1.0.0',
    '${SNAP_DATA}/var/lock/host-access-enabled',
  ],
  [
    'ha-cluster',
    'Configure high availability on the current node',
    '0.1.0',
    '${SNAP_DATA}/var/lock/ha-cluster',
  ],
  ['mayastor', 'OpenEBS MayaStor', '2.0.0-microk8s-1', 'daemonset.apps/mayastor'],
  [
    'prometheus',
    'Prometheus operator for monitoring and logging',
    'v0.8.0',
    'pod/prometheus-k8s-0',
  ],
  [
    'observability',
    'A lightweight observability stack for logs, traces and metrics',
    '76.4.1',
    'statefulset.apps/prometheus-kube-prom-stack-kube-prome-prometheus',
  ],
  [
    'community',
    'The community addons repository',
    '',
    '${SNAP_COMMON}/addons/community/addons.yaml',
  ],
  ['cert-manager', 'Cloud native certificate management', '1.18.2', 'deployment.apps/cert-manager'],
  [
    'kube-ovn',
    'An advanced network fabric for Kubernetes',
    '1.13.8',
    'deployment.apps/kube-ovn-controller',
    'classic',
  ],
  ['minio', 'MinIO object storage', 'v6.0.4', 'deployment.apps/minio-operator'],
  ['cis-hardening', 'Apply CIS K8s hardening', '1.0.0', '${SNAP_DATA}/var/lock/cis-hardening'],
  [
    'rook-ceph',
    'Distributed Ceph storage using Rook',
    '1.18.0',
    'deployment.apps/rook-ceph-operator',
  ],
];

// First track that ships an addon (core addons repository branches 1.24 ... 1.35, main).
const SINCE = {
  observability: 25,
  'cert-manager': 25,
  'kube-ovn': 25,
  minio: 26,
  'cis-hardening': 28,
  'rook-ceph': 28,
  nvidia: 29,
};

/** Before 1.24 the addons shipped inside the snap (addon-lists.yaml), with no repositories. */
const LEGACY = [
  ['dns', 'CoreDNS', '1.8.0', 'pod/coredns'],
  [
    'rbac',
    'Role-Based Access Control for authorisation',
    '',
    'clusterrole.rbac.authorization.k8s.io/cluster-admin',
  ],
  ['dashboard', 'The Kubernetes dashboard', '2.3.0', 'pod/kubernetes-dashboard'],
  [
    'dashboard-ingress',
    'Ingress definition for Kubernetes dashboard',
    '1.0.0',
    'ingress.networking.k8s.io/kubernetes-dashboard-ingress',
    23,
  ],
  [
    'ingress',
    'Ingress controller for external access',
    '1.0.0-alpha.2',
    'pod/nginx-ingress-microk8s-controller',
  ],
  [
    'storage',
    'Storage class; allocates storage from host directory',
    '1.0.0',
    'pod/hostpath-provisioner',
  ],
  ['registry', 'Private image registry exposed on localhost:32000', '2.6', 'pod/registry'],
  [
    'metrics-server',
    'K8s Metrics Server for API access to service metrics',
    '0.5.0',
    'pod/metrics-server',
  ],
  ['istio', 'Core Istio service mesh services', '1.10.3', '${SNAP_DATA}/bin/istioctl'],
  ['knative', 'The Knative framework on Kubernetes.', '0.24.0', 'deployment.apps/eventing-webhook'],
  [
    'gpu',
    'Automatic enablement of Nvidia CUDA',
    '1.7.0',
    'daemonset.apps/nvidia-device-plugin-daemonset',
  ],
  [
    'prometheus',
    'Prometheus operator for monitoring and logging',
    'v0.8.0',
    'pod/prometheus-k8s-0',
  ],
  [
    'fluentd',
    'Elasticsearch-Fluentd-Kibana logging and monitoring',
    '3.1.0',
    'daemonset.apps/fluentd-es-v3.1.0',
  ],
  ['jaeger', 'Kubernetes Jaeger operator with its simple config', '1.24.0', 'pod/jaeger-operator'],
  [
    'linkerd',
    'Linkerd is a service mesh for Kubernetes and other frameworks',
    '2.10.2',
    'pod/linkerd-controller',
  ],
  ['cilium', 'SDN, fast with full network policy', '1.10', 'pod/cilium'],
  [
    'multus',
    'Multus CNI enables attaching multiple network interfaces to pods',
    '3.4.2',
    '${SNAP_DATA}/args/cni-network/00-multus.conf',
  ],
  ['helm', 'Helm 2 - the package manager for Kubernetes', '2.16.0', '${SNAP_DATA}/bin/helm'],
  ['helm3', 'Helm 3 - Kubernetes package manager', '3.0.2', '${SNAP_DATA}/bin/helm3'],
  ['kubeflow', 'Kubeflow for easy ML deployments', '', 'pod/ambassador-operator-0'],
  ['metallb', 'Loadbalancer for your Kubernetes cluster', '0.9.3', 'pod/speaker'],
  [
    'host-access',
    'Allow Pods connecting to Host services smoothly',
    '1.0.0',
    '${SNAP_DATA}/var/lock/host-access-enabled',
  ],
  ['ambassador', 'Ambassador API Gateway and Ingress', '', 'deployment.apps/ambassador-operator'],
  [
    'ha-cluster',
    'Configure high availability on the current node',
    '0.1.0',
    '${SNAP_DATA}/var/lock/ha-cluster',
  ],
  ['portainer', 'Portainer UI for your Kubernetes cluster', '2.0.0', 'pod/portainer'],
  [
    'traefik',
    'traefik Ingress controller for external access',
    '2.5.0',
    'pod/traefik-ingress-controller',
  ],
  ['keda', 'Kubernetes-based Event Driven Autoscaling', '2.1.0', 'pod/keda-operator'],
  ['openfaas', 'openfaas serverless framework', '6.2.2', 'pod/gateway'],
  [
    'openebs',
    'OpenEBS is the open-source storage solution for Kubernetes',
    '2.6.0',
    'pod/openebs-ndm',
  ],
  [
    'kata',
    'Kata Containers is a secure runtime with lightweight VMS',
    'latest/stable',
    '${SNAP_DATA}/var/lock/kata.enabled',
  ],
  ['inaccel', 'Simplifying FPGA management in Kubernetes', '', 'daemonset.apps/fpga-operator', 23],
];

/** The core repository's addons for the installed track, sorted like get_available_addons(). */
export function availableAddons(rel) {
  const m = minor(rel);
  if (m < 24) {
    return LEGACY.filter(([, , , , since]) => !since || m >= since)
      .map(([name, description, version, check]) => ({
        name,
        description,
        version,
        check_status: check,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
  const strict = !!rel.strict;
  return CATALOGUE.filter(([name, , , , conf]) => {
    if (SINCE[name] && m < SINCE[name]) return false;
    if (name === 'dashboard' && m >= 36) return false;
    if (name === 'hostpath-storage' && m < 24) return false;
    if (conf && strict && conf !== 'strict') return false;
    return true;
  })
    .map(([name, description, version, check]) => ({
      name,
      description,
      version,
      check_status: check,
      repository: 'core',
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** is_enabled(): a check_status is either a `TYPE/NAME` prefix in kubectl output or a file. */
export function isEnabled(addon, rows) {
  const check = addon.check_status;
  if (check.startsWith('${')) {
    const file = check
      .replace('${SNAP}', SNAP)
      .replace('${SNAP_DATA}', SNAP_DATA)
      .replace('${SNAP_COMMON}', SNAP_COMMON);
    // The real snap ships helm under $SNAP/bin; the snap double does not lay out binaries.
    if (check.startsWith('${SNAP}/bin/')) return true;
    return fs.existsSync(file);
  }
  if (rows.some((r) => r.includes(check))) return true;
  return fs.existsSync(`${SNAP_DATA}/var/lock/bed-addon-${addon.name}`);
}

// ------------------------------------------------------------------ manifests

const meta = (name, namespace, labels) => {
  const m = { name };
  if (namespace) m.namespace = namespace;
  if (labels) m.labels = labels;
  return m;
};

const clusterRole = (name, rules) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: meta(name),
  rules,
});
const clusterRoleBinding = (name, sa, ns) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: meta(name),
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
  subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
});

function corednsVersion(m) {
  if (m >= 33) return '1.12.3';
  if (m >= 30) return '1.11.3';
  if (m >= 27) return '1.10.1';
  return '1.9.3';
}

export function dnsManifest(rel, nameservers) {
  const labels = { 'k8s-app': 'kube-dns' };
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta('coredns', 'kube-system', {
        'k8s-app': 'kube-dns',
        'kubernetes.io/cluster-service': 'true',
        'addonmanager.kubernetes.io/mode': 'Reconcile',
      }),
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('coredns', 'kube-system', {
        'addonmanager.kubernetes.io/mode': 'EnsureExists',
        'k8s-app': 'kube-dns',
      }),
      data: {
        Corefile: `.:53 {\n    errors\n    health {\n      lameduck 5s\n    }\n    ready\n    log . {\n      class error\n    }\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n      pods insecure\n      fallthrough in-addr.arpa ip6.arpa\n    }\n    prometheus :9153\n    forward . ${nameservers}\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n`,
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('coredns', 'kube-system', {
        'k8s-app': 'kube-dns',
        'kubernetes.io/cluster-service': 'true',
        'addonmanager.kubernetes.io/mode': 'Reconcile',
        'kubernetes.io/name': 'CoreDNS',
      }),
      spec: {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations: { 'scheduler.alpha.kubernetes.io/critical-pod': '' } },
          spec: {
            serviceAccountName: 'coredns',
            tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            containers: [
              {
                name: 'coredns',
                image: `coredns/coredns:${corednsVersion(minor(rel))}`,
                imagePullPolicy: 'IfNotPresent',
                args: ['-conf', '/etc/coredns/Corefile'],
                volumeMounts: [
                  { name: 'config-volume', mountPath: '/etc/coredns', readOnly: true },
                ],
                ports: [
                  { containerPort: 53, name: 'dns', protocol: 'UDP' },
                  { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
                  { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
                ],
                livenessProbe: {
                  httpGet: { path: '/health', port: 8080, scheme: 'HTTP' },
                  initialDelaySeconds: 60,
                  timeoutSeconds: 5,
                  successThreshold: 1,
                  failureThreshold: 5,
                },
                readinessProbe: { httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' } },
              },
            ],
            dnsPolicy: 'Default',
            volumes: [
              {
                name: 'config-volume',
                configMap: { name: 'coredns', items: [{ key: 'Corefile', path: 'Corefile' }] },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('kube-dns', 'kube-system', {
        'k8s-app': 'kube-dns',
        'kubernetes.io/cluster-service': 'true',
        'addonmanager.kubernetes.io/mode': 'Reconcile',
        'kubernetes.io/name': 'CoreDNS',
      }),
      spec: {
        selector: labels,
        clusterIP: '10.152.183.10',
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          { name: 'metrics', port: 9153, protocol: 'TCP' },
        ],
      },
    },
    clusterRole('coredns', [
      {
        apiGroups: [''],
        resources: ['endpoints', 'services', 'pods', 'namespaces'],
        verbs: ['list', 'watch'],
      },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ]),
    clusterRoleBinding('coredns', 'coredns', 'kube-system'),
  ];
}

export function storageManifest(rel, { reclaimPolicy = 'Delete', defaultClass = 'true' } = {}) {
  const labels = { 'k8s-app': 'hostpath-provisioner' };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('hostpath-provisioner', 'kube-system', labels),
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'microk8s-hostpath',
            containers: [
              {
                name: 'hostpath-provisioner',
                image: `cdkbot/hostpath-provisioner:${minor(rel) >= 32 ? '1.6.0' : '1.5.0'}`,
                env: [
                  { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                  { name: 'PV_DIR', value: `${SNAP_COMMON}/default-storage` },
                  { name: 'BUSYBOX_IMAGE', value: 'busybox:1.28.4' },
                ],
                volumeMounts: [{ name: 'pv-volume', mountPath: `${SNAP_COMMON}/default-storage` }],
              },
            ],
            volumes: [{ name: 'pv-volume', hostPath: { path: `${SNAP_COMMON}/default-storage` } }],
          },
        },
      },
    },
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: 'microk8s-hostpath',
        annotations: { 'storageclass.kubernetes.io/is-default-class': defaultClass },
      },
      provisioner: 'microk8s.io/hostpath',
      reclaimPolicy,
      volumeBindingMode: 'WaitForFirstConsumer',
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta('microk8s-hostpath', 'kube-system'),
    },
    clusterRole('microk8s-hostpath', [
      {
        apiGroups: [''],
        resources: ['persistentvolumes'],
        verbs: ['get', 'list', 'watch', 'create', 'delete'],
      },
      {
        apiGroups: [''],
        resources: ['persistentvolumeclaims'],
        verbs: ['get', 'list', 'watch', 'update'],
      },
      {
        apiGroups: ['storage.k8s.io'],
        resources: ['storageclasses'],
        verbs: ['get', 'list', 'watch'],
      },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'update', 'patch'] },
    ]),
    clusterRoleBinding('microk8s-hostpath', 'microk8s-hostpath', 'kube-system'),
  ];
}

export function registryManifest(size, storageClass) {
  const labels = { app: 'registry' };
  const pvc = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta('registry-claim', 'container-registry'),
    spec: {
      accessModes: ['ReadWriteMany'],
      volumeMode: 'Filesystem',
      resources: { requests: { storage: size } },
    },
  };
  if (storageClass) pvc.spec.storageClassName = storageClass;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta('container-registry') },
    pvc,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('registry', 'container-registry', labels),
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'registry',
                image: 'registry:2.8.3',
                env: [
                  { name: 'REGISTRY_HTTP_ADDR', value: ':5000' },
                  { name: 'REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY', value: '/var/lib/registry' },
                  { name: 'REGISTRY_STORAGE_DELETE_ENABLED', value: 'yes' },
                ],
                ports: [{ containerPort: 5000, name: 'registry', protocol: 'TCP' }],
                volumeMounts: [{ mountPath: '/var/lib/registry', name: 'registry-data' }],
              },
            ],
            volumes: [
              { name: 'registry-data', persistentVolumeClaim: { claimName: 'registry-claim' } },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('registry', 'container-registry', labels),
      spec: {
        type: 'NodePort',
        selector: labels,
        ports: [{ name: 'registry', port: 5000, targetPort: 5000, nodePort: 32000 }],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('local-registry-hosting', 'kube-public'),
      data: {
        'localRegistryHosting.v1':
          'help: "https://microk8s.io/docs/registry-built-in"\nhost: "localhost:32000"\n',
      },
    },
  ];
}

function crd(group, kind, plural) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase() },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1beta1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      ],
    },
  };
}

export function metallbCrds() {
  return [
    crd('metallb.io', 'BFDProfile', 'bfdprofiles'),
    crd('metallb.io', 'BGPAdvertisement', 'bgpadvertisements'),
    crd('metallb.io', 'BGPPeer', 'bgppeers'),
    crd('metallb.io', 'Community', 'communities'),
    crd('metallb.io', 'IPAddressPool', 'ipaddresspools'),
    crd('metallb.io', 'L2Advertisement', 'l2advertisements'),
  ];
}

export function metallbManifest() {
  const ns = 'metallb-system';
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(ns, undefined, { app: 'metallb' }) },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta('controller', ns, { app: 'metallb' }),
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('speaker', ns, { app: 'metallb' }) },
    clusterRole('metallb-system:controller', [
      { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
    ]),
    clusterRole('metallb-system:speaker', [
      {
        apiGroups: [''],
        resources: ['services', 'endpoints', 'nodes'],
        verbs: ['get', 'list', 'watch'],
      },
    ]),
    clusterRoleBinding('metallb-system:controller', 'controller', ns),
    clusterRoleBinding('metallb-system:speaker', 'speaker', ns),
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta('speaker', ns, { app: 'metallb', component: 'speaker' }),
      spec: {
        selector: { matchLabels: { app: 'metallb', component: 'speaker' } },
        template: {
          metadata: { labels: { app: 'metallb', component: 'speaker' } },
          spec: {
            serviceAccountName: 'speaker',
            hostNetwork: true,
            containers: [
              {
                name: 'speaker',
                image: 'quay.io/metallb/speaker:v0.15.2',
                args: ['--port=7472', '--log-level=info'],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('controller', ns, { app: 'metallb', component: 'controller' }),
      spec: {
        revisionHistoryLimit: 3,
        selector: { matchLabels: { app: 'metallb', component: 'controller' } },
        template: {
          metadata: { labels: { app: 'metallb', component: 'controller' } },
          spec: {
            serviceAccountName: 'controller',
            containers: [
              {
                name: 'controller',
                image: 'quay.io/metallb/controller:v0.15.2',
                args: ['--port=7472', '--log-level=info'],
              },
            ],
          },
        },
      },
    },
  ];
}

export function metallbPool(ranges) {
  return [
    {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: meta('default-addresspool', 'metallb-system'),
      spec: { addresses: ranges },
    },
    {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'L2Advertisement',
      metadata: meta('default-advertise-all-pools', 'metallb-system'),
      spec: { ipAddressPools: ['default-addresspool'] },
    },
  ];
}

export function ingressManifest(rel) {
  const ns = 'ingress';
  const labels = { name: 'nginx-ingress-microk8s' };
  const tag = minor(rel) >= 34 ? 'v1.13.1' : 'v1.11.2';
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(ns) },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta('nginx-ingress-microk8s-serviceaccount', ns),
    },
    clusterRole('nginx-ingress-microk8s-clusterrole', [
      {
        apiGroups: [''],
        resources: ['configmaps', 'endpoints', 'nodes', 'pods', 'secrets', 'namespaces'],
        verbs: ['list', 'watch'],
      },
    ]),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta('nginx-ingress-microk8s-role', ns),
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps', 'pods', 'secrets', 'endpoints'],
          verbs: ['get'],
        },
      ],
    },
    clusterRoleBinding('nginx-ingress-microk8s', 'nginx-ingress-microk8s-serviceaccount', ns),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('nginx-ingress-microk8s', ns),
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'nginx-ingress-microk8s-role',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'nginx-ingress-microk8s-serviceaccount' }],
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('nginx-load-balancer-microk8s-conf', ns),
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('nginx-ingress-tcp-microk8s-conf', ns) },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('nginx-ingress-udp-microk8s-conf', ns) },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: meta('public', undefined),
      spec: { controller: 'k8s.io/ingress-nginx' },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: meta('nginx', undefined),
      spec: { controller: 'k8s.io/ingress-nginx' },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta('nginx-ingress-microk8s-controller', ns, {
        'microk8s-application': 'nginx-ingress-microk8s',
      }),
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: {
          rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
          type: 'RollingUpdate',
        },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'nginx-ingress-microk8s-serviceaccount',
            containers: [
              {
                name: 'nginx-ingress-microk8s',
                image: `registry.k8s.io/ingress-nginx/controller:${tag}`,
                args: [
                  '/nginx-ingress-controller',
                  '--configmap=$(POD_NAMESPACE)/nginx-load-balancer-microk8s-conf',
                  '--ingress-class=public',
                  '--publish-status-address=127.0.0.1',
                ],
                ports: [
                  { containerPort: 80, hostPort: 80, name: 'http', protocol: 'TCP' },
                  { containerPort: 443, hostPort: 443, name: 'https', protocol: 'TCP' },
                ],
              },
            ],
          },
        },
      },
    },
  ];
}

export function metricsServerManifest() {
  const labels = { 'k8s-app': 'metrics-server' };
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta('metrics-server', 'kube-system', labels),
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('metrics-server', 'kube-system', labels),
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'metrics-server',
            containers: [
              {
                name: 'metrics-server',
                image: 'registry.k8s.io/metrics-server/metrics-server:v0.8.0',
                args: ['--kubelet-insecure-tls'],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('metrics-server', 'kube-system', labels),
      spec: {
        selector: labels,
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 'https' }],
      },
    },
  ];
}

/** calico, as the snap's install applies it (cni.yaml): the node's network. */
export function calicoManifest() {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('calico-node', 'kube-system') },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta('calico-kube-controllers', 'kube-system'),
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta('calico-node', 'kube-system', { 'k8s-app': 'calico-node' }),
      spec: {
        selector: { matchLabels: { 'k8s-app': 'calico-node' } },
        template: {
          metadata: { labels: { 'k8s-app': 'calico-node' } },
          spec: {
            hostNetwork: true,
            serviceAccountName: 'calico-node',
            tolerations: [
              { effect: 'NoSchedule', operator: 'Exists' },
              { key: 'CriticalAddonsOnly', operator: 'Exists' },
              { effect: 'NoExecute', operator: 'Exists' },
            ],
            initContainers: [
              { name: 'upgrade-ipam', image: 'docker.io/calico/cni:v3.29.3' },
              { name: 'install-cni', image: 'docker.io/calico/cni:v3.29.3' },
            ],
            containers: [{ name: 'calico-node', image: 'docker.io/calico/node:v3.29.3' }],
          },
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('calico-kube-controllers', 'kube-system', {
        'k8s-app': 'calico-kube-controllers',
      }),
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { 'k8s-app': 'calico-kube-controllers' } },
        template: {
          metadata: { labels: { 'k8s-app': 'calico-kube-controllers' } },
          spec: {
            serviceAccountName: 'calico-kube-controllers',
            tolerations: [
              { key: 'CriticalAddonsOnly', operator: 'Exists' },
              { effect: 'NoSchedule', key: 'node-role.kubernetes.io/master' },
            ],
            containers: [
              {
                name: 'calico-kube-controllers',
                image: 'docker.io/calico/kube-controllers:v3.29.3',
              },
            ],
          },
        },
      },
    },
  ];
}

/**
 * The workloads of each addon: the kubelet makes these "pull" from the store and become ready
 * by themselves, and the addonNeverReady fault keeps the named addon's pods unready.
 */
export const ADDON_WORKLOADS = [
  { addon: 'dns', namespace: 'kube-system', label: ['k8s-app', 'kube-dns'] },
  {
    addon: 'hostpath-storage',
    namespace: 'kube-system',
    label: ['k8s-app', 'hostpath-provisioner'],
  },
  { addon: 'registry', namespace: 'container-registry', label: ['app', 'registry'] },
  { addon: 'metallb', namespace: 'metallb-system', label: ['app', 'metallb'] },
  { addon: 'ingress', namespace: 'ingress', label: ['name', 'nginx-ingress-microk8s'] },
  { addon: 'metrics-server', namespace: 'kube-system', label: ['k8s-app', 'metrics-server'] },
  { addon: 'calico', namespace: 'kube-system', label: ['k8s-app', 'calico-node'] },
  { addon: 'calico', namespace: 'kube-system', label: ['k8s-app', 'calico-kube-controllers'] },
];

/** The addon a pod belongs to, if it is one of the addons' own workloads. */
export function addonOfPod(pod) {
  const l = pod.metadata.labels ?? {};
  const w = ADDON_WORKLOADS.find(
    (x) => x.namespace === pod.metadata.namespace && l[x.label[0]] === x.label[1],
  );
  return w?.addon ?? null;
}

/** Whether the addonNeverReady fault names this addon (storage is hostpath-storage). */
export function addonFaulted(fault, addon) {
  if (!fault || !addon) return false;
  const names = Array.isArray(fault) ? fault : [fault];
  return names.some((n) => n === addon || (n === 'storage' && addon === 'hostpath-storage'));
}
