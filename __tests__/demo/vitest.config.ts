import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm run demo` only: runs __tests__/demo/demo.run.ts, which `npm test` leaves out (it matches
// *.test.ts only), and lets it print straight to the terminal.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['__tests__/demo/*.run.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    disableConsoleIntercept: true,
  },
});
