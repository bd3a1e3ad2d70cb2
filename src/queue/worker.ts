/**
 * A queue worker: takes jobs from the BullMQ queue and runs each in its own edit process.
 *
 * Reliability comes from BullMQ, configured here:
 * - A job is locked by its worker for `lockDurationMs`, renewed every half of that by this
 *   process, whose event loop stays free because the media work happens in the child.
 * - Every `stalledIntervalMs`, each worker looks for active jobs whose lock has expired (their
 *   worker died) and puts them back in the queue, up to MAX_STALLED_COUNT times per job.
 * - A job this worker can no longer renew (its lock expired during a Redis outage and the job went
 *   to another worker) is cancelled here: finishing it would be wasted work, as its completion
 *   would be refused.
 * - UserError/MediaError from the edit fail the job at once (UnrecoverableError); other failures
 *   use the job's attempts (JOB_OPTIONS).
 * - Stopping (SIGTERM, Ctrl-C) cancels the running edits, removes their partial outputs and puts
 *   their jobs back in the queue for another worker, instead of making the stop wait for a render
 *   that may take an hour.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { CancelledError, UserError } from '../errors.js';
import { closeRedis, connectRedis, type QueueTarget } from './connection.js';
import { checkPayload, jobFraction, type JobPayload, type JobProgressInfo, type JobResult } from './payload.js';
import { planOutput } from './paths.js';
import { EditFailure, runInChild } from './runner.js';

/**
 * How many times a job may be found stalled (its worker gone) and put back before it fails.
 * BullMQ's default is 1; stalls here come from machines, deploys and Redis outages, not from the
 * job, so a few more are allowed before giving up.
 */
export const MAX_STALLED_COUNT = 5;

/** The shortest interval between two progress writes of one job to Redis. */
const PROGRESS_INTERVAL_MS = 1000;
/** How long a stopping worker tries to hand a job back before leaving it to the stalled check. */
const RETURN_TIMEOUT_MS = 5000;

/** Settings of one worker process. */
export interface WorkerConfig {
  target: QueueTarget;
  /** Jobs run at once (each in its own process). */
  concurrency: number;
  /** Folder for outputs with default names; null = beside each input. */
  outputDir: string | null;
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** Aborted to stop: running jobs go back to the queue, then runWorker resolves. */
  signal: AbortSignal;
  /** One line per event (no newline). */
  log: (line: string) => void;
}

/** The name a worker stores on the jobs it takes (BullMQ's `processedBy`): `host:pid`. */
export function workerName(): string {
  return `${hostname()}:${process.pid}`;
}

/** Why this machine cannot run the job (input or output folder not visible), or null. */
function storageProblem(payload: JobPayload, outputDir: string | null): string | null {
  if (!existsSync(payload.input)) return `input not found: ${payload.input}`;
  let final: string | null;
  try {
    final = planOutput(payload, outputDir).final;
  } catch {
    // Bad options: the edit process reports them with the CLI's message.
    return null;
  }
  if (final !== null && !existsSync(dirname(final))) return `output folder not found: ${dirname(final)}`;
  return null;
}

function describeDone(payload: JobPayload, r: JobResult): string {
  const kept = r.inputFrames !== null ? ` (kept ${r.outputFrames} of ${r.inputFrames} frames)` : '';
  const target = r.output ? ` -> ${r.output}` : r.stdout !== null ? ' (stats)' : '';
  return `${payload.input}${target}${kept} in ${r.seconds.toFixed(1)} s`;
}

