/**
 * The client side of the queue: queue jobs (`submit`), follow them (`submit --wait`), count and
 * list them and retry failed ones (`jobs`). The commands in src/cli print; this module only talks
 * to Redis.
 */
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { UserError } from '../errors.js';
import { closeRedis, connectRedis, type QueueTarget } from './connection.js';
import { JOB_OPTIONS, jobName, type JobPayload, type JobProgressInfo, type JobResult } from './payload.js';

/** How long the short commands wait for Redis when they start. */
const FIRST_CONNECT_TIMEOUT_MS = 5000;

/** A queue handle for a short-lived command; `close()` when done. */
export interface QueueClient {
  queue: Queue;
  close(): Promise<void>;
}

/**
 * Connects to the queue. Fails within seconds with a clear UserError when Redis cannot be
 * reached; once connected, commands wait through outages (a `submit --wait` outlives a restart).
 */
export async function openQueue(target: QueueTarget, onProblem?: (message: string) => void): Promise<QueueClient> {
  const connection: Redis = await connectRedis(target, { firstConnectTimeoutMs: FIRST_CONNECT_TIMEOUT_MS, onProblem });
  const { Queue } = await import('bullmq');
  const queue = new Queue(target.name, { connection, defaultJobOptions: JOB_OPTIONS });
  // Errors also surface on the awaited calls; an unhandled 'error' event must not crash the command.
  queue.on('error', () => undefined);
  return {
    queue,
    close: async () => {
      await Promise.race([queue.close(), new Promise((res) => setTimeout(res, 2000))]).catch(() => undefined);
      await closeRedis(connection);
    },
  };
}

/** Queues one job per payload, in order, atomically; returns their ids. */
export async function addJobs(queue: Queue, payloads: readonly JobPayload[]): Promise<string[]> {
  const jobs = await queue.addBulk(payloads.map((data) => ({ name: jobName(data), data, opts: JOB_OPTIONS })));
  return jobs.map((j) => j.id ?? '?');
}

/** Where a followed job stands. */
export type FollowedState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'missing';

/** One job as `submit --wait` sees it. */
export interface FollowedJob {
  id: string;
  input: string;
  state: FollowedState;
  /** 0–1: 1 once finished, the stored progress while active. */
  fraction: number;
  result?: JobResult;
  failedReason?: string;
}

function stateOf(s: string): FollowedState {
  if (s === 'completed' || s === 'failed' || s === 'active' || s === 'delayed') return s;
  if (s === 'unknown') return 'missing';
  return 'waiting';
}

function isFinal(s: FollowedState): boolean {
  return s === 'completed' || s === 'failed' || s === 'missing';
}

function progressFraction(p: unknown): number {
  const f = (p as Partial<JobProgressInfo> | null)?.fraction;
  return typeof f === 'number' && f >= 0 && f <= 1 ? f : 0;
}

/**
 * Reads one job (two Redis calls). The state is read first: a finished state is final (until
 * someone retries the job), so the data read after it holds the result; read the other way
 * round, a job finishing in between would look completed without a result.
 */
async function readJob(queue: Queue, id: string, input: string): Promise<FollowedJob> {
  const state = stateOf(await queue.getJobState(id));
  const job = (await queue.getJob(id)) as Job | undefined;
  if (!job || state === 'missing') return { id, input, state: 'missing', fraction: 1, failedReason: 'the job is no longer in the queue' };
  const payloadInput = (job.data as Partial<JobPayload>)?.input ?? input;
  if (state === 'completed') return { id, input: payloadInput, state, fraction: 1, result: job.returnvalue as JobResult };
  if (state === 'failed') return { id, input: payloadInput, state, fraction: 1, failedReason: job.failedReason };
  return { id, input: payloadInput, state, fraction: state === 'active' ? progressFraction(job.progress) : 0 };
}

/** How `followJobs` reports. */
export interface FollowOptions {
  /** Called after every poll with all the jobs (in submission order). */
  onUpdate: (jobs: readonly FollowedJob[], connected: boolean) => void;
  /** Stops following (the jobs stay queued); followJobs then resolves with what it last saw. */
  signal: AbortSignal;
}

/**
 * Polls the jobs until every one has completed or failed. Polling (rather than BullMQ's event
 * stream) survives a Redis restart with nothing to resubscribe, and costs two reads per unfinished
 * job per poll; the interval grows with the number of jobs to keep that small.
 */
