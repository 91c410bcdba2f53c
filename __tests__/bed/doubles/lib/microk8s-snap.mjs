// The MicroK8s snap's files, as snapd and the snap's install/configure hooks lay them out:
// /snap/microk8s/<rev> (read-only snap content), /var/snap/microk8s/<rev> ($SNAP_DATA, with args/),
// /var/snap/microk8s/common ($SNAP_COMMON), `current` symlinks and /snap/bin/microk8s.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MICROK8S_DOUBLE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'microk8s',
);
const SNAP_COMMON = '/var/snap/microk8s/common';
// `snap install` creates a /snap/bin entry per app; these are the MicroK8s commands that exist
// on every track the bed offers.
const APPS = [
  'kubectl',
  'ctr',
  'status',
  'enable',
  'disable',
  'config',
  'inspect',
  'start',
  'stop',
  'version',
  'images',
  'add-node',
  'join',
  'leave',
  'reset',
  'refresh-certs',
];

/** Installs a MicroK8s release (see tracks.lookup) the way snapd + the install hook would. */
export function layOut(rel) {
  const minor = Number(rel.minor.split('.')[1]);
  const snap = `/snap/microk8s/${rel.revision}`;
  const data = `/var/snap/microk8s/${rel.revision}`;

  fs.mkdirSync(`${snap}/meta`, { recursive: true });
  fs.writeFileSync(`${snap}/bed-release.json`, `${JSON.stringify(rel, null, 2)}\n`);
  fs.writeFileSync(
    `${snap}/meta/snap.yaml`,
    `name: microk8s\nversion: ${rel.version}\nsummary: Kubernetes for workstations and appliances\n` +
      `grade: stable\nconfinement: ${rel.confinement}\nbase: ${minor >= 28 ? 'core22' : 'core20'}\n`,
  );
  if (minor >= 27) fs.writeFileSync(`${snap}/microk8s.default.yaml`, LAUNCH_DEFAULT);
  relink(`/snap/microk8s/current`, String(rel.revision));

  fs.mkdirSync('/snap/bin', { recursive: true });
  writeExecutable('/snap/bin/microk8s', wrapper([]));
  for (const app of APPS) writeExecutable(`/snap/bin/microk8s.${app}`, wrapper([app]));

  for (const dir of [
    'var/lib/containerd',
    'var/lib/kubelet',
    'run',
    'etc/sideload',
    'default-storage',
  ]) {
    fs.mkdirSync(`${SNAP_COMMON}/${dir}`, { recursive: true });
  }
  fs.mkdirSync(data, { recursive: true });
  writeArgs(`${data}/args`, minor);
  writeCredentials(data);
  for (const dir of ['var/lock', 'var/kubernetes/backend', 'opt/cni/bin', 'tmp']) {
    fs.mkdirSync(`${data}/${dir}`, { recursive: true });
  }
  fs.writeFileSync(`${data}/var/lock/lite.lock`, '');
  fs.writeFileSync(`${data}/var/lock/ha-cluster`, '');
  if (minor >= 27) copyLaunchConfig(snap);
  relink(`/var/snap/microk8s/current`, String(rel.revision));
  restrictToGroup(data, rel.strict ? 'snap_microk8s' : 'microk8s');
}

/**
 * A refresh: snapd mounts the new revision and copies $SNAP_DATA of the old one, so whatever was
 * edited under args/ (certs.d, the containerd template) is kept.
 */
