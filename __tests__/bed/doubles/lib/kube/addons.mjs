// MicroK8s core addons: the catalogue `microk8s status` lists per track, whether one is enabled,
// and their workloads, whose images the kubelet treats as pulled from the store (the bed has no
// Docker Hub) and whose pods it makes ready a moment later. What enabling one deploys is in
// addon-manifests.mjs.
import fs from 'node:fs';
import { SNAP, SNAP_DATA, SNAP_COMMON, minor } from './env.mjs';

// The bootstrap in kubelite.mjs applies the install's network from here.
export { calicoManifest } from './addon-manifests.mjs';

/**
 * Catalogue rows: `name | version | check_status | description`, then any of `1.NN+` (the first
 * track that ships it), `<1.NN` (the first that does not) and `classic` (not on strict tracks).
 */
function catalogue(text) {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [name, version, check, description, ...notes] = line.split('|').map((s) => s.trim());
      const since = notes.find((n) => n.endsWith('+'));
      const until = notes.find((n) => n.startsWith('<'));
      const minorOf = (track) => parseInt(track.split('.')[1], 10);
      return {
        addon: { name, description, version, check_status: check },
        since: since ? minorOf(since) : 0,
        until: until ? minorOf(until) : Infinity,
        classic: notes.includes('classic'),
      };
    });
}

// The core addons repository (branches 1.24 ... 1.35, main), with 1.34's addons.yaml versions.
const CORE = catalogue(`
dns              | 1.12.3  | pod/coredns                                         | CoreDNS
rbac             |         | clusterrole.rbac.authorization.k8s.io/cluster-admin | Role-Based Access Control for authorisation
dashboard        | 7.13.0  | pod/kubernetes-dashboard                            | The Kubernetes dashboard | <1.36
ingress          | 1.13.1  | pod/nginx-ingress-microk8s-controller               | Ingress controller for external access
hostpath-storage | 1.5.0   | deployment.apps/hostpath-provisioner                | Storage class; allocates storage from host directory
storage          | 1.5.0   | deployment.apps/hostpath-provisioner                | Alias to hostpath-storage add-on, deprecated
registry         | 2.8.3   | deployment.apps/registry                            | Private image registry exposed on localhost:32000
metrics-server   | 0.8.0   | pod/metrics-server                                  | K8s Metrics Server for API access to service metrics
nvidia           | gpu=25.3.2/network=25.1.0/microk8s-1 | operator-node-feature-discovery | NVIDIA hardware (GPU and network) support | 1.29+ | classic
gpu              | 25.3.2  | operator-node-feature-discovery                     | Alias to nvidia add-on | classic
helm             | 3.18.6  | \${SNAP}/bin/helm                                   | Helm - the package manager for Kubernetes
helm3            | 3.18.6  | \${SNAP}/bin/helm                                   | Helm 3 - the package manager for Kubernetes
metallb          | 0.15.2  | pod/speaker                                         | Loadbalancer for your Kubernetes cluster
host-access      | 1.0.0   | \${SNAP_DATA}/var/lock/host-access-enabled          | Allow Pods connecting to Host services smoothly
ha-cluster       | 0.1.0   | \${SNAP_DATA}/var/lock/ha-cluster                   | Configure high availability on the current node
mayastor         | 2.0.0-microk8s-1 | daemonset.apps/mayastor                    | OpenEBS MayaStor
prometheus       | v0.8.0  | pod/prometheus-k8s-0                                | Prometheus operator for monitoring and logging
observability    | 76.4.1  | statefulset.apps/prometheus-kube-prom-stack-kube-prome-prometheus | A lightweight observability stack for logs, traces and metrics | 1.25+
community        |         | \${SNAP_COMMON}/addons/community/addons.yaml        | The community addons repository
cert-manager     | 1.18.2  | deployment.apps/cert-manager                        | Cloud native certificate management | 1.25+
kube-ovn         | 1.13.8  | deployment.apps/kube-ovn-controller                 | An advanced network fabric for Kubernetes | 1.25+ | classic
minio            | v6.0.4  | deployment.apps/minio-operator                      | MinIO object storage | 1.26+
cis-hardening    | 1.0.0   | \${SNAP_DATA}/var/lock/cis-hardening                | Apply CIS K8s hardening | 1.28+
rook-ceph        | 1.18.0  | deployment.apps/rook-ceph-operator                  | Distributed Ceph storage using Rook | 1.28+
`);

