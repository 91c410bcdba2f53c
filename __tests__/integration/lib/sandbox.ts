import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

// A throw-away Linux host for one test file: its own mount, network and PID namespaces, so every
// daemon it starts dies with it and every file it writes (/etc/docker, /var/snap, /snap, /root)
// stays inside it. A second network namespace, `reghost`, is "another machine" on a veth
// link: 10.141.241.175 (the article's plain-HTTP registry) and 10.141.241.176 (registry.test).
//
// Only snapd and MicroK8s' CLI are stood in for, by the few lines of shell in SHIMS; containerd,
// dockerd, the registries, openssl and htpasswd are the real programs.

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  allowFailure?: boolean;
}

export const NODE_SOCKET = '/var/snap/microk8s/common/run/containerd.sock';
export const TEMPLATE = '/var/snap/microk8s/current/args/containerd-template.toml';
const PATH = '/run/sbin:/usr/sbin:/usr/bin:/sbin:/bin';
const REPO = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');

const INIT = String.raw`
set -e
# The sandbox's / is an overlay of the host's with a tmpfs upper layer, so nothing it creates
# (not even a mount point such as /snap) reaches the host; the repository is bound through.
mount -t tmpfs -o mode=755 sandbox-stage /mnt
mkdir /mnt/upper /mnt/work /mnt/root
mount -t overlay sandbox-root -o lowerdir=/,upperdir=/mnt/upper,workdir=/mnt/work /mnt/root
mount --rbind /dev /mnt/root/dev
mount --rbind /sys /mnt/root/sys
mount -t proc proc /mnt/root/proc
# Real file systems where the daemons need them (overlay2 and overlayfs cannot stack on an
# overlay), and nothing of the host's own Docker or MicroK8s state in sight.
for d in /run /tmp /etc/docker /var/lib/docker /var/lib/containerd /var/snap /snap /root; do
  mkdir -p "/mnt/root$d"
  mount -t tmpfs tmpfs "/mnt/root$d"
done
# After the tmpfs mounts: a clone under /tmp must stay visible.
mkdir -p "/mnt/root$REPO"
mount --rbind "$REPO" "/mnt/root$REPO"
cd /mnt/root
mkdir -p .old-root
pivot_root . .old-root
umount -l /.old-root
rmdir /.old-root
mkdir -p /run/sbin /run/logs /run/calls /run/kubectl /snap/bin
echo '10.141.241.176 registry.test' >> /etc/hosts
ip link set lo up
ip netns add reghost
ip link add veth-node type veth peer name veth-reg netns reghost
ip addr add 10.141.241.1/24 dev veth-node
ip link set veth-node up
ip netns exec reghost sh -c '
  ip link set lo up
  ip addr add 10.141.241.175/24 dev veth-reg
  ip addr add 10.141.241.176/24 dev veth-reg
  ip link set veth-reg up'
echo ready
# Lives as long as the test process holds the pipe: a crashed test leaves nothing running.
read -r _ || true
`;

