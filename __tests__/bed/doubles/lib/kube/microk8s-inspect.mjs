// `microk8s inspect`: the report directory and tarball of the snap's inspect.sh (services,
// arguments, system, network, cluster), and its suggest_fixes() warnings.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { SNAP_DATA, CONTAINERD_SOCK, API_DIR, BED_DIR, apiserverUp } from './env.mjs';
import { Store } from './store.mjs';
import { Kubectl } from './kubectl.mjs';
import { out, REFUSED, ctrArgsOrDefault, doublesLib } from './microk8s-utils.mjs';

const SERVICES = [
  'daemon-cluster-agent',
  'daemon-containerd',
  'daemon-kubelite',
  'daemon-k8s-dqlite',
  'daemon-apiserver-kicker',
];

// [what is copied, file under sys/, command]
const SYSTEM = [
  ['processes list', 'ps', ['ps', '-ef']],
  ['disk usage information', 'df', ['df', '-h']],
  ['memory usage information', 'free', ['free', '-m']],
  ['server uptime', 'uptime', ['uptime']],
  ['openSSL information', 'openssl', ['openssl', 'version', '-a']],
  ['snap list', 'snap-list', ['snap', 'list']],
];

// [file under network/, command]
const NETWORK = [
  ['ip-addr', ['ip', 'addr']],
  ['ip-route', ['ip', 'route']],
  ['iptables', ['iptables', '-t', 'nat', '-L', '-n']],
  ['iptables-filter', ['iptables', '-L', '-n']],
];

// [file under k8s/, kubectl arguments]
const CLUSTER = [
  ['version', ['version']],
  ['cluster-info', ['cluster-info']],
  ['get-all', ['get', 'all', '--all-namespaces', '-o', 'wide']],
  ['get-pv', ['get', 'pv']],
  ['get-pvc', ['get', 'pvc', '--all-namespaces']],
  ['get-events', ['get', 'events', '--all-namespaces']],
  [
    'cluster-info-dump',
    [
      'get',
      'pods,deployments,replicasets,daemonsets,services,events',
      '--all-namespaces',
      '-o',
      'yaml',
    ],
  ],
];

/** The command's output and errors, in a file of the report. */
function capture(file, [cmd, ...args]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  fs.writeFileSync(file, `${r.stdout ?? ''}${r.stderr ?? ''}`);
}

function revisionDir() {
  try {
    return path.join('/var/snap/microk8s', fs.readlinkSync(SNAP_DATA));
  } catch {
    return SNAP_DATA;
  }
}

/** What journalctl -u would show: the bed's log of that service. */
function serviceLog(name) {
  try {
    return fs.readFileSync(path.join(BED_DIR, `${name}.log`), 'utf8') || '-- No entries --\n';
  } catch {
    return '-- No entries --\n';
  }
}

