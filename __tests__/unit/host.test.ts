import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CommandError,
  Host,
  RetryPolicy,
  backoffDelay,
  lastLines,
  privileged,
} from '../../src/host.js';

const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  attempts: 4,
  initialDelayMs: 10,
  maxDelayMs: 35,
  factor: 2,
  transient: (r) => r.stderr.includes('busy'),
  ...over,
});

describe('privileged', () => {
  it.each([
    [true, false, ['sudo', '-n', '--', 'snap', 'install', 'x']],
    [true, true, ['snap', 'install', 'x']],
    [false, false, ['snap', 'install', 'x']],
  ])('sudo=%s root=%s → %j', (sudo, root, argv) => {
    expect(privileged(['snap', 'install', 'x'], sudo, root)).toEqual(argv);
  });
});

describe('backoffDelay', () => {
  it.each([
    [2, 10],
    [3, 20],
    [4, 35],
    [9, 35],
  ])('try %i waits %i ms', (attempt, ms) => {
    expect(backoffDelay(policy(), attempt)).toBe(ms);
  });
});

describe('lastLines', () => {
  it('keeps the last non-blank lines', () => {
    expect(lastLines('a\n\nb\nc\n\n', 2)).toBe('b\nc');
  });
});

/** A real program that fails with "busy" the first `failures` times it runs. */
function flaky(
  failures: number,
  finalStderr = 'busy',
): { cmd: string; args: string[]; count: () => number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flaky-'));
  const counter = path.join(dir, 'n');
  fs.writeFileSync(counter, '0');
  const script = `n=$(cat "$1"); n=$((n+1)); echo $n > "$1"; if [ $n -le ${failures} ]; then echo "${finalStderr}" >&2; exit 3; fi; echo ok`;
  return {
    cmd: 'sh',
    args: ['-c', script, 'flaky', counter],
    count: () => Number(fs.readFileSync(counter, 'utf8')),
  };
}

describe('Host.run', () => {
  const host = new Host(true);

  it('passes arguments verbatim, without a shell', async () => {
    const r = await host.run('printf', ['%s|', 'a b', '$(id)', ';rm']);
    expect(r.stdout).toBe('a b|$(id)|;rm|');
  });

  it('feeds stdin', async () => {
    expect((await host.run('cat', [], { input: 's3cret' })).stdout).toBe('s3cret');
  });

  it('retries a transient failure until it succeeds', async () => {
    const f = flaky(2);
    const r = await host.run(f.cmd, f.args, { retry: policy() });
    expect(r.stdout.trim()).toBe('ok');
    expect(f.count()).toBe(3);
  });

  it('stops after the last attempt and quotes the tool', async () => {
    const f = flaky(10);
    await expect(host.run(f.cmd, f.args, { retry: policy() })).rejects.toThrow(
      /exited with code 3: busy/,
    );
    expect(f.count()).toBe(4);
  });

  it('does not retry a permanent failure', async () => {
    const f = flaky(10, 'no such channel');
    await expect(host.run(f.cmd, f.args, { retry: policy() })).rejects.toBeInstanceOf(CommandError);
    expect(f.count()).toBe(1);
  });

  it('starts no try after the deadline', async () => {
    const f = flaky(10);
    await expect(
      host.run(f.cmd, f.args, { retry: policy({ deadline: Date.now() + 15 }) }),
    ).rejects.toThrow(CommandError);
    expect(f.count()).toBeLessThanOrEqual(2);
  });

  it('kills a command that outlives its timeout', async () => {
    const started = Date.now();
    await expect(host.run('sleep', ['30'], { timeoutMs: 200 })).rejects.toThrow(
      /`sleep 30` timed out/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops a command when its signal aborts: SIGTERM, and an error that says it was cancelled', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const run = host.run('sleep', ['30'], { signal: abort.signal, quiet: true });
    setTimeout(() => abort.abort(), 100);
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).message).toMatch(/^`sleep 30` was cancelled/);
    expect(error).toMatchObject({ cancelled: true, timedOut: false });
    // SIGTERM ends sleep at once: no wait for the grace period, let alone the 30 s.
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('gives a command that ignores SIGTERM a SIGKILL after the grace period', async () => {
    const abort = new AbortController();
    const started = Date.now();
    // The ignored SIGTERM survives exec: sleep itself ignores it.
    const run = host.run('sh', ['-c', 'trap "" TERM; exec sleep 30'], {
      signal: abort.signal,
      quiet: true,
    });
    setTimeout(() => abort.abort(), 100);
    await expect(run).rejects.toMatchObject({ cancelled: true });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(2_500);
    expect(took).toBeLessThan(8_000);
  });

  it('neither retries nor returns a cancelled command, whatever retry and allowFailure say', async () => {
    const f = flaky(10);
    const abort = new AbortController();
    abort.abort();
    await expect(
      host.run(f.cmd, f.args, { signal: abort.signal, retry: policy(), allowFailure: true }),
    ).rejects.toMatchObject({ cancelled: true });
    // Already aborted: the command never started.
    expect(f.count()).toBe(0);
  });

  it('leaves a command alone when its signal never aborts', async () => {
    const r = await host.run('sh', ['-c', 'echo done'], { signal: new AbortController().signal });
    expect(r.stdout).toBe('done\n');
  });

  it('returns a failure when asked to', async () => {
    const r = await host.run('sh', ['-c', 'echo nope >&2; exit 5'], { allowFailure: true });
    expect(r).toMatchObject({ code: 5, stderr: 'nope\n' });
  });

  it('reports a program that does not exist', async () => {
    await expect(host.run('/nonexistent/tool', [])).rejects.toThrow(/ENOENT/);
  });

  it('streams one command into another', async () => {
    const r = await host.pipe(['printf', ['a\\nb\\nc\\n']], ['wc', ['-l']]);
    expect(r.stdout.trim()).toBe('3');
  });

  it('fails a pipe when its writer fails', async () => {
    await expect(
      host.pipe(['sh', ['-c', 'echo partial; echo broken >&2; exit 2']], ['cat', []]),
    ).rejects.toThrow(/broken/);
  });
});