export function refreshTo(oldRel, rel) {
  const oldData = `/var/snap/microk8s/${oldRel.revision}`;
  const data = `/var/snap/microk8s/${rel.revision}`;
  const snap = `/snap/microk8s/${rel.revision}`;
  fs.mkdirSync(`${snap}/meta`, { recursive: true });
  fs.writeFileSync(`${snap}/bed-release.json`, `${JSON.stringify(rel, null, 2)}\n`);
  if (oldData !== data) {
    fs.rmSync(data, { recursive: true, force: true });
    fs.cpSync(oldData, data, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  }
  relink(`/snap/microk8s/current`, String(rel.revision));
  relink(`/var/snap/microk8s/current`, String(rel.revision));
}

/** `snap remove`: the snap, its /snap/bin entries and all of its data. */
export function removeAll() {
  fs.rmSync('/snap/microk8s', { recursive: true, force: true });
  for (const entry of fs.existsSync('/snap/bin') ? fs.readdirSync('/snap/bin') : []) {
    if (entry === 'microk8s' || entry.startsWith('microk8s.'))
      fs.rmSync(`/snap/bin/${entry}`, { force: true });
  }
  fs.rmSync('/var/snap/microk8s', { recursive: true, force: true });
}

function wrapper(prefixArgs) {
  const pre = prefixArgs.map((a) => ` ${a}`).join('');
  return `#!/bin/sh\n# Written by the bed's snap double: the MicroK8s CLI double.\nexec ${MICROK8S_DOUBLE}${pre} "$@"\n`;
}

function writeExecutable(file, text) {
  fs.writeFileSync(file, text);
  fs.chmodSync(file, 0o755);
}

function relink(link, target) {
  fs.rmSync(link, { force: true });
  fs.symlinkSync(target, link);
}

function writeArgs(args, minor) {
  fs.mkdirSync(`${args}/cni-network`, { recursive: true });
  const files = {
    containerd: CONTAINERD_ARGS,
    'containerd-env': CONTAINERD_ENV,
    'containerd-template.toml': containerdTemplate(minor),
    ctr: CTR_ARGS,
    kubelet: KUBELET_ARGS,
    kubelite: KUBELITE_ARGS,
    'kube-apiserver': APISERVER_ARGS,
    'kube-proxy': KUBE_PROXY_ARGS,
  };
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(`${args}/${name}`, text);
  if (minor >= 23) {
    // The install hook renames certs.d/localhost__32000 to localhost:32000.
    for (const [host, text] of Object.entries({
      'localhost:32000': HOSTS_LOCALHOST,
      'docker.io': HOSTS_DOCKER_IO,
    })) {
      fs.mkdirSync(`${args}/certs.d/${host}`, { recursive: true });
      fs.writeFileSync(`${args}/certs.d/${host}/hosts.toml`, text);
    }
  }
}

/** A CA in certs/ and an admin kubeconfig in credentials/client.config pointing at 127.0.0.1:16443. */
function writeCredentials(data) {
  fs.mkdirSync(`${data}/certs`, { recursive: true });
  fs.mkdirSync(`${data}/credentials`, { recursive: true });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      '/CN=10.152.183.1',
      '-keyout',
      `${data}/certs/ca.key`,
      '-out',
      `${data}/certs/ca.crt`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const ca = fs.readFileSync(`${data}/certs/ca.crt`).toString('base64');
  const token = crypto.randomBytes(16).toString('hex');
  fs.writeFileSync(
    `${data}/credentials/client.config`,
    `apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: ${ca}\n    server: https://127.0.0.1:16443\n` +
      `  name: microk8s-cluster\ncontexts:\n- context:\n    cluster: microk8s-cluster\n    user: admin\n  name: microk8s\n` +
      `current-context: microk8s\nkind: Config\npreferences: {}\nusers:\n- name: admin\n  user:\n    token: ${token}\n`,
  );
}

/** The install hook's launch configuration step (1.27+): the first file found wins. */
function copyLaunchConfig(snap) {
  const candidates = [
    '/etc/microk8s.yaml',
    '/root/snap/microk8s/common/.microk8s.yaml',
    `${SNAP_COMMON}/.microk8s.yaml`,
    `${snap}/microk8s.default.yaml`,
  ];
  const found = candidates.find((f) => fs.existsSync(f));
  fs.mkdirSync(`${SNAP_COMMON}/etc/launcher`, { recursive: true });
  if (found) fs.copyFileSync(found, `${SNAP_COMMON}/etc/launcher/install.yaml`);
}

/** The configure hook: `chgrp -R microk8s` and `chmod -R ug+rwX,o-rwX` on the private dirs. */
function restrictToGroup(data, group) {
  execFileSync('groupadd', ['--force', '--system', group]);
  const gid = Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]);
  const walk = (p) => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    fs.chownSync(p, st.uid, gid);
    fs.chmodSync(p, st.isDirectory() ? 0o770 : st.mode & 0o100 ? 0o770 : 0o660);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(`${p}/${e}`);
  };
  for (const dir of ['credentials', 'certs', 'args', 'var/lock']) walk(`${data}/${dir}`);
}