/** Runs a worker until `config.signal` is aborted. */
export async function runWorker(config: WorkerConfig): Promise<void> {
  const { target, log } = config;
  if (config.outputDir !== null) {
    mkdirSync(config.outputDir, { recursive: true });
    if (!statSync(config.outputDir).isDirectory()) throw new UserError(`--output-dir ${config.outputDir} is not a folder`);
  }
  const { Worker, UnrecoverableError, WaitingError } = await import('bullmq');
  const name = workerName();
  const connection = await connectRedis(target, {
    firstConnectTimeoutMs: null,
    signal: config.signal,
    onProblem: (m) => log(`Redis at ${target.display}: ${m}; retrying`),
    onRecovered: () => log(`Redis at ${target.display} is back`),
  }).catch((e: unknown) => {
    if (e instanceof CancelledError) return null;
    throw e;
  });
  if (connection === null) return;

  // Edits in progress, by job id: aborting one cancels its edit process.
  const running = new Map<string, AbortController>();
  let stopping = false;

  const processor = async (job: import('bullmq').Job, token?: string, lost?: AbortSignal): Promise<JobResult> => {
    let payload: JobPayload;
    try {
      payload = checkPayload(job.data);
    } catch (e) {
      throw new UnrecoverableError((e as Error).message);
    }
    const id = job.id ?? '?';
    if (stopping && token !== undefined) {
      // Fetched while the worker was being stopped: hand it straight back.
      await Promise.race([job.moveToWait(token), new Promise((res) => setTimeout(res, RETURN_TIMEOUT_MS))]).catch(() => undefined);
      throw new WaitingError();
    }
    log(`job ${id} started: ${payload.input}${job.attemptsStarted > 1 ? ` (start ${job.attemptsStarted})` : ''}`);
    // The submitter saw the input, so a missing one here is most likely this machine's mount:
    // a retryable error (another worker may see it), not the "file not found" that fails a job.
    const where = storageProblem(payload, config.outputDir);
    if (where !== null) {
      log(`job ${id} failed here: ${where}`);
      throw new Error(`${where} on worker ${name} (is the shared storage mounted at the same path on every machine?)`);
    }
    const controller = new AbortController();
    const onLost = () => controller.abort(new CancelledError('the job lock was lost'));
    lost?.addEventListener('abort', onLost, { once: true });
    running.set(id, controller);
    const started = Date.now();
    let lastProgress = 0;
    try {
      const r = await runInChild(payload, {
        outputDir: config.outputDir,
        signal: controller.signal,
        onProgress: (stage, done, total) => {
          const now = Date.now();
          if (now - lastProgress < PROGRESS_INTERVAL_MS && done < total) return;
          lastProgress = now;
          const progress: JobProgressInfo = { stage, done, total, fraction: jobFraction(stage, done, total) };
          // Progress is a convenience: a Redis hiccup must not fail the edit.
          job.updateProgress(progress as unknown as object).catch(() => undefined);
        },
        onWarning: (m) => {
          log(`job ${id}: warning: ${m}`);
          job.log(`warning: ${m}`).catch(() => undefined);
        },
      });
      const result: JobResult = { ...r, seconds: (Date.now() - started) / 1000, worker: name };
      log(`job ${id} done: ${describeDone(payload, result)}`);
      return result;
    } catch (e) {
      if (!(e instanceof EditFailure)) throw e;
      if (e.kind === 'cancelled' && !lost?.aborted && token !== undefined) {
        // Stopped by us (shutdown) or by a signal to the edit process itself (Ctrl-C reaches the
        // whole process group, and may be handled there first): not the job's fault. Hand it back
        // untouched (no attempt used) so a worker starts it again at once.
        await Promise.race([job.moveToWait(token), new Promise((res) => setTimeout(res, RETURN_TIMEOUT_MS))]).catch(() => undefined);
        log(`job ${id} returned to the queue (${stopping ? 'worker stopping' : 'edit interrupted'})`);
        throw new WaitingError();
      }
      if (e.kind === 'cancelled') {
        log(`job ${id} abandoned: its lock was lost (it runs again on a worker that holds it)`);
        throw new Error('the worker lost the job lock; the job runs again');
      }
      log(`job ${id} failed: ${payload.input}: ${e.message}`);
      // An unexpected error is a bug or an environment problem: its stack belongs in the log.
      if (e.detail) log(e.detail);
      if (e.kind === 'user' || e.kind === 'media') throw new UnrecoverableError(e.message);
      throw new Error(e.message);
    } finally {
      lost?.removeEventListener('abort', onLost);
      running.delete(id);
    }
  };

  const worker = new Worker(target.name, processor, {
    connection,
    name,
    concurrency: config.concurrency,
    lockDuration: config.lockDurationMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: MAX_STALLED_COUNT,
  });
  // BullMQ reports each failed retry of a Redis call; the connection already said it is down.
  const recent = new Map<string, number>();
  worker.on('error', (e: Error) => {
    const now = Date.now();
    if ((recent.get(e.message) ?? 0) > now - 30_000) return;
    if (recent.size > 1000) recent.clear();
    recent.set(e.message, now);
    if (!/ECONNREFUSED|Connection is closed|connect ETIMEDOUT/.test(e.message)) log(`worker: ${e.message}`);
  });
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) worker.cancelJob(id, 'the job lock was lost');
  });
  worker.on('stalled', (id: string) => log(`job ${id} stalled (its worker stopped answering); it goes back to the queue`));
  // The processor logs its own failures; this one happens in the stalled check instead.
  worker.on('failed', (job: import('bullmq').Job | undefined, err: Error) => {
    if (/stalled/i.test(err.message)) log(`job ${job?.id ?? '?'} failed: ${err.message}`);
  });

  const where = config.outputDir === null ? 'outputs beside their inputs' : `outputs in ${config.outputDir}`;
  log(`worker ${name} taking jobs from ${target.display} queue ${target.name} (concurrency ${config.concurrency}, ${where})`);

  await new Promise<void>((resolve) => {
    if (config.signal.aborted) resolve();
    else config.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  stopping = true;
  if (running.size > 0) log(`stopping: returning ${running.size} job(s) to the queue`);
  const closing = worker.close();
  for (const c of running.values()) c.abort(new CancelledError('the worker is stopping'));
  await closing;
  await closeRedis(connection);
  log(`worker ${name} stopped`);
}
