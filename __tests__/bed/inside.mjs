// The inside of a bed. bed.ts starts it through init.sh (PID 1) in fresh mount, network and pid
// namespaces. It builds the bed's root file system, its `runner` user and its network, starts the
// runner's containerd and dockerd, writes /run/bed/ready, and then waits: when the test process
// goes away its end of our stdin closes, we exit, and the whole namespace dies with us.
//
// Usage: node inside.mjs <ctl-dir>   (<ctl-dir>/options.json written by bed.ts)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startService } from './doubles/lib/services.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DOUBLES = path.join(HERE, 'doubles');
const RUNNER = { uid: 1001, name: 'runner', home: '/home/runner' };
const NODE_IP = '10.1.0.4';

const ctl = process.argv[2];

try {
  const t0 = Date.now();
  const opts = JSON.parse(fs.readFileSync(`${ctl}/options.json`, 'utf8'));
  buildRoot(ctl, opts.repo);
  addRunner();
  buildNetwork();
  seedFiles(opts);
  const tRoot = Date.now();
  if (opts.docker) {
    await startService('containerd');
    await startService('docker');
  }
  fs.writeFileSync(
    '/run/bed/ready',
    JSON.stringify({ setupMs: tRoot - t0, daemonsMs: Date.now() - tRoot }),
  );
} catch (err) {
  // <ctl-dir> is inside the repository, which is bound at the same path in the bed's root.
  fs.writeFileSync(`${ctl}/failed`, String(err.stack ?? err));
  process.exit(1);
}
process.stdin.on('data', () => {});
process.stdin.on('close', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

function run(cmd, args) {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function mount(...args) {
  run('mount', args);
}

/**
 * The bed's `/`: an overlay of the host's root with a tmpfs upper layer, so that nothing the bed
 * writes reaches the host, plus tmpfs mounts where daemons need a real file system (overlay2 and
 * containerd's overlayfs snapshotter cannot stack on an overlay), the repository bound at its own
 * path, and <ctl-dir> bound at /run/bed. Then pivot_root into it.
 */
function buildRoot(ctlDir, repo) {
  const stage = ['/tmp', '/mnt'].find((d) => !`${repo}/`.startsWith(`${d}/`));
  mount('-t', 'tmpfs', '-o', 'mode=755', 'bed-stage', stage);
  for (const d of ['upper', 'work', 'root']) fs.mkdirSync(`${stage}/${d}`);
  const root = `${stage}/root`;
  mount(
    '-t',
    'overlay',
    'bed-root',
    '-o',
    `lowerdir=/,upperdir=${stage}/upper,workdir=${stage}/work`,
    root,
  );
  mount('--rbind', '/dev', `${root}/dev`);
  mount('--rbind', '/sys', `${root}/sys`);
  mount('-t', 'proc', 'proc', `${root}/proc`);
  const tmpfs = {
    '/run': '755',
    '/tmp': '1777',
    '/home': '755',
    '/etc/docker': '755',
    '/var/lib/docker': '711',
    '/var/lib/containerd': '711',
    '/snap': '755',
    '/var/snap': '755',
    // The host's /usr/local/bin (a newer docker client, unrelated tools) stays out of the bed.
    '/usr/local/bin': '755',
  };
  for (const [dir, mode] of Object.entries(tmpfs)) {
    fs.mkdirSync(`${root}${dir}`, { recursive: true });
    mount('-t', 'tmpfs', '-o', `mode=${mode}`, `bed${dir.replaceAll('/', '-')}`, `${root}${dir}`);
  }
  fs.mkdirSync(`${root}/run/bed`);
  mount('--bind', ctlDir, `${root}/run/bed`);
  fs.mkdirSync(`${root}/run/lock`, { mode: 0o1777 });
  fs.chmodSync(`${root}/run/lock`, 0o1777);
  // The repository may live under a folder the bed replaces (a clone in /tmp): make its mount point.
  fs.mkdirSync(`${root}${repo}`, { recursive: true });
  mount('--rbind', repo, `${root}${repo}`);
  fs.mkdirSync(`${root}/.bed-oldroot`);
  run('pivot_root', [root, `${root}/.bed-oldroot`]);
  process.chdir('/');
  run('umount', ['-l', '/.bed-oldroot']);
  fs.rmdirSync('/.bed-oldroot');
}

/** User `runner` (uid 1001; groups runner, docker, adm) with password-less sudo, as on GitHub. */
function addRunner() {
  fs.appendFileSync(
    '/etc/passwd',
    `runner:x:${RUNNER.uid}:${RUNNER.uid}:,,,:${RUNNER.home}:/bin/bash\n`,
  );
  fs.appendFileSync('/etc/shadow', 'runner:*:20000:0:99999:7:::\n');
  const lines = fs.readFileSync('/etc/group', 'utf8').trimEnd().split('\n');
  const gids = new Set(lines.map((l) => Number(l.split(':')[2])));
  if (!lines.some((l) => l.startsWith('docker:')))
    lines.push(`docker:x:${[118, 998, 997].find((g) => !gids.has(g))}:`);
  const withRunner = lines.map((l) => {
    const f = l.split(':');
    if (f[0] !== 'docker' && f[0] !== 'adm') return l;
    f[3] = [...f[3].split(',').filter(Boolean), 'runner'].join(',');
    return f.join(':');
  });
  withRunner.push(`runner:x:${RUNNER.uid}:`);
  fs.writeFileSync('/etc/group', `${withRunner.join('\n')}\n`);
  fs.writeFileSync('/etc/sudoers.d/runner', 'runner ALL=(ALL) NOPASSWD:ALL\n', { mode: 0o440 });
  fs.chmodSync('/etc/sudoers.d/runner', 0o440);
  for (const dir of [RUNNER.home, `${RUNNER.home}/work`]) {
    fs.mkdirSync(dir, { recursive: true });
    fs.chownSync(dir, RUNNER.uid, RUNNER.uid);
  }
}

/**
 * Loopback, and an `eth0` with the node address and a default route like a runner's NIC. eth0's
 * peer sits in a namespace of its own and OUTPUT rejects everything routed out of eth0, so
 * nothing leaves the bed and a lookup or pull from the internet fails at once instead of hanging.
 */
function buildNetwork() {
  run('ip', ['link', 'set', 'lo', 'up']);
  run('ip', ['netns', 'add', 'uplink']);
  run('ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'uplink']);
  run('ip', ['-n', 'uplink', 'link', 'set', 'eth0', 'up']);
  run('ip', ['addr', 'add', `${NODE_IP}/16`, 'dev', 'eth0']);
  run('ip', ['link', 'set', 'eth0', 'up']);
  run('ip', ['route', 'add', 'default', 'via', '10.1.0.1', 'dev', 'eth0']);
  run('iptables', [
    '-A',
    'OUTPUT',
    '-o',
    'eth0',
    '-j',
    'REJECT',
    '--reject-with',
    'icmp-net-unreachable',
  ]);
  // Ubuntu's stub resolver address, with nothing listening: lookups fail fast.
  fs.rmSync('/etc/resolv.conf', { force: true });
  fs.writeFileSync('/etc/resolv.conf', 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n');
  const hosts = fs.readFileSync('/etc/hosts', 'utf8');
  if (!new RegExp(`\\s${os.hostname()}(\\s|$)`, 'm').test(hosts))
    fs.appendFileSync('/etc/hosts', `127.0.1.1 ${os.hostname()}\n`);
}

function seedFiles(opts) {
  if (typeof opts.daemonJson === 'string')
    fs.writeFileSync('/etc/docker/daemon.json', opts.daemonJson);
  // Docker's own packages ship containerd with the CRI plugin off.
  fs.mkdirSync('/etc/containerd', { recursive: true });
  fs.writeFileSync(
    '/etc/containerd/config.toml',
    'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n',
  );
  // The doubles go first in PATH and in sudo's secure_path; /snap/bin/microk8s comes with `snap install`.
  fs.mkdirSync('/usr/local/sbin', { recursive: true });
  for (const name of fs.readdirSync(DOUBLES)) {
    const file = path.join(DOUBLES, name);
    if (name === 'microk8s' || (name === 'snap' && !opts.snapAvailable)) continue;
    if (!fs.statSync(file).isFile() || !(fs.statSync(file).mode & 0o111)) continue;
    fs.rmSync(`/usr/local/sbin/${name}`, { force: true });
    fs.symlinkSync(file, `/usr/local/sbin/${name}`);
  }
}