/**
 * microk8s-resources/default-args/containerd-template.toml as shipped by each track: 1.23+ reads
 * registries from certs.d (config_path); 1.19–1.22 carry registry.mirrors in the template itself.
 */
export function containerdTemplate(minor) {
  const sandbox =
    minor <= 24
      ? 'k8s.gcr.io/pause:3.1'
      : minor === 25
        ? 'k8s.gcr.io/pause:3.7'
        : minor <= 31
          ? 'registry.k8s.io/pause:3.7'
          : 'registry.k8s.io/pause:3.10';
  const runtimeType = minor <= 21 ? 'io.containerd.runc.v1' : '${RUNTIME_TYPE}';
  const kata =
    minor >= 22
      ? `
   [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]
      runtime_type = "io.containerd.kata.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata.options]
        BinaryName = "kata-runtime"
`
      : '';
  const registry =
    minor >= 23
      ? `    config_path = "\${SNAP_DATA}/args/certs.d"
`
      : `
    # 'plugins."io.containerd.grpc.v1.cri".registry.mirrors' are namespace to mirror mapping for all namespaces.
    [plugins."io.containerd.grpc.v1.cri".registry.mirrors]
      [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
        endpoint = ["https://registry-1.docker.io", ]
      [plugins."io.containerd.grpc.v1.cri".registry.mirrors."localhost:32000"]
        endpoint = ["http://localhost:32000"]
`;
  return `# Use config version 2 to enable new configuration fields.
version = 2
oom_score = 0

[grpc]
  uid = 0
  gid = 0
  max_recv_message_size = 16777216
  max_send_message_size = 16777216

[debug]
  address = ""
  uid = 0
  gid = 0

[metrics]
  address = "127.0.0.1:1338"
  grpc_histogram = false

[cgroup]
  path = ""


# The 'plugins."io.containerd.grpc.v1.cri"' table contains all of the server options.
[plugins."io.containerd.grpc.v1.cri"]

  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  sandbox_image = "${sandbox}"
  stats_collect_period = 10
  enable_tls_streaming = false
  max_container_log_line_size = 16384

  # 'plugins."io.containerd.grpc.v1.cri".containerd' contains config related to containerd
  [plugins."io.containerd.grpc.v1.cri".containerd]

    # snapshotter is the snapshotter used by containerd.
    snapshotter = "\${SNAPSHOTTER}"

    # no_pivot disables pivot-root (linux only), required when running a container in a RamDisk with runc.
    # This only works for runtime type "io.containerd.runtime.v1.linux".
    no_pivot = false

    # default_runtime_name is the default runtime name to use.
    default_runtime_name = "\${RUNTIME}"

    # 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes' is a map from CRI RuntimeHandler strings, which specify types
    # of runtime configurations, to the matching configurations.
    # In this example, 'runc' is the RuntimeHandler string to match.
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      # runtime_type is the runtime type to use in containerd e.g. io.containerd.runtime.v1.linux
      runtime_type = "${runtimeType}"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia-container-runtime]
      # runtime_type is the runtime type to use in containerd e.g. io.containerd.runtime.v1.linux
      runtime_type = "${runtimeType}"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia-container-runtime.options]
        BinaryName = "nvidia-container-runtime"
${kata}
  # 'plugins."io.containerd.grpc.v1.cri".cni' contains config related to cni
  [plugins."io.containerd.grpc.v1.cri".cni]
    # bin_dir is the directory in which the binaries for the plugin is kept.
    bin_dir = "\${SNAP_DATA}/opt/cni/bin"

    # conf_dir is the directory in which the admin places a CNI conf.
    conf_dir = "\${SNAP_DATA}/args/cni-network"

  # 'plugins."io.containerd.grpc.v1.cri".registry' contains config related to the registry
  [plugins."io.containerd.grpc.v1.cri".registry]
${registry}`;
}

