// What enabling the emulated addons deploys: the same object names, labels and images as the
// real manifests, cut down to what the bed uses; and calico, which the snap's install applies.
import { SNAP_COMMON, minor } from './env.mjs';

const meta = (name, namespace, labels) => {
  const m = { name };
  if (namespace) m.namespace = namespace;
  if (labels) m.labels = labels;
  return m;
};

const namespace = (name, labels) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: meta(name, undefined, labels),
});
const serviceAccount = (name, ns, labels) => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: meta(name, ns, labels),
});
const configMap = (name, ns, extra = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: meta(name, ns, extra.labels),
  ...(extra.data ? { data: extra.data } : {}),
});
const service = (name, ns, labels, spec) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: meta(name, ns, labels),
  spec,
});
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
const rule = (apiGroup, resources, verbs) => ({ apiGroups: [apiGroup], resources, verbs });

/**
 * A Deployment or DaemonSet whose pods carry `pod.labels` (its selector); `spec` holds its other
 * fields (replicas, strategy...), `pod.annotations` the template's.
 */
const workload = (kind, name, ns, labels, pod, spec = {}) => ({
  apiVersion: 'apps/v1',
  kind,
  metadata: meta(name, ns, labels),
  spec: {
    ...spec,
    selector: { matchLabels: pod.labels },
    template: {
      metadata: pod.annotations
        ? { labels: pod.labels, annotations: pod.annotations }
        : { labels: pod.labels },
      spec: pod.spec,
    },
  },
});

function corednsVersion(m) {
  if (m >= 33) return '1.12.3';
  if (m >= 30) return '1.11.3';
  if (m >= 27) return '1.10.1';
  return '1.9.3';
}

export function dnsManifest(rel, nameservers) {
  const labels = { 'k8s-app': 'kube-dns' };
  const reconciled = {
    'k8s-app': 'kube-dns',
    'kubernetes.io/cluster-service': 'true',
    'addonmanager.kubernetes.io/mode': 'Reconcile',
  };
  const named = { ...reconciled, 'kubernetes.io/name': 'CoreDNS' };
  return [
    serviceAccount('coredns', 'kube-system', reconciled),
    configMap('coredns', 'kube-system', {
      labels: { 'addonmanager.kubernetes.io/mode': 'EnsureExists', 'k8s-app': 'kube-dns' },
      data: {
        Corefile: `.:53 {\n    errors\n    health {\n      lameduck 5s\n    }\n    ready\n    log . {\n      class error\n    }\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n      pods insecure\n      fallthrough in-addr.arpa ip6.arpa\n    }\n    prometheus :9153\n    forward . ${nameservers}\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n`,
      },
    }),
    workload(
      'Deployment',
      'coredns',
      'kube-system',
      named,
      {
        labels,
        annotations: { 'scheduler.alpha.kubernetes.io/critical-pod': '' },
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
              volumeMounts: [{ name: 'config-volume', mountPath: '/etc/coredns', readOnly: true }],
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
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } },
    ),
    service('kube-dns', 'kube-system', named, {
      selector: labels,
      clusterIP: '10.152.183.10',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        { name: 'metrics', port: 9153, protocol: 'TCP' },
      ],
    }),
    clusterRole('coredns', [
      rule('', ['endpoints', 'services', 'pods', 'namespaces'], ['list', 'watch']),
      rule('discovery.k8s.io', ['endpointslices'], ['list', 'watch']),
    ]),
    clusterRoleBinding('coredns', 'coredns', 'kube-system'),
  ];
}

export function storageManifest(rel, { reclaimPolicy = 'Delete', defaultClass = 'true' } = {}) {
  const labels = { 'k8s-app': 'hostpath-provisioner' };
  const dir = `${SNAP_COMMON}/default-storage`;
  return [
    workload(
      'Deployment',
      'hostpath-provisioner',
      'kube-system',
      labels,
      {
        labels,
        spec: {
          serviceAccountName: 'microk8s-hostpath',
          containers: [
            {
              name: 'hostpath-provisioner',
              image: `cdkbot/hostpath-provisioner:${minor(rel) >= 32 ? '1.6.0' : '1.5.0'}`,
              env: [
                { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                { name: 'PV_DIR', value: dir },
                { name: 'BUSYBOX_IMAGE', value: 'busybox:1.28.4' },
              ],
              volumeMounts: [{ name: 'pv-volume', mountPath: dir }],
            },
          ],
          volumes: [{ name: 'pv-volume', hostPath: { path: dir } }],
        },
      },
      { replicas: 1 },
    ),
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
    serviceAccount('microk8s-hostpath', 'kube-system'),
    clusterRole('microk8s-hostpath', [
      rule('', ['persistentvolumes'], ['get', 'list', 'watch', 'create', 'delete']),
      rule('', ['persistentvolumeclaims'], ['get', 'list', 'watch', 'update']),
      rule('storage.k8s.io', ['storageclasses'], ['get', 'list', 'watch']),
      rule('', ['events'], ['create', 'update', 'patch']),
    ]),
    clusterRoleBinding('microk8s-hostpath', 'microk8s-hostpath', 'kube-system'),
  ];
}

export function registryManifest(size, storageClass) {
  const ns = 'container-registry';
  const labels = { app: 'registry' };
  const pvc = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta('registry-claim', ns),
    spec: {
      accessModes: ['ReadWriteMany'],
      volumeMode: 'Filesystem',
      resources: { requests: { storage: size } },
    },
  };
  if (storageClass) pvc.spec.storageClassName = storageClass;
  return [
    namespace(ns),
    pvc,
    workload(
      'Deployment',
      'registry',
      ns,
      labels,
      {
        labels,
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
      { replicas: 1 },
    ),
    service('registry', ns, labels, {
      type: 'NodePort',
      selector: labels,
      ports: [{ name: 'registry', port: 5000, targetPort: 5000, nodePort: 32000 }],
    }),
    configMap('local-registry-hosting', 'kube-public', {
      data: {
        'localRegistryHosting.v1':
          'help: "https://microk8s.io/docs/registry-built-in"\nhost: "localhost:32000"\n',
      },
    }),
  ];
}

function crd(kind, plural) {
  const group = 'metallb.io';
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
    crd('BFDProfile', 'bfdprofiles'),
    crd('BGPAdvertisement', 'bgpadvertisements'),
    crd('BGPPeer', 'bgppeers'),
    crd('Community', 'communities'),
    crd('IPAddressPool', 'ipaddresspools'),
    crd('L2Advertisement', 'l2advertisements'),
  ];
}

