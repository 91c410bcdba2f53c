import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm run bench` only (scripts/bench.mjs): runs __tests__/bench/*.run.ts, which `npm test` leaves
// out (it matches *.test.ts only). Files run one at a time so two beds never share the 2 cores.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['__tests__/bench/*.run.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
