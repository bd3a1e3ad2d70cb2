// Shared measuring helpers of the benchmarks (bench/*.ts): command-line flags, medians, timing a
// command with GNU time, JSON results of a measured child script, and the machine's load.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** One measured run. */
export interface Sample {
  /** Seconds of wall-clock time. */
  wall: number;
  /** CPU seconds (user + system, all threads). */
  cpu: number;
  /** Peak resident set size in MB (MiB). */
  maxRssMB: number;
  /** CPU seconds of the measured process as a whole (start-up included), where it differs from `cpu`. */
  cpuTotal?: number;
}

/** The value after flag `name` on the command line, or `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** A number with `d` decimals, or "n/a". */
export const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** True when an `ffmpeg` CLI is on PATH (the benchmarks' baseline). */
export function hasFfmpeg(): boolean {
  return spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
}

/** GNU time (apt-get install time) reports a command's peak RSS and CPU time. */
export const gnuTime = existsSync('/usr/bin/time');

/** One line describing the machine, for benchmark output. */
export function machineLine(): string {
  return `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
}

/**
 * Runs `cmd args` to completion and measures it: wall time here, CPU time and peak RSS from GNU
 * time when present (NaN otherwise). Throws with the command's stderr when it fails.
 */
export function timeCommand(cmd: string, args: string[]): Sample & { stdout: string } {
  const t0 = performance.now();
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', 'tacet-bench %M %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  const m = /tacet-bench (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return m
    ? { wall, cpu: Number(m[2]) + Number(m[3]), maxRssMB: Number(m[1]) / 1024, stdout: r.stdout }
    : { wall, cpu: NaN, maxRssMB: NaN, stdout: r.stdout };
}

/** Runs a measuring child script (`node script args`), which prints its result as the last JSON line. */
export function runChild<T>(script: string, args: string[]): T {
  const out = execFileSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

/** Busy CPU seconds of the whole machine so far (all cores), or null where /proc/stat is missing. */
export function machineBusy(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const idle = f[3] + f[4];
    return (f.reduce((a, b) => a + b, 0) - idle) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/**
 * Measures `measure` and also the CPU seconds other processes used meanwhile (`foreign`, from
 * /proc/stat; NaN where it is missing), so noisy runs can be told apart.
 */
export function withForeign<S extends Sample>(measure: () => S): S & { foreign: number } {
  const b0 = machineBusy();
  const s = measure();
  const b1 = machineBusy();
  const foreign = b0 === null || b1 === null ? NaN : Math.max(0, b1 - b0 - (s.cpuTotal ?? s.cpu));
  return { ...s, foreign };
}

/**
 * Runs `measure` until other processes stay below 3% of the machine during it (at most `retries`
 * repeats); `counter.discarded` counts the repeated runs.
 */
export function quiet<S extends Sample>(what: string, measure: () => S, retries: number, counter: { discarded: number }): S {
  for (let attempt = 0; ; attempt++) {
    const s = withForeign(measure);
    if (!Number.isFinite(s.foreign) || s.foreign <= 0.03 * s.wall * cpus().length || attempt >= retries) {
      if (attempt >= retries) console.error(`${what}: still disturbed after ${retries} retries (other processes: ${s.foreign.toFixed(1)} CPU s); kept`);
      return s;
    }
    counter.discarded++;
    // Let whatever else is running finish before trying again.
    spawnSync('sleep', ['5']);
  }
}
