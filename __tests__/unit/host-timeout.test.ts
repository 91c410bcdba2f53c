import { describe, expect, it } from 'vitest';
import { CommandError, Host } from '../../src/host.js';

describe('Host.run timeouts', () => {
  it('returns at the timeout even when a grandchild keeps the output pipes open', async () => {
    const started = Date.now();
    // sh forks sleep (a command follows it, so no exec): killing sh leaves sleep holding stdout.
    const run = new Host(true).run('sh', ['-c', 'echo started; sleep 30; true'], {
      timeoutMs: 300,
      quiet: true,
    });
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('asks politely first: a command that traps SIGTERM can finish its output', async () => {
    const r = await new Host(true)
      .run('sh', ['-c', 'trap "echo stopping; exit 3" TERM; while :; do sleep 0.05; done'], {
        timeoutMs: 300,
        quiet: true,
      })
      .catch((e: unknown) => e);
    expect((r as CommandError).result.stdout).toContain('stopping');
  });
});