export async function followJobs(queue: Queue, ids: readonly string[], inputs: readonly string[], o: FollowOptions): Promise<FollowedJob[]> {
  const jobs: FollowedJob[] = ids.map((id, i) => ({ id, input: inputs[i] ?? '', state: 'waiting', fraction: 0 }));
  const interval = Math.min(5000, Math.max(300, ids.length * 2));
  while (!o.signal.aborted) {
    let connected = true;
    try {
      const open = jobs.map((j, i) => [j, i] as const).filter(([j]) => !isFinal(j.state));
      const fresh = await Promise.all(open.map(([j]) => readJob(queue, j.id, j.input)));
      open.forEach(([, i], k) => (jobs[i] = fresh[k]));
    } catch {
      // Redis is away: keep what we knew, say so, and try again.
      connected = false;
    }
    o.onUpdate(jobs, connected);
    if (jobs.every((j) => isFinal(j.state))) break;
    await new Promise<void>((res) => {
      const wake = () => {
        clearTimeout(t);
        o.signal.removeEventListener('abort', wake);
        res();
      };
      const t = setTimeout(wake, interval);
      o.signal.addEventListener('abort', wake, { once: true });
    });
  }
  return jobs;
}

/** Job counts by state, as `tacet jobs` prints them. */
export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

/** A job in `tacet jobs`' lists. */
export interface ListedJob {
  id: string;
  input: string;
  /** Worker holding an active job (`host:pid`). */
  worker?: string;
  progress?: JobProgressInfo;
  failedReason?: string;
  attemptsMade: number;
  /** Epoch ms when it finished (failed jobs). */
  finishedOn?: number;
}

/** What `tacet jobs` shows. */
export interface QueueStatus {
  counts: QueueCounts;
  active: ListedJob[];
  /** The most recent failed jobs, newest first (at most `failedLimit`). */
  failed: ListedJob[];
}

function listed(job: Job): ListedJob {
  const data = job.data as Partial<JobPayload>;
  const progress = job.progress as unknown as JobProgressInfo | number;
  return {
    id: job.id ?? '?',
    input: typeof data?.input === 'string' ? data.input : job.name,
    worker: job.processedBy,
    progress: typeof progress === 'object' && progress !== null ? progress : undefined,
    failedReason: job.failedReason || undefined,
    attemptsMade: job.attemptsMade,
    finishedOn: job.finishedOn,
  };
}

/** Counts, the active jobs and the latest failed jobs with their errors. */
export async function queueStatus(queue: Queue, failedLimit: number): Promise<QueueStatus> {
  const c = await queue.getJobCounts('wait', 'prioritized', 'waiting-children', 'active', 'delayed', 'completed', 'failed');
  const counts: QueueCounts = {
    waiting: (c.wait ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0),
    active: c.active ?? 0,
    delayed: c.delayed ?? 0,
    completed: c.completed ?? 0,
    failed: c.failed ?? 0,
  };
  const active = ((await queue.getJobs('active', 0, 99, true)) as Job[]).filter(Boolean).map(listed);
  const failed = failedLimit > 0 ? ((await queue.getJobs('failed', 0, failedLimit - 1, false)) as Job[]).filter(Boolean).map(listed) : [];
  return { counts, active, failed };
}

/** A retried job gets all its attempts again (BullMQ otherwise keeps counting from the last run). */
const FRESH_ATTEMPTS = { resetAttemptsMade: true, resetAttemptsStarted: true };

/**
 * Retries jobs by id: a failed job runs again with fresh attempts; so does a completed one (to
 * redo an edit after changing the input). Waiting and active jobs are refused with a reason.
 */
export async function retryJobs(queue: Queue, ids: readonly string[]): Promise<string[]> {
  const done: string[] = [];
  for (const id of ids) {
    const job = (await queue.getJob(id)) as Job | undefined;
    if (!job) throw new UserError(`no job ${id} in queue ${queue.name}`);
    const state = await job.getState();
    if (state !== 'failed' && state !== 'completed') throw new UserError(`job ${id} is ${state}; only failed or completed jobs can be retried`);
    await job.retry(state, FRESH_ATTEMPTS);
    done.push(id);
  }
  return done;
}

/** Retries every failed job (as retryJobs does, in batches); returns how many were retried. */
export async function retryAllFailed(queue: Queue): Promise<number> {
  const total = (await queue.getJobCounts('failed')).failed ?? 0;
  let retried = 0;
  // Each retry leaves the failed set, so the first page is always the next batch; the count
  // taken at the start bounds the loop even if jobs keep failing meanwhile.
  while (retried < total) {
    const batch = ((await queue.getJobs('failed', 0, Math.min(99, total - retried - 1), true)) as Job[]).filter(Boolean);
    if (batch.length === 0) break;
    for (const job of batch) await job.retry('failed', FRESH_ATTEMPTS);
    retried += batch.length;
  }
  return retried;
}
