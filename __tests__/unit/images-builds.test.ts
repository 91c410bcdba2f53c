import * as os from 'node:os';
import { describe, expect, it } from 'vitest';
import { Host, RunOptions, RunResult } from '../../src/host.js';
import { parseImageRef } from '../../src/image-ref.js';
import { startBuilds } from '../../src/images.js';
import { Inputs } from '../../src/inputs.js';

/** A runner whose `docker build` is a real process that takes 30 s (`sleep 30`). */
class SlowDocker extends Host {
  readonly seen: RunOptions[] = [];
  constructor() {
    super(true);
  }
  override run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    this.seen.push(opts);
    return cmd === 'docker' ? super.run('sleep', ['30'], opts) : super.run(cmd, args, opts);
  }
}

const inputsBuilding = (...images: string[]): Inputs =>
  ({ build: images.map((i) => ({ image: parseImageRef(i), context: os.tmpdir() })) }) as Inputs;

describe('startBuilds', () => {
  it('cancel() stops the builds still running, and join() says they were cancelled', async () => {
    const host = new SlowDocker();
    const started = Date.now();
    const builds = startBuilds({ inputs: inputsBuilding('app:1.0', 'api:1.0'), host });
    await new Promise((r) => setTimeout(r, 100));
    builds.cancel();
    await expect(builds.join()).rejects.toThrow(
      /^docker build of app:1\.0 failed: `sleep 30` was cancelled/,
    );
    expect(host.seen).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