/** Stand-ins for what systemd, snapd and MicroK8s would do here; each logs its calls. */
const SHIMS: Record<string, string> = {
  '/run/sbin/systemctl': String.raw`#!/bin/bash
# docker.service: ExecReload=/bin/kill -s HUP $MAINPID
echo "$*" >> /run/calls/systemctl
case "$1 $2" in
  "reload docker") kill -HUP "$(cat /run/docker.pid)" ;;
  "restart docker") /run/sbin/dockerd-service restart ;;
  *) echo "systemctl (sandbox): unsupported: $*" >&2; exit 1 ;;
esac`,
  '/run/sbin/dockerd-service': String.raw`#!/bin/bash
set -e
if [ "$1" = restart ] && [ -s /run/docker.pid ]; then
  pid=$(cat /run/docker.pid); kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
fi
setsid dockerd --bridge=none --iptables=false >> /run/logs/dockerd.log 2>&1 < /dev/null &
for _ in $(seq 1 400); do docker version >/dev/null 2>&1 && exit 0; sleep 0.05; done
echo "dockerd did not start" >&2; exit 1`,
  // MicroK8s' run-containerd-with-args: the template rendered with sed on every start.
  '/run/sbin/node-containerd': String.raw`#!/bin/bash
set -e
SNAP=/snap/microk8s/current SNAP_DATA=/var/snap/microk8s/current SNAP_COMMON=/var/snap/microk8s/common
if [ "$1" = restart ] && [ -s /run/node-containerd.pid ]; then
  pid=$(cat /run/node-containerd.pid); kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
fi
sed 's@${'${SNAP}'}@'"$SNAP"'@g;s@${'${SNAP_DATA}'}@'"$SNAP_DATA"'@g;s@${'${SNAPSHOTTER}'}@overlayfs@g;s@${'${RUNTIME}'}@runc@g' \
  $SNAP_DATA/args/containerd-template.toml > $SNAP_DATA/args/containerd.toml
sed -i 's@${'${RUNTIME_TYPE}'}@io.containerd.runc.v2@g' $SNAP_DATA/args/containerd.toml
mkdir -p $SNAP_COMMON/run
setsid containerd --config $SNAP_DATA/args/containerd.toml --root $SNAP_COMMON/var/lib/containerd \
  --state $SNAP_COMMON/run/containerd --address $SNAP_COMMON/run/containerd.sock \
  >> /run/logs/node-containerd.log 2>&1 < /dev/null &
echo $! > /run/node-containerd.pid
for _ in $(seq 1 400); do ctr --address $SNAP_COMMON/run/containerd.sock version >/dev/null 2>&1 && exit 0; sleep 0.05; done
echo "containerd did not start" >&2; exit 1`,
  '/run/sbin/snap': String.raw`#!/bin/bash
echo "$*" >> /run/calls/snap
case "$1 $2" in
  "restart microk8s.daemon-containerd") exec /run/sbin/node-containerd restart ;;
  *) echo "snap (sandbox): unsupported: $*" >&2; exit 1 ;;
esac`,
  // Only what the registry phases ask of MicroK8s: ctr is the real one on the node's socket;
  // kubectl records each call (argv and stdin) for the test to read.
  '/snap/bin/microk8s': String.raw`#!/bin/bash
echo "$*" >> /run/calls/microk8s
case "$1" in
  ctr) shift; exec ctr --address /var/snap/microk8s/common/run/containerd.sock --namespace k8s.io "$@" ;;
  status) exit 0 ;;
  # The registry addon: its deployment comes up a little later, on localhost:32000, unless
  # /run/builtin-registry.never exists.
  enable)
    [ -e /run/builtin-registry.never ] && exit 0
    printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /run/builtin-registry\nhttp:\n  addr: 127.0.0.1:32000\n' > /run/builtin-registry.yml
    (sleep 2; exec setsid docker-registry serve /run/builtin-registry.yml) >> /run/logs/builtin-registry.log 2>&1 < /dev/null &
    echo "Addon registry is enabled" ;;
  kubectl)
    shift; n=$(ls /run/kubectl/*.argv 2>/dev/null | wc -l)
    printf '%s\n' "$@" > /run/kubectl/$n.argv; cat > /run/kubectl/$n.stdin
    case "$*" in
      "-n default get serviceaccount default -o json")
        echo '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"default","namespace":"default"}}' ;;
      "-n container-registry get pvc registry-claim -o jsonpath={.status.phase}") printf Bound ;;
    esac ;;
  *) echo "microk8s (sandbox): unsupported: $*" >&2; exit 1 ;;
esac`,
};

function run(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const r = {
        code: code ?? 1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      };
      if (r.code !== 0 && !opts.allowFailure) {
        reject(new Error(`${argv.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`));
      } else resolve(r);
    });
    child.stdin.end(opts.input ?? '');
  });
}

export class Sandbox {
  private constructor(
    private readonly holder: ChildProcess,
    /** PID (as the test sees it) of the sandbox's init. */
    readonly pid: number,
  ) {}