export function metallbManifest() {
  const ns = 'metallb-system';
  const app = { app: 'metallb' };
  const component = (name, image, podSpec) => ({
    labels: { app: 'metallb', component: name },
    spec: {
      serviceAccountName: name,
      ...podSpec,
      containers: [{ name, image, args: ['--port=7472', '--log-level=info'] }],
    },
  });
  const speaker = component('speaker', 'quay.io/metallb/speaker:v0.15.2', { hostNetwork: true });
  const controller = component('controller', 'quay.io/metallb/controller:v0.15.2');
  return [
    namespace(ns, app),
    serviceAccount('controller', ns, app),
    serviceAccount('speaker', ns, app),
    clusterRole('metallb-system:controller', [rule('', ['services'], ['get', 'list', 'watch'])]),
    clusterRole('metallb-system:speaker', [
      rule('', ['services', 'endpoints', 'nodes'], ['get', 'list', 'watch']),
    ]),
    clusterRoleBinding('metallb-system:controller', 'controller', ns),
    clusterRoleBinding('metallb-system:speaker', 'speaker', ns),
    workload('DaemonSet', 'speaker', ns, speaker.labels, speaker),
    workload('Deployment', 'controller', ns, controller.labels, controller, {
      revisionHistoryLimit: 3,
    }),
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
  const sa = 'nginx-ingress-microk8s-serviceaccount';
  const tag = minor(rel) >= 34 ? 'v1.13.1' : 'v1.11.2';
  const ingressClass = (name) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: meta(name),
    spec: { controller: 'k8s.io/ingress-nginx' },
  });
  return [
    namespace(ns),
    serviceAccount(sa, ns),
    clusterRole('nginx-ingress-microk8s-clusterrole', [
      rule(
        '',
        ['configmaps', 'endpoints', 'nodes', 'pods', 'secrets', 'namespaces'],
        ['list', 'watch'],
      ),
    ]),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta('nginx-ingress-microk8s-role', ns),
      rules: [rule('', ['configmaps', 'pods', 'secrets', 'endpoints'], ['get'])],
    },
    clusterRoleBinding('nginx-ingress-microk8s', sa, ns),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('nginx-ingress-microk8s', ns),
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'nginx-ingress-microk8s-role',
      },
      subjects: [{ kind: 'ServiceAccount', name: sa }],
    },
    configMap('nginx-load-balancer-microk8s-conf', ns),
    configMap('nginx-ingress-tcp-microk8s-conf', ns),
    configMap('nginx-ingress-udp-microk8s-conf', ns),
    ingressClass('public'),
    ingressClass('nginx'),
    workload(
      'DaemonSet',
      'nginx-ingress-microk8s-controller',
      ns,
      { 'microk8s-application': 'nginx-ingress-microk8s' },
      {
        labels: { name: 'nginx-ingress-microk8s' },
        spec: {
          serviceAccountName: sa,
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
      {
        updateStrategy: {
          rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
          type: 'RollingUpdate',
        },
      },
    ),
  ];
}

export function metricsServerManifest() {
  const labels = { 'k8s-app': 'metrics-server' };
  return [
    serviceAccount('metrics-server', 'kube-system', labels),
    workload('Deployment', 'metrics-server', 'kube-system', labels, {
      labels,
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
    }),
    service('metrics-server', 'kube-system', labels, {
      selector: labels,
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 'https' }],
    }),
  ];
}

/** calico, as the snap's install applies it (cni.yaml): the node's network. */
export function calicoManifest() {
  const node = { 'k8s-app': 'calico-node' };
  const controllers = { 'k8s-app': 'calico-kube-controllers' };
  return [
    serviceAccount('calico-node', 'kube-system'),
    serviceAccount('calico-kube-controllers', 'kube-system'),
    workload('DaemonSet', 'calico-node', 'kube-system', node, {
      labels: node,
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
    }),
    workload(
      'Deployment',
      'calico-kube-controllers',
      'kube-system',
      controllers,
      {
        labels: controllers,
        spec: {
          serviceAccountName: 'calico-kube-controllers',
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { effect: 'NoSchedule', key: 'node-role.kubernetes.io/master' },
          ],
          containers: [
            { name: 'calico-kube-controllers', image: 'docker.io/calico/kube-controllers:v3.29.3' },
          ],
        },
      },
      { replicas: 1, strategy: { type: 'Recreate' } },
    ),
  ];
}
