import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm run summary-example` only: runs __tests__/demo/summary-example.gen.ts, which rewrites
// docs/summary-example.md and the README's example from real runs on the emulated runner.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['__tests__/demo/*.gen.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