const HOSTS_LOCALHOST = `server = "http://localhost:32000"

[host."http://localhost:32000"]
  capabilities = ["pull", "resolve"]
`;

const HOSTS_DOCKER_IO = `server = "https://docker.io"

[host."https://registry-1.docker.io"]
  capabilities = ["pull", "resolve"]
`;

const CONTAINERD_ARGS = `--config \${SNAP_DATA}/args/containerd.toml
--root \${SNAP_COMMON}/var/lib/containerd
--state \${SNAP_COMMON}/run/containerd
--address \${SNAP_COMMON}/run/containerd.sock
`;

const CTR_ARGS = `--address=\${SNAP_COMMON}/run/containerd.sock
--namespace k8s.io
`;

const CONTAINERD_ENV = `# Remember to restart MicroK8s after editing this file:
#
# sudo microk8s stop; sudo microk8s start
#

# To start containerd behind a proxy you need to add an HTTPS_PROXY
# environment variable in this file.

# Attempt to change the maximum number of open file descriptors
# this get inherited to the running containers
#
ulimit -n 65536 || true
`;

const KUBELET_ARGS = `--kubeconfig=\${SNAP_DATA}/credentials/kubelet.config
--cert-dir=\${SNAP_DATA}/certs
--client-ca-file=\${SNAP_DATA}/certs/ca.crt
--anonymous-auth=false
--root-dir=\${SNAP_COMMON}/var/lib/kubelet
--fail-swap-on=false
--eviction-hard="memory.available<100Mi,nodefs.available<1Gi,imagefs.available<1Gi"
--container-runtime-endpoint=\${SNAP_COMMON}/run/containerd.sock
--containerd=\${SNAP_COMMON}/run/containerd.sock
--node-labels="microk8s.io/cluster=true,node.kubernetes.io/microk8s-controlplane=microk8s-controlplane"
--authentication-token-webhook=true
--read-only-port=0
--serialize-image-pulls=false
`;

const KUBELITE_ARGS = `--scheduler-args-file=\${SNAP_DATA}/args/kube-scheduler
--controller-manager-args-file=\${SNAP_DATA}/args/kube-controller-manager
--proxy-args-file=\${SNAP_DATA}/args/kube-proxy
--kubelet-args-file=\${SNAP_DATA}/args/kubelet
--apiserver-args-file=\${SNAP_DATA}/args/kube-apiserver
--kubeconfig-file=\${SNAP_DATA}/credentials/client.config
--start-control-plane=true
`;

const APISERVER_ARGS = `--cert-dir=\${SNAP_DATA}/certs
--service-cluster-ip-range=10.152.183.0/24
--authorization-mode=RBAC,Node
--secure-port=16443
--etcd-servers=unix://\${SNAP_DATA}/var/kubernetes/backend/kine.sock:12379
--allow-privileged=true
`;

const KUBE_PROXY_ARGS = `--kubeconfig=\${SNAP_DATA}/credentials/proxy.config
--cluster-cidr=10.1.0.0/16
--healthz-bind-address=127.0.0.1
`;

const LAUNCH_DEFAULT = `---
version: 0.1.0
extraKubeletArgs:
  --cluster-domain: cluster.local
  --cluster-dns: 10.152.183.10
addons:
  - name: dns
`;
