import { expect, it } from 'vitest';
import { Bed } from '../bed/bed.js';
import type { Report } from '../../src/state.js';
import { alternate, record, runs, since } from './measure.js';

// Benchmark 5: the bundled main step (dist/main under Node 24, as `runner`) on a fresh bed, happy
// path: install, node ready, addons, hand-over. With the default addons (dns), and with
// hostpath-storage as well, to show where the time goes: the phases come from the step's own
// report (its `report` state, which the post step's summary reads).

it('5: the main step on a fresh runner, with and without hostpath-storage', async () => {
  const phases: Record<string, Record<string, number[]>> = { dns: {}, storage: {} };
  const main = (variant: 'dns' | 'storage', inputs: Record<string, string>) => async () => {
    const bed = await Bed.start();
    try {
      const start = process.hrtime.bigint();
      const step = await bed.runMain(inputs);
      const ms = since(start);
      expect(step.exitCode, step.stdout).toBe(0);
      const report = JSON.parse(step.state.report) as Report;
      for (const p of report.phases) (phases[variant][p.name] ??= []).push(p.seconds * 1000);
      return ms;
    } finally {
      await bed.stop();
    }
  };
  const ms = await alternate(runs(3), {
    dns: main('dns', {}),
    storage: main('storage', { addons: 'dns\nhostpath-storage' }),
  });
  record({
    id: 5,
    title: 'The main step on a fresh runner: install, node ready, addons, hand-over',
    variants: [
      { name: 'addons: dns (the default)', short: 'dns', ms: ms.dns, phases: phases.dns },
      {
        name: 'addons: dns, hostpath-storage',
        short: 'dns + hostpath-storage',
        ms: ms.storage,
        phases: phases.storage,
      },
    ],
  });
});