// Before 1.24 the addons shipped inside the snap (addon-lists.yaml), with no repositories.
const LEGACY = catalogue(`
dns               | 1.8.0         | pod/coredns                                             | CoreDNS
rbac              |               | clusterrole.rbac.authorization.k8s.io/cluster-admin     | Role-Based Access Control for authorisation
dashboard         | 2.3.0         | pod/kubernetes-dashboard                                | The Kubernetes dashboard
dashboard-ingress | 1.0.0         | ingress.networking.k8s.io/kubernetes-dashboard-ingress  | Ingress definition for Kubernetes dashboard | 1.23+
ingress           | 1.0.0-alpha.2 | pod/nginx-ingress-microk8s-controller                   | Ingress controller for external access
storage           | 1.0.0         | pod/hostpath-provisioner                                | Storage class; allocates storage from host directory
registry          | 2.6           | pod/registry                                            | Private image registry exposed on localhost:32000
metrics-server    | 0.5.0         | pod/metrics-server                                      | K8s Metrics Server for API access to service metrics
istio             | 1.10.3        | \${SNAP_DATA}/bin/istioctl                              | Core Istio service mesh services
knative           | 0.24.0        | deployment.apps/eventing-webhook                        | The Knative framework on Kubernetes.
gpu               | 1.7.0         | daemonset.apps/nvidia-device-plugin-daemonset           | Automatic enablement of Nvidia CUDA
prometheus        | v0.8.0        | pod/prometheus-k8s-0                                    | Prometheus operator for monitoring and logging
fluentd           | 3.1.0         | daemonset.apps/fluentd-es-v3.1.0                        | Elasticsearch-Fluentd-Kibana logging and monitoring
jaeger            | 1.24.0        | pod/jaeger-operator                                     | Kubernetes Jaeger operator with its simple config
linkerd           | 2.10.2        | pod/linkerd-controller                                  | Linkerd is a service mesh for Kubernetes and other frameworks
cilium            | 1.10          | pod/cilium                                              | SDN, fast with full network policy
multus            | 3.4.2         | \${SNAP_DATA}/args/cni-network/00-multus.conf           | Multus CNI enables attaching multiple network interfaces to pods
helm              | 2.16.0        | \${SNAP_DATA}/bin/helm                                  | Helm 2 - the package manager for Kubernetes
helm3             | 3.0.2         | \${SNAP_DATA}/bin/helm3                                 | Helm 3 - Kubernetes package manager
kubeflow          |               | pod/ambassador-operator-0                               | Kubeflow for easy ML deployments
metallb           | 0.9.3         | pod/speaker                                             | Loadbalancer for your Kubernetes cluster
host-access       | 1.0.0         | \${SNAP_DATA}/var/lock/host-access-enabled              | Allow Pods connecting to Host services smoothly
ambassador        |               | deployment.apps/ambassador-operator                     | Ambassador API Gateway and Ingress
ha-cluster        | 0.1.0         | \${SNAP_DATA}/var/lock/ha-cluster                       | Configure high availability on the current node
portainer         | 2.0.0         | pod/portainer                                           | Portainer UI for your Kubernetes cluster
traefik           | 2.5.0         | pod/traefik-ingress-controller                          | traefik Ingress controller for external access
keda              | 2.1.0         | pod/keda-operator                                       | Kubernetes-based Event Driven Autoscaling
openfaas          | 6.2.2         | pod/gateway                                             | openfaas serverless framework
openebs           | 2.6.0         | pod/openebs-ndm                                         | OpenEBS is the open-source storage solution for Kubernetes
kata              | latest/stable | \${SNAP_DATA}/var/lock/kata.enabled                     | Kata Containers is a secure runtime with lightweight VMS
inaccel           |               | daemonset.apps/fpga-operator                            | Simplifying FPGA management in Kubernetes | 1.23+
`);

/** The addons of the installed track (core ones from 1.24), sorted like get_available_addons(). */
export function availableAddons(rel) {
  const m = minor(rel);
  const core = m >= 24;
  return (core ? CORE : LEGACY)
    .filter((a) => m >= a.since && m < a.until && !(a.classic && rel.strict))
    .map((a) => (core ? { ...a.addon, repository: 'core' } : { ...a.addon }))
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

/**
 * The workloads of each addon: the kubelet makes these "pull" from the store and become ready
 * by themselves, and the addonNeverReady fault keeps the named addon's pods unready.
 */
const ADDON_WORKLOADS = [
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