export async function inspect(args, rel) {
  if (args.includes('--help') || args.includes('-h')) {
    out('This script will inspect your microk8s installation. It will report any issue it finds,');
    out('and create a tarball of logs and traces which can be attached to an issue filed against');
    out('the microk8s project.');
    return 0;
  }
  if (process.getuid() !== 0) {
    if (rel.strict) {
      out('Elevated permissions are needed for this command. Please use sudo.');
      return 1;
    }
    // run_with_sudo: the wrapper re-runs the script through sudo.
    const r = spawnSync(
      'sudo',
      ['--preserve-env', process.execPath, process.argv[1], 'inspect', ...args],
      { stdio: 'inherit' },
    );
    return r.status ?? 1;
  }
  const dataDir = revisionDir();
  const dump = path.join(dataDir, 'inspection-report');
  const dir = (name) => {
    const d = path.join(dump, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };
  fs.rmSync(dump, { recursive: true, force: true });
  fs.mkdirSync(dump, { recursive: true });
  let rc = 0;
  out('Inspecting system');
  out('Inspecting Certificates');
  out('Inspecting services');
  const svc = await doublesLib('services.mjs');
  const running = async (name) =>
    svc
      ? !!(await svc.isRunning(name))
      : name === 'daemon-kubelite'
        ? apiserverUp()
        : fs.existsSync(CONTAINERD_SOCK);
  for (const name of SERVICES) {
    const unit = `snap.microk8s.${name}`;
    const ok =
      name === 'daemon-containerd' || name === 'daemon-kubelite' ? await running(name) : true;
    const unitDir = dir(unit);
    fs.writeFileSync(path.join(unitDir, 'journal.log'), serviceLog(name));
    fs.writeFileSync(
      path.join(unitDir, 'systemctl.log'),
      `● ${unit}.service - Service for snap application microk8s.${name}\n     Active: ${ok ? 'active (running)' : 'inactive (dead)'}\n`,
    );
    if (ok) out(`  Service ${unit} is running`);
    else {
      out(`\x1b[31m FAIL: \x1b[0m Service ${unit} is not running`);
      out(`For more details look at: sudo journalctl -u ${unit}`);
      rc = 1;
    }
  }
  out('  Copy service arguments to the final report tarball');
  if (fs.existsSync(`${SNAP_DATA}/args`))
    fs.cpSync(`${SNAP_DATA}/args`, path.join(dump, 'args'), { recursive: true });
  out('Inspecting AppArmor configuration');
  out('Gathering system information');
  const sys = dir('sys');
  for (const [what, file, command] of SYSTEM) {
    out(`  Copy ${what} to the final report tarball`);
    capture(path.join(sys, file), command);
  }
  out('  Copy VM name (or none) to the final report tarball');
  out('  Copy current linux distribution to the final report tarball');
  if (fs.existsSync('/etc/os-release'))
    fs.copyFileSync('/etc/os-release', path.join(sys, 'lsb_release'));
  out('  Copy asnycio usage and limits to the final report tarball');
  out('  Copy inotify max_user_instances and max_user_watches to the final report tarball');
  out('  Copy network configuration to the final report tarball');
  const net = dir('network');
  for (const [file, command] of NETWORK) capture(path.join(net, file), command);
  out('Inspecting kubernetes cluster');
  out('  Inspect kubernetes cluster');
  const k8s = dir('k8s');
  for (const [file, kargs] of CLUSTER) {
    let text = '';
    const w = (s) => {
      text += s;
    };
    if (!apiserverUp()) text = `${REFUSED}\n`;
    else
      await new Kubectl({
        store: new Store(),
        clientVersion: rel.version,
        serverVersion: () => rel.version,
        write: w,
        writeErr: w,
        kubeconfig: { server: 'https://127.0.0.1:16443' },
      }).run(kargs);
    fs.writeFileSync(path.join(k8s, file), text);
  }
  capture(path.join(k8s, 'ctr-images'), ['ctr', ...ctrArgsOrDefault(), 'images', 'ls']);
  if (fs.existsSync(API_DIR))
    fs.cpSync(API_DIR, path.join(dump, 'bed-apiserver'), {
      recursive: true,
      filter: (s) => !s.endsWith('auth.json'),
    });
  fs.writeFileSync(path.join(dump, 'bom.json'), JSON.stringify({ microk8s: rel }, null, 2));
  out('Inspecting dqlite');
  out('  Inspect dqlite');
  suggestFixes();
  out('Building the report tarball');
  const d = new Date();
  const p2 = (n) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p2(d.getMonth() + 1)}${p2(d.getDate())}_${p2(d.getHours())}${p2(d.getMinutes())}${p2(d.getSeconds())}`;
  const tarball = path.join(dataDir, `inspection-report-${stamp}.tar.gz`);
  spawnSync('tar', ['-C', dataDir, '-czf', tarball, 'inspection-report'], { stdio: 'ignore' });
  out(`  Report tarball is at ${tarball}`);
  return rc;
}

/** suggest_fixes(): the warnings that matter to registries and networking. */
function suggestFixes() {
  out('');
  const fwd = spawnSync('iptables', ['-S', 'FORWARD'], { encoding: 'utf8' });
  if (fwd.status === 0 && /-P FORWARD DROP/.test(fwd.stdout)) {
    out(
      '\x1b[0;33m WARNING: \x1b[0m IPtables FORWARD policy is DROP. Consider enabling traffic forwarding with: sudo iptables -P FORWARD ACCEPT ',
    );
    out('The change can be made persistent with: sudo apt-get install iptables-persistent');
  }
  if (spawnSync('sh', ['-c', 'command -v dockerd'], { encoding: 'utf8' }).status !== 0) return;
  const daemonJson = '/etc/docker/daemon.json';
  const missing = !fs.existsSync(daemonJson);
  if (!missing && fs.readFileSync(daemonJson, 'utf8').includes('localhost:32000')) return;
  out('\x1b[0;33mWARNING: \x1b[0m Docker is installed. ');
  if (missing) {
    out('File "/etc/docker/daemon.json" does not exist. ');
    out('You should create it and add the following lines: ');
  } else out('Add the following lines to /etc/docker/daemon.json: ');
  out('{\n    "insecure-registries" : ["localhost:32000"] \n}');
  out('and then restart docker with: sudo systemctl restart docker');
}
