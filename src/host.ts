import { spawn } from 'node:child_process';
import * as core from '@actions/core';

/** What one command printed and how it ended. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * When and how often to try a command again. Data, so callers and tests can read it:
 * `transient` decides from the tool's own output whether another try can help.
 */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** Epoch ms after which no new try starts, whatever `attempts` says. */
  deadline?: number;
  transient(result: RunResult): boolean;
}

export interface RunOptions {
  /** Run through `sudo` unless the action already runs as root. */
  sudo?: boolean;
  /** Bytes for the command's stdin (secrets go here, never into argv). */
  input?: string | Buffer;
  /** Kill the command after this long; default 10 minutes. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** Return a failed result instead of throwing. */
  allowFailure?: boolean;
  /** Do not echo the command's output into the log (it is still captured). */
  quiet?: boolean;
  env?: NodeJS.ProcessEnv;
  /**
   * Stops the command when aborted (SIGTERM, then SIGKILL, as at the timeout); it then rejects
   * with a CommandError whose `cancelled` is true, retry and allowFailure notwithstanding.
   */
  signal?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** How long a timed-out or cancelled command has to end after SIGTERM before it gets SIGKILL. */
const KILL_GRACE_MS = 3_000;

/**
 * A command that exited non-zero, timed out, was cancelled or could not start; the message ends
 * with its stderr.
 */
export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly result: RunResult,
    readonly timedOut = false,
    options?: ErrorOptions,
    readonly cancelled = false,
  ) {
    const tail = lastLines(result.stderr || result.stdout, 5);
    const how = cancelled
      ? 'was cancelled'
      : timedOut
        ? 'timed out'
        : `exited with code ${result.code}`;
    super(`\`${argv.join(' ')}\` ${how}${tail ? `: ${tail}` : ''}`, options);
    this.name = 'CommandError';
  }
}

export function lastLines(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .join('\n');
}

/** The delay before try number `attempt` (1-based, the first retry is attempt 2). */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  const raw = policy.initialDelayMs * Math.pow(policy.factor, Math.max(0, attempt - 2));
  return Math.min(policy.maxDelayMs, raw);
}

/** The argument list actually executed: `sudo -n` in front when privileges are needed. */
export function privileged(argv: string[], wantSudo: boolean, isRoot: boolean): string[] {
  // -n: never prompt. A runner without password-less sudo fails at once with sudo's own
  // "a password is required" instead of hanging until the timeout.
  return wantSudo && !isRoot ? ['sudo', '-n', '--', ...argv] : argv;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The one way the action runs a program: argument arrays, timeouts, retries, stderr in errors. */
export class Host {
  readonly isRoot: boolean;

  constructor(isRoot = process.getuid?.() === 0) {
    this.isRoot = isRoot;
  }

  async run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const argv = privileged([cmd, ...args], opts.sudo ?? false, this.isRoot);
    const policy = opts.retry;
    for (let attempt = 1; ; attempt++) {
      const { result, timedOut, cancelled, spawnError } = await this.once(argv, opts);
      if (cancelled) throw new CommandError(argv, result, false, undefined, true);
      if (result.code === 0) return result;
      const canRetry =
        policy !== undefined &&
        !timedOut &&
        attempt < policy.attempts &&
        policy.transient(result) &&
        (policy.deadline === undefined ||
          Date.now() + backoffDelay(policy, attempt + 1) < policy.deadline);
      if (canRetry) {
        const delay = backoffDelay(policy, attempt + 1);
        core.info(
          `Transient failure (try ${attempt} of ${policy.attempts}), trying again in ${Math.round(delay / 1000)} s: ${lastLines(result.stderr || result.stdout, 1)}`,
        );
        await sleep(delay);
        continue;
      }
      if (opts.allowFailure && !timedOut && !spawnError) return result;
      throw new CommandError(
        argv,
        result,
        timedOut,
        spawnError ? { cause: spawnError } : undefined,
      );
    }
  }

  /** `from | to`, streamed: nothing touches the disk in between. Fails if either side fails. */
  async pipe(
    from: [string, string[], RunOptions?],
    to: [string, string[], RunOptions?],
  ): Promise<RunResult> {
    const a = privileged([from[0], ...from[1]], from[2]?.sudo ?? false, this.isRoot);
    const b = privileged([to[0], ...to[1]], to[2]?.sudo ?? false, this.isRoot);
    core.info(`[command]${a.join(' ')} | ${b.join(' ')}`);
    const timeoutMs = to[2]?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const left = spawn(a[0], a.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const right = spawn(b[0], b.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    left.stdout.pipe(right.stdin);
    // A reader that dies early must not crash the action with EPIPE; its exit code tells.
    right.stdin.on('error', () => undefined);
    const timer = setTimeout(() => {
      left.kill('SIGKILL');
      right.kill('SIGKILL');
    }, timeoutMs);
    const [ra, rb] = await Promise.all([collect(left), collect(right)]);
    clearTimeout(timer);
    if (ra.code !== 0) throw new CommandError(a, ra);
    if (rb.code !== 0) throw new CommandError(b, rb);
    if (rb.stdout.trim()) core.info(rb.stdout.trimEnd());
    return rb;
  }

  private async once(
    argv: string[],
    opts: RunOptions,
  ): Promise<{ result: RunResult; timedOut: boolean; cancelled: boolean; spawnError?: Error }> {
    if (opts.signal?.aborted) {
      return { result: { code: 130, stdout: '', stderr: '' }, timedOut: false, cancelled: true };
    }
    core.info(`[command]${argv.join(' ')}`);
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    let timedOut = false;
    let cancelled = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const stop = () => {
      // SIGTERM first: sudo passes it on to the command it runs as root, which a SIGKILL of sudo
      // would leave running.
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    const timer = setTimeout(() => {
      if (cancelled) return;
      timedOut = true;
      stop();
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const onAbort = () => {
      if (timedOut) return;
      cancelled = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('exit', () => {
      // A grandchild (a wrapper script's kubectl) can outlive the command and hold its pipes
      // open; stop reading them, or the stopped command would return only when it ends.
      if (timedOut || cancelled) {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    const result = await collect(child, !opts.quiet);
    clearTimeout(timer);
    clearTimeout(killTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    return { result, timedOut, cancelled, spawnError: result.spawnError };
  }
}

type Collected = RunResult & { spawnError?: Error };

function collect(child: ReturnType<typeof spawn>, echo = false): Promise<Collected> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => {
      out.push(d);
      if (echo) process.stdout.write(d);
    });
    child.stderr?.on('data', (d: Buffer) => {
      err.push(d);
      if (echo) process.stdout.write(d);
    });
    let spawnError: Error | undefined;
    child.on('error', (e) => {
      spawnError = e;
    });
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? (signal ? 128 : 127),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr:
          Buffer.concat(err).toString('utf8') || (spawnError ? String(spawnError.message) : ''),
        spawnError,
      });
    });
  });
}
