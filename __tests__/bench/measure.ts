import * as fs from 'node:fs';
import { Bed } from '../bed/bed.js';

// What the bed benchmarks share: running variants in turn, timing inside the bed, and handing
// the samples to scripts/bench.mjs (BENCH_OUT), which prints the table and the ratios.

/** One way of doing the thing a benchmark compares, with its samples in milliseconds. */
export interface Variant {
  name: string;
  /** The name in the ratios, e.g. `reload`. */
  short: string;
  ms: number[];
  /** A fact about the variant worth printing beside it, e.g. the bytes it sends. */
  note?: string;
  /** Benchmark 5: the step's phases (from its `report` state) → milliseconds, one per run. */
  phases?: Record<string, number[]>;
}

export interface BenchResult {
  /** Its number in docs/benchmarks.md. */
  id: number;
  title: string;
  variants: Variant[];
}

/** Appends a result to BENCH_OUT (one JSON line), or prints it when run without scripts/bench.mjs. */
export function record(result: BenchResult): void {
  const line = `${JSON.stringify(result)}\n`;
  if (process.env.BENCH_OUT) fs.appendFileSync(process.env.BENCH_OUT, line);
  else process.stdout.write(line);
}

/** Repetitions of each variant; BENCH_RUNS overrides (more runs, steadier medians, longer bench). */
export function runs(fallback: number): number {
  const n = Number(process.env.BENCH_RUNS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * Runs every variant `n` times, in A B B A order, so that a machine getting busier or quieter
 * during the benchmark weighs on each variant alike. Each function does its own untimed set-up
 * and returns the milliseconds it measured.
 */
export async function alternate(
  n: number,
  variants: Record<string, (run: number) => Promise<number>>,
): Promise<Record<string, number[]>> {
  const names = Object.keys(variants);
  const out: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (let run = 0; run < n; run++) {
    for (const name of run % 2 === 0 ? names : [...names].reverse()) {
      out[name].push(await variants[name](run));
    }
  }
  return out;
}

/** Milliseconds since `start` (a process.hrtime.bigint()). */
export function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Runs `script` (bash) inside the bed with the clock read inside the bed too: the timed part is
 * what `script` does between `t0` and `t1` (calls of the shell functions it gets), so nsenter and
 * the test process's own overhead stay out of the sample. Returns the milliseconds between them.
 */
export async function timedInBed(
  bed: Bed,
  script: string,
  opts: { user?: 'root' | 'runner'; env?: Record<string, string> } = {},
): Promise<number> {
  const clock =
    't0() { T0=$(date +%s%N); }\nt1() { echo "bench-ms $(( ($(date +%s%N) - T0) / 1000 ))"; }\n';
  const r = await bed.exec(['/bin/bash', '-euo', 'pipefail', '-c', clock + script], opts);
  const m = /bench-ms (\d+)/.exec(r.stdout);
  if (!m) throw new Error(`the timed script printed no time:\n${r.stdout}${r.stderr}`);
  return Number(m[1]) / 1000;
}

/** The bed's init as the host sees it: its /proc/<pid>/root reaches the bed's files and sockets. */
export function bedInitPid(bed: Bed): number {
  for (const { pid } of bed.processes()) {
    let status = '';
    try {
      status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue; // exited since it was listed
    }
    if (/^NSpid:\s+\d+\s+1$/m.test(status)) return pid;
  }
  throw new Error('the bed has no init process');
}

export async function installMicroK8s(bed: Bed, channel: string): Promise<void> {
  await bed.exec(['sudo', 'snap', 'install', 'microk8s', '--classic', `--channel=${channel}`], {
    user: 'runner',
  });
}

/** Shell-quotes one word. */
export const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
