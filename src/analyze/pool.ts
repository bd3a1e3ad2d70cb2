/**
 * A process-wide pool of analysis worker threads, created on first use and reused for every job.
 * It has one worker fewer than poolSize(): the calling (main) thread takes queued jobs itself
 * (takeQueued), which saves one thread's start-up (each loads node-av) and its memory.
 * Workers are never terminated: tearing down a worker's environment after node-av ran in it can
 * crash the process. Idle workers are unref'd so that they never keep the process alive; the CLI
 * ends with process.exit anyway.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { MediaError, UserError } from '../errors.js';
import { PROGRESS_OFFSET, runRange, type RangeJob, type RangeResult } from './range.js';
import { runVideoRange, type VideoRangeJob, type VideoRangeResult } from './video-range.js';

/** A job of either kind: audio ranges (range.ts) or video ranges (video-range.ts). */
export type PoolJob = RangeJob | VideoRangeJob;
type PoolResult = RangeResult | VideoRangeResult;

interface Slot {
  worker: Worker;
  busy: boolean;
}

export interface Pending {
  job: PoolJob;
  resolve: (r: PoolResult) => void;
  reject: (e: Error) => void;
}

let slots: Slot[] | null = null;
const queue: Pending[] = [];
const inflight = new Map<number, Pending>();
let nextId = 1;

/** Threads analysis may use, the main thread included: one per core the process may use. */
export function poolSize(): number {
  const env = Number(process.env.TACET_ANALYSIS_WORKERS);
  return Number.isInteger(env) && env > 0 ? env : Math.max(1, availableParallelism());
}

function start(): Slot[] {
  if (slots) return slots;
  slots = [];
  for (let i = 0; i < poolSize() - 1; i++) {
    const worker = new Worker(new URL('./worker.js', import.meta.url));
    const slot: Slot = { worker, busy: false };
    worker.unref();
    worker.on('message', (msg: { id: number; ok: boolean; result?: PoolResult; name?: string; message?: string }) => {
      const p = inflight.get(msg.id);
      inflight.delete(msg.id);
      slot.busy = false;
      worker.unref();
      if (p) {
        if (msg.ok) p.resolve(msg.result!);
        else p.reject(msg.name === 'UserError' ? new UserError(msg.message!) : new MediaError(msg.message!));
      }
      pump();
    });
    worker.on('error', (e) => {
      // A worker that dies takes its job with it; fail every job so callers fall back to serial.
      for (const p of inflight.values()) p.reject(e);
      inflight.clear();
      slots = slots!.filter((s) => s !== slot);
      if (slots.length === 0) slots = null;
    });
    slots.push(slot);
  }
  return slots;
}

function pump(): void {
  if (!slots) return;
  for (const slot of slots) {
    if (slot.busy) continue;
    const p = queue.shift();
    if (!p) return;
    const id = nextId++;
    slot.busy = true;
    slot.worker.ref(); // keep the process alive while a job is in flight
    inflight.set(id, p);
    slot.worker.postMessage({ id, job: p.job });
  }
}

function isVideo(job: PoolJob): job is VideoRangeJob {
  return (job as VideoRangeJob).kind === 'video';
}

/** Runs a job of either kind in this thread (workers, and the main thread on taken jobs). */
export function runJob(job: PoolJob): Promise<PoolResult> {
  return isVideo(job) ? runVideoRange(job) : runRange(job);
}

/** A queued job that no worker has taken yet, for the calling thread to run itself; or null. */
export function takeQueued(): Pending | null {
  return queue.shift() ?? null;
}

/** Runs one range job on the next free worker (or on the main thread, see takeQueued). */
export function runOnPool(job: RangeJob): Promise<RangeResult>;
export function runOnPool(job: VideoRangeJob): Promise<VideoRangeResult>;
export function runOnPool(job: PoolJob): Promise<PoolResult> {
  start();
  return new Promise((resolve, reject) => {
    queue.push({ job, resolve, reject });
    pump();
  });
}

/**
 * Runs all the range jobs of one analysis on the pool, the calling thread working too, and returns
 * their results in job order. Every job shares `shared`: an Int32 cancel flag (set when `signal`
 * aborts) and, from PROGRESS_OFFSET, one Float64 of progress per job, whose sum `onProgress` gets
 * every 100 ms. A job failing with a MediaError may be a seek problem of this file, which the
 * serial path does not have: that gives a reason string for the caller to fall back on; any other
 * error (a user error is the same in serial) is thrown.
 */
export async function runAllOnPool<J extends PoolJob, R extends PoolResult>(
  jobs: J[],
  shared: SharedArrayBuffer,
  signal: AbortSignal | undefined,
  onProgress: ((done: number) => void) | null,
): Promise<R[] | string> {
  const cancel = new Int32Array(shared, 0, 1);
  const progress = new Float64Array(shared, PROGRESS_OFFSET, jobs.length);
  const onAbort = () => Atomics.store(cancel, 0, 1);
  signal?.addEventListener('abort', onAbort);
  const timer = onProgress ? setInterval(() => onProgress(progress.reduce((a, b) => a + b, 0)), 100) : null;
  try {
    const all = Promise.allSettled(jobs.map((j) => runOnPool(j as never) as Promise<R>));
    for (let p = takeQueued(); p; p = takeQueued()) {
      try {
        p.resolve(await runJob(p.job));
      } catch (e) {
        p.reject(e as Error);
      }
    }
    const settled = await all;
    if (signal?.aborted) throw signal.reason;
    const failed = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) {
      if (failed.reason instanceof MediaError) return `parallel range failed: ${failed.reason.message}`;
      throw failed.reason;
    }
    return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
  } finally {
    if (timer) clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The ranges' levels end to end, as one array. */
export function joinLevels(results: ReadonlyArray<{ levels: Uint16Array }>): Uint16Array {
  const levels = new Uint16Array(results.reduce((a, r) => a + r.levels.length, 0));
  let at = 0;
  for (const r of results) {
    levels.set(r.levels, at);
    at += r.levels.length;
  }
  return levels;
}