  static async start(): Promise<Sandbox> {
    const holder = spawn(
      'unshare',
      ['--mount', '--net', '--pid', '--fork', '--mount-proc', '--', 'bash', '-c', INIT],
      { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, REPO } },
    );
    let stderr = '';
    holder.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      let stdout = '';
      holder.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('ready')) resolve();
      });
      holder.on('exit', (code) => reject(new Error(`sandbox init exited ${code}: ${stderr}`)));
    });
    const children = fs
      .readFileSync(`/proc/${holder.pid}/task/${holder.pid}/children`, 'utf8')
      .trim()
      .split(/\s+/);
    const sandbox = new Sandbox(holder, Number(children[0]));
    for (const [file, text] of Object.entries(SHIMS)) sandbox.writeFile(file, `${text}\n`, 0o755);
    return sandbox;
  }

  /** Runs a program inside the sandbox, as root, with the sandbox's PATH. */
  exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const env = Object.entries({ PATH, HOME: '/root', ...opts.env }).map(([k, v]) => `${k}=${v}`);
    return run(
      ['nsenter', '-t', String(this.pid), '-m', '-n', '-p', '--', 'env', '-i', ...env, ...argv],
      opts,
    );
  }

  sh(script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return this.exec(['bash', '-c', script], opts);
  }

  /** The sandbox's file `p` as the test process reaches it. */
  hostPath(p: string): string {
    return `/proc/${this.pid}/root${p}`;
  }

  readFile(p: string): Buffer | null {
    try {
      return fs.readFileSync(this.hostPath(p));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  writeFile(p: string, data: string | Buffer, mode = 0o644): void {
    fs.mkdirSync(path.dirname(this.hostPath(p)), { recursive: true });
    fs.writeFileSync(this.hostPath(p), data, { mode });
    fs.chmodSync(this.hostPath(p), mode);
  }

  removeFile(p: string): void {
    fs.rmSync(this.hostPath(p), { force: true });
  }

  /** Lines a shim logged in /run/calls/<tool>. */
  calls(tool: string): string[] {
    return (this.readFile(`/run/calls/${tool}`)?.toString() ?? '').split('\n').filter(Boolean);
  }

  /** The last lines of every daemon log, for failure messages. */
  logs(lines = 15): string {
    const dir = this.hostPath('/run/logs');
    return fs
      .readdirSync(dir)
      .map((f) => {
        const text = fs.readFileSync(path.join(dir, f), 'utf8').trimEnd().split('\n');
        return `--- ${f}\n${text.slice(-lines).join('\n')}`;
      })
      .join('\n');
  }

  async startDockerd(): Promise<void> {
    await this.exec(['/run/sbin/dockerd-service', 'start']);
  }

  async dockerdPid(): Promise<number> {
    return Number(this.readFile('/run/docker.pid')?.toString().trim());
  }

  /** The node's containerd on a MicroK8s containerd template, started as MicroK8s starts it. */
  async startNodeContainerd(template: string): Promise<void> {
    this.writeFile(TEMPLATE, template);
    await this.exec(['/run/sbin/node-containerd', 'start']);
  }

  nodeContainerdPid(): number {
    return Number(this.readFile('/run/node-containerd.pid')?.toString().trim());
  }

  /** The node containerd's CRI socket, as the test process reaches it. */
  get criSocket(): string {
    return this.hostPath(NODE_SOCKET);
  }

  /** Everything the kubectl stand-in was given, oldest first. */
  kubectlCalls(): { argv: string[]; stdin: string }[] {
    const dir = this.hostPath('/run/kubectl');
    const n = fs.readdirSync(dir).filter((f) => f.endsWith('.argv')).length;
    return Array.from({ length: n }, (_, i) => ({
      argv: fs
        .readFileSync(path.join(dir, `${i}.argv`), 'utf8')
        .trimEnd()
        .split('\n'),
      stdin: fs.readFileSync(path.join(dir, `${i}.stdin`), 'utf8'),
    }));
  }

  async stop(): Promise<void> {
    // Killing the init of a PID namespace kills everything in it.
    const exited = new Promise((r) => this.holder.once('exit', r));
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    this.holder.stdin?.end();
    await exited;
  }
}
